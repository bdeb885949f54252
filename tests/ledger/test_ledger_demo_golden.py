"""Golden outputs of ``immex demo``: the layout by feature changed no number, row or cell.

The digests were taken from ``immex demo --as-of 2026-06-30`` at commit 99394d7, before the
source was re-laid out by feature. A change of output must be deliberate: update the digest
in the same commit and say why.

Workbook digests changed once on purpose (issue 13 point 2, reports a person can sign):
Spanish column headings from the reports' catalog, pedimentos written as the authority
writes them (``24 47 3456 5005150``), statuses and part kinds in Spanish (``vencido``,
``materia prima``); every number and date is the one of before. The
header block above a table (company, RFC, run, generated at: it carries the time) is left
out of the digest.

The expiring workbook changed again on purpose (issue 13 point 4): what to do with each lot
says what each choice costs, and the option columns (IGI, DTA, IVA, recargos, cost_missing)
follow ``what_to_do``; the first ten columns are those of before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from openpyxl import load_workbook

from immex.demo import run_demo

FILES = {
    "discharge/allocations.csv": "d637053f8cd4fce48b45a080a487e8a6d8d90a89ffa826f2e5aa52d9d5a985cd",
    "discharge/balances.csv": "d00bb6582eb162fab475618c60acb6bc586fc20da10916530a140944fdf94d97",
    "discharge/shortfalls.csv": "88a5d3bab9a3cbeebfb77d41f296a85480272cf140d113194f90dfc3c36fd67f",
    "reports/trace-first-export.csv": "53951a4438dbe7fd8a61a2bebc1ddfc23a92dbf3cf7311d36c4c189a9e312fd4",
}
# SHA-256 of repr() of every row of every sheet (cell values, not the zip bytes, which carry times)
WORKBOOKS = {
    "reports/aging.xlsx": "8c7d04dcf518ea4159a2e1326c8bf21e607e74cf46e5d62a252d49c79c861113",
    "reports/balances.xlsx": "c7b2706911c703ce70d41ef15e09a2947286511d9c4f2f7cf47b2abfcf1d9a5d",
    "reports/expiring.xlsx": "f2a1d431571ac1aa6588adb5f46b5538fe761ed912a608e11088067866e5bf10",
    "reports/shortfalls.xlsx": "f84800e1b6eb789744a37565f4a6a82b7181b9dc4c5596de080e05acfccc0bba",
}


def _table_rows(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """The rows of the table, without the header block (it ends at the first empty row)."""
    if rows and rows[0][0] in ("Reporte", "Report"):
        blank = next(i for i, row in enumerate(rows) if all(v is None for v in row))
        return rows[blank + 1 :]
    return rows


def _cells_digest(path: Path) -> str:
    digest = hashlib.sha256()
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in _table_rows(list(sheet.iter_rows(values_only=True))):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_demo_outputs_are_those_of_before_the_layout_by_feature(tmp_path: Path) -> None:
    run_demo(tmp_path, dt.date(2026, 6, 30))
    for name, expected in FILES.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == expected, name
    for name, expected in WORKBOOKS.items():
        assert _cells_digest(tmp_path / name) == expected, name
