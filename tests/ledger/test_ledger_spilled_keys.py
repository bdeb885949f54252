"""The spilled reader's cheaper checks refuse what the whole reader refuses, and keep its order.

The spilled reader (:mod:`immex.ledger.spilled`) checks the keys (pedimento, line, item) of
every batch together, as integers, and no longer once more per batch; it checks the import
keys on the import files by part bucket; it sorts each export run on numbers. Each of these is
checked here against the plain reading: the whole reader's verdict, a sort on the text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.ledger import spilled
from immex.ledger.frames import read_ledger_frames
from immex.ledger.read import read_ledger
from immex.ledger.schema import IMPORTS, Column
from immex.ledger.spilled import EXPORT_ORDER, discharge_order, int_keys, key_buckets, read_spilled_ledger
from tests.discharge_scale.synth import write_units_folder

NAMES = st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=4)
PEDIMENTOS = st.integers(0, 10**15 - 1).map(lambda n: f"{n:015d}")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), PEDIMENTOS, st.integers(1, 4), NAMES), max_size=40),
    st.lists(NAMES, max_size=5),
)
def test_the_discharge_order_on_numbers_is_the_order_of_the_text(
    rows: list[tuple[int, str, int, str]], other_parts: list[str]
) -> None:
    """Pedimentos of 15 digits as numbers, part names as their rank: the same rows in the same
    order as a sort on the text (the keys are unique, as the reader requires)."""
    unique = list({(day, ped, line, product): None for day, ped, line, product in rows})
    frame = pl.DataFrame(
        [(dt.date(2025, 1, 1) + dt.timedelta(days=d), p, n, name) for d, p, n, name in unique],
        schema={"cleared_on": pl.Date, "pedimento": pl.String, "line": pl.Int64, "product": pl.String},
        orient="row",
    )
    parts = pl.Enum(sorted({*frame["product"].to_list(), *other_parts}))
    assert frame.sort(discharge_order(parts)).rows() == frame.sort(list(EXPORT_ORDER)).rows()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(PEDIMENTOS, st.integers(1, 3), NAMES), max_size=30))
def test_integer_keys_are_one_to_one(rows: list[tuple[str, int, str]]) -> None:
    """Two rows have equal integer keys exactly when their text keys are equal."""
    frame = pl.DataFrame(
        rows, schema={"pedimento": pl.String, "line": pl.Int64, "part": pl.String}, orient="row"
    )
    keys = int_keys(frame, "part", pl.Enum(sorted(set(frame["part"].to_list()))))
    assert keys.n_unique() == frame.n_unique()
    assert keys.rows() == [(int(p), n, sorted({r[2] for r in rows}).index(part)) for p, n, part in rows]


def test_key_buckets_grow_with_the_file_and_stop_at_the_most() -> None:
    assert key_buckets(0) == key_buckets(spilled.KEY_BUCKET_BYTES) == 1
    assert key_buckets(spilled.KEY_BUCKET_BYTES + 1) == 2
    assert key_buckets(10**15) == spilled.KEY_BUCKETS


def _repeat(folder: Path, name: str, row: int, at: int, clave: str | None = None) -> None:
    """Write data row ``row`` of ``name`` again after data row ``at`` (its clave changed)."""
    lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
    copy = lines[row]
    if clave is not None:
        cells = copy.split(",")
        cells[2] = clave
        copy = ",".join(cells)
    lines.insert(at + 1, copy)
    (folder / name).write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("bucket_bytes", [spilled.KEY_BUCKET_BYTES, 1])
@pytest.mark.parametrize(
    ("name", "row", "at", "clave"),
    [
        ("imports.csv", 1, 1, None),  # the next row: one batch
        ("imports.csv", 3, 40, None),  # another batch
        ("exports.csv", 2, 2, None),
        ("exports.csv", 2, 2, "A1"),  # again as a line that does not discharge (filtered out)
        ("exports.csv", 5, 30, "A1"),
    ],
)
def test_a_line_twice_in_one_batch_or_two_is_refused_as_the_whole_reader_refuses_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bucket_bytes: int,
    name: str,
    row: int,
    at: int,
    clave: str | None,
) -> None:
    """A batch's keys are no longer checked on their own: the sinks' check across batches (key
    files by pedimento, import files by part bucket, one or many buckets) refuses the folder."""
    monkeypatch.setattr(spilled, "KEY_BUCKET_BYTES", bucket_bytes)
    monkeypatch.setattr(spilled, "IMPORT_CHECK_ROWS", 7)  # the import buckets checked a few at a time
    folder = tmp_path / "in"
    write_units_folder(folder, 60, 45, 11)
    (tmp_path / "good").mkdir()
    assert read_spilled_ledger(folder, 16, tmp_path / "good") is not None
    _repeat(folder, name, row, at, clave)
    assert read_ledger(folder).problems
    assert read_ledger_frames(folder) is None
    assert read_ledger_frames(folder, 16) is None
    (tmp_path / "spill").mkdir()
    assert read_spilled_ledger(folder, 16, tmp_path / "spill") is None


@pytest.mark.parametrize("bucket_bytes", [spilled.KEY_BUCKET_BYTES, 1])
def test_many_key_buckets_read_the_same_ledger_and_leave_no_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bucket_bytes: int
) -> None:
    monkeypatch.setattr(spilled, "KEY_BUCKET_BYTES", bucket_bytes)
    folder = tmp_path / "in"
    write_units_folder(folder, 80, 60, 12)
    whole = read_ledger_frames(folder)
    (tmp_path / "spill").mkdir()
    ledger = read_spilled_ledger(folder, 9, tmp_path / "spill")
    assert whole is not None and ledger is not None
    assert ledger.header().pedimento_rows == whole.pedimento_rows
    assert ledger.header().not_discharging == whole.not_discharging
    parts = sorted(whole.parts["part"].to_list())
    assert (
        ledger.imports_of(parts)
        .sort("pedimento", "line", "part")
        .equals(whole.imports.sort("pedimento", "line", "part"))
    )
    left = sorted(p.name for p in (tmp_path / "spill").iterdir())
    assert not [n for n in left if "-keys-" in n or "-firsts-" in n]
    runs = [pl.read_parquet(run.path) for run in ledger.export_runs]
    assert all(run.equals(run.sort(list(EXPORT_ORDER))) for run in runs)


def _parser_accepts(column: Column, cell: str) -> bool:
    try:
        column.parse(cell)
    except ValueError:
        return False
    return True


PEDIMENTO_CELLS = st.one_of(
    st.from_regex(r"[0-9 ]{10,22}", fullmatch=True),
    st.from_regex(r"[0-9]{2} ?[0-9]{2} ?[0-9]{4} ?[0-9]{7}", fullmatch=True),
    st.from_regex(r"[0-9 ]{13,17}[^0-9 ]?[0-9 ]{0,3}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(PEDIMENTO_CELLS)
def test_the_pedimento_pattern_agrees_with_the_parser_on_digits_and_spaces(cell: str) -> None:
    """One pattern for 15 digits among spaces: the per-row parser's answer on ASCII cells."""
    column = IMPORTS.column("pedimento")
    assert column.vector is not None
    stripped = cell.strip()
    vector = pl.DataFrame({"c": [stripped]}).select(column.vector(pl.col("c")).fill_null(False)).item()
    if stripped and stripped.isascii():
        assert vector == _parser_accepts(column, stripped)
    elif vector:
        assert _parser_accepts(column, stripped)


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"[+-]?0*[0-9]?0*(\.0*[0-9]?0*)?", fullmatch=True),
    st.sampled_from(["qty", "unit_value_usd"]),
)
def test_the_decimal_twins_agree_with_the_parser_on_zeros(cell: str, name: str) -> None:
    """Mostly zeros, signs and points: where 'a nonzero digit' decides positive and negative."""
    column = IMPORTS.column(name)
    assert column.vector is not None
    vector = pl.DataFrame({"c": [cell]}).select(column.vector(pl.col("c")).fill_null(False)).item()
    assert cell == "" or vector == _parser_accepts(column, cell)
