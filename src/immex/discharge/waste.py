"""Waste (desperdicio): what each export line generated, what was disposed of, what is pending.

For an export line and a leaf part, R is the requirement of the discharge
(merma and desperdicio included) and R0 the same requirement with every
``desperdicio_pct`` on the BOM path at 0 (merma kept). The imported waste
the line generated is ``allocated × (R − R0) / R``: the share of what was
allocated that the BOM adds as desperdicio; a shortfall generates none.

R and R0 both scale with the exported quantity, so the ratio depends only
on the product, the BOM in force on the export date and the leaf part. The
waste is therefore computed from the allocations alone, whichever engine
wrote them (the per-row discharge in memory, or the vectorized engines'
``allocations.csv`` read back), and from the BOM explosion.

Quantities are exact (:class:`fractions.Fraction`); a value whose decimal
expansion does not terminate is written with 6 decimals, rounded half to even.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from immex.core.numbers import EXACT, plain
from immex.core.problems import InputError, Problem
from immex.core.table_files import write_csv
from immex.ledger.bom import bom_breakpoints, explode
from immex.ledger.model import BomVersion, Ledger
from immex.ledger.movements import WASTE, Disposal

WASTE_CSV = "waste.csv"
WASTE_HEADER = ("part", "generated", "disposed", "pending")
PLACES = 6  # a quotient that does not terminate: written to 6 decimals, half to even (the contract)

# (product, export date, part, quantity allocated in the part's base unit)
AllocatedQty = tuple[str, dt.date, str, Decimal]


def decimal_text(value: Fraction) -> str:
    """Exact when the decimal expansion terminates, else 6 decimals rounded half to even."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        exact = EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))
        return plain(exact)
    rounded = round(value * 10**PLACES)  # Fraction.__round__ rounds half to even
    return format(Decimal(rounded).scaleb(-PLACES), "f")


def _without_desperdicio(boms: Mapping[str, tuple[BomVersion, ...]]) -> dict[str, tuple[BomVersion, ...]]:
    return {
        product: tuple(
            replace(v, components=tuple(replace(c, desperdicio_pct=Decimal(0)) for c in v.components))
            for v in versions
        )
        for product, versions in boms.items()
    }


class WasteRatios:
    """``(R − R0) / R`` per leaf part of a product on a day; only the parts where it is not 0."""

    def __init__(self, boms: Mapping[str, tuple[BomVersion, ...]]) -> None:
        self.with_waste = Ledger({}, (), (), boms)
        self.without = Ledger({}, (), (), _without_desperdicio(boms))
        self.breaks = bom_breakpoints(boms)
        self.any = any(c.desperdicio_pct > 0 for vs in boms.values() for v in vs for c in v.components)
        self._memo: dict[tuple[str, int], dict[str, Fraction]] = {}

    def of(self, product: str, day: dt.date) -> dict[str, Fraction]:
        if not self.any:
            return {}
        key = (product, bisect.bisect_right(self.breaks, day))  # the BOM graph is fixed within a period
        found = self._memo.get(key)
        if found is None:
            gross = explode(self.with_waste, product, Decimal(1), day)
            net = explode(self.without, product, Decimal(1), day)
            found = {
                part: Fraction(r - net[part]) / Fraction(r) for part, r in gross.items() if r != net[part]
            }
            self._memo[key] = found
        return found


def generated_waste(
    ratios: WasteRatios, allocated: Iterable[AllocatedQty]
) -> dict[tuple[str, dt.date], Fraction]:
    """Waste generated per (part, export date) by the allocated quantities."""
    sums: dict[tuple[str, dt.date, str], Decimal] = defaultdict(Decimal)
    for product, day, part, qty in allocated:
        if part in ratios.of(product, day):
            key = (product, day, part)
            sums[key] = EXACT.add(sums[key], qty)
    generated: dict[tuple[str, dt.date], Fraction] = defaultdict(Fraction)
    for (product, day, part), qty in sums.items():
        generated[(part, day)] += Fraction(qty) * ratios.of(product, day)[part]
    return dict(generated)


@dataclass(frozen=True, slots=True)
class WasteRow:
    part: str
    generated: Fraction
    disposed: Fraction
    pending: Fraction


class _GeneratedByDate:
    """Waste generated of each part by the exports dated on or before a day (prefix sums by date)."""

    def __init__(self, generated: Mapping[tuple[str, dt.date], Fraction]) -> None:
        by_part: dict[str, list[tuple[dt.date, Fraction]]] = defaultdict(list)
        for (part, day), qty in generated.items():
            by_part[part].append((day, qty))
        self.days: dict[str, list[dt.date]] = {}
        self.totals: dict[str, list[Fraction]] = {}
        for part, items in by_part.items():
            items.sort()
            self.days[part] = [day for day, _ in items]
            running, totals = Fraction(0), []
            for _, qty in items:
                running += qty
                totals.append(running)
            self.totals[part] = totals

    def by(self, part: str, day: dt.date) -> Fraction:
        index = bisect.bisect_right(self.days.get(part, []), day)
        return self.totals[part][index - 1] if index else Fraction(0)


def _disposed_too_much(
    generated: Mapping[tuple[str, dt.date], Fraction], disposals: Iterable[Disposal], label: str
) -> list[Problem]:
    """A problem for each disposal that takes a part's disposals above the waste generated by its date."""
    available = _GeneratedByDate(generated)
    problems = []
    cumulative: dict[str, Fraction] = defaultdict(Fraction)
    for disposal in sorted(disposals, key=lambda d: (d.part, d.date, d.row)):
        cumulative[disposal.part] += Fraction(disposal.qty)
        limit = available.by(disposal.part, disposal.date)
        if cumulative[disposal.part] > limit:
            message = (
                f"disposes of {decimal_text(cumulative[disposal.part])} of {disposal.part!r} by"
                f" {disposal.date}, more than the {decimal_text(limit)} of waste generated by the"
                " exports dated on or before then (base unit)"
            )
            problems.append(Problem(label, disposal.row or None, "qty", message))
    return problems


def waste_rows(
    generated: Mapping[tuple[str, dt.date], Fraction], disposals: Iterable[Disposal], label: str = WASTE.name
) -> list[WasteRow]:
    """One row per part with waste generated or disposed; raises InputError when disposing of too much."""
    disposals = tuple(disposals)
    problems = _disposed_too_much(generated, disposals, label)
    if problems:
        raise InputError(problems)
    totals: dict[str, Fraction] = defaultdict(Fraction)
    for (part, _day), qty in generated.items():
        totals[part] += qty
    disposed: dict[str, Fraction] = defaultdict(Fraction)
    for disposal in disposals:
        disposed[disposal.part] += Fraction(disposal.qty)
    parts = sorted(p for p in set(totals) | set(disposed) if totals[p] > 0 or disposed[p] > 0)
    return [WasteRow(p, totals[p], disposed[p], totals[p] - disposed[p]) for p in parts]


def write_waste_csv(folder: Path, rows: Iterable[WasteRow]) -> int:
    """``waste.csv`` of the output folder; the number of rows written."""
    cells = (
        (r.part, decimal_text(r.generated), decimal_text(r.disposed), decimal_text(r.pending)) for r in rows
    )
    return write_csv(folder / WASTE_CSV, WASTE_HEADER, cells, spreadsheet_safe=False)
