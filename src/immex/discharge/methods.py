"""The discharge (descargo): exports consume the temporary-import lines of their parts.

This is the simple, exact version and the specification of the fast engine in
``immex.discharge.fast``; the interface is documented in ``docs/ledger.md``.

1. Each export line explodes into leaf requirements through the BOM version
   valid on its date (merma and desperdicio included, recursively), or
   requires itself when it is returned as imported.
2. Export lines are processed in ``(cleared_on, pedimento, line, product)``
   order; each leaf part is taken from that part's import lines cleared on or
   before the export date, in the order the method gives (FIFO by default).
3. What cannot be covered is a :class:`Shortfall`, not an error.
4. A regularization (A3) discharges its named import line as is, on its date,
   before the export lines of that date; asking more than the line has left
   then is an input error (:class:`~immex.core.problems.InputError`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from immex.core.numbers import EXACT
from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, counted
from immex.discharge.deadlines import BalanceStatus, balance_status, deadline
from immex.ledger.bom import BomCycleError, explode
from immex.ledger.model import ExportLine, ImportLine, Ledger

__all__ = ["EXACT", "BomCycleError", "explode"]  # re-exported: the domain's names since v0.1


# Requirements multiply quantities, factors and percentages through several BOM
# levels; this precision keeps every product exact for realistic inputs.
@dataclass(frozen=True, slots=True)
class Allocation:
    export_pedimento: str
    export_line: int
    product: str
    part: str
    import_pedimento: str
    import_line: int
    qty: Decimal
    late: bool


@dataclass(frozen=True, slots=True)
class Shortfall:
    export_pedimento: str
    export_line: int
    product: str
    part: str
    qty_missing: Decimal


@dataclass(frozen=True, slots=True)
class Balance:
    import_pedimento: str
    import_line: int
    part: str
    qty_imported: Decimal
    qty_discharged: Decimal
    qty_remaining: Decimal
    deadline: dt.date | None
    days_left: int | None
    status: BalanceStatus
    qty_adjusted: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class DischargeResult:
    allocations: tuple[Allocation, ...]
    shortfalls: tuple[Shortfall, ...]


# A method orders, for one requirement, the indices of the lots it may consume:
# ``lots[lo:hi]`` are the part's lots cleared on or before the export date, in
# FIFO order, and every lot before ``lo`` is exhausted.
LotOrder = Callable[[ExportLine, Sequence[ImportLine], int, int], Iterable[int]]


def _fifo(_export: ExportLine, _lots: Sequence[ImportLine], lo: int, hi: int) -> Iterable[int]:
    return range(lo, hi)


def _lifo(_export: ExportLine, _lots: Sequence[ImportLine], lo: int, hi: int) -> Iterable[int]:
    return range(hi - 1, lo - 1, -1)


def _directed(export: ExportLine, lots: Sequence[ImportLine], lo: int, hi: int) -> Iterable[int]:
    """Only the import pedimento the export line names (FIFO within it); FIFO when none is named."""
    if not export.import_pedimento:
        return range(lo, hi)
    return [i for i in range(lo, hi) if lots[i].pedimento == export.import_pedimento]


DISCHARGE_METHODS: dict[str, LotOrder] = {"fifo": _fifo, "lifo": _lifo, "directed": _directed}


class _PartStock:
    """One part's lots in FIFO order with what is left of each."""

    def __init__(self, lots: list[ImportLine]) -> None:
        self.lots = lots
        self.dates = [lot.cleared_on for lot in lots]
        self.left = [lot.qty for lot in lots]
        self.first_open = 0

    def take(self, indices: Iterable[int], need: Decimal) -> Iterable[tuple[ImportLine, Decimal]]:
        for i in indices:
            if need <= 0:
                break
            qty = min(self.left[i], need)
            if qty <= 0:
                continue
            self.left[i] = EXACT.subtract(self.left[i], qty)
            need = EXACT.subtract(need, qty)
            yield self.lots[i], qty
        while self.first_open < len(self.left) and self.left[self.first_open] <= 0:
            self.first_open += 1


REGULARIZATIONS_FILE = "regularizations.csv"


