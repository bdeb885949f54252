"""One schema, every reader: the columnar reader never accepts what the per-row reader refuses,
the compulsa and the discharge report the same problems, and no corrupted folder crashes a command.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from immex.cli import app
from immex.compulsa.service import read_ledger_folder
from immex.ledger.frames import read_ledger_frames
from immex.ledger.read import read_ledger
from immex.ledger.schema import LEDGER_TABLES, Column, TableSchema, column_accepts

from .ledger_files import bom, exp, imp, part, write_ledger

Change = tuple[str, Any, Any]  # ("cell", (file, column, text), row) or ("header", file, how)
PED_A, PED_B, PED_X = "24 47 3456 4000123", "244734564000124", "24 47 3456 6000001"

VECTOR_COLUMNS = [
    (schema, column)
    for schema in LEDGER_TABLES.values()
    for column in schema.columns
    if column.vector is not None
]


def _accepted_by_parser(parse: Callable[[str], Any], cell: str) -> bool:
    try:
        parse(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("schema", "column"), VECTOR_COLUMNS, ids=lambda c: getattr(c, "name", ""))
@given(cell=st.one_of(st.from_regex(r"[+-]?[0-9]{0,4}(\.[0-9]{0,3})?", fullmatch=True), st.text(max_size=6)))
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_vectorized_twin_agrees_with_the_parser(schema: TableSchema, column: Column, cell: str) -> None:
    """The Polars expression accepts a cell exactly when the parser does (ASCII), never more."""
    name = column.name
    assert column.vector is not None
    frame = pl.DataFrame({name: [cell.strip()]})
    vector = frame.select(column.vector(pl.col(name)).fill_null(False)).item()
    parser = _accepted_by_parser(column.parse, cell.strip())
    if vector:
        assert parser
    if cell.isascii():
        assert vector == parser or cell.strip() == ""


def _valid_folder(folder: Path) -> Path:
    return write_ledger(
        folder,
        parts=[part("P1", uom="KG", hs="8481.80.99", country_of_origin="CN"), part("F1", kind="finished")],
        imports=[
            imp(PED_A, 1, "P1", "10.5", "2025-01-10", uom="KG", unit_value_usd="2.5", country_of_origin="CN"),
            imp(PED_B, 2, "P1", "22.046", "2025-02-11", uom="LB", hs="84818099"),
        ],
        exports=[exp(PED_X, 1, "F1", "3", "2025-03-01", destination_country="US")],
        bom=[bom("F1", "P1", "1.25", "2024-01-01", uom="KG", merma_pct="2")],
        conversions=[{"from_uom": "LB", "to_uom": "KG", "factor": "0.45359237", "part": ""}],
    )


# (file, column, the text written there): what real files carry
CORRUPTIONS = [
    ("imports.csv", "cleared_on", " 2025-01-10"),
    ("imports.csv", "cleared_on", "10/01/2025"),
    ("imports.csv", "cleared_on", "2025-02-30"),
    ("imports.csv", "qty", "1,5"),
    ("imports.csv", "qty", "-3"),
    ("imports.csv", "qty", "0"),
    ("imports.csv", "qty", "1e3"),
    ("imports.csv", "qty", ""),
    ("imports.csv", "line", "0"),
    ("imports.csv", "line", "1.0"),
    ("imports.csv", "pedimento", "24 47 3456 400012"),
    ("imports.csv", "part", "NOPE"),
    ("imports.csv", "uom", "kg"),
    ("imports.csv", "uom", "BOX"),
    ("imports.csv", "hs", "84713"),
    ("imports.csv", "country_of_origin", "XX"),
    ("imports.csv", "unit_value_usd", "-1"),
    ("exports.csv", "product", "P9"),
    ("exports.csv", "cleared_on", "2025-3-1"),
    ("exports.csv", "destination_country", "U5"),
    ("exports.csv", "qty", "abc"),
    ("parts.csv", "kind", "widget"),
    ("parts.csv", "uom", ""),
    ("bom.csv", "qty_per", "0"),
    ("bom.csv", "valid_from", "2024-01-32"),
]
HEADER_CORRUPTIONS = ["space", "duplicate", "missing"]


def _rewrite(path: Path, change: Callable[[list[list[str]]], None]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _corrupt_cell(folder: Path, name: str, column: str, text: str, row: int) -> None:
    def change(rows: list[list[str]]) -> None:
        if column not in rows[0]:
            rows[0].append(column)
            for line in rows[1:]:
                line.append("")
        index = rows[0].index(column)
        rows[1 + row % (len(rows) - 1)][index] = text

    _rewrite(folder / name, change)


def _corrupt_header(folder: Path, name: str, how: str) -> None:
    def change(rows: list[list[str]]) -> None:
        if how == "space":
            rows[0][0] = f" {rows[0][0]} "
        elif how == "duplicate":
            rows[0][-1] = rows[0][0]
        else:
            del rows[0][0]

    _rewrite(folder / name, change)


corruption = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(CORRUPTIONS), st.integers(0, 3)),
    st.tuples(
        st.just("header"), st.sampled_from(sorted(LEDGER_TABLES)[:4]), st.sampled_from(HEADER_CORRUPTIONS)
    ),
)
# how parts.csv is saved, applied last: as Excel does on Windows, or not text at all
encodings = st.sampled_from([None, "cp1252", "utf-8-sig", "semicolon", "undefined"])


def _apply(folder: Path, change: Change) -> None:
    kind, what, how = change
    if kind == "cell":
        name, column, text = what
        _corrupt_cell(folder, name, column, text, int(how))
    else:
        _corrupt_header(folder, str(what), str(how))


def _save_parts_as(folder: Path, how: str | None) -> None:
    if how is None:
        return
    path = folder / "parts.csv"
    text = path.read_text(encoding="utf-8") + "PÑ,pcs,raw\n"  # an accented part, as Excel writes it
    if how == "semicolon":
        text = text.replace(",", ";")
    codec = {"utf-8-sig": "utf-8-sig", "semicolon": "utf-8"}.get(how, "cp1252")
    path.write_bytes(text.encode(codec) + (b"X\x81,pcs,raw\n" if how == "undefined" else b""))


@given(changes=st.lists(corruption, max_size=3), saved_as=encodings)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_columns_accept_only_what_rows_accept(
    tmp_path_factory: pytest.TempPathFactory, changes: list[Change], saved_as: str | None
) -> None:
    folder = _valid_folder(tmp_path_factory.mktemp("ledger"))
    for change in changes:
        _apply(folder, change)
    _save_parts_as(folder, saved_as)
    rows = read_ledger(folder)
    frames = read_ledger_frames(folder)
    if frames is not None:
        assert rows.problems == [], rows.problems
        assert rows.ledger is not None
        assert frames.imports.height == len(rows.ledger.imports)
        assert frames.exports.height == len(rows.ledger.exports)
        assert dict(frames.encodings) == rows.encodings
    if rows.problems:
        assert frames is None


@given(
    change=st.tuples(
        st.just("cell"), st.sampled_from([c for c in CORRUPTIONS if c[0] != "bom.csv"]), st.integers(0, 3)
    )
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_compulsa_and_discharge_report_the_same_problems(
    tmp_path_factory: pytest.TempPathFactory, change: Change
) -> None:
    """The compulsa reads through the discharge's reader: the same cells give the same problems."""
    folder = _valid_folder(tmp_path_factory.mktemp("ledger"))
    _apply(folder, change)
    discharge_problems = read_ledger(folder).problems
    _, compulsa_problems = read_ledger_folder(folder)
    ledger_files = {"imports.csv", "exports.csv", "parts.csv", "uom_conversions.csv"}
    expected = [p for p in discharge_problems if p.file in ledger_files and "BOM" not in p.message]
    if expected:  # the ledger is refused by the reader both share: the same problems, nothing added
        assert compulsa_problems == expected
    else:  # the compulsa only adds its own checks: Apéndice 7 units, a pedimento on both sides
        assert all("Apéndice 7" in p.message or "import or an export" in p.message for p in compulsa_problems)


