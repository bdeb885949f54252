"""Reading tabular input (CSV files or the sheets of one XLSX workbook) as text rows.

Every value arrives as a stripped ``str`` so that quantities are parsed as exact
decimals by the validators, never as binary floats. Row numbers count the
header as row 1, as a spreadsheet user sees them; header names and cells are
stripped the same way for every reader.

Real files are not all UTF-8 with commas. The CSV reader detects, and records
in :attr:`Table.encoding` / :attr:`Table.delimiter`, what it read:

- UTF-8 with or without a byte order mark, UTF-16 with its mark;
- Windows-1252 (what Excel writes as "CSV" on a Spanish or US Windows) when
  the bytes are not UTF-8 but are all defined in Windows-1252;
- ``;`` (Excel in a Spanish locale) or tab instead of ``,`` when the header
  line has no comma but has one of those.

Anything else (NUL bytes, undefined bytes, UTF-16 without its mark, a header
of absurd width, a field larger than :data:`MAX_FIELD_CHARS`, a byte order
mark inside the file as two files joined leave it, a last row or character
cut short as a copy that stopped halfway leaves it) raises
:class:`~immex.core.problems.InputError` naming the file, the row or byte
offset and what to do — before memory is spent on it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from immex.core.problems import InputError, Problem

MAX_COLUMNS = 1_000
MAX_FIELD_CHARS = 1 << 20
_HEADER_PROBE_BYTES = 1 << 20
_WINDOWS_1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
BYTE_ORDER_MARKS = ("\ufeff", codecs.BOM_UTF8.decode("cp1252"))
"""A byte order mark inside the text: as UTF-8 (U+FEFF), or its three bytes read as Windows-1252."""


@dataclass(frozen=True, slots=True)
class Table:
    """One input table: where it came from, its header and its data rows."""

    label: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    encoding: str = "utf-8"
    delimiter: str = ","

    def column(self, name: str) -> list[str]:
        """The column's cells in row order ("" where the column is absent)."""
        return [values.get(name, "") for _, values in self.rows]


def _refuse(label: str, row: int | None, message: str) -> InputError:
    return InputError([Problem(label, row, "", message)])


