"""Regularizations (A3) beside a fast engine: the parts they name go through the exact domain path.

Under FIFO (and LIFO and directed alike) parts are independent: what one part's
lots give never depends on another part. So a ledger with regularizations is
split by part. The parts some regularization names (usually a handful) run
through :func:`immex.discharge.methods.discharge`, the specification, which
processes each A3 before the export lines of its date; every other part runs
through the fast engine given, unchanged. The two results are merged in the
contract's order (discharge order of the lines, then part name), so the output
is exactly the domain engine's on the whole ledger (tested on random ledgers in
``tests/operations``).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypeVar

from immex.core.problems import InputError, Problem
from immex.discharge.methods import Allocation, DischargeResult, Shortfall, discharge
from immex.ledger.bom import bom_breakpoints, explode
from immex.ledger.model import BomVersion, ExportLine, ImportLine, Ledger
from immex.ledger.read import LedgerRead

Engine = Callable[[Ledger, str], DischargeResult]
Row = TypeVar("Row", Allocation, Shortfall)

EXACT_PATH_NOTE = (
    "the parts named in regularizations.csv were discharged by the exact per-part path"
    " (the domain engine), every other part by the vectorized engine"
)


def discharge_regularized(ledger: Ledger, method: str, engine: Engine) -> DischargeResult:
    """``discharge(ledger, method)`` with ``engine`` for every part no regularization names."""
    if not ledger.regularizations:
        return engine(ledger, method)
    named = {line.product for line in ledger.regularizations}
    touching = exports_touching(ledger, named)
    exact = discharge(
        dataclasses.replace(
            ledger, imports=tuple(lot for lot in ledger.imports if lot.part in named), exports=touching
        ),
        method,
    )
    fast = engine(
        dataclasses.replace(
            ledger, imports=tuple(lot for lot in ledger.imports if lot.part not in named), regularizations=()
        ),
        method,
    )
    orders = _orders(ledger)
    return DischargeResult(
        _merge(fast.allocations, exact.allocations, named, orders),
        _merge(fast.shortfalls, exact.shortfalls, named, orders),
    )


def exports_touching(ledger: Ledger, parts: set[str]) -> tuple[ExportLine, ...]:
    """The export lines whose leaf requirements include one of ``parts`` (one explosion per BOM period)."""
    breaks = bom_breakpoints(ledger.boms)
    touches: dict[tuple[str, int], bool] = {}
    found = []
    for export in ledger.exports:
        key = (export.product, bisect.bisect_right(breaks, export.cleared_on))
        if key not in touches:
            leaves = explode(ledger, export.product, Decimal(1), export.cleared_on)
            touches[key] = not parts.isdisjoint(leaves)
        if touches[key]:
            found.append(export)
    return tuple(found)


Order = tuple[dt.date, int, str, int, str]


def _orders(ledger: Ledger) -> dict[tuple[str, int, str], Order]:
    """Discharge order of every line: by date, regularizations before the export lines of that date."""
    orders = {e.key: (e.cleared_on, 1, *e.key) for e in ledger.exports}
    orders.update({r.key: (r.cleared_on, 0, *r.key) for r in ledger.regularizations})
    return orders


def _merge(
    fast: Iterable[Row], exact: Iterable[Row], named: set[str], orders: dict[tuple[str, int, str], Order]
) -> tuple[Row, ...]:
    """Rows of the named parts from ``exact``, the others from ``fast``, in (line order, part) order.

    Both sides come in that order and never share a (line, part), so each of the
    few exact rows is put in place by a binary search among the fast ones.
    """

    def key(row: Row) -> tuple[Order, str]:
        return (orders[(row.export_pedimento, row.export_line, row.product)], row.part)

    theirs = [row for row in fast if row.part not in named]
    merged: list[Row] = []
    done = 0
    for row in exact:
        if row.part not in named:
            continue
        at = bisect.bisect_right(theirs, key(row), lo=done, key=key)
        merged += theirs[done:at]
        merged.append(row)
        done = at
    merged += theirs[done:]
    return tuple(merged)


UNSURE_NOTE = (
    " (at most: the other lots and exports of this part are counted once the other problems"
    " are fixed, and leave less)"
)


def overdraw_problems(read: LedgerRead, method: str, stored: Ledger | None = None) -> list[Problem]:
    """The A3 lines asking more than their lot has left, found beside the other input problems.

    Run when the input has problems, so one errors.csv lists these too. A refused
    export row can only take more from the lots once fixed, never less, so an A3
    of a part that the discharge of the rows read finds overdrawn is overdrawn in
    the fixed input too, or an A3 of the same part before it is (an overdrawn A3
    is skipped, which leaves its lot more for the next one). So only the first
    overdrawn A3 of each part is reported, and when A3 lines of that part come
    before it the message says that one of them may be the one to fix (the
    property tests of ``tests/operations`` check this on random ledgers).

    This needs every lot of the part and every BOM row read. For a part some
    refused import row names, and for every part when a BOM row was refused, the
    A3 lines of a lot are checked against that lot alone. On the stored path
    (``--db``) ``stored`` is the company's stored ledger (:func:`stored_ledger`):
    the rows read are checked with it, as the run would discharge them once stored;
    :data:`STORE_UNREAD` (a store that could not be read) checks each A3 against its lot alone.
    """
    ledger = read.partial if stored is None or read.partial is None else with_stored(read.partial, stored)
    if ledger is None or not ledger.regularizations:
        return []
    named = {line.product for line in ledger.regularizations}
    unread = stored is STORE_UNREAD or read.unsure_parts is None
    unsure = named if unread else named & (read.unsure_parts or set())
    sure = named - unsure
    problems = _overdraws(ledger, sure, method, with_exports=True)
    problems += [
        dataclasses.replace(p, message=p.message + UNSURE_NOTE)
        for p in _overdraws(ledger, unsure, method, with_exports=False)
    ]
    return _first_of_each_part(ledger.regularizations, problems)


Line = TypeVar("Line", ImportLine, ExportLine)


def with_stored(read: Ledger, stored: Ledger) -> Ledger:
    """The ledger the stored path would discharge once ``read`` is stored: the stored lines, and the
    lines read that are not stored yet; an A3 carries the row it was read from (for errors.csv).

    A line both stored and read keeps its stored values (and adjustments): a read line that
    differs is a store conflict, reported once the read problems are fixed.
    """
    rows = {line.key: line.row for line in read.regularizations}

    def union(mine: Iterable[Line], theirs: Iterable[Line]) -> tuple[Line, ...]:
        kept: dict[tuple[str, int, str], Line] = {line.key: line for line in theirs}
        merged = list(kept.values())
        merged.extend(line for line in mine if line.key not in kept)
        return tuple(merged)

    def versions(product: str) -> tuple[BomVersion, ...]:
        by_start = {v.valid_from: v for v in (*read.boms.get(product, ()), *stored.boms.get(product, ()))}
        return tuple(by_start[day] for day in sorted(by_start))

    boms = {product: versions(product) for product in {*read.boms, *stored.boms}}
    regularizations = union(read.regularizations, stored.regularizations)
    return dataclasses.replace(
        read,
        parts={**read.parts, **stored.parts},
        imports=union(read.imports, stored.imports),
        exports=union(read.exports, stored.exports),
        boms=boms,
        conversions=(*stored.conversions, *(c for c in read.conversions if c not in stored.conversions)),
        regularizations=tuple(dataclasses.replace(r, row=rows.get(r.key, 0)) for r in regularizations),
        not_discharging=(),
    )


STORE_UNREAD = Ledger({}, (), ())
"""What :func:`stored_ledger` gives for a store it could not read (compared by identity)."""


def stored_ledger(db_url: str) -> Ledger:
    """The stored ledger of the store's company, read only; empty when the store or its company does
    not exist yet (nothing stored: the rows read are the whole ledger); :data:`STORE_UNREAD` when
    it cannot be read (the A3s are then checked against their lots alone, and the message says so).
    """
    from sqlalchemy.exc import SQLAlchemyError  # only on --db with read problems

    from immex.ledger.service import company_id, load_ledger
    from immex.store.errors import StoreError, StoreMissing
    from immex.store.uow import UnitOfWork

    try:
        with UnitOfWork(db_url) as uow:
            try:
                return load_ledger(uow.session, company_id(uow.session, uow.company, create=False))
            except LookupError:
                return Ledger({}, (), ())
    except StoreMissing:
        return Ledger({}, (), ())
    except (StoreError, SQLAlchemyError):  # not a store, unreachable: the run says so once it opens it
        return STORE_UNREAD


EARLIER_NOTE = " (or an A3 line of this part before it asks too much: the first to fix is among them)"


def _first_of_each_part(lines: Iterable[ExportLine], problems: list[Problem]) -> list[Problem]:
    """The first problem of each part's A3 lines in discharge order; noted when A3s precede it."""
    by_row = {p.row: p for p in problems}
    seen: set[str] = set()
    found: list[Problem] = []
    earlier: set[str] = set()
    for line in sorted(lines, key=lambda r: r.order_key):
        problem = by_row.get(line.row or None)
        if problem is not None and line.product not in seen:
            seen.add(line.product)
            note = EARLIER_NOTE if line.product in earlier else ""
            found.append(dataclasses.replace(problem, message=problem.message + note))
        earlier.add(line.product)
    return sorted(found, key=lambda p: p.row or 0)


def _overdraws(ledger: Ledger, parts: set[str], method: str, with_exports: bool) -> list[Problem]:
    """The discharge's A3 problems on the lots of ``parts`` (with the exports that need them)."""
    if not parts:
        return []
    only = dataclasses.replace(
        ledger,
        imports=tuple(lot for lot in ledger.imports if lot.part in parts),
        exports=exports_touching(ledger, parts) if with_exports else (),
        regularizations=tuple(r for r in ledger.regularizations if r.product in parts),
    )
    try:
        discharge(only, method)
    except InputError as error:
        return error.problems
    return []
