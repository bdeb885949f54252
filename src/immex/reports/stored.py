"""The stored reports answered in SQL, one page at a time: balances, allocations, shortfalls, traces.

The builders of :mod:`immex.reports.service` load a company's whole ledger and discharge
and compute every row; a page of a plant's ledger (a million lines) cannot wait for that.
These functions ask the database for one page in key order (keyset paging: the page after
a row's key), with the filters in the query, and give rows of the same header, values
and order as the files the CLI writes for the same store:

- ``balances.csv`` — per import line, ordered by (import pedimento, line, part); imported,
  discharged (the active allocations), remaining (minus adjustments), Art. 108 deadline,
  days left and status as of a day;
- ``allocations.csv`` and ``shortfalls.csv`` — the active rows in the order of the stored
  discharge (export clearance date, export pedimento, line, product, sequence);
- the trace of an export line (the lots each part consumed, then its shortfalls) and of an
  import line (the export lines that consumed it), as ``immex report trace-*``.

Quantities stay exact: PostgreSQL sums NUMERIC; on SQLite, where the ledger's decimals are
text, the sums and differences are done by small Python functions registered on the
connection (:func:`_sqlite_decimals`), never by SQLite's floating point. Deadlines depend on
legal data (``rules/terms.yaml``), so the status filters become ranges of clearance dates per
part kind, computed from those terms (:func:`deadline_range`); the deadline of each row of a
page is computed by the same function as the CLI's.

Balances are never stored (the ledger's rule): every page sums the active allocations and
adjustments of its lines, through the indexes of revision ``api_0002``.

Each statement is built once (per store kind, filters and day) with bound parameters for the
company, the key after which a page starts and its size, and kept
(:func:`immex.store.statements.built_once`: a cache whose builds hold one lock, because
SQLAlchemy's aliases are not safe to complete from two threads at once). SQLAlchemy then finds
its compiled SQL in its cache, so a request pays neither the statement's construction nor its
compilation (they were about half of a page's Python time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Numeric,
    ScalarSelect,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from immex.core.numbers import EXACT
from immex.core.table_files import Cell
from immex.discharge.deadlines import EXPIRING_WITHIN_DAYS, add_months, balance_status, deadline
from immex.discharge.outputs import ALLOCATION_HEADER, BALANCE_HEADER, SHORTFALL_HEADER
from immex.ledger.orm import (
    AdjustmentRow,
    AllocationReversalRow,
    AllocationRow,
    Company,
    ExportLineRow,
    ImportLineRow,
    PartRow,
    PedimentoRow,
    RunReversalRow,
)
from immex.rules import temporary_import_terms
from immex.store.statements import built_once
from immex.store.types import ExactDecimal

__all__ = [
    "ALLOCATION_HEADER",
    "BALANCE_HEADER",
    "KEY_TYPES",
    "SHORTFALL_HEADER",
    "TRACE_EXPORT_HEADER",
    "TRACE_IMPORT_HEADER",
    "BalanceFilter",
    "ExactMath",
    "Page",
    "active_allocation",
    "allocations_page",
    "balances_page",
    "deadline_range",
    "every_row",
    "export_line_exists",
    "import_line_exists",
    "parse_key",
    "part_kind",
    "shortfalls_page",
    "trace_export_page",
    "trace_import_page",
]

Key = tuple[Any, ...]
Query = Select[*tuple[Any, ...]]  # a select of any columns

TRACE_EXPORT_HEADER = (
    "export_pedimento",
    "export_line",
    "product",
    "export_cleared_on",
    "part",
    "import_pedimento",
    "import_line",
    "import_cleared_on",
    "qty",
    "late",
    "country_of_origin",
    "unit_value_usd",
)
TRACE_IMPORT_HEADER = (
    "import_pedimento",
    "import_line",
    "part",
    "import_cleared_on",
    "export_pedimento",
    "export_line",
    "product",
    "export_cleared_on",
    "qty",
    "late",
    "destination_country",
)
# The types of each report's key, in order (a cursor carries them as JSON).
KEY_TYPES: dict[str, tuple[type, ...]] = {
    "balances": (str, int, str),
    "allocations": (dt.date, str, int, str, int, int),
    "shortfalls": (dt.date, str, int, str, int, int),
    "trace-export": (int, dt.date, str, int, int),
    "trace-import": (dt.date, str, int, str, int, int),
}
SHORTFALL_MARK = "SHORTFALL"  # the import pedimento of a shortfall row in an export's trace


@dataclass(frozen=True, slots=True)
class Page:
    """Rows of one page and the key of its last row when more rows follow (else None)."""

    rows: list[tuple[Cell, ...]]
    next_key: Key | None


@dataclass(frozen=True, slots=True)
class BalanceFilter:
    """The filters of the balances list (None: not filtered). ``pedimento`` is the 15-digit number."""

    status: str | None = None
    part: str | None = None
    pedimento: str | None = None
    expiring_within_days: int | None = None


def parse_key(report: str, values: Sequence[Any]) -> Key:
    """A key read back from a cursor: each value of the report's type, else ValueError."""
    kinds = KEY_TYPES[report]
    if len(values) != len(kinds):
        raise ValueError("the key has the wrong length")
    key: list[Any] = []
    for kind, value in zip(kinds, values, strict=True):
        if kind is dt.date:
            key.append(dt.date.fromisoformat(str(value)))
        elif isinstance(value, kind) and not isinstance(value, bool):
            key.append(value)
        else:
            raise ValueError(f"{value!r} is not a {kind.__name__}")
    return tuple(key)


