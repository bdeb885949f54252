"""Writing a table (header + rows of plain values) as CSV or as a formatted XLSX sheet.

Text from the data never becomes a formula. In XLSX every string is a text
cell (never a formula cell), and one that a spreadsheet would read as a
formula when edited is also marked "quote prefix" (Excel's leading
apostrophe). In a CSV meant for people, a string starting with ``=``, ``+``,
``-``, ``@``, tab, CR or LF gets a leading apostrophe, as OWASP advises
against CSV injection (owasp.org/www-community/attacks/CSV_Injection); plain
numbers such as ``-12.5`` are left alone, they cannot hold a formula. The
discharge contract's CSV files are data for programs and are written raw
(``spreadsheet_safe=False``).

Every file is written under a temporary name and renamed into place, so a
crash or a full disk leaves the previous file whole (``immex.core.atomic``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from immex.core.atomic import atomic_file
from immex.core.numbers import plain

if TYPE_CHECKING:  # openpyxl is imported when an xlsx is written (commands start faster without it)
    from openpyxl.cell import Cell as XlsxCell
    from openpyxl.worksheet.worksheet import Worksheet

Cell = str | int | Decimal | dt.date | bool | None


def csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# First characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula (a plain number cannot be one)."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER.fullmatch(text) is None


def spreadsheet_text(value: Cell) -> str:
    """``csv_text`` for a CSV a person opens in a spreadsheet: formula-like text gets a leading ``'``."""
    text = csv_text(value)
    return "'" + text if isinstance(value, str) and formula_like(text) else text


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]], *, spreadsheet_safe: bool = True
) -> int:
    """UTF-8, comma separated, ``\\n`` line ends; returns the number of data rows.

    ``spreadsheet_safe`` (the default, for reports) neutralizes formula-like text;
    contract files for programs pass False and get every value exactly.
    """
    text = spreadsheet_text if spreadsheet_safe else csv_text
    count = 0
    with atomic_file(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([text(v) for v in row])
            count += 1
    return count


def _xlsx_value(value: Cell) -> object:
    if isinstance(value, Decimal):
        # Excel holds doubles; keep exact text when a double would change the number.
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else plain(value)
    return value


def xlsx_cell(sheet: Worksheet | object, value: object) -> XlsxCell:
    """One cell for ``sheet.append`` (normal or write-only workbook); a string is always text.

    openpyxl turns any string starting with ``=`` into a formula cell; here the
    type is forced back to text, and formula-like text is quote-prefixed so
    Excel keeps it as text when the user edits the cell.
    """
    from openpyxl.cell import WriteOnlyCell

    cell: XlsxCell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    return cell


# Number formats of the kinds of column a report declares (values stay numbers and dates).
NUMBER_FORMATS: dict[str, str] = {
    "id": "0",
    "count": "#,##0",
    "qty": "#,##0.000###",
    "money": "#,##0.00",
    "pct": "0.00",
    "date": "yyyy-mm-dd",
}

Sheets = dict[str, tuple[Sequence[str], Iterable[Sequence[Cell]]]]


def write_xlsx(
    path: Path,
    sheets: Sheets,
    *,
    preamble: Sequence[tuple[str, str]] = (),
    formats: dict[str, Sequence[str]] | None = None,
) -> None:
    """One sheet per table: bold frozen header, filter, readable column widths, ISO dates.

    ``preamble`` (label, value) pairs go above each table, a blank row between: the header
    block that says whose report it is. ``formats`` gives, per sheet title, a kind of
    ``NUMBER_FORMATS`` (or "") per column: thousands separators and fixed decimals for
    people, while the cells keep their numbers.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=False)
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title[:31])
        _write_preamble(sheet, preamble)
        kinds = list((formats or {}).get(title, ())) + [""] * len(header)
        _write_table(sheet, header, rows, kinds, len(preamble) + 1 if preamble else 0)
    with atomic_file(path) as temporary:
        book.save(temporary)


def _write_preamble(sheet: Worksheet, preamble: Sequence[tuple[str, str]]) -> None:
    from openpyxl.styles import Font

    for label, value in preamble:
        sheet.append([xlsx_cell(sheet, label), xlsx_cell(sheet, value)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    if preamble:
        sheet.append([])


def _write_table(
    sheet: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Cell]], kinds: list[str], above: int
) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    first = above + 1  # the table's header row
    sheet.append([xlsx_cell(sheet, h) for h in header])
    for cell in sheet[first]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in header]
    for row in rows:
        sheet.append([xlsx_cell(sheet, _xlsx_value(v)) for v in row])
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(csv_text(value)) + (len(csv_text(value)) // 3 if kinds[i] else 0))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
        number_format = NUMBER_FORMATS.get(kinds[i - 1], "")
        for column in sheet.iter_cols(min_col=i, max_col=i, min_row=first + 1):
            for c in column:
                if number_format and isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                    c.number_format = number_format
                elif isinstance(c.value, dt.date):
                    c.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = f"A{first + 1}"
    if sheet.max_row > first:
        sheet.auto_filter.ref = f"A{first}:{get_column_letter(max(1, len(header)))}{sheet.max_row}"
