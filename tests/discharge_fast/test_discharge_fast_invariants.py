"""Invariants of the FIFO discharge (the domain version, which the fast one must equal)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.discharge.fast import discharge_fast
from immex.discharge.methods import discharge, explode
from immex.ledger.model import Ledger
from tests.discharge_fast.ledgers import ledgers

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AS_OF = dt.date(2026, 11, 23)


@SETTINGS
@given(ledgers())
def test_no_import_line_is_discharged_beyond_its_quantity(ledger: Ledger) -> None:
    used: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for allocation in discharge(ledger, "fifo").allocations:
        assert allocation.qty > 0
        used[(allocation.import_pedimento, allocation.import_line, allocation.part)] += allocation.qty
    quantities = {lot.key: lot.qty for lot in ledger.imports}
    assert all(used[key] <= quantities[key] for key in used)


@SETTINGS
@given(ledgers())
def test_imported_equals_discharged_plus_remaining(ledger: Ledger) -> None:
    from immex.discharge.methods import balances

    rows = balances(ledger, discharge_fast(ledger).allocations, AS_OF)
    assert len(rows) == len(ledger.imports)
    for row in rows:
        assert row.qty_imported == row.qty_discharged + row.qty_remaining
        assert row.qty_remaining >= 0


@SETTINGS
@given(ledgers())
def test_every_requirement_is_allocated_or_a_shortfall(ledger: Ledger) -> None:
    result = discharge(ledger, "fifo")
    covered: dict[tuple[str, int, str, str], Decimal] = defaultdict(Decimal)
    for a in result.allocations:
        covered[(a.export_pedimento, a.export_line, a.product, a.part)] += a.qty
    for s in result.shortfalls:
        covered[(s.export_pedimento, s.export_line, s.product, s.part)] += s.qty_missing
    expected = {}
    for export in ledger.exports:
        for part, need in explode(ledger, export.product, export.qty, export.cleared_on).items():
            if need > 0:
                expected[(*export.key, part)] = need
    assert dict(covered) == expected


@SETTINGS
@given(ledgers(), st.randoms(use_true_random=False))
def test_output_does_not_depend_on_input_row_order(ledger: Ledger, rnd: random.Random) -> None:
    imports, exports = list(ledger.imports), list(ledger.exports)
    rnd.shuffle(imports)
    rnd.shuffle(exports)
    boms = {product: tuple(rnd.sample(versions, len(versions))) for product, versions in ledger.boms.items()}
    shuffled = replace(ledger, imports=tuple(imports), exports=tuple(exports), boms=boms)
    assert discharge(shuffled, "fifo") == discharge(ledger, "fifo")
    assert discharge_fast(shuffled) == discharge_fast(ledger)
