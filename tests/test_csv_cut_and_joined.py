"""The CSV reader names a file cut short and two files joined (``immex.core.tables``).

A copy that stopped halfway leaves a last row without its line break and
with fewer cells than the header (or inside a quoted cell), or a UTF-8
character without its last bytes; two exports pasted into one file leave a
byte order mark at the start of the second. Each is refused naming the row
(or the byte offset and line) and what happened, not as empty cells or a
pedimento with ``\\ufeff`` in it. A complete last row without a line break is
read as it is.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.core.problems import InputError
from immex.core.tables import read_csv_table, read_text


def _refusal(path: Path, data: bytes) -> tuple[int | None, str]:
    path.write_bytes(data)
    with pytest.raises(InputError) as error:
        read_csv_table(path)
    problem = error.value.problems[0]
    assert problem.file == path.name
    return problem.row, problem.message


@pytest.mark.parametrize(
    ("data", "row", "message"),
    [
        (b"a,b,c\n1,2,3\n4,5", 3, "the file ends in the middle of row 3 (cut short?): the row has 2 of"),
        (b'a,b\n1,2\n3,"four', 3, "the file ends in the middle of row 3 (cut short?): its last cell opens"),
        (b"a,b,,\n1,2,,\n3", 3, "the row has 1 of the header's 2 columns"),  # Excel's empty columns
    ],
)
def test_a_last_row_cut_short_is_named(tmp_path: Path, data: bytes, row: int, message: str) -> None:
    found_row, found = _refusal(tmp_path / "x.csv", data)
    assert found_row == row and message in found, found


@pytest.mark.parametrize(
    "data", [b"a,b\n1,2\n3,4", b"a,b\n1,2\n3,4\n", b"a,b\n1,2\n3,4\r\n", b'a,b\n1,"2"\n3,"4 ""x"""']
)
def test_a_complete_last_row_is_read_with_or_without_its_line_break(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert [number for number, _ in read_csv_table(path).rows] == [2, 3]


def test_a_character_cut_in_half_at_the_end_is_named_not_read_as_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("a,b\nVálvula,Ñ".encode()[:-1])
    with pytest.raises(InputError) as error:
        read_csv_table(path)
    assert error.value.problems[0].message.startswith(
        "ends in the middle of a character (byte offset 13, line 2): the file looks cut short"
    )


@pytest.mark.parametrize(
    ("encode", "offset"),
    [
        (lambda text: codecs.BOM_UTF8 + text.encode() + codecs.BOM_UTF8 + text.encode(), 17),
        (lambda text: text.encode() + codecs.BOM_UTF8 + text.encode(), 14),
        (lambda text: text.encode("cp1252") + codecs.BOM_UTF8 + text.encode("cp1252"), 13),
        (lambda text: (text + "\ufeff" + text).encode("utf-16"), 28),
    ],
)
def test_two_files_joined_are_named_at_the_row_of_the_second_mark(
    tmp_path: Path, encode: object, offset: int
) -> None:
    text = "a,b\nÑ1,2\n3,4\n"
    row, message = _refusal(tmp_path / "x.csv", encode(text))  # type: ignore[operator]
    assert row == 4
    assert message.startswith(
        "has a byte order mark (the invisible mark U+FEFF that begins a UTF-8 file) at row 4, "
        f"byte offset {offset}: the file looks like two files joined into one"
    )


def test_a_mark_after_a_cell_spanning_lines_is_named_at_its_row_not_its_line(tmp_path: Path) -> None:
    data = b'a,b\n1,"two\nlines"\n\xef\xbb\xbfa,b\n'
    assert _refusal(tmp_path / "x.csv", data)[0] == 3


def test_every_text_reader_refuses_joined_files(tmp_path: Path) -> None:
    """``read_text`` (the HTS, tariff and JSON-less readers) names the line of the mark."""
    path = tmp_path / "hts.csv"
    path.write_bytes(b"a,b\n1,2\n\xef\xbb\xbfa,b\n")
    with pytest.raises(InputError) as error:
        read_text(path)
    assert error.value.problems[0].row == 3


_cells = st.text(st.characters(codec="utf-8", exclude_characters="\ufeff\r\n\x00"), max_size=6)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_cells, min_size=3, max_size=3), min_size=2, max_size=6), st.data())
def test_a_file_cut_anywhere_in_its_last_row_is_read_whole_or_refused(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], data: st.DataObject
) -> None:
    """Invariant: the last line break removed, the table is the same; the last row cut before its
    last cell starts, the file is refused as cut short (never read as a shorter row)."""
    rows[0] = ["a", "b", "c"]
    rows[-1][0] = "x" + rows[-1][0]  # a last row with something in it
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    path = tmp_path_factory.mktemp("cut") / "x.csv"
    path.write_bytes(text.encode())
    whole = read_csv_table(path)
    path.write_bytes(text.rstrip("\n").encode())
    assert read_csv_table(path) == whole
    last_row = out.getvalue().rstrip("\n").rsplit("\n", 1)[-1]
    last_start = len(text.rstrip("\n")) - len(last_row)
    before_last_cell = last_row.rfind(",") if '"' not in last_row else last_row.find(",")
    cut = data.draw(st.integers(1, max(1, before_last_cell)))
    path.write_bytes(text[: last_start + cut].encode())
    with pytest.raises(InputError) as error:
        read_csv_table(path)
    assert "cut short" in error.value.problems[0].message
