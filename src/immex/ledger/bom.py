"""Bills of materials: explosion into leaf parts and the days the BOM graph changes (pure)."""

from __future__ import annotations

import bisect
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


class Explosions:
    """:func:`explode` per unit of many products, each (item, BOM period) exploded once.

    Every product's BOM is fixed within a BOM period (:func:`bom_breakpoints`), so an
    item's per-unit leaf needs are the same on every day of one, and a subassembly
    is exploded once for all the products above it. The products and sums are exact
    (EXACT), so the leaves, their order and their Decimals are those of ``explode``;
    a cycle raises the same :class:`BomCycleError` (a finished item reaches no cycle).
    ``desperdicio=False``: every ``desperdicio_pct`` counted as 0 (merma kept).
    """

    def __init__(self, boms: Mapping[str, Sequence[BomVersion]], desperdicio: bool = True) -> None:
        self.ledger = Ledger({}, (), (), {product: tuple(versions) for product, versions in boms.items()})
        self.breaks = bom_breakpoints(boms)
        self.desperdicio = desperdicio
        self._found: dict[tuple[str, int], dict[str, Decimal]] = {}

    def period(self, day: dt.date) -> int:
        """The BOM period of ``day``."""
        return bisect.bisect_right(self.breaks, day)

    def per_unit(self, product: str, day: dt.date) -> dict[str, Decimal]:
        """``explode(ledger, product, Decimal(1), day)`` (a copy: the caller may change it)."""
        return dict(self._needs(product, day, self.period(day), ()))

    def _needs(self, item: str, day: dt.date, period: int, path: tuple[str, ...]) -> dict[str, Decimal]:
        found = self._found.get((item, period))
        if found is not None:
            return found
        if item in path:
            raise BomCycleError((*path, item), day)
        version = self.ledger.bom_on(item, day)
        if version is None:
            found = {item: Decimal(1)}
        else:
            sums: dict[str, Decimal] = defaultdict(Decimal)
            for c in version.components:
                waste = c.desperdicio_pct if self.desperdicio else Decimal(0)
                per = gross_qty_per(c.qty_per, c.merma_pct, waste)
                for leaf, amount in self._needs(c.component, day, period, (*path, item)).items():
                    sums[leaf] = EXACT.add(sums[leaf], EXACT.multiply(per, amount))
            found = dict(sums)
        self._found[(item, period)] = found
        return found


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