@given(changes=st.lists(corruption, max_size=2), saved_as=encodings)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_corrupted_folder_crashes_the_discharge(
    tmp_path_factory: pytest.TempPathFactory, changes: list[Change], saved_as: str | None
) -> None:
    base = tmp_path_factory.mktemp("run")
    folder = _valid_folder(base / "in")
    for change in changes:
        _apply(folder, change)
    _save_parts_as(folder, saved_as)
    result = CliRunner().invoke(app, ["discharge", "--input", str(folder), "--output", str(base / "out")])
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert (base / "out" / "errors.csv").is_file()
        assert not (base / "out" / "run.json").exists()
    else:
        assert (base / "out" / "run.json").is_file()
    shutil.rmtree(base)


def test_a_leading_space_in_a_date_is_read_like_any_other_cell(tmp_path: Path) -> None:
    """Cells are stripped the same way by both readers: ' 2025-01-10' is 2025-01-10."""
    folder = _valid_folder(tmp_path / "in")
    _corrupt_cell(folder, "imports.csv", "cleared_on", " 2025-01-10", 0)
    assert read_ledger(folder).problems == []
    assert read_ledger_frames(folder) is not None


def test_hs_and_country_are_checked_by_every_reader(tmp_path: Path) -> None:
    folder = _valid_folder(tmp_path / "in")
    _corrupt_cell(folder, "imports.csv", "hs", "84713", 0)
    _corrupt_cell(folder, "imports.csv", "country_of_origin", "XX", 1)
    problems = [(p.file, p.row, p.column) for p in read_ledger(folder).problems]
    assert problems == [("imports.csv", 2, "hs"), ("imports.csv", 3, "country_of_origin")]
    assert read_ledger_frames(folder) is None
    assert [(p.file, p.row, p.column) for p in read_ledger_folder(folder)[1]] == problems


def test_units_ignore_case(tmp_path: Path) -> None:
    folder = _valid_folder(tmp_path / "in")
    _corrupt_cell(folder, "imports.csv", "uom", "kg", 0)
    staged = read_ledger(folder)
    assert staged.problems == []
    assert staged.ledger is not None and staged.ledger.imports[0].qty == staged.ledger.imports[0].qty_given


def test_column_accepts_refuses_an_empty_required_cell() -> None:
    frame = pl.DataFrame({"part": ["P1", ""], "uom": ["KG", "KG"], "kind": ["raw", "raw"]})
    assert not column_accepts(LEDGER_TABLES["parts.csv"], frame)
    assert column_accepts(LEDGER_TABLES["parts.csv"], frame.head(1))
