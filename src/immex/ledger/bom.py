"""Bills of materials: explosion into leaf parts and the days the BOM graph changes (pure)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from immex.core.numbers import EXACT
from immex.ledger.model import BomVersion, Ledger


class BomCycleError(ValueError):
    """A product reaches itself through its BOM versions valid on one date."""

    def __init__(self, path: Sequence[str], day: dt.date) -> None:
        self.path = tuple(path)
        self.day = day
        super().__init__(f"BOM cycle on {day.isoformat()}: {' -> '.join(path)}")


def explode(ledger: Ledger, product: str, qty: Decimal, day: dt.date) -> dict[str, Decimal]:
    """Leaf requirements of ``qty`` of ``product`` on ``day``, summed by part.

    A product without a BOM version on ``day`` is its own leaf (returned as is).
    """
    needs: dict[str, Decimal] = defaultdict(Decimal)

    def walk(item: str, amount: Decimal, path: tuple[str, ...]) -> None:
        if item in path:
            raise BomCycleError((*path, item), day)
        version = ledger.bom_on(item, day)
        if version is None:
            needs[item] = EXACT.add(needs[item], amount)
            return
        for component in version.components:
            gross = gross_qty_per(component.qty_per, component.merma_pct, component.desperdicio_pct)
            walk(component.component, EXACT.multiply(amount, gross), (*path, item))

    walk(product, qty, ())
    return dict(needs)


def gross_qty_per(qty_per: Decimal, merma_pct: Decimal, desperdicio_pct: Decimal) -> Decimal:
    """What one unit of the product consumes: ``qty_per`` plus merma and desperdicio."""
    loss = EXACT.divide(EXACT.add(merma_pct, desperdicio_pct), Decimal(100))
    return EXACT.multiply(qty_per, EXACT.add(Decimal(1), loss))


def bom_breakpoints(boms: Mapping[str, Sequence[BomVersion]]) -> list[dt.date]:
    """Days on which some BOM version starts or ends: between two, every product's BOM is fixed."""
    days = set()
    for versions in boms.values():
        for version in versions:
            days.add(version.valid_from)
            if version.valid_to is not None and version.valid_to < dt.date.max:
                days.add(version.valid_to + dt.timedelta(days=1))
    return sorted(days)