# ---- exact decimals on both stores ---------------------------------------------------------------


class _DecimalSum:
    """SQLite aggregate: the exact sum of decimal texts (NULL when there are no rows)."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: str | None) -> None:
        if value is not None:
            self.total = EXACT.add(self.total or Decimal(0), Decimal(value))

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


def _decimal_remaining(qty: str, adjusted: str | None, discharged: str | None) -> str:
    left = EXACT.subtract(Decimal(qty), Decimal(adjusted or 0))
    return format(EXACT.subtract(left, Decimal(discharged or 0)), "f")


def _decimal_sign(value: str | None) -> int | None:
    if value is None:
        return None
    number = Decimal(value)
    return (number > 0) - (number < 0)


def _sqlite_decimals(session: Session) -> None:
    """Register the exact decimal functions on the session's SQLite connection (idempotent)."""
    raw = session.connection().connection.dbapi_connection
    if raw is None:
        return
    raw.create_aggregate("immex_dsum", 1, _DecimalSum)
    raw.create_function("immex_dremaining", 3, _decimal_remaining, deterministic=True)
    raw.create_function("immex_dsign", 1, _decimal_sign, deterministic=True)


@dataclass(frozen=True, slots=True)
class ExactMath:
    """Exact decimal arithmetic in SQL for the session's store (shared with :mod:`immex.reports.panel`)."""

    sqlite: bool

    @staticmethod
    def of(session: Session) -> ExactMath:
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:
            _sqlite_decimals(session)
        return ExactMath(sqlite)

    def total(self, column: Any) -> ColumnElement[Decimal]:
        if self.sqlite:
            return func.immex_dsum(column, type_=ExactDecimal())
        return func.sum(column, type_=ExactDecimal())

    def remaining(self, qty: Any, adjusted: Any, discharged: Any) -> ColumnElement[Decimal]:
        if self.sqlite:
            return func.immex_dremaining(qty, adjusted, discharged, type_=ExactDecimal())

        def number(value: Any) -> ColumnElement[Decimal]:  # NUMERIC arithmetic, exact
            return type_coerce(func.coalesce(value, 0), Numeric())

        return number(qty) - number(adjusted) - number(discharged)

    def among(self, column: Any, name: str) -> ColumnElement[bool]:
        """``column IN`` the ids of the parameter ``name``; one array parameter on PostgreSQL
        (a short statement its driver prepares once), an expanding one on SQLite."""
        if self.sqlite:
            return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]
        return column == any_(bindparam(name, type_=ARRAY(Integer)))  # type: ignore[no-any-return]

    def sign(self, value: Any) -> ColumnElement[int]:
        if self.sqlite:
            return func.immex_dsign(value)
        return func.sign(value)


# ---- what is active --------------------------------------------------------------------------


def active_allocation(row: Any, *, few_withdrawals: bool = False) -> ColumnElement[bool]:
    """An allocation row counts: its run is not reversed, nor is it withdrawn by a run that is not.

    The same rule as :func:`immex.ledger.invariants.active_rows_query`, as a condition.

    ``few_withdrawals`` (the sums of one import line's allocations): the withdrawal test is
    skipped when the store holds no withdrawal at all, an uncorrelated test the database
    answers once per statement (``OR`` stops at it). Otherwise each allocation is looked up
    among the withdrawals even in an empty table: half the database time of a first balances
    page at 1,000,000 lines (1,491 lookups for 101 lines; 7.7 -> 3.7 ms per statement).
    """
    reversed_runs = select(RunReversalRow.run_id)
    withdrawal = aliased(AllocationReversalRow)
    not_withdrawn: ColumnElement[bool] = ~exists().where(
        withdrawal.allocation_id == row.id, withdrawal.run_id.not_in(reversed_runs)
    )
    if few_withdrawals:
        none_at_all = ~exists(select(AllocationReversalRow.id))
        not_withdrawn = or_(none_at_all, not_withdrawn)
    return and_(row.run_id.not_in(reversed_runs), not_withdrawn)


def _after(columns: Sequence[Any], keyed: bool) -> ColumnElement[bool]:
    """Rows after the key given as parameters ``k0``, ``k1``... in the order of ``columns``
    (a row-value comparison, both stores); every row when not ``keyed``."""
    if not keyed:
        return true()
    return tuple_(*columns) > tuple_(*(bindparam(f"k{i}", type_=c.type) for i, c in enumerate(columns)))


def _core(session: Session) -> Connection:
    """The session's connection: the pages select columns, never entities, so they skip the ORM's
    row loading (a tenth of a page's Python time) and read plain rows of the same values."""
    return session.connection()


