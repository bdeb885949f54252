"""Issue 13's input gaps: every problem in one errors.csv, workbooks named by sheet, import claves.

- An A3 asking more than its lot has left is listed beside the read problems
  (one round of fixes), whenever the rows read decide it.
- On an ``.xlsx`` workbook every error names ``book.xlsx:sheet`` and the row as
  Excel numbers it, whatever file kind and whenever it is found (reading, the
  discharge, the store).
- ``imports.csv`` holds temporary imports only: any other clave is exit 2 naming
  it, with the citation of ``rules/operations/claves.yaml``.

Each refusal: exit 2, file/row/column, nothing stored.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from immex.cli import app
from immex.ledger.claves import import_clave_problem
from immex.rules.operations import imports_reference
from tests.ledger.ledger_files import bom, exp, imp, part, read_csv, write_ledger, write_table
from tests.movements.files import disposal, move, write_rows
from tests.operations.helpers import (
    E1,
    E2,
    I1,
    I2,
    PATHS,
    R1,
    R2,
    digits,
    errors,
    ok,
    path_args,
    reg,
    store_counts,
    write_regularizations,
)

OVERDRAWN = f"asks 5 of import pedimento {digits(I1)} line 1 ('CU'), which has 3 left on 2025-03-01"


def plant(tmp_path: Path, extra_exports: list[dict[str, str]] | None = None) -> Path:
    """10 of copper (I1); 7 returned on 2025-02-01; an A3 of 5 on 2025-03-01 finds 3 left."""
    folder = write_ledger(
        tmp_path / "in",
        parts=[part("CU"), part("AL")],
        imports=[imp(I1, 1, "CU", "10", "2024-01-10"), imp(I2, 1, "AL", "10", "2025-01-10")],
        exports=[exp(E1, 1, "CU", "7", "2025-02-01"), *(extra_exports or [])],
    )
    write_regularizations(folder, [reg(R1, 1, "CU", "5", "2025-03-01", I1, 1)])
    return folder


# ---- 1. an A3 asking too much is listed with the other problems ---------------------------------


@pytest.mark.parametrize("path", ["columnar", "per-row"])
def test_an_overdrawn_a3_is_listed_beside_a_bad_export_row(tmp_path: Path, path: str) -> None:
    plant(tmp_path, [exp(E2, 1, "AL", "1", "2025-02-31")])  # not a date: that row is refused
    assert errors(tmp_path, *path_args(tmp_path, path)) == [
        ("exports.csv", "3", "cleared_on", "'2025-02-31' is not a real calendar date"),
        ("regularizations.csv", "2", "qty", OVERDRAWN),
    ]


@pytest.mark.parametrize("method", ["fifo", "lifo", "directed"])
def test_the_a3_check_beside_other_problems_follows_the_method(tmp_path: Path, method: str) -> None:
    """Two lots of copper; a return of 7 on 2025-06-01 takes the older (FIFO) or the newer (LIFO);
    the A3 of 2025-07-01 names the older, so it is overdrawn under FIFO and directed (FIFO
    when the export names no lot) and fine under LIFO."""
    folder = write_ledger(
        tmp_path / "in",
        parts=[part("CU")],
        imports=[imp(I1, 1, "CU", "10", "2024-01-10"), imp(I2, 1, "CU", "10", "2025-01-10")],
        exports=[exp(E1, 1, "CU", "7", "2025-06-01"), exp(E2, 1, "CU", "1", "not a date")],
    )
    write_regularizations(folder, [reg(R1, 1, "CU", "5", "2025-07-01", I1, 1)])
    found = errors(tmp_path, "--method", method)
    overdrawn = [e for e in found if e[0] == "regularizations.csv"]
    assert [e[:3] for e in found if e[0] == "exports.csv"] == [("exports.csv", "3", "cleared_on")]
    if method == "lifo":
        assert overdrawn == []
    else:
        assert overdrawn == [
            (
                "regularizations.csv",
                "2",
                "qty",
                f"asks 5 of import pedimento {digits(I1)} line 1 ('CU'), which has 3 left on 2025-07-01",
            )
        ]


def test_an_overdrawn_a3_is_listed_beside_problems_of_other_files(tmp_path: Path) -> None:
    folder = plant(tmp_path)
    write_rows(folder, "waste.csv", [disposal("2025-03-01", "CU", "1", uom="pcs", how="burnt")])
    found = errors(tmp_path)
    assert [(f, r, c) for f, r, c, _ in found] == [
        ("waste.csv", "2", "disposition"),
        ("regularizations.csv", "2", "qty"),
    ]
    assert found[1][3] == OVERDRAWN


def test_a_refused_import_row_of_the_part_leaves_only_what_the_lot_alone_decides(tmp_path: Path) -> None:
    """A refused lot of copper could take the return's 7 once fixed (FIFO): 5 of I1 may then fit,
    so it is not reported; 12 of a lot of 10 never fits and is, saying it is a bound."""
    folder = plant(tmp_path)
    write_table(
        folder,
        "imports.csv",
        [imp(I1, 1, "CU", "10", "2024-01-10"), imp(I2, 1, "CU", "ten", "2023-01-10")],
    )
    assert [e[:3] for e in errors(tmp_path)] == [("imports.csv", "3", "qty")]
    write_regularizations(
        folder, [reg(R1, 1, "CU", "5", "2025-03-01", I1, 1), reg(R2, 1, "CU", "7", "2025-04-01", I1, 1)]
    )
    found = errors(tmp_path)
    assert [e[:3] for e in found] == [("imports.csv", "3", "qty"), ("regularizations.csv", "3", "qty")]
    assert found[1][3].startswith(
        f"asks 7 of import pedimento {digits(I1)} line 1 ('CU'), which has 5 left on 2025-04-01 (at most:"
    )


def test_on_the_stored_path_a_new_store_checks_the_a3_as_exactly_as_in_memory(tmp_path: Path) -> None:
    """With --db and nothing stored yet, the rows read are the whole ledger: the A3 of 5 finds the
    3 the return left (not the lot's 10), as the in-memory path says; no store is created."""
    plant(tmp_path, [exp(E2, 1, "AL", "1", "2025-02-31")])
    found = errors(tmp_path, *path_args(tmp_path, "stored"))
    assert found == [
        ("exports.csv", "3", "cleared_on", "'2025-02-31' is not a real calendar date"),
        ("regularizations.csv", "2", "qty", OVERDRAWN),
    ]
    assert not (tmp_path / "plant.db").exists()


@pytest.mark.parametrize("path", PATHS)
def test_without_other_problems_the_overdrawn_a3_alone_is_reported(tmp_path: Path, path: str) -> None:
    plant(tmp_path)
    args = path_args(tmp_path, path)
    assert errors(tmp_path, *args) == [("regularizations.csv", "2", "qty", OVERDRAWN)]
    assert store_counts(tmp_path / "plant.db")[:2] == (0, 0)


# ---- 2. a workbook's errors name the workbook and the sheet -------------------------------------


def workbook(folder: Path, path: Path, titles: dict[str, str] | None = None) -> Path:
    """The folder's CSV files as sheets (``titles`` renames some: ``{"imports": "Imports"}``)."""
    book = Workbook()
    book.remove(book.active)
    for csv_path in sorted(folder.glob("*.csv")):
        sheet = book.create_sheet((titles or {}).get(csv_path.stem, csv_path.stem))
        with csv_path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                sheet.append(row)
    book.save(path)
    return path


def book_errors(tmp_path: Path, book: Path, *args: str) -> list[tuple[str, str, str, str]]:
    """The errors.csv rows of a refused run on ``book`` (exit 2)."""
    out = tmp_path / "out-book"
    result = CliRunner().invoke(
        app, ["discharge", "--input", str(book), "--output", str(out), "--as-of", "2025-06-30", *args]
    )
    assert result.exit_code == 2, result.output
    return [(r["file"], r["row"], r["column"], r["message"]) for r in read_csv(out / "errors.csv")]


TITLES = {
    "parts": "Parts",
    "imports": "Imports",
    "exports": "exports",
    "bom": "BOM",
    "uom_conversions": "uom_conversions",
    "regularizations": "Regularizations",
    "submaquila": "Submaquila",
    "waste": "Waste",
}


def test_every_sheet_s_errors_name_the_workbook_the_sheet_and_the_excel_row(tmp_path: Path) -> None:
    """One bad row in each kind of sheet, titled as a person would (``Imports``, ``BOM``)."""
    folder = write_ledger(
        tmp_path / "in",
        parts=[part("CU"), part("FG", kind="finished"), part("BAD", kind="robot")],
        imports=[imp(I1, 1, "CU", "10", "2024-01-10"), imp(I2, 1, "CU", "1,5", "2025-01-10")],
        exports=[exp(E1, 1, "FG", "7", "2025-02-01"), exp(E2, 1, "FG", "1", "2025-13-01")],
        bom=[bom("FG", "CU", "1"), bom("FG", "NOPE", "1")],
        conversions=[{"from_uom": "kg", "to_uom": "pcs", "factor": "-1"}],
    )
    write_regularizations(
        folder,
        [reg(R1, 1, "CU", "1", "2025-03-01", I1, 1), reg(R2, 1, "CU", "1", "2025-03-01", I1, 1, clave="RT")],
    )
    write_rows(folder, "submaquila.csv", [move("S1", "sideways", "2025-03-01", "CU", "1", uom="pcs")])
    write_rows(folder, "waste.csv", [disposal("2025-03-01", "CU", "x", uom="pcs")])
    found = book_errors(tmp_path, workbook(folder, tmp_path / "plant.xlsx", TITLES))
    assert sorted((f, r, c) for f, r, c, _ in found) == sorted(
        [
            ("plant.xlsx:Parts", "4", "kind"),
            ("plant.xlsx:Imports", "3", "qty"),
            ("plant.xlsx:exports", "3", "cleared_on"),
            ("plant.xlsx:BOM", "3", "component"),
            ("plant.xlsx:uom_conversions", "2", "factor"),
            ("plant.xlsx:Regularizations", "3", "clave"),
            ("plant.xlsx:Submaquila", "2", "direction"),
            ("plant.xlsx:Waste", "2", "qty"),
        ]
    )
    assert all(".csv" not in f for f, _, _, _ in found)


def test_the_row_is_the_one_excel_shows_past_blank_rows(tmp_path: Path) -> None:
    folder = plant(tmp_path)
    book = Workbook()
    book.remove(book.active)
    for csv_path in sorted(folder.glob("*.csv")):
        sheet = book.create_sheet(csv_path.stem.capitalize())
        with csv_path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        sheet.append(rows[0])
        sheet.append([])  # a blank row 2: skipped, but Excel still calls the next one row 3
        for row in rows[1:]:
            sheet.append(row)
    book.save(tmp_path / "plant.xlsx")
    assert book_errors(tmp_path, tmp_path / "plant.xlsx") == [
        ("plant.xlsx:Regularizations", "3", "qty", OVERDRAWN)
    ]


@pytest.mark.parametrize("path", ["in-memory", "stored"])
def test_discharge_time_errors_name_the_sheet(tmp_path: Path, path: str) -> None:
    """What only the discharge finds (an A3 beyond its lot, a disposal beyond the waste) names the
    sheet too; nothing is stored."""
    folder = plant(tmp_path)
    args = path_args(tmp_path, "stored") if path == "stored" else []
    book = workbook(folder, tmp_path / "plant.xlsx", TITLES)
    assert book_errors(tmp_path, book, *args) == [("plant.xlsx:Regularizations", "2", "qty", OVERDRAWN)]
    write_regularizations(folder, [reg(R1, 1, "CU", "1", "2025-03-01", I1, 1)])
    write_rows(folder, "waste.csv", [disposal("2025-03-01", "CU", "1", uom="pcs")])
    found = book_errors(tmp_path, workbook(folder, tmp_path / "plant.xlsx", TITLES), *args)
    assert [(f, r, c) for f, r, c, _ in found] == [("plant.xlsx:Waste", "2", "qty")]
    assert store_counts(tmp_path / "plant.db") == (0, 0, 0, 0)


def test_a_stored_line_changed_in_a_workbook_names_the_sheet(tmp_path: Path) -> None:
    folder = plant(tmp_path)
    write_regularizations(folder, [reg(R1, 1, "CU", "1", "2025-03-01", I1, 1)])
    db = path_args(tmp_path, "stored")
    ok(tmp_path, *db)
    before = store_counts(tmp_path / "plant.db")
    write_table(
        folder, "imports.csv", [imp(I1, 1, "CU", "11", "2024-01-10"), imp(I2, 1, "AL", "10", "2025-01-10")]
    )
    found = book_errors(tmp_path, workbook(folder, tmp_path / "plant.xlsx", TITLES), *db)
    assert [(f, r, c) for f, r, c, _ in found] == [("plant.xlsx:Imports", "2", "qty")]
    assert store_counts(tmp_path / "plant.db") == before


# ---- 3. imports.csv holds temporary imports only ---------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_import_claves_that_are_no_temporary_import_are_input_errors(tmp_path: Path, path: str) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("CU")],
        imports=[
            imp(I1, 1, "CU", "10", "2024-01-10", clave="A1"),  # definitive import
            imp(I1, 2, "CU", "10", "2024-01-10", clave="RT"),  # a return
            imp(I1, 3, "CU", "10", "2024-01-10", clave="A3"),  # a regularization
            imp(I1, 4, "CU", "10", "2024-01-10", clave="C1"),  # Anexo 22 knows it: franja definitive
            imp(I1, 5, "CU", "10", "2024-01-10", clave="ZZ"),  # nobody knows it
            imp(I2, 1, "CU", "10", "2025-01-10", clave="in"),  # lots, in any case
            imp(I2, 2, "CU", "10", "2025-01-10", clave="af"),
            imp(I2, 3, "CU", "10", "2025-01-10", clave="V1"),
        ],
        exports=[exp(E1, 1, "CU", "1", "2025-02-01")],
    )
    found = errors(tmp_path, *path_args(tmp_path, path))
    assert [(f, r, c) for f, r, c, _ in found] == [("imports.csv", str(n), "clave") for n in (2, 3, 4, 5, 6)]
    messages = [m for _, _, _, m in found]
    assert all(
        m.startswith(f"clave {c} is not a temporary import")
        for m, c in zip(messages, ["A1", "RT", "A3", "C1", "ZZ"], strict=True)
    )
    assert all(imports_reference() in m and "AF, IN, V1" in m for m in messages)
    assert "A1 is a definitive import (Anexo 22 Ap. 2 'A1" in messages[0] and "Art. 96" in messages[0]
    assert "RT is an outgoing clave" in messages[1] and messages[1].endswith("list it in exports.csv")
    assert messages[2].endswith("list it in regularizations.csv")
    assert "C1 is 'IMPORTACION DEFINITIVA A LA FRANJA" in messages[3]
    assert messages[4].endswith("ZZ is not a clave the ledger knows on that date")
    assert store_counts(tmp_path / "plant.db") == (0, 0, 0, 0)


def test_only_the_temporary_import_claves_of_the_rule_data_are_lots() -> None:
    day = dt.date(2025, 1, 1)
    assert {
        c for c in ("IN", "AF", "V1", "A1", "F4", "BM", "T3", "") if import_clave_problem(c, day) is None
    } == {
        "IN",
        "AF",
        "V1",
    }
