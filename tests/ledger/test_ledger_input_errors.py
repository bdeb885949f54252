"""Each class of invalid input exits 2, names file, row and column, and stores nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from immex.cli import app
from immex.ledger.orm import AllocationRow, ImportLineRow, PartRow
from tests.ledger.ledger_files import bom, exp, imp, part, write_ledger, write_table

I1 = "25 47 3456 5000001"
E1 = "25 47 3456 6000001"
GOOD = {
    "parts": [part("FG", kind="finished"), part("A", "kg"), part("B")],
    "imports": [imp(I1, 1, "A", "10", "2025-01-01", "kg"), imp(I1, 2, "B", "10", "2025-01-01")],
    "exports": [exp(E1, 1, "FG", "1", "2025-02-01")],
    "bom": [bom("FG", "A", "1", uom="kg"), bom("FG", "B", "2")],
}


def invoke(folder: Path, out: Path, *extra: str) -> tuple[int, list[list[str]], str]:
    result = CliRunner().invoke(app, ["discharge", "--input", str(folder), "--output", str(out), *extra])
    return result.exit_code, list(csv.reader(io.StringIO(result.stderr))), result.stdout


def broken(tmp_path: Path, **changes: list[dict[str, str]]) -> Path:
    tables = {**GOOD, **changes}
    return write_ledger(tmp_path / "in", tables["parts"], tables["imports"], tables["exports"], tables["bom"])


CASES = {
    "bad date": (
        {"imports": [imp(I1, 1, "A", "10", "2025-13-01", "kg"), GOOD["imports"][1]]},
        ["imports.csv", "2", "cleared_on"],
    ),
    "not iso date": ({"exports": [exp(E1, 1, "FG", "1", "01/02/2025")]}, ["exports.csv", "2", "cleared_on"]),
    "bad decimal": (
        {"imports": [GOOD["imports"][0], imp(I1, 2, "B", "1e3", "2025-01-01")]},
        ["imports.csv", "3", "qty"],
    ),
    "negative qty": ({"exports": [exp(E1, 1, "FG", "-1", "2025-02-01")]}, ["exports.csv", "2", "qty"]),
    "unknown part": (
        {"imports": [GOOD["imports"][0], imp(I1, 2, "NOPE", "1", "2025-01-01")]},
        ["imports.csv", "3", "part"],
    ),
    "duplicate partida part": (
        {"imports": [*GOOD["imports"], imp(I1, 2, "B", "3", "2025-01-01")]},
        ["imports.csv", "4", "part"],
    ),
    "bad pedimento": (
        {"imports": [GOOD["imports"][0], imp("12345", 2, "B", "1", "2025-01-01")]},
        ["imports.csv", "3", "pedimento"],
    ),
    "bad line": ({"exports": [exp(E1, 0, "FG", "1", "2025-02-01")]}, ["exports.csv", "2", "line"]),
    "unconvertible unit": (
        {"imports": [imp(I1, 1, "A", "10", "2025-01-01", "lb"), GOOD["imports"][1]]},
        ["imports.csv", "2", "uom"],
    ),
    "bad kind": ({"parts": [part("FG", kind="gadget"), *GOOD["parts"][1:]]}, ["parts.csv", "2", "kind"]),
    "overlapping bom versions": (
        {"bom": [*GOOD["bom"], bom("FG", "A", "3", "2024-06-01", uom="kg")]},
        ["bom.csv", "4", "valid_from"],
    ),
    "bom cycle": ({"bom": [*GOOD["bom"], bom("B", "FG", "1")]}, ["bom.csv", "4", "component"]),
    "bom cycle no export reaches": (
        {
            "bom": [*GOOD["bom"], bom("S", "T", "1"), bom("T", "S", "1", "2024-01-01")],
            "parts": [*GOOD["parts"], part("S"), part("T")],
        },
        ["bom.csv", "5", "component"],
    ),
    "neither bom nor import": (
        {"exports": [exp(E1, 1, "FG", "1", "2019-01-01")]},
        ["exports.csv", "2", "product"],
    ),
    "valid_to before valid_from": (
        {"bom": [bom("FG", "A", "1", "2025-01-01", uom="kg", valid_to="2024-01-01")]},
        ["bom.csv", "2", "valid_to"],
    ),
    "empty required value": (
        {"exports": [exp(E1, 1, "FG", "1", "2025-02-01", clave="")]},
        ["exports.csv", "2", "clave"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_input_exits_2_with_file_row_column(tmp_path: Path, case: str) -> None:
    changes, expected = CASES[case]
    folder = broken(tmp_path, **changes)
    code, rows, _stdout = invoke(folder, tmp_path / "out")
    assert code == 2
    assert rows[0] == ["file", "row", "column", "message"]
    assert expected in [r[:3] for r in rows[1:]], rows
    assert all(r[3] for r in rows[1:])
    errors = list(csv.reader((tmp_path / "out" / "errors.csv").open()))
    assert errors == rows
    assert not (tmp_path / "out" / "allocations.csv").exists()


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    folder = broken(
        tmp_path, imports=[imp(I1, 1, "A", "x", "2025-02-30", "kg"), imp("1", 2, "NOPE", "1", "2025-01-01")]
    )
    code, rows, _ = invoke(folder, tmp_path / "out")
    assert code == 2
    assert {tuple(r[:3]) for r in rows[1:]} >= {
        ("imports.csv", "2", "qty"),
        ("imports.csv", "2", "cleared_on"),
        ("imports.csv", "3", "pedimento"),
        ("imports.csv", "3", "part"),
    }


def test_missing_file_and_missing_column(tmp_path: Path) -> None:
    folder = broken(tmp_path)
    (folder / "bom.csv").unlink()
    write_table(folder, "parts.csv", GOOD["parts"], header=["part", "kind"])
    code, rows, _ = invoke(folder, tmp_path / "out")
    assert code == 2
    assert ["bom.csv", "", ""] in [r[:3] for r in rows[1:]]
    assert ["parts.csv", "1", "uom"] in [r[:3] for r in rows[1:]]


def _count(url: str, model: type) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return int(value)


def test_bad_input_leaves_the_store_exactly_as_it_was(tmp_path: Path, db_url: str) -> None:
    good = broken(tmp_path)
    assert invoke(good, tmp_path / "out", "--db", db_url)[0] == 0
    before = [_count(db_url, m) for m in (PartRow, ImportLineRow, AllocationRow)]
    bad = write_ledger(
        tmp_path / "bad",
        [*GOOD["parts"], part("C")],
        [*GOOD["imports"], imp(I1, 3, "C", "5", "2025-01-02"), imp(I1, 4, "C", "-5", "2025-01-02")],
        GOOD["exports"],
        GOOD["bom"],
    )
    code, rows, _ = invoke(bad, tmp_path / "out2", "--db", db_url)
    assert code == 2 and ["imports.csv", "5", "qty"] in [r[:3] for r in rows]
    assert [_count(db_url, m) for m in (PartRow, ImportLineRow, AllocationRow)] == before


def test_changing_a_stored_line_is_refused_and_nothing_is_stored(tmp_path: Path, db_url: str) -> None:
    assert invoke(broken(tmp_path), tmp_path / "out", "--db", db_url)[0] == 0
    changed = write_ledger(
        tmp_path / "changed",
        GOOD["parts"],
        [imp(I1, 1, "A", "11", "2025-01-01", "kg"), GOOD["imports"][1], imp(I1, 3, "B", "1", "2025-01-01")],
        GOOD["exports"],
        GOOD["bom"],
    )
    code, rows, _ = invoke(changed, tmp_path / "out2", "--db", db_url)
    assert code == 2
    assert ["imports.csv", "2", "qty"] in [r[:3] for r in rows]
    assert _count(db_url, ImportLineRow) == 2
