"""``Explosions``: each (item, BOM period) exploded once, the same result as ``explode`` every time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.ledger.bom import BomCycleError, Explosions, bom_breakpoints, explode
from immex.ledger.model import BomComponent, BomVersion, Ledger
from immex.ledger.read import find_bom_cycle
from tests.discharge_fast.ledgers import FINISHED, RAW, START, SUB, bom_versions

TOP = ("Q-top", "R-top")  # a third level: products made of finished products and subassemblies

Boms = dict[str, tuple[BomVersion, ...]]


@st.composite
def three_levels(draw: st.DrawFn) -> Boms:
    boms: Boms = {}
    for names, below in ((SUB, RAW), (FINISHED, RAW + SUB), (TOP, RAW + SUB + FINISHED)):
        for name in names:
            if versions := draw(bom_versions(name, below)):
                boms[name] = versions
    return boms


def _days(boms: Boms) -> list[dt.date]:
    """A day in every BOM period (the breakpoints) and a day before them all."""
    return [START - dt.timedelta(days=1), *bom_breakpoints(boms)]


def _same(found: dict[str, Decimal], expected: dict[str, Decimal]) -> bool:
    """Same leaves in the same order, and the same Decimals (digits and exponent, not only value)."""
    return list(found) == list(expected) and all(
        found[leaf].as_tuple() == expected[leaf].as_tuple() for leaf in expected
    )


@settings(max_examples=150, deadline=None)
@given(three_levels())
def test_explosions_equal_explode_for_every_product_and_period(boms: Boms) -> None:
    explosions = Explosions(boms)
    net = Explosions(boms, desperdicio=False)
    without = {
        product: tuple(
            replace(v, components=tuple(replace(c, desperdicio_pct=Decimal(0)) for c in v.components))
            for v in versions
        )
        for product, versions in boms.items()
    }
    ledger, ledger_without = Ledger({}, (), (), boms), Ledger({}, (), (), without)
    for day in _days(boms):
        for product in (*TOP, *FINISHED, *SUB, RAW[0]):
            assert _same(explosions.per_unit(product, day), explode(ledger, product, Decimal(1), day))
            assert _same(net.per_unit(product, day), explode(ledger_without, product, Decimal(1), day))


@st.composite
def with_cycles(draw: st.DrawFn) -> Boms:
    """Versions whose components may be any product, itself included: cycles, in some periods only."""
    names = SUB + FINISHED
    boms: Boms = {}
    for name in names:
        if versions := draw(bom_versions(name, RAW + names)):
            boms[name] = versions
    return boms


Outcome = dict[str, Decimal] | tuple[str, tuple[str, ...], dt.date]


def _outcome(run: Callable[[], dict[str, Decimal]]) -> Outcome:
    try:
        return run()
    except BomCycleError as cycle:
        return ("cycle", cycle.path, cycle.day)


@settings(max_examples=200, deadline=None)
@given(with_cycles())
def test_a_cycle_is_found_as_explode_finds_it_with_finished_items_reused(boms: Boms) -> None:
    """One Explosions for every product in turn: the same result or the same cycle (path and day)."""
    explosions, ledger = Explosions(boms), Ledger({}, (), (), boms)
    for day in _days(boms):
        for product in (*FINISHED, *SUB):
            mine = _outcome(lambda: explosions.per_unit(product, day))  # noqa: B023
            theirs = _outcome(lambda: explode(ledger, product, Decimal(1), day))  # noqa: B023
            if isinstance(theirs, dict):
                assert isinstance(mine, dict) and _same(mine, theirs)
            else:
                assert mine == theirs


def test_a_self_reference_is_the_first_cycle_found() -> None:
    day = dt.date(2024, 1, 1)
    loop = BomVersion("B-sub", day, None, (BomComponent("B-sub", Decimal(1), Decimal(0), Decimal(0)),))
    boms = {
        "B-sub": (loop,),
        "D-fin": (
            BomVersion("D-fin", day, None, (BomComponent("B-sub", Decimal(2), Decimal(0), Decimal(0)),)),
        ),
    }
    found = find_bom_cycle(boms)
    assert found is not None and found.path == ("B-sub", "B-sub") and found.day == day
    assert find_bom_cycle({"D-fin": boms["D-fin"]}) is None
