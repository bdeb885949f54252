"""The partitions' finished CSV lines are the bytes Polars' ``write_csv`` writes for each row."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.discharge.csv_lines import csv_lines
from immex.discharge.partitioned import OUTPUT_COLUMNS

# the characters that make Polars quote a field, and some it leaves alone (space, tab, '#',
# non-ASCII, a lone surrogate-free emoji)
ALPHABET = st.sampled_from(
    [",", '"', "\n", "\r", " ", "\t", "#", "a", "Z", "0", "-", ".", "é", "Ñ", "€", "中", "😀"]
)
TEXT = st.one_of(st.none(), st.text(ALPHABET, max_size=6))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _written(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, line_terminator="\n")
    return buffer.getvalue()


def _joined(frame: pl.DataFrame) -> bytes:
    """The lines written as the merge writes them: as they are, one per row."""
    buffer = io.BytesIO()
    csv_lines(frame).to_frame().write_csv(
        buffer, include_header=False, quote_style="never", line_terminator="\n"
    )
    return buffer.getvalue()


def _column(dtype: pl.DataType, size: int) -> st.SearchStrategy[pl.Series]:
    values: st.SearchStrategy[object]
    if dtype == pl.String:
        values = TEXT
    elif dtype == pl.Boolean:
        values = st.one_of(st.none(), st.booleans())
    elif dtype == pl.Date:
        values = st.one_of(st.none(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
    else:
        bits = 32 if dtype == pl.Int32 else 64
        values = st.one_of(st.none(), st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1))
    return st.lists(values, min_size=size, max_size=size).map(lambda row: pl.Series(row, dtype=dtype))


@st.composite
def frames(draw: st.DrawFn, schema: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """A frame of ``schema`` (else of random string, integer, boolean and date columns)."""
    if schema is None:
        kinds = [pl.String(), pl.Int64(), pl.Int32(), pl.Boolean(), pl.Date()]
        chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=6))
        schema = {f"c{i}": dtype for i, dtype in enumerate(chosen)}
    size = draw(st.integers(0, 12))
    return pl.DataFrame([draw(_column(dtype, size)).alias(name) for name, dtype in schema.items()])


def _output_schema(name: str) -> dict[str, pl.DataType]:
    """allocations.csv and shortfalls.csv as the discharge gives them (quantities already text)."""
    integers = {"export_line", "import_line"}
    return {
        column: pl.Int64() if column in integers else pl.Boolean() if column == "late" else pl.String()
        for column in OUTPUT_COLUMNS[name]
    }


@SETTINGS
@given(frames())
def test_the_lines_are_write_csvs_bytes_for_random_frames(frame: pl.DataFrame) -> None:
    assert _joined(frame) == _written(frame)


@SETTINGS
@given(st.sampled_from(sorted(OUTPUT_COLUMNS)).flatmap(lambda name: frames(_output_schema(name))))
def test_the_lines_are_write_csvs_bytes_for_the_output_schemas(frame: pl.DataFrame) -> None:
    assert _joined(frame) == _written(frame)


def test_quoting_as_polars_does() -> None:
    frame = pl.DataFrame(
        {
            "text": ["plain", "", None, "a,b", 'say "hi"', "two\nlines", "cr\rhere", " pad ", "Válvula"],
            "number": [1, None, -3, 4, 5, 6, 7, 8, 9],
            "flag": [True, False, None, True, True, True, True, True, False],
        }
    )
    assert csv_lines(frame).to_list() == [
        "plain,1,true",
        '"",,false',
        ",-3,",
        '"a,b",4,true',
        '"say ""hi""",5,true',
        '"two\nlines",6,true',
        '"cr\rhere",7,true',
        " pad ,8,true",
        "Válvula,9,false",
    ]


def test_a_column_of_another_type_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"'price'.*Float64"):
        csv_lines(pl.DataFrame({"price": [1.5]}))
