"""A ledger uploaded as one workbook: every problem names the book as sent and its sheet.

As ``immex discharge --input plant.xlsx --db`` does (``read.named_as_read``): a row that the
reader refuses and a row that differs from the stored one both say ``plant.xlsx:Imports``,
row as Excel shows it; nothing is stored.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from tests.api.conftest import COMPANY_A, Api
from tests.api.ledgers import small_ledger
from tests.movements.files import RFC

BASE = f"/api/v1/companies/{COMPANY_A}"
TITLES = {"parts": "Parts", "imports": "Imports", "exports": "Exports", "submaquila": "Submaquila"}


def _book(folder: Path) -> bytes:
    """The folder's CSV files as sheets titled as a person would (``Imports``)."""
    book = Workbook()
    book.remove(book.active)
    for csv_path in sorted(folder.glob("*.csv")):
        sheet = book.create_sheet(TITLES.get(csv_path.stem, csv_path.stem))
        with csv_path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _upload(api: Api, folder: Path, name: str = "plant.xlsx") -> Any:
    files = {"workbook": (name, _book(folder), "application/octet-stream")}
    return api.post("analyst", f"{BASE}/ledger", files=files)


def _errors(answer: Any) -> list[tuple[str, int, str]]:
    assert answer.status_code == 422, answer.text
    return [(e["file"], e["row"], e["column"]) for e in answer.json()["errors"]]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_read_problem_names_the_book_as_sent_and_its_sheet(api: Api, tmp_path: Path) -> None:
    folder = small_ledger(tmp_path / "in")
    _replace(folder / "imports.csv", ",10.5,", ",10,5,")  # a decimal comma: one field too many
    found = _errors(_upload(api, folder))
    assert found and {f for f, _, _ in found} == {"plant.xlsx:Imports"}
    assert api.get("analyst", f"{BASE}/balances").json()["items"] == []


def test_a_stored_line_changed_in_the_book_names_the_sheet_and_stores_nothing(
    api: Api, tmp_path: Path
) -> None:
    """The lot 25 47 3456 5000001/1 was uploaded with 10 pieces; the book sent again says 11."""
    folder = small_ledger(tmp_path / "in")
    assert _upload(api, folder).status_code == 201
    before = api.get("analyst", f"{BASE}/balances").json()["items"]
    _replace(folder / "imports.csv", ",A,10,", ",A,11,")
    assert _errors(_upload(api, folder)) == [("plant.xlsx:Imports", 2, "qty")]
    assert api.get("analyst", f"{BASE}/balances").json()["items"] == before


def test_a_stored_submaquila_row_changed_names_its_sheet(api: Api, tmp_path: Path) -> None:
    folder = small_ledger(tmp_path / "in")
    (folder / "submaquila.csv").write_text(
        f"shipment,direction,date,part,qty,uom,submaquilador_rfc\nS-1,out,2025-03-05,B,3,pcs,{RFC}\n"
    )
    assert _upload(api, folder).status_code == 201
    _replace(folder / "submaquila.csv", ",B,3,", ",B,2,")
    found = _errors(_upload(api, folder))
    assert found and {f for f, _, _ in found} == {"plant.xlsx:Submaquila"}


def test_a_book_sent_without_a_usable_name_is_called_ledger_xlsx(api: Api, tmp_path: Path) -> None:
    folder = small_ledger(tmp_path / "in")
    _replace(folder / "imports.csv", ",10.5,", ",diez,")
    assert {f for f, _, _ in _errors(_upload(api, folder, "../../"))} == {"ledger.xlsx:Imports"}
    assert {f for f, _, _ in _errors(_upload(api, folder, "plan de enero"))} == {"plan_de_enero.xlsx:Imports"}
