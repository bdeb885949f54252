"""A disposal beyond the waste generated is listed in the same errors.csv as the other problems.

The worked example: 100 harnesses of 2 m of cable with 5 % desperdicio returned on
2025-03-01 generate 10 m of cable waste. A disposal of 12 m on 2025-03-10 is 2 m too
many; it is found beside a refused row wherever the refused rows cannot lower the excess
once fixed (a disposal or an A3 refused, an import lot of another part), and left for
the next pass where they could (an export row, a lot of the same part). Exit 2, nothing
stored.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from immex.discharge.movements import BESIDE_NOTE
from tests.ledger.ledger_files import exp, imp, write_table
from tests.movements.files import EXPORT, IMPORT, discharge, disposal, harness_ledger, write_rows
from tests.operations.helpers import store_counts

TOO_MUCH = "disposes of 12 of 'CABLE' by 2025-03-10, more than the 10 of waste generated"
A3 = "25 47 3456 7000001"


def _over(problems: list[list[str]]) -> list[list[str]]:
    return [p for p in problems if p[:3] == ["waste.csv", "2", "qty"]]


def _plant(tmp_path: Path, *bad_waste_rows: dict[str, str]) -> Path:
    folder = harness_ledger(tmp_path / "in")
    write_rows(folder, "waste.csv", [disposal("2025-03-10", "CABLE", "12"), *bad_waste_rows])
    return folder


@pytest.mark.parametrize("engine", [[], ["--engine", "per-row"]])
def test_beside_a_refused_disposal_row(tmp_path: Path, engine: list[str]) -> None:
    folder = _plant(tmp_path, disposal("2025-03-11", "CABLE", "1", how="burnt"))
    code, problems, _ = discharge(folder, tmp_path / "out", *engine)
    assert code == 2
    assert [p[:3] for p in problems[1:]] == [["waste.csv", "3", "disposition"], ["waste.csv", "2", "qty"]]
    assert _over(problems)[0][3].startswith(TOO_MUCH) and _over(problems)[0][3].endswith(BESIDE_NOTE)


def test_beside_a_refused_lot_of_another_part(tmp_path: Path) -> None:
    folder = _plant(tmp_path)
    write_table(
        folder,
        "imports.csv",
        [imp(IMPORT, 1, "CABLE", "1000", "2025-01-10", "m"), imp(IMPORT, 2, "CLIP", "diez", "2025-01-10")],
    )
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 2
    assert [p[:3] for p in problems[1:]] == [["imports.csv", "3", "qty"], ["waste.csv", "2", "qty"]]


def test_beside_a_refused_a3_row(tmp_path: Path) -> None:
    folder = _plant(tmp_path)
    (folder / "regularizations.csv").write_text(
        "pedimento,line,clave,cleared_on,part,qty,uom,import_pedimento,import_line\n"
        f"{A3},1,A3,2025-05-01,CLIP,uno,pcs,{IMPORT},2\n",
        encoding="utf-8",
    )
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 2
    assert [p[:3] for p in problems[1:]] == [["regularizations.csv", "2", "qty"], ["waste.csv", "2", "qty"]]


def test_what_is_found_beside_is_what_the_run_finds_once_fixed(tmp_path: Path) -> None:
    folder = _plant(tmp_path, disposal("2025-03-11", "CABLE", "1", how="burnt"))
    _, beside, _ = discharge(folder, tmp_path / "out")
    write_rows(folder, "waste.csv", [disposal("2025-03-10", "CABLE", "12")])
    code, alone, _ = discharge(folder, tmp_path / "out")
    assert code == 2 and alone[1:] == [
        ["waste.csv", "2", "qty", _over(beside)[0][3].removesuffix(BESIDE_NOTE)]
    ]


@pytest.mark.parametrize(
    "file, rows",
    [
        (
            "exports.csv",
            [exp(EXPORT, 1, "HARNESS", "100", "2025-03-01"), exp(EXPORT, 2, "HARNESS", "x", "2025-03-02")],
        ),
        (
            "imports.csv",
            [
                imp(IMPORT, 1, "CABLE", "1000", "2025-01-10", "m"),
                imp(IMPORT, 3, "CABLE", "-5", "2025-01-11", "m"),
            ],
        ),
    ],
)
def test_not_beside_a_row_that_could_change_the_waste(
    tmp_path: Path, file: str, rows: list[dict[str, str]]
) -> None:
    """A refused export row, or a refused lot of the cable itself, once fixed could change what
    the exports take and so the waste: the disposal is checked on the next pass."""
    folder = _plant(tmp_path)
    if file == "imports.csv":
        rows = [*rows, imp(IMPORT, 2, "CLIP", "1000", "2025-01-10")]
    write_table(folder, file, rows)
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 2 and [p[0] for p in problems[1:]] == [file]


def test_on_the_stored_path_the_stored_exports_generate_the_waste(tmp_path: Path) -> None:
    """The return was stored by a first run; the second folder brings the lots, a disposal and a
    bad row: 8 m fit in the 10 m the stored return generated, 12 m do not."""
    db = ["--db", f"sqlite:///{tmp_path / 'plant.db'}"]
    harness_ledger(tmp_path / "in")
    code, problems, _ = discharge(tmp_path / "in", tmp_path / "out", *db)
    assert code == 0, problems
    before = store_counts(tmp_path / "plant.db")
    folder = harness_ledger(tmp_path / "in", exports=[])
    bad = disposal("2025-03-11", "CABLE", "1", how="burnt")
    write_rows(folder, "waste.csv", [disposal("2025-03-10", "CABLE", "8"), bad])
    code, problems, _ = discharge(folder, tmp_path / "out2", *db)
    assert code == 2 and [p[:3] for p in problems[1:]] == [["waste.csv", "3", "disposition"]]
    write_rows(folder, "waste.csv", [disposal("2025-03-10", "CABLE", "12"), bad])
    code, problems, _ = discharge(folder, tmp_path / "out2", *db)
    assert code == 2 and [p[:3] for p in problems[1:]] == [
        ["waste.csv", "3", "disposition"],
        ["waste.csv", "2", "qty"],
    ]
    assert _over(problems)[0][3].startswith(TOO_MUCH)
    assert store_counts(tmp_path / "plant.db") == before
