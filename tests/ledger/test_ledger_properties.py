"""Invariants of the discharge on random ledgers."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.discharge.methods import balances, discharge, explode
from immex.ledger.model import Ledger
from tests.ledger.strategies import ledgers

AS_OF = dt.date(2026, 6, 1)


@settings(max_examples=150, deadline=None)
@given(ledgers(), st.sampled_from(["fifo", "lifo", "directed"]))
def test_no_import_line_is_discharged_beyond_its_quantity(ledger: Ledger, method: str) -> None:
    result = discharge(ledger, method)
    used: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for a in result.allocations:
        assert a.qty > 0
        used[(a.import_pedimento, a.import_line, a.part)] += a.qty
    for lot in ledger.imports:
        assert used[lot.key] <= lot.qty


@settings(max_examples=150, deadline=None)
@given(ledgers())
def test_imported_equals_discharged_plus_remaining(ledger: Ledger) -> None:
    result = discharge(ledger)
    for row in balances(ledger, result.allocations, AS_OF):
        assert row.qty_imported == row.qty_discharged + row.qty_remaining
        assert row.qty_remaining >= 0
    assert sum((a.qty for a in result.allocations), Decimal(0)) == sum(
        (b.qty_discharged for b in balances(ledger, result.allocations, AS_OF)), Decimal(0)
    )


@settings(max_examples=150, deadline=None)
@given(ledgers(), st.sampled_from(["fifo", "lifo"]))
def test_every_requirement_is_allocated_or_a_shortfall(ledger: Ledger, method: str) -> None:
    result = discharge(ledger, method)
    covered: dict[tuple[str, int, str, str], Decimal] = defaultdict(Decimal)
    for a in result.allocations:
        covered[(a.export_pedimento, a.export_line, a.product, a.part)] += a.qty
    for s in result.shortfalls:
        assert s.qty_missing > 0
        covered[(s.export_pedimento, s.export_line, s.product, s.part)] += s.qty_missing
    expected = {
        (e.pedimento, e.line, e.product, part): qty
        for e in ledger.exports
        for part, qty in explode(ledger, e.product, e.qty, e.cleared_on).items()
    }
    assert dict(covered) == {k: v for k, v in expected.items() if v > 0}


@settings(max_examples=100, deadline=None)
@given(ledgers(), st.randoms(use_true_random=False))
def test_output_does_not_depend_on_the_order_of_input_rows(ledger: Ledger, rnd: random.Random) -> None:
    imports, exports = list(ledger.imports), list(ledger.exports)
    rnd.shuffle(imports)
    rnd.shuffle(exports)
    shuffled = replace(ledger, imports=tuple(imports), exports=tuple(exports))
    assert discharge(shuffled) == discharge(ledger)


@settings(max_examples=100, deadline=None)
@given(ledgers())
def test_fifo_never_uses_a_lot_cleared_after_the_export(ledger: Ledger) -> None:
    cleared = {lot.key: lot.cleared_on for lot in ledger.imports}
    exported = {e.key: e.cleared_on for e in ledger.exports}
    for a in discharge(ledger).allocations:
        assert (
            cleared[(a.import_pedimento, a.import_line, a.part)]
            <= exported[(a.export_pedimento, a.export_line, a.product)]
        )
