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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from immex.core.numbers import EXACT, plain
from immex.core.problems import InputError, Problem
from immex.core.table_files import write_csv
from immex.ledger.bom import Explosions
from immex.ledger.model import BomVersion
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


def waste_share(gross: Decimal, net: Decimal) -> Fraction:
    """``(gross − net) / gross``, exact: from the two integer ratios, with one gcd (as Fractions, four)."""
    gross_num, gross_den = gross.as_integer_ratio()
    net_num, net_den = net.as_integer_ratio()
    return Fraction(gross_num * net_den - net_num * gross_den, gross_num * net_den)


class WasteRatios:
    """``(R − R0) / R`` per leaf part of a product on a day; only the parts where it is not 0.

    Ratios are numbered (``values[id]``): the sums below are keyed by the number,
    not by a Fraction (hashing a Fraction is slow).
    """

    def __init__(self, boms: Mapping[str, tuple[BomVersion, ...]]) -> None:
        self.gross = Explosions(boms)  # R per unit
        self.net = Explosions(boms, desperdicio=False)  # R0 per unit: subassemblies exploded once
        self.any = any(c.desperdicio_pct > 0 for vs in boms.values() for v in vs for c in v.components)
        self.values: list[Fraction] = []
        self._ids: dict[tuple[int, int], int] = {}
        self._memo: dict[tuple[str, int], dict[str, int]] = {}
        self._pairs: dict[tuple[Decimal, Decimal], int] = {}

    def period(self, day: dt.date) -> int:
        """The BOM period of ``day``: every product's BOM is fixed within one."""
        return self.gross.period(day)

    def of(self, product: str, day: dt.date, gross: Mapping[str, Decimal] | None = None) -> dict[str, int]:
        """Part → ratio id for an export of ``product`` on ``day``.

        ``gross``: the per-unit leaf needs of that export when the caller has them
        (the vectorized engine explodes them once per product and BOM period).
        """
        if not self.any:
            return {}
        key = (product, self.period(day))
        found = self._memo.get(key)
        if found is None:
            if gross is None:
                gross = self.gross.per_unit(product, day)
            net = self.net.per_unit(product, day)
            found = {part: self._pair_id(r, net[part]) for part, r in gross.items() if r != net[part]}
            self._memo[key] = found
        return found

    def _pair_id(self, gross: Decimal, net: Decimal) -> int:
        """The id of ``(gross − net) / gross``: one Fraction per distinct pair (they repeat by period)."""
        found = self._pairs.get((gross, net))
        if found is None:
            found = self._pairs[(gross, net)] = self._id(waste_share(gross, net))
        return found

    def _id(self, ratio: Fraction) -> int:
        key = (ratio.numerator, ratio.denominator)  # a tuple of ints hashes faster than a Fraction
        if key not in self._ids:
            self._ids[key] = len(self.values)
            self.values.append(ratio)
        return self._ids[key]


class GeneratedWaste:
    """Allocated quantities that carry waste, as exact Decimal sums by part and waste ratio.

    For the parts in ``dated`` (those with disposals to check) the sums are also
    kept by export date; a million allocations cost a million Decimal additions
    and a few Fraction products per part and per disposal.
    """

    def __init__(self, ratios: Sequence[Fraction] = (), dated: Collection[str] = ()) -> None:
        self.ratios = ratios
        self.dated = frozenset(dated)
        self.totals: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.by_day: dict[str, dict[int, dict[dt.date, Decimal]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(Decimal))
        )
        self._running: dict[tuple[str, int], tuple[list[dt.date], list[Decimal]]] = {}

    def add(self, part: str, ratio: int, day: dt.date, qty: Decimal) -> None:
        sums = self.totals[part]
        sums[ratio] = EXACT.add(sums[ratio], qty)
        if part in self.dated:
            days = self.by_day[part][ratio]
            days[day] = EXACT.add(days[day], qty)

    @property
    def parts(self) -> list[str]:
        return list(self.totals)

    def total(self, part: str) -> Fraction:
        sums = self.totals.get(part, {})
        return sum((self.ratios[r] * Fraction(qty) for r, qty in sums.items()), Fraction(0))

    def by(self, part: str, day: dt.date) -> Fraction:
        """Waste of ``part`` generated by the exports dated on or before ``day`` (a part of ``dated``)."""
        if part not in self.totals:
            return Fraction(0)
        if part not in self.dated:
            raise ValueError(f"{part!r} was not tracked by date")
        found = Fraction(0)
        for ratio, days in self.by_day.get(part, {}).items():
            dates, running = self._prefix(part, ratio, days)
            index = bisect.bisect_right(dates, day)
            if index:
                found += self.ratios[ratio] * Fraction(running[index - 1])
        return found

    def _prefix(
        self, part: str, ratio: int, days: Mapping[dt.date, Decimal]
    ) -> tuple[list[dt.date], list[Decimal]]:
        key = (part, ratio)
        if key not in self._running:
            dates = sorted(days)
            running, total = [], Decimal(0)
            for day in dates:
                total = EXACT.add(total, days[day])
                running.append(total)
            self._running[key] = (dates, running)
        return self._running[key]