def detect_encoding(label: str, data: bytes, save_as: str = "UTF-8 CSV") -> str:
    """The codec to read ``data`` with, or InputError saying why none fits (and to save it ``save_as``)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data.startswith(b"PK\x03\x04"):  # .xlsx (and every ZIP file) begins so
        kind = "CSV text" if "CSV" in save_as else "text"
        raise _refuse(label, None, f"is a workbook (ZIP) file, not {kind}: save it as {save_as}")
    nul = data.find(b"\0")
    if nul >= 0:
        hint = " (it looks like UTF-16 without a byte order mark)" if nul <= 1 else ""
        raise _refuse(label, None, f"has a NUL byte at byte offset {nul}{hint}: save it as {save_as}")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        bad_utf8 = exc.start
        if exc.reason == "unexpected end of data" and exc.end == len(data):
            line = data.count(b"\n", 0, bad_utf8) + 1
            raise _refuse(
                label,
                None,
                f"ends in the middle of a character (byte offset {bad_utf8}, line {line}): "
                "the file looks cut short; copy or save it again",
            ) from None
    found = [offset for byte in _WINDOWS_1252_UNDEFINED if (offset := data.find(bytes([byte]))) >= 0]
    if found:
        undefined = min(found)
        raise _refuse(
            label,
            None,
            f"is neither UTF-8 (invalid byte at byte offset {bad_utf8}) nor Windows-1252 "
            f"(undefined byte 0x{data[undefined]:02X} at byte offset {undefined}): save it as {save_as}",
        )
    return "cp1252"


def sniff_delimiter(header_line: str) -> str:
    if "," in header_line:
        return ","
    for candidate in (";", "\t"):
        if candidate in header_line:
            return candidate
    return ","


def check_header_width(label: str, path: Path) -> None:
    """Refuse a header too wide to be a table before the whole file is parsed."""
    with path.open("rb") as handle:
        head = handle.read(_HEADER_PROBE_BYTES)
    first_line = head.split(b"\n", 1)[0]
    if b"\n" not in head and len(head) == _HEADER_PROBE_BYTES:
        raise _refuse(label, 1, f"the header line is longer than {_HEADER_PROBE_BYTES} bytes")
    separators = max(first_line.count(b","), first_line.count(b";"), first_line.count(b"\t"))
    if separators + 1 > MAX_COLUMNS:
        raise _refuse(label, 1, f"the header has {separators + 1} columns; at most {MAX_COLUMNS} are read")


def joined_mark(text: str) -> int:
    """Where a byte order mark stands inside ``text`` (not as its first character), or -1."""
    found = [at for mark in BYTE_ORDER_MARKS if (at := text.find(mark, 1)) >= 0]
    return min(found, default=-1)


def _byte_offset(text: str, index: int, data: bytes, encoding: str) -> int:
    """The byte offset in ``data`` of character ``index`` of its decoded ``text``."""
    if encoding == "utf-16":
        return len(text[:index].encode("utf-16-le")) + 2  # the leading mark's two bytes
    leading = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
    return leading + len(text[:index].encode("cp1252" if encoding == "cp1252" else "utf-8"))


def _joined_files(label: str, row: int, where: str) -> InputError:
    return _refuse(
        label,
        row,
        f"has a byte order mark (the invisible mark U+FEFF that begins a UTF-8 file) at row {row}, "
        f"{where}: the file looks like two files joined into one; keep one header and delete the mark "
        "(or save the file again as UTF-8 CSV)",
    )


def refuse_joined_files(label: str, text: str, data: bytes, encoding: str) -> None:
    """InputError when a byte order mark stands inside ``text`` (two files joined), naming its line."""
    index = joined_mark(text)
    if index >= 0:
        line = text.count("\n", 0, index) + 1
        where = f"byte offset {_byte_offset(text, index, data, encoding)}"
        raise _joined_files(label, line, where)


def header_width(header: Sequence[str]) -> int:
    """Columns of a header up to its last named one (Excel adds empty ones after it)."""
    named = [i for i, name in enumerate(header) if name.strip()]
    return named[-1] + 1 if named else 0


def _opens_a_quote_it_never_closes(last_line: str, delimiter: str) -> bool:
    try:
        list(csv.reader([last_line], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def refuse_cut_row(label: str, text: str, row: int, values: Sequence[str], width: int) -> None:
    """InputError when ``values``, the last row of ``text``, looks cut short: the text does not end
    with a line break, and the row has fewer cells than the header or ends inside a quoted cell."""
    if not text or text.endswith(("\n", "\r")):
        return
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    if _opens_a_quote_it_never_closes(text[text.rfind("\n") + 1 :], delimiter):
        what = "its last cell opens a quote that never closes"
    elif len(values) < width and any(value.strip() for value in values):
        what = f"the row has {len(values)} of the header's {width} columns and no line break"
    else:
        return
    raise _refuse(
        label,
        row,
        f"the file ends in the middle of row {row} (cut short?): {what}; copy or save the whole "
        "file again (if the row is complete, end it with a line break)",
    )


def last_line_may_be_cut(last_line: str, delimiter: str, width: int) -> bool:
    """Whether :func:`refuse_cut_row` may refuse a text whose line after its last line break is
    ``last_line`` (true whenever it would: the last row has at least this line's cells)."""
    if not last_line:
        return False
    cells = next(csv.reader([last_line], delimiter=delimiter), [])
    return len(cells) < width or _opens_a_quote_it_never_closes(last_line, delimiter)


def read_text(path: Path, label: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read in (:func:`detect_encoding`); InputError if none
    fits, or if a byte order mark inside says two files were joined into it."""
    label = label or path.name
    text, encoding, data = _decoded(path, label)
    refuse_joined_files(label, text, data, encoding)
    return text, encoding


def _decoded(path: Path, label: str) -> tuple[str, str, bytes]:
    data = path.read_bytes()
    encoding = detect_encoding(label, data)
    return data.decode(encoding), encoding, data


def read_csv_table(path: Path, label: str | None = None) -> Table:
    """The CSV file as a table (encoding and delimiter detected); InputError when it cannot be read."""
    label = label or path.name
    check_header_width(label, path)
    text, encoding, data = _decoded(path, label)
    joined = joined_mark(text) >= 0
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 1
    values: list[str] = []
    try:
        header = tuple(name.strip() for name in next(reader, []))
        rows = []
        for number, values in enumerate(reader, start=2):
            if joined and any(mark in value for value in values for mark in BYTE_ORDER_MARKS):
                where = f"byte offset {_byte_offset(text, joined_mark(text), data, encoding)}"
                raise _joined_files(label, number, where)
            if not any(value.strip() for value in values):
                continue
            padded = list(values) + [""] * (len(header) - len(values))
            rows.append((number, {name: padded[i].strip() for i, name in enumerate(header)}))
    except csv.Error as exc:
        raise _refuse(label, number + 1, f"cannot be read as CSV: {exc}") from None
    refuse_joined_files(label, text, data, encoding)  # a mark in the header row
    refuse_cut_row(label, text, number, values, header_width(header))
    return Table(label, header, tuple(rows), "utf-8" if encoding == "utf-8-sig" else encoding, delimiter)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores numbers as binary doubles; the shortest repr is what the user typed.
        return format(Decimal(repr(value)), "f")
    return str(value).strip()


def table_name(sheet_title: str) -> str:
    """The table a sheet stands for: ``Imports `` reads like ``imports.csv``."""
    return f"{sheet_title.strip().lower()}.csv"


def read_workbook_tables(path: Path, wanted: frozenset[str] | None = None) -> dict[str, Table]:
    """Each visible sheet as a table named ``<sheet>.csv`` (so ``imports`` reads like ``imports.csv``).

    With ``wanted`` (table names), only those sheets are read. A hidden sheet
    or two sheets that stand for the same table are input errors (Excel shows
    one and the file holds another); a formula cell is refused, since the value
    Excel last showed may be stale or missing in the file.
    """
    from openpyxl import load_workbook  # here: a CSV folder never pays for importing openpyxl

    book = load_workbook(path, read_only=True, data_only=False)
    try:
        sheets = [s for s in book.worksheets if wanted is None or table_name(s.title) in wanted]
        _check_sheet_names(path, sheets)
        return {table_name(sheet.title): _sheet_table(path, sheet) for sheet in sheets}
    finally:
        book.close()


class _Sheet(Protocol):
    """What is read of an openpyxl worksheet."""

    title: str
    sheet_state: str

    def iter_rows(self) -> Iterator[tuple[Any, ...]]: ...


def _check_sheet_names(path: Path, sheets: list[_Sheet]) -> None:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for sheet in sheets:
        title = sheet.title
        label = f"{path.name}:{title}"
        if sheet.sheet_state != "visible":
            problems.append(Problem(label, None, "", f"sheet {title!r} is hidden: unhide it or delete it"))
        name = table_name(title)
        if name in seen:
            problems.append(
                Problem(label, None, "", f"sheets {seen[name]!r} and {title!r} are both the {name} table")
            )
        seen.setdefault(name, title)
    if problems:
        raise InputError(problems)


def _sheet_table(path: Path, sheet: _Sheet) -> Table:
    title = sheet.title
    label = f"{path.name}:{title}"
    lines = sheet.iter_rows()
    formulas: list[Problem] = []
    header_cells = next(lines, ())
    header = tuple(_cell_text(c.value) for c in header_cells)
    while header and not header[-1]:
        header = header[:-1]
    if len(header) > MAX_COLUMNS:
        raise _refuse(label, 1, f"the header has {len(header)} columns; at most {MAX_COLUMNS} are read")
    rows = []
    for number, cells in enumerate(lines, start=2):
        texts = []
        for index, cell in enumerate(cells):
            if getattr(cell, "data_type", "") == "f" and index < len(header) and header[index]:
                formulas.append(
                    Problem(
                        label,
                        number,
                        header[index],
                        f"is a formula ({cell.value}); paste it as a value, so the file holds "
                        "what Excel shows",
                    )
                )
            texts.append(_cell_text(cell.value))
        if not any(texts):
            continue
        texts += [""] * (len(header) - len(texts))
        rows.append((number, {name: texts[i] for i, name in enumerate(header) if name}))
    if formulas:
        raise InputError(formulas)
    return Table(label, header, tuple(rows), "xlsx", "")