def _key_params(key: Key | None) -> dict[str, Any]:
    return {} if key is None else {f"k{i}": value for i, value in enumerate(key)}


def _page(rows: list[Any], limit: int, shape: Callable[[Any], tuple[Cell, ...]], key_size: int) -> Page:
    """The first ``limit`` rows shaped; the key of the last when one more row was found."""
    more = len(rows) > limit
    kept = rows[:limit]
    next_key = tuple(kept[-1][-key_size:]) if more and kept else None
    return Page([shape(r) for r in kept], next_key)


# ---- deadlines as ranges of clearance dates ------------------------------------------------------


def _first_day(since: dt.date, until: dt.date, test: Callable[[dt.date], bool]) -> dt.date | None:
    """The first day of ``since..until`` where ``test`` holds (``test`` must be monotone)."""
    lo, hi = since.toordinal(), until.toordinal()
    if not test(until):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if test(dt.date.fromordinal(mid)):
            hi = mid
        else:
            lo = mid + 1
    return dt.date.fromordinal(lo)


_LAST_DAY = dt.date(9000, 12, 31)  # far beyond any ledger, with room for the longest term


def deadline_range(
    since: dt.date, until: dt.date | None, months: int, lo: dt.date | None, hi: dt.date | None
) -> tuple[dt.date, dt.date] | None:
    """The clearance dates in ``since..until`` whose deadline (``months`` later) is in ``lo..hi``.

    A later clearance never has an earlier deadline, so the answer is one range (or None).
    """
    end = until or _LAST_DAY
    first = since if lo is None else _first_day(since, end, lambda day: add_months(day, months) >= lo)
    if first is None:
        return None
    if hi is None:
        return first, end
    after = _first_day(since, end, lambda day: add_months(day, months) > hi)
    last = end if after is None else after - dt.timedelta(days=1)
    return (first, last) if first <= last else None


def part_kind() -> ColumnElement[str]:
    """The kind of the line's part (a part without a row is raw, as in balances())."""
    return func.coalesce(PartRow.kind, "raw")


def _line_kind() -> ColumnElement[str]:
    """The kind of the import line's part, looked up per line (a part without a row is raw).

    Not a join: as a condition on the line alone, the database tests it while it reads the
    lines, before the much dearer sums of a line (a status filter that few lines pass then
    sums those few lines, not every line of the batch)."""
    kind = select(PartRow.kind).where(
        PartRow.company_id == ImportLineRow.company_id, PartRow.part == ImportLineRow.part
    )
    return func.coalesce(kind.scalar_subquery(), "raw")


def _program_end() -> ScalarSelect[dt.date | None]:
    """The end of the company's IMMEX program (parameter ``company``): the deadline of the lines
    whose term is "as long as the program" (assets), when the profile gives it."""
    return select(Company.program_valid_to).where(Company.id == bindparam("company")).scalar_subquery()


def _program_periods() -> Iterator[tuple[str, dt.date, dt.date]]:
    """(kind, since, until) of the periods whose term is the program's validity (no months)."""
    for name, series in temporary_import_terms().items():
        for period in series.periods:
            if period.value is None:
                yield name, period.since, period.until or _LAST_DAY


@dataclass(frozen=True, slots=True)
class _Terms:
    """A condition on an import line's deadline as (kind, condition on the line) terms."""

    terms: tuple[tuple[str, ColumnElement[bool]], ...]

    def __or__(self, other: _Terms) -> _Terms:
        return _Terms(self.terms + other.terms)

    def condition(self) -> ColumnElement[bool]:
        """Any of the terms, on the import line alone (see :func:`_line_kind`): ``CASE kind WHEN
        ... THEN ...``, so the line's kind is looked up once, whatever the number of terms."""
        by_kind: dict[str, list[ColumnElement[bool]]] = {}
        for name, condition in self.terms:
            by_kind.setdefault(name, []).append(condition)
        if not by_kind:
            return false()
        whens = {name: or_(*conditions) for name, conditions in by_kind.items()}
        return case(whens, value=_line_kind(), else_=false())


def _deadline_within(lo: dt.date | None, hi: dt.date | None) -> _Terms:
    """The line has a deadline in ``lo..hi`` (either end open when None): its term in months
    after its clearance, or the program's end for a term of program validity (as deadline())."""
    cleared = ImportLineRow.cleared_on
    terms: list[tuple[str, ColumnElement[bool]]] = []
    for name, series in temporary_import_terms().items():
        for period in series.periods:
            if period.value is None:
                continue
            found = deadline_range(period.since, period.until, period.value, lo, hi)
            if found is not None:
                terms.append((name, cleared.between(*found)))
    end = _program_end()
    within = and_(end.is_not(None), true() if lo is None else end >= lo, true() if hi is None else end <= hi)
    terms += [
        (name, and_(cleared.between(since, until), within)) for name, since, until in _program_periods()
    ]
    return _Terms(tuple(terms))