def generated_waste(
    ratios: WasteRatios, allocated: Iterable[AllocatedQty], dated: Collection[str] = ()
) -> GeneratedWaste:
    """The allocated quantities that generate waste (by date for the parts of ``dated``)."""
    generated = GeneratedWaste(ratios.values, dated)
    of: dict[tuple[str, dt.date], dict[str, int]] = {}
    for product, day, part, qty in allocated:
        found = of.get((product, day))
        if found is None:
            found = of[(product, day)] = ratios.of(product, day)
        ratio = found.get(part)
        if ratio is not None:
            generated.add(part, ratio, day, qty)
    return generated


@dataclass(frozen=True, slots=True)
class WasteRow:
    part: str
    generated: Fraction
    disposed: Fraction
    pending: Fraction


def disposed_too_much(generated: GeneratedWaste, disposals: Iterable[Disposal], label: str) -> list[Problem]:
    """A problem for each disposal that takes a part's disposals above the waste generated by its date."""
    problems = []
    cumulative: dict[str, Fraction] = defaultdict(Fraction)
    for disposal in sorted(disposals, key=lambda d: (d.part, d.date, d.row)):
        cumulative[disposal.part] += Fraction(disposal.qty)
        limit = generated.by(disposal.part, disposal.date)
        if cumulative[disposal.part] > limit:
            message = (
                f"disposes of {decimal_text(cumulative[disposal.part])} of {disposal.part!r} by"
                f" {disposal.date}, more than the {decimal_text(limit)} of waste generated by the"
                " exports dated on or before then (base unit)"
            )
            problems.append(Problem(label, disposal.row or None, "qty", message))
    return problems


def waste_rows(
    generated: GeneratedWaste, disposals: Iterable[Disposal], label: str = WASTE.name
) -> list[WasteRow]:
    """One row per part with waste generated or disposed; raises InputError when disposing of too much."""
    disposals = tuple(disposals)
    problems = disposed_too_much(generated, disposals, label)
    if problems:
        raise InputError(problems)
    totals = {part: generated.total(part) for part in generated.parts}
    disposed: dict[str, Fraction] = defaultdict(Fraction)
    for disposal in disposals:
        disposed[disposal.part] += Fraction(disposal.qty)
    parts = sorted(p for p in set(totals) | set(disposed) if totals.get(p, 0) > 0 or disposed[p] > 0)
    return [
        WasteRow(p, totals.get(p, Fraction(0)), disposed[p], totals.get(p, Fraction(0)) - disposed[p])
        for p in parts
    ]


def write_waste_csv(folder: Path, rows: Iterable[WasteRow]) -> int:
    """``waste.csv`` of the output folder; the number of rows written."""
    cells = (
        (r.part, decimal_text(r.generated), decimal_text(r.disposed), decimal_text(r.pending)) for r in rows
    )
    return write_csv(folder / WASTE_CSV, WASTE_HEADER, cells, spreadsheet_safe=False)