class _Discharge:
    """One run: each part's stock, and the rows and problems found so far."""

    def __init__(self, ledger: Ledger, method: str) -> None:
        self.ledger = ledger
        self.order = DISCHARGE_METHODS[method]
        self.kinds = {name: part.kind for name, part in ledger.parts.items()}
        by_part: dict[str, list[ImportLine]] = defaultdict(list)
        for lot in sorted(ledger.imports, key=lambda lot: lot.fifo_key):
            by_part[lot.part].append(lot)
        self.stocks = {part: _PartStock(lots) for part, lots in by_part.items()}
        self.allocations: list[Allocation] = []
        self.shortfalls: list[Shortfall] = []
        self.problems: list[Problem] = []

    def allocate(self, line: ExportLine, lot: ImportLine, qty: Decimal) -> None:
        due = deadline(self.kinds.get(lot.part, "raw"), lot.cleared_on, self.ledger.program_valid_to)
        late = due is not None and line.cleared_on > due
        self.allocations.append(
            Allocation(line.pedimento, line.line, line.product, lot.part, lot.pedimento, lot.line, qty, late)
        )

    def export(self, export: ExportLine) -> None:
        needs = explode(self.ledger, export.product, export.qty, export.cleared_on)
        for part in sorted(needs):
            need = needs[part]
            stock = self.stocks.get(part)
            if stock is not None:
                hi = bisect.bisect_right(stock.dates, export.cleared_on)
                for lot, qty in stock.take(self.order(export, stock.lots, stock.first_open, hi), need):
                    need = EXACT.subtract(need, qty)
                    self.allocate(export, lot, qty)
            if need > 0:
                self.shortfalls.append(Shortfall(export.pedimento, export.line, export.product, part, need))

    def regularize(self, line: ExportLine) -> None:
        """Discharge the named import line as is; a problem when it has not that much left."""
        stock = self.stocks.get(line.product)
        found = [i for i, lot in enumerate(stock.lots) if lot.key == line.lot_key] if stock else []
        left = stock.left[found[0]] if stock and found else Decimal(0)
        if stock is None or not found or left < line.qty:
            named = f"import pedimento {line.import_pedimento} line {line.import_line} ({line.product!r})"
            message = f"asks {line.qty} of {named}, which has {left} left on {line.cleared_on}"
            self.problems.append(Problem(REGULARIZATIONS_FILE, line.row or None, "qty", message))
            return
        for lot, qty in stock.take(found, line.qty):
            self.allocate(line, lot, qty)


def discharge(ledger: Ledger, method: str = "fifo", progress: Progress = QUIET) -> DischargeResult:
    """Run the discharge of every export line of ``ledger`` (``progress`` advances by export line).

    Regularizations run before the export lines of their date. Raises
    :class:`~immex.core.problems.InputError` when one asks more than its line has left.
    """
    run = _Discharge(ledger, method)
    pending = sorted(ledger.regularizations, key=lambda r: r.order_key)
    done = 0
    for export in counted(sorted(ledger.exports, key=lambda e: e.order_key), progress):
        while done < len(pending) and pending[done].cleared_on <= export.cleared_on:
            run.regularize(pending[done])
            done += 1
        run.export(export)
    for line in pending[done:]:
        run.regularize(line)
    if run.problems:
        raise InputError(run.problems)
    return DischargeResult(tuple(run.allocations), tuple(run.shortfalls))


def balances(ledger: Ledger, allocations: Iterable[Allocation], as_of: dt.date) -> list[Balance]:
    """Imported, discharged and remaining per import line, with its Art. 108 status."""
    used: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for allocation in allocations:
        key = (allocation.import_pedimento, allocation.import_line, allocation.part)
        used[key] = EXACT.add(used[key], allocation.qty)  # exact (the default context rounds)
    rows = []
    for lot in sorted(ledger.imports, key=lambda lot: (lot.pedimento, lot.line, lot.part)):
        kind = ledger.parts[lot.part].kind if lot.part in ledger.parts else "raw"
        due = deadline(kind, lot.cleared_on, ledger.program_valid_to)
        discharged = used.get(lot.key, Decimal(0))
        left = EXACT.subtract(lot.qty, discharged)
        rows.append(
            Balance(
                lot.pedimento,
                lot.line,
                lot.part,
                EXACT.add(lot.qty, lot.adjusted),
                discharged,
                left,
                due,
                None if due is None else (due - as_of).days,
                balance_status(left, due, as_of),
                lot.adjusted,
            )
        )
    return rows