def _no_deadline() -> _Terms:
    """The line stays as long as the program, whose end the company's profile does not give."""
    unknown = _program_end().is_(None)
    cleared = ImportLineRow.cleared_on
    return _Terms(
        tuple(
            (name, and_(cleared.between(since, until), unknown)) for name, since, until in _program_periods()
        )
    )


# ---- balances ----------------------------------------------------------------------------------


def _then(dates: ColumnElement[bool], sums: ColumnElement[bool]) -> ColumnElement[bool]:
    """``dates AND sums``, with the line's dates tested first: a CASE, whose branches the
    database evaluates only when reached. In a plain AND, PostgreSQL orders the two by its
    cost estimates, which put the sums first (the part's kind is a subquery too): a page of
    status=open at 1,000,000 lines summed the allocations of every line of each batch,
    32,320 sums for 7,778 lines that passed the dates, and took 28 s."""
    return case((dates, sums), else_=false())


def _status_condition(status: str, sign: ColumnElement[int], as_of: dt.date) -> ColumnElement[bool]:
    """balance_status() as a condition on the sign of what remains and the deadline."""
    day = dt.timedelta(days=1)
    if status == "discharged":
        return sign == 0
    if status == "overdue":
        return _then(_deadline_within(None, as_of - day).condition(), sign != 0)
    if status == "expiring":
        return _then(_deadline_within(*_status_window(status, as_of)).condition(), sign != 0)
    if status == "open":
        later = _deadline_within(*_status_window(status, as_of))
        return _then((_no_deadline() | later).condition(), sign != 0)
    return false()  # no row has another status


def _balance_query(math: ExactMath) -> Query:
    allocation = aliased(AllocationRow)
    discharged = (
        select(math.total(allocation.qty))
        .where(
            allocation.import_line_id == ImportLineRow.id, active_allocation(allocation, few_withdrawals=True)
        )
        .scalar_subquery()
    )
    adjusted = (
        select(math.total(AdjustmentRow.qty))
        .where(AdjustmentRow.import_line_id == ImportLineRow.id)
        .scalar_subquery()
    )
    return (
        select(
            PedimentoRow.number,
            ImportLineRow.line,
            ImportLineRow.part,
            ImportLineRow.qty,
            ImportLineRow.cleared_on,
            _line_kind().label("kind"),
            adjusted.label("adjusted"),
            discharged.label("discharged"),
            _program_end().label("program_end"),
        )
        .join(PedimentoRow, PedimentoRow.id == ImportLineRow.pedimento_id)
        .where(ImportLineRow.company_id == bindparam("company"))
    )


def _balance_filters(query: Query, math: ExactMath, wanted: BalanceFilter, as_of: dt.date) -> Query:
    if wanted.part is not None:
        query = query.where(ImportLineRow.part == bindparam("part"))
    if wanted.pedimento is not None:
        query = query.where(PedimentoRow.number == bindparam("pedimento"))
    if wanted.status is None and wanted.expiring_within_days is None:
        return query
    columns = query.selected_columns
    sign = math.sign(math.remaining(ImportLineRow.qty, columns.adjusted, columns.discharged))
    if wanted.status is not None:
        query = query.where(_status_condition(wanted.status, sign, as_of))
    if wanted.expiring_within_days is not None:
        last = as_of + dt.timedelta(days=wanted.expiring_within_days)
        query = query.where(_then(_deadline_within(None, last).condition(), sign > 0))
    return query


# deadline() per (kind, clearance day, program end): a page's lines share few of them
_deadline = lru_cache(maxsize=4096)(deadline)


def _balance_row(as_of: dt.date) -> Callable[[Any], tuple[Cell, ...]]:
    def shape(row: Any) -> tuple[Cell, ...]:
        number, line, part, qty, cleared_on, kind, adjusted, discharged, program_end = row[:9]
        adjusted = adjusted or Decimal(0)
        discharged = discharged or Decimal(0)
        usable = qty - adjusted  # as the ledger's loader nets adjustments
        left = EXACT.subtract(usable, discharged)
        due = _deadline(kind, cleared_on, program_end)
        days = None if due is None else (due - as_of).days
        status = balance_status(left, due, as_of)
        return (number, line, part, EXACT.add(usable, adjusted), discharged, left, due, days, status)

    return shape


@built_once(maxsize=8)
def _next_pedimentos_query(low: bool, strict: bool) -> Query:
    query = select(PedimentoRow.id, PedimentoRow.number).where(
        PedimentoRow.company_id == bindparam("company"),
        exists().where(ImportLineRow.pedimento_id == PedimentoRow.id),
    )
    if low:
        number, start = PedimentoRow.number, bindparam("low", type_=String())
        query = query.where(number > start if strict else number >= start)
    return query.order_by(PedimentoRow.number).limit(bindparam("count"))


def _next_pedimentos(session: Session, company: int, low: str | None, strict: bool, count: int) -> list[Any]:
    """(id, number) of the next ``count`` pedimentos with import lines, from ``low`` on, by number."""
    query = _next_pedimentos_query(low is not None, strict)
    return list(_core(session).execute(query, {"company": company, "low": low, "count": count}))


