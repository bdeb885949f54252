"""run.json totals are the exact sums of the written quantities, beyond 28 significant digits too."""

from __future__ import annotations

import csv
import json
from decimal import Decimal, localcontext
from pathlib import Path

import pytest

from immex.core.numbers import EXACT
from immex.discharge.service import run_discharge

# Pounds (8-decimal factor) through a BOM with decimal merma and desperdicio: each requirement
# has 22 decimals and 7 integer digits, so the totals need more than the default 28 digits.
FILES = {
    "parts.csv": "part,uom,kind\nA,KG,raw\nF,PZA,finished\n",
    "uom_conversions.csv": "from_uom,to_uom,factor\nLB,KG,0.45359237\n",
    "imports.csv": "pedimento,line,clave,cleared_on,part,qty,uom\n"
    "24 47 3456 4000001,1,IN,2024-01-02,A,987654321.123457,LB\n"
    "24 47 3456 4000002,1,IN,2024-01-03,A,12345.654321,LB\n",
    "exports.csv": "pedimento,line,clave,cleared_on,product,qty,uom\n"
    + "".join(f"244778904000001,{n},RT,2024-02-0{n},F,{123456789 + n * 7919},PZA\n" for n in range(1, 8)),
    "bom.csv": "product,component,qty_per,uom,valid_from,merma_pct,desperdicio_pct\n"
    "F,A,0.123457,LB,2020-01-01,1.234567,0.654321\n",
}


def _exact_sum(path: Path, column: str) -> Decimal:
    with path.open(encoding="utf-8") as handle, localcontext(EXACT):
        return sum((Decimal(row[column]) for row in csv.DictReader(handle)), start=Decimal(0))


@pytest.mark.parametrize("method", ["fifo", "lifo", "directed"])
def test_run_json_totals_are_exact_sums(tmp_path: Path, method: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    run_discharge(folder, tmp_path / "out", method)
    totals = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["totals"]
    allocated = _exact_sum(tmp_path / "out" / "allocations.csv", "qty")
    assert len(allocated.as_tuple().digits) > 28  # the default context would have rounded it
    assert Decimal(totals["qty_allocated"]) == allocated
    assert Decimal(totals["qty_missing"]) == _exact_sum(tmp_path / "out" / "shortfalls.csv", "qty_missing")
