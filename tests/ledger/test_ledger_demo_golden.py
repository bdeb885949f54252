"""Golden outputs of ``immex demo``: the layout by feature changed no number, row or cell.

The digests were taken from ``immex demo --as-of 2026-06-30`` at commit 99394d7, before the
source was re-laid out by feature. A change of output must be deliberate: update the digest
in the same commit and say why.
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
    "reports/aging.xlsx": "826f519b2a75a0508a253e87fcd38620086abb68e87d5aeb4df19812c4138cdc",
    "reports/balances.xlsx": "eebae2b24da729536e1bffe65695ba134201c19a7ac0cc4371d967bd955aa6f8",
    "reports/expiring.xlsx": "0aa1698dd3aad1bcae7bea092f47344139ad41672aa2c34c7b760960ac5d9f33",
    "reports/shortfalls.xlsx": "e83fe3383d6c3c3637fc2b17895d13935f9d68276574f34427cc5c722edccb93",
}


def _cells_digest(path: Path) -> str:
    digest = hashlib.sha256()
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_demo_outputs_are_those_of_before_the_layout_by_feature(tmp_path: Path) -> None:
    run_demo(tmp_path, dt.date(2026, 6, 30))
    for name, expected in FILES.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == expected, name
    for name, expected in WORKBOOKS.items():
        assert _cells_digest(tmp_path / name) == expected, name