_BALANCE_ORDER = (PedimentoRow.number, ImportLineRow.line, ImportLineRow.part)


@built_once(maxsize=256)
def _balance_statement(math: ExactMath, wanted: BalanceFilter, as_of: dt.date, keyed: bool) -> Query:
    """The page's query for one batch of pedimentos (parameter ``ids``), built once per shape.

    ``wanted`` and ``as_of`` shape it (a status filter is a range of clearance dates as of the
    day); the filter values, the company, the key and the size are parameters.
    """
    order = _BALANCE_ORDER
    query = _balance_filters(_balance_query(math), math, wanted, as_of)
    query = query.where(_after(order, keyed)).add_columns(*order)
    # the batch named on both sides of the join: both use their index
    scope = query.where(math.among(ImportLineRow.pedimento_id, "ids"), math.among(PedimentoRow.id, "ids"))
    if _sums_filter(wanted):
        return scope  # ordered and cut in Python (:func:`balances_page`)
    return scope.order_by(*order).limit(bindparam("count"))


@built_once(maxsize=64)
def _balance_walk(math: ExactMath, wanted: BalanceFilter, as_of: dt.date, keyed: bool) -> Query:
    """The page's query in one statement, for PostgreSQL when no filter may leave it short.

    The company's pedimentos in number order from their index (from the key's pedimento on),
    each one's lines from theirs, sorted on (line, part) within a pedimento (an incremental
    sort) and cut at the limit, whose rows alone get their sums (PostgreSQL evaluates costly
    output columns after the limit): at 1,000,000 lines the first page reads about 20
    pedimentos and 100 lines, where a batch of 101 pedimentos read 505 lines in two statements
    (PostgreSQL CPU of a first page 3.3 -> 2.5 ms; tests/api/test_api_query_plans.py)."""
    order = _BALANCE_ORDER
    query = _balance_filters(_balance_query(math), math, wanted, as_of)
    query = query.where(PedimentoRow.company_id == bindparam("company"))
    if keyed:  # the key's pedimento as a bound of the index scan (the row comparison is not one)
        query = query.where(PedimentoRow.number >= bindparam("k0", type_=PedimentoRow.number.type))
    query = query.where(_after(order, keyed)).add_columns(*order)
    return query.order_by(*order).limit(bindparam("count"))


def _walks_in_order(math: ExactMath, wanted: BalanceFilter) -> bool:
    """Can one statement read the page in key order? On PostgreSQL, without a filter of a part
    (its lines may be spread thin over the pedimentos) or of the sums (see :func:`_sums_filter`).
    SQLite's planner has no incremental sort: it keeps the batches."""
    return not math.sqlite and wanted.part is None and not _sums_filter(wanted)


def _sums_filter(wanted: BalanceFilter) -> bool:
    """Does the filter test what remains of a line (its sums), so that few lines may pass?

    Such a batch is read unordered and ordered here: with ``ORDER BY ... LIMIT``, PostgreSQL
    expects the page's lines early in key order and picks a nested loop that stops at the
    limit, which it never reaches when few lines pass (at 1,000,000 lines it compared 23.8 M
    pairs of pedimento and line for one batch of status=open, 12 s)."""
    return wanted.status is not None or wanted.expiring_within_days is not None


# ---- a rare status: the lines whose clearance dates allow it, then their sums ----------------------

_DATED_STATUSES = ("open", "expiring")  # a narrow window of clearance dates (overdue: most lines)


