"""Reading tabular input (CSV files or the sheets of one XLSX workbook) as text rows.

Every value arrives as a stripped ``str`` so that quantities are parsed as exact
decimals by the validators, never as binary floats. Row numbers count the
header as row 1, as a spreadsheet user sees them.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook


@dataclass(frozen=True, slots=True)
class Table:
    """One input table: where it came from, its header and its data rows."""

    label: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]


def read_csv_table(path: Path) -> Table:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = tuple(name.strip() for name in next(reader, []))
        rows = []
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            padded = list(values) + [""] * (len(header) - len(values))
            rows.append((number, {name: padded[i].strip() for i, name in enumerate(header)}))
    return Table(path.name, header, tuple(rows))


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


def read_workbook_tables(path: Path) -> dict[str, Table]:
    """Each sheet as a table named ``<sheet>.csv`` (so ``imports`` reads like ``imports.csv``)."""
    book = load_workbook(path, read_only=True, data_only=True)
    tables = {}
    try:
        for sheet in book.worksheets:
            lines = sheet.iter_rows(values_only=True)
            header = tuple(_cell_text(v) for v in next(lines, ()))
            while header and not header[-1]:
                header = header[:-1]
            rows = []
            for number, values in enumerate(lines, start=2):
                texts = [_cell_text(v) for v in values]
                if not any(texts):
                    continue
                texts += [""] * (len(header) - len(texts))
                rows.append((number, {name: texts[i] for i, name in enumerate(header) if name}))
            name = f"{sheet.title.strip().lower()}.csv"
            tables[name] = Table(f"{path.name}:{sheet.title}", header, tuple(rows))
    finally:
        book.close()
    return tables
