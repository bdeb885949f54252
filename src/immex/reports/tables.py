"""Writing a table (header + rows of plain values) as CSV or as a formatted XLSX sheet."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from immex.core.numbers import plain

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


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    """UTF-8, comma separated, ``\\n`` line ends; returns the number of data rows."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_text(v) for v in row])
            count += 1
    return count


def _xlsx_value(value: Cell) -> object:
    if isinstance(value, Decimal):
        # Excel holds doubles; keep exact text when a double would change the number.
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else plain(value)
    return value


def write_xlsx(path: Path, sheets: dict[str, tuple[Sequence[str], Iterable[Sequence[Cell]]]]) -> None:
    """One sheet per table: bold frozen header, filter, readable column widths, ISO dates."""
    book = Workbook(write_only=False)
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(h) for h in header]
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
            for i, value in enumerate(row):
                widths[i] = max(widths[i], len(csv_text(value)))
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
            for cell in sheet.iter_cols(min_col=i, max_col=i, min_row=2):
                for c in cell:
                    if isinstance(c.value, dt.date):
                        c.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
        if sheet.max_row > 1:
            sheet.auto_filter.ref = sheet.dimensions
    book.save(path)