def _status_window(status: str, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The deadlines a line of ``status`` has (as :func:`_status_condition` tests them)."""
    day = dt.timedelta(days=1)
    if status == "expiring":
        return as_of, as_of + EXPIRING_WITHIN_DAYS * day
    return as_of + (EXPIRING_WITHIN_DAYS + 1) * day, None


def _clearance_ranges(status: str, as_of: dt.date) -> tuple[tuple[dt.date, dt.date], ...]:
    """The clearance dates, for any kind whose term is in months, of a line whose deadline fits
    ``status``: each term's range, overlapping ones merged."""
    lo, hi = _status_window(status, as_of)
    spans = sorted(
        span
        for series in temporary_import_terms().values()
        for period in series.periods
        if period.value is not None
        and (span := deadline_range(period.since, period.until, period.value, lo, hi)) is not None
    )
    merged: list[tuple[dt.date, dt.date]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


_Lot = aliased(ImportLineRow, name="candidate")
_LotPedimento = aliased(PedimentoRow, name="candidate_pedimento")


def _dated(status: str, as_of: dt.date, wanted: BalanceFilter, keyed: bool) -> Any:
    """The company's import lines in key order (after the key) that ``status`` may hold by their
    clearance date alone, whatever their kind (the exact test per kind and the sums are the
    page's), or whose part's term is the program's validity (assets: due at the program's
    end). No sums. ``OFFSET 0`` keeps it a subquery of its own: PostgreSQL neither merges it
    into the page's query nor moves the page's tests on the sums into it, so the page reads
    it in order and sums line after line until the limit."""
    order = (_LotPedimento.number, _Lot.line, _Lot.part)
    program_kinds = sorted({name for name, _since, _until in _program_periods()})
    assets = select(PartRow.part).where(
        PartRow.company_id == bindparam("company"), PartRow.kind.in_(program_kinds)
    )
    ranges = _clearance_ranges(status, as_of)
    dated = or_(*(_Lot.cleared_on.between(lo, hi) for lo, hi in ranges), _Lot.part.in_(assets))
    query = (
        select(_Lot.id, *order)
        .join(_LotPedimento, _LotPedimento.id == _Lot.pedimento_id)
        .where(_Lot.company_id == bindparam("company"), dated, _after(order, keyed))
    )
    if wanted.part is not None:
        query = query.where(_Lot.part == bindparam("part"))
    if wanted.pedimento is not None:
        query = query.where(_LotPedimento.number == bindparam("pedimento"))
    return query.order_by(*order).offset(literal_column("0", Integer)).subquery("candidates")


@built_once(maxsize=64)
def _dated_statement(math: ExactMath, wanted: BalanceFilter, as_of: dt.date, keyed: bool) -> Query:
    """A page of a dated status in one statement: the candidates in key order (:func:`_dated`),
    each summed and tested in turn, up to the limit."""
    candidates = _dated(str(wanted.status), as_of, wanted, keyed)
    query = _balance_filters(_balance_query(math), math, wanted, as_of)
    order = (candidates.c.number, candidates.c.line, candidates.c.part)
    query = query.join(candidates, candidates.c.id == ImportLineRow.id).add_columns(*order)
    return query.order_by(*order).limit(bindparam("count"))


def _by_dates(math: ExactMath, wanted: BalanceFilter) -> bool:
    """Is the page read from the clearance dates its status allows (:func:`_dated_statement`)?
    On PostgreSQL, for the statuses of a narrow window of dates (open, expiring); SQLite keeps
    the batches."""
    return not math.sqlite and wanted.status in _DATED_STATUSES


def _in_key_order(rows: Sequence[Any], count: int) -> list[Any]:
    """The first ``count`` rows by their key (the last columns: pedimento number, line, part;
    text compared by code point, as the stores' binary collation compares it)."""
    return sorted(rows, key=lambda row: tuple(row[-len(_BALANCE_ORDER) :]))[:count]


def balances_page(
    session: Session,
    company: int,
    as_of: dt.date,
    wanted: BalanceFilter = BalanceFilter(),
    after: Key | None = None,
    limit: int = 100,
) -> Page:
    """One page of ``balances.csv`` as of ``as_of``: the lines after ``after`` that pass ``wanted``.

    On PostgreSQL without a part or status filter, one statement in key order
    (:func:`_balance_walk`); with status open or expiring, one statement over the lines whose
    clearance dates allow it (:func:`_dated_statement`). Otherwise the lines are read a batch
    of pedimentos at a time (named by id, from the pedimento index in key order), the batch
    growing while the filters leave the page short: the sums of a page are computed for about
    ``limit`` lines, not for the company's whole ledger, whatever plan the database would pick
    for one query over every line.
    """
    math = ExactMath.of(session)
    params: dict[str, Any] = {"company": company, "part": wanted.part, "pedimento": wanted.pedimento}
    params |= _key_params(after)
    if _walks_in_order(math, wanted):
        walk = _balance_walk(math, wanted, as_of, after is not None)
        walked = list(_core(session).execute(walk, {**params, "count": limit + 1}))
        return _page(walked, limit, _balance_row(as_of), len(_BALANCE_ORDER))
    if _by_dates(math, wanted):
        dated = _dated_statement(math, wanted, as_of, after is not None)
        passed = list(_core(session).execute(dated, {**params, "count": limit + 1}))
        return _page(passed, limit, _balance_row(as_of), len(_BALANCE_ORDER))
    statement = _balance_statement(math, wanted, as_of, after is not None)
    rows: list[Any] = []
    low, strict, span = (None if after is None else after[0]), False, limit + 1
    while len(rows) <= limit:
        batch = _next_pedimentos(session, company, low, strict, span)
        if not batch:
            break
        ids = [ped_id for ped_id, _ in batch]
        wanted_count = limit + 1 - len(rows)
        found = _core(session).execute(statement, {**params, "ids": ids, "count": wanted_count}).all()
        rows += _in_key_order(found, wanted_count) if _sums_filter(wanted) else found
        if len(batch) < span:
            break
        low, strict, span = batch[-1][1], True, min(span * 4, _MAX_SPAN)
    return _page(rows, limit, _balance_row(as_of), len(_BALANCE_ORDER))


_MAX_SPAN = 10_000  # pedimentos per step of a filtered page that finds few lines


# ---- allocations and shortfalls ----------------------------------------------------------------

_Export = aliased(ExportLineRow, name="export")
_ExportPedimento = aliased(PedimentoRow, name="export_pedimento")
_Import = aliased(ImportLineRow, name="lot")
_ImportPedimento = aliased(PedimentoRow, name="lot_pedimento")
_Allocation = aliased(AllocationRow, name="allocation")
# The stored discharge's order (immex.discharge.service.stored_result), the id last.
_RESULT_ORDER = (
    _Export.cleared_on,
    _ExportPedimento.number,
    _Export.line,
    _Export.product,
    _Allocation.seq,
    _Allocation.id,
)


def _numbered(pedimento: Any, number: str) -> ColumnElement[bool]:
    """The company's pedimento of the number in parameter ``number`` (the company too: the index
    is (company, number, ...))."""
    return and_(pedimento.company_id == bindparam("company"), pedimento.number == bindparam(number))


def _active_rows() -> Query:
    """The active allocation rows of the company of parameter ``company``, with their export line."""
    return (
        select()
        .select_from(_Allocation)
        .join(_Export, _Export.id == _Allocation.export_line_id)
        .join(_ExportPedimento, _ExportPedimento.id == _Export.pedimento_id)
        .where(_Export.company_id == bindparam("company"), active_allocation(_Allocation))
    )


def _with_lots(query: Query) -> Query:
    return query.join(_Import, _Import.id == _Allocation.import_line_id).join(
        _ImportPedimento, _ImportPedimento.id == _Import.pedimento_id
    )


def _ordered(query: Query, order: Sequence[Any], keyed: bool) -> Query:
    """``query`` in ``order`` after the key parameters (when ``keyed``), ``count`` rows."""
    return query.where(_after(order, keyed)).add_columns(*order).order_by(*order).limit(bindparam("count"))


def _ordered_page(
    session: Session,
    query: Query,
    params: Mapping[str, Any],
    after: Key | None,
    limit: int,
    shape: Callable[[Any], tuple[Cell, ...]],
    key_size: int,
) -> Page:
    """One page of a statement built by :func:`_ordered`: ``limit`` rows after ``after``."""
    given = {**params, **_key_params(after), "count": limit + 1}
    return _page(list(_core(session).execute(query, given)), limit, shape, key_size)


def _of_lots(line: bool) -> ColumnElement[bool]:
    """The allocation is of the import pedimento of parameter ``import_pedimento`` (and of its
    line ``line`` when ``line``): the allocations found from the lot's pedimento and line by
    their indexes, whichever table the database would rather start from. SQLite, without
    statistics, started from every export line of the company (3.5-15 s at 100,000 lines)."""
    lots = (
        select(AllocationRow.id)
        .join(ImportLineRow, ImportLineRow.id == AllocationRow.import_line_id)
        .join(PedimentoRow, PedimentoRow.id == ImportLineRow.pedimento_id)
        .where(
            PedimentoRow.company_id == bindparam("company"),
            PedimentoRow.number == bindparam("import_pedimento"),
            PedimentoRow.operation == "import",
        )
    )
    if line:
        lots = lots.where(ImportLineRow.line == bindparam("line"))
    return _Allocation.id.in_(lots)


@built_once(maxsize=32)
def _allocations_statement(export: bool, lot: bool, part: bool, keyed: bool) -> Query:
    query = _with_lots(_active_rows()).add_columns(
        _ExportPedimento.number,
        _Export.line,
        _Export.product,
        _Allocation.part,
        _ImportPedimento.number,
        _Import.line,
        _Allocation.qty,
        _Allocation.late,
    )
    if export:
        query = query.where(_numbered(_ExportPedimento, "export_pedimento"))
    if lot:
        query = query.where(_numbered(_ImportPedimento, "import_pedimento"), _of_lots(False))
    if part:
        query = query.where(_Allocation.part == bindparam("part"))
    return _ordered(query, _RESULT_ORDER, keyed)


def allocations_page(
    session: Session,
    company: int,
    export_pedimento: str | None = None,
    import_pedimento: str | None = None,
    part: str | None = None,
    after: Key | None = None,
    limit: int = 100,
) -> Page:
    """One page of ``allocations.csv`` of the active discharge, filtered."""
    query = _allocations_statement(
        export_pedimento is not None, import_pedimento is not None, part is not None, after is not None
    )
    params = {
        "company": company,
        "export_pedimento": export_pedimento,
        "import_pedimento": import_pedimento,
        "part": part,
    }
    return _ordered_page(session, query, params, after, limit, lambda r: tuple(r[:8]), len(_RESULT_ORDER))


@built_once(maxsize=16)
def _shortfalls_statement(export: bool, part: bool, keyed: bool) -> Query:
    query = (
        _active_rows()
        .where(_Allocation.import_line_id.is_(None))
        .add_columns(
            _ExportPedimento.number, _Export.line, _Export.product, _Allocation.part, _Allocation.qty
        )
    )
    if export:  # the web page's filters (as allocations_page has)
        query = query.where(_numbered(_ExportPedimento, "export_pedimento"))
    if part:
        query = query.where(_Allocation.part == bindparam("part"))
    return _ordered(query, _RESULT_ORDER, keyed)


def shortfalls_page(
    session: Session,
    company: int,
    after: Key | None = None,
    limit: int = 100,
    *,
    export_pedimento: str | None = None,
    part: str | None = None,
) -> Page:
    """One page of ``shortfalls.csv``: requirements of the active discharge no lot covered."""
    query = _shortfalls_statement(export_pedimento is not None, part is not None, after is not None)
    params = {"company": company, "export_pedimento": export_pedimento, "part": part}
    return _ordered_page(session, query, params, after, limit, lambda r: tuple(r[:5]), len(_RESULT_ORDER))


# ---- traces ------------------------------------------------------------------------------------


def _line_query(row: Any, operation: str) -> Query:
    company = bindparam("company", type_=Integer())
    return (
        select(row.id)
        .join(PedimentoRow, PedimentoRow.id == row.pedimento_id)
        .where(
            row.company_id == company,
            PedimentoRow.company_id == company,  # the pedimento index: (company, number, operation)
            PedimentoRow.number == bindparam("pedimento"),
            PedimentoRow.operation == operation,
            row.line == bindparam("line"),
        )
        .limit(1)
    )


_EXPORT_LINE = _line_query(ExportLineRow, "export")
_IMPORT_LINE = _line_query(ImportLineRow, "import")


def export_line_exists(session: Session, company: int, pedimento: str, line: int) -> bool:
    params = {"company": company, "pedimento": pedimento, "line": line}
    return _core(session).scalar(_EXPORT_LINE, params) is not None


def import_line_exists(session: Session, company: int, pedimento: str, line: int) -> bool:
    params = {"company": company, "pedimento": pedimento, "line": line}
    return _core(session).scalar(_IMPORT_LINE, params) is not None


def _trace_export_row(row: Any) -> tuple[Cell, ...]:
    ped, line, product, cleared, part, lot_ped, lot_line, lot_cleared, qty, late, country, value = row[:12]
    if lot_line is None:  # a shortfall: what the export line still needed of the part
        return (ped, line, product, cleared, part, SHORTFALL_MARK, None, None, qty, None, None, None)
    return (ped, line, product, cleared, part, lot_ped, lot_line, lot_cleared, qty, late, country, value)


@built_once(maxsize=4)
def _trace_export_statement(keyed: bool) -> Query:
    shortfall = case((_Allocation.import_line_id.is_(None), 1), else_=0)
    query = (
        _active_rows()
        .outerjoin(_Import, _Import.id == _Allocation.import_line_id)
        .outerjoin(_ImportPedimento, _ImportPedimento.id == _Import.pedimento_id)
        .where(_numbered(_ExportPedimento, "pedimento"), _Export.line == bindparam("line"))
        .add_columns(
            _ExportPedimento.number,
            _Export.line,
            _Export.product,
            _Export.cleared_on,
            _Allocation.part,
            _ImportPedimento.number,
            _Import.line,
            _Import.cleared_on,
            _Allocation.qty,
            _Allocation.late,
            _Import.country_of_origin,
            _Import.unit_value_usd,
        )
    )
    order = (shortfall, _Export.cleared_on, _Export.product, _Allocation.seq, _Allocation.id)
    return _ordered(query, order, keyed)


def trace_export_page(
    session: Session, company: int, pedimento: str, line: int, after: Key | None = None, limit: int = 100
) -> Page:
    """The import lots each part of one export line consumed, then its shortfalls (the CLI's order)."""
    query = _trace_export_statement(after is not None)
    params = {"company": company, "pedimento": pedimento, "line": line}
    return _ordered_page(session, query, params, after, limit, _trace_export_row, 5)


@built_once(maxsize=4)
def _trace_import_statement(keyed: bool) -> Query:
    query = (
        _with_lots(_active_rows())
        .where(
            _numbered(_ImportPedimento, "import_pedimento"), _Import.line == bindparam("line"), _of_lots(True)
        )
        .add_columns(
            _ImportPedimento.number,
            _Import.line,
            _Allocation.part,
            _Import.cleared_on,
            _ExportPedimento.number,
            _Export.line,
            _Export.product,
            _Export.cleared_on,
            _Allocation.qty,
            _Allocation.late,
            _Export.destination_country,
        )
    )
    return _ordered(query, _RESULT_ORDER, keyed)


def trace_import_page(
    session: Session, company: int, pedimento: str, line: int, after: Key | None = None, limit: int = 100
) -> Page:
    """The export lines that consumed one import line (every part of it), in the discharge's order."""
    query = _trace_import_statement(after is not None)
    params = {"company": company, "import_pedimento": pedimento, "line": line}
    return _ordered_page(session, query, params, after, limit, lambda r: tuple(r[:11]), len(_RESULT_ORDER))


def every_row(fetch: Callable[[Key | None, int], Page], chunk: int = 5000) -> Iterator[tuple[Cell, ...]]:
    """Every row of a paged report, page after page (downloads of a whole list)."""
    after: Key | None = None
    while True:
        page = fetch(after, chunk)
        yield from page.rows
        if page.next_key is None:
            return
        after = page.next_key
