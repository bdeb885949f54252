"""Rules of the stored allocation ledger, checked before every commit that writes to it.

1. No import line is discharged beyond its quantity: the active allocations
   of a line never exceed what was imported, and after a run or a reversal
   they plus the line's adjustments do not either.
2. No requirement is allocated twice: an export line's part has active rows
   of one run only, and at most one row per import line (or one shortfall).
3. Every reference of the rows a transaction adds is whole: an allocation names
   an export line (and an import line, unless a shortfall) of the run's company,
   a withdrawal an allocation of the company. The allocation tables carry no
   foreign-key constraints (migration ``ledger_0003``: PostgreSQL would check
   tens of millions of COPYed rows one by one); this is their set-based check.

A stored run and an adjustment run :func:`check_ledger`, and a reversal
:func:`no_new_overdraws`, as unit-of-work checks (:mod:`immex.store.uow`); a
violation rolls the whole transaction back and is reported as
:class:`~immex.store.errors.InvariantViolation`. An adjustment that withdraws
stock the stored discharge had allocated re-discharges in its own transaction
(:mod:`immex.discharge.adjust`), so it meets the whole of rule 1; a reversal
may not give back allocations of stock adjusted away since.
The writer lock makes these hold under concurrency; this check is the net
beneath it (and beneath any future bug in the incremental bookkeeping).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from immex.ledger.orm import (
    AdjustmentRow,
    AllocationReversalRow,
    AllocationRow,
    Company,
    DischargeRunRow,
    ExportLineRow,
    ImportLineRow,
    PedimentoRow,
    RunReversalRow,
)
from immex.store.errors import InvariantViolation

_SHOWN = 3  # lines named in the message; the count says how many more
NEW_RUNS = "immex.new_runs"  # Session.info key: ids of the runs this transaction added


def note_new_run(session: Session, run_id: int) -> None:
    """Remember that this transaction added run ``run_id`` (its rows are checked at commit)."""
    session.info.setdefault(NEW_RUNS, set()).add(run_id)


def active_rows_query(company: int):  # type: ignore[no-untyped-def]
    """Allocation rows of runs not reversed and not withdrawn by a run that is not reversed."""
    return (
        select(AllocationRow)
        .join(DischargeRunRow, AllocationRow.run_id == DischargeRunRow.id)
        .where(
            DischargeRunRow.company_id == company,
            AllocationRow.run_id.not_in(select(RunReversalRow.run_id)),
            _not_withdrawn(AllocationRow),
        )
    )


def _not_withdrawn(row: Any) -> ColumnElement[bool]:
    """Allocation ``row`` (the table or an alias) is not withdrawn by a run that is not reversed."""
    withdrawal = aliased(AllocationReversalRow)
    return ~exists().where(
        and_(withdrawal.allocation_id == row.id, withdrawal.run_id.not_in(select(RunReversalRow.run_id)))
    )


def overdrawn_lines(
    session: Session,
    company: int,
    with_adjustments: bool = True,
    rows: Any = None,
    lines: Any = None,
) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    """(import line id, qty, discharged, adjusted) of every line whose use exceeds its quantity.

    Use is the active allocations, plus the adjustments when ``with_adjustments``.
    ``rows`` (a select of allocation rows) stands for the active rows when the caller
    knows a narrower query of them; ``lines`` (a select of import line ids) limits the
    lines looked at. PostgreSQL sums in SQL (NUMERIC is exact; a plant's ledger has tens
    of millions of allocation rows, too many to bring over); SQLite keeps decimals as
    text, so its sums are exact only in Python.
    """
    active = active_rows_query(company) if rows is None else rows
    if session.get_bind().dialect.name == "postgresql":
        return _overdrawn_in_sql(session, company, with_adjustments, active, lines)
    return _overdrawn_in_python(session, company, with_adjustments, active, lines)


def _overdrawn_in_python(
    session: Session, company: int, with_adjustments: bool, active: Any = None, only: Any = None
) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    discharged: dict[int, Decimal] = defaultdict(Decimal)
    active = active_rows_query(company) if active is None else active
    rows = active.with_only_columns(AllocationRow.import_line_id, AllocationRow.qty)
    for line_id, qty in session.execute(rows):
        if line_id is not None:
            discharged[line_id] += qty  # summed in Python: SQLite keeps exact decimals as text
    adjusted: dict[int, Decimal] = defaultdict(Decimal)
    query = select(AdjustmentRow.import_line_id, AdjustmentRow.qty).where(AdjustmentRow.company_id == company)
    for line_id, qty in session.execute(query):
        adjusted[line_id] += qty
    # Every line of the company, filtered here: an IN list of the ids used would pass
    # PostgreSQL's 65,535 parameters on a plant's ledger.
    lines = (
        select(ImportLineRow.id, ImportLineRow.qty)
        .where(ImportLineRow.company_id == company)
        .order_by(ImportLineRow.id)
    )
    used = discharged.keys() | adjusted.keys()
    if only is not None:
        used &= set(session.scalars(only))
        lines = lines.where(ImportLineRow.id.in_(only))  # a subquery: no parameter per line

    def overdrawn(line_id: int, qty: Decimal) -> bool:
        out, adj = discharged[line_id], adjusted[line_id]
        return out > qty or adj > qty or (with_adjustments and out + adj > qty)

    return [
        (line_id, qty, discharged[line_id], adjusted[line_id])
        for line_id, qty in session.execute(lines)
        if line_id in used and overdrawn(line_id, qty)
    ]


def _overdrawn_in_sql(
    session: Session, company: int, with_adjustments: bool, rows: Any = None, only: Any = None
) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    """``overdrawn_lines`` as one grouped query: only the overdrawn lines leave the database."""
    active = (
        (active_rows_query(company) if rows is None else rows)
        .with_only_columns(AllocationRow.import_line_id.label("line_id"), AllocationRow.qty.label("qty"))
        .where(AllocationRow.import_line_id.is_not(None))
        .subquery()
    )
    used = (
        select(active.c.line_id, func.sum(active.c.qty).label("total")).group_by(active.c.line_id).subquery()
    )
    adjustments = (
        select(AdjustmentRow.import_line_id.label("line_id"), func.sum(AdjustmentRow.qty).label("total"))
        .where(AdjustmentRow.company_id == company)
        .group_by(AdjustmentRow.import_line_id)
        .subquery()
    )
    # NUMERIC arithmetic: the column type is text-based (SQLite), so "+" would concatenate
    out = cast(func.coalesce(used.c.total, 0), Numeric)
    adj = cast(func.coalesce(adjustments.c.total, 0), Numeric)
    qty = cast(ImportLineRow.qty, Numeric)
    over = or_(out > qty, adj > qty, and_(literal(with_adjustments), out + adj > qty))
    query = (
        select(ImportLineRow.id, cast(qty, Text), cast(out, Text), cast(adj, Text))
        .outerjoin(used, used.c.line_id == ImportLineRow.id)
        .outerjoin(adjustments, adjustments.c.line_id == ImportLineRow.id)
        .where(ImportLineRow.company_id == company, over)
        .order_by(ImportLineRow.id)
    )
    if only is not None:
        query = query.where(ImportLineRow.id.in_(only))
    return [(line_id, Decimal(q), Decimal(o), Decimal(a)) for line_id, q, o, a in session.execute(query)]


def doubled_requirements(session: Session, company: int) -> list[tuple[int, str]]:
    """(export line id, part) of requirements with active rows of two runs, or two rows for one lot.

    Grouped in the database (two shortfalls of one requirement count as two rows for one lot).
    """
    active = (
        active_rows_query(company)
        .with_only_columns(
            AllocationRow.export_line_id,
            AllocationRow.part,
            func.coalesce(AllocationRow.import_line_id, 0).label("lot"),
            AllocationRow.run_id,
        )
        .subquery()
    )
    two_runs = (
        select(active.c.export_line_id, active.c.part)
        .group_by(active.c.export_line_id, active.c.part)
        .having(func.min(active.c.run_id) != func.max(active.c.run_id))
    )
    one_lot_twice = (
        select(active.c.export_line_id, active.c.part)
        .group_by(active.c.export_line_id, active.c.part, active.c.lot)
        .having(func.count() > 1)
    )
    found = session.execute(union(two_runs, one_lot_twice))
    return sorted((int(export_id), str(part)) for export_id, part in found)


def check_ledger(session: Session, company_code: str) -> None:
    """Both rules, adjustments counted; raise InvariantViolation (the unit of work rolls back)."""
    _check(session, company_code, with_adjustments=True)


def check_allocations(session: Session, company_code: str) -> None:
    """Both rules, adjustments not counted with allocations (the check of an adjustment)."""
    _check(session, company_code, with_adjustments=False)


def _check(session: Session, company_code: str, with_adjustments: bool) -> None:
    company = session.scalar(select(Company.id).where(Company.code == company_code))
    if company is None:
        return
    problems = _overdrawn_problem(session, overdrawn_lines(session, company, with_adjustments))
    problems.extend(dangling_references(session, company, sorted(session.info.get(NEW_RUNS, ()))))
    doubled = doubled_requirements(session, company)
    if doubled:
        problems.append(_doubled_problem(doubled))
    _refuse(problems)


def _overdrawn_problem(session: Session, over: list[tuple[int, Decimal, Decimal, Decimal]]) -> list[str]:
    if not over:
        return []
    names = _import_names(session, [line for line, *_ in over[:_SHOWN]])
    shown = "; ".join(
        f"{names[line]}: imported {qty}, discharged {used}, adjusted {adj}"
        for line, qty, used, adj in over[:_SHOWN]
    )
    more = f" and {len(over) - _SHOWN} more" if len(over) > _SHOWN else ""
    return [f"{len(over)} import line(s) would be discharged beyond their quantity ({shown}{more})"]


def _doubled_problem(doubled: list[tuple[int, str]]) -> str:
    return (
        f"{len(doubled)} requirement(s) would be allocated twice (export line ids "
        f"{', '.join(str(e) for e, _ in doubled[:_SHOWN])})"
    )


def _refuse(problems: list[str]) -> None:
    if problems:
        raise InvariantViolation(
            "refused, nothing stored: "
            + "; ".join(problems)
            + ". Reverse the later runs or adjustments that conflict, then try again"
        )


def check_new_runs(session: Session, company_code: str) -> None:
    """:func:`check_ledger` limited to what this transaction's stored run touched.

    The ledger passed these rules at its last commit (every writer checks them),
    and a stored discharge only adds lines, one run's rows and withdrawals of
    earlier rows (a withdrawal only lowers a line's use). So a line can be newly
    overdrawn only if the run's rows name it, and a requirement newly doubled only
    if the run's rows name its export line and part: those are checked, with every
    active row of theirs (of any run) and the lines' adjustments, which refuses what
    the whole-ledger check would. When the company has no other active run, the
    run's rows are all its active rows, and they are summed and grouped directly.
    A transaction with no new run wrote no allocation or withdrawal (lines alone,
    which no rule can break); one with several new runs gets the whole-ledger check.
    """
    _check_scoped(session, company_code, sorted(session.info.get(NEW_RUNS, ())), adjusted=None)


def _check_scoped(session: Session, company_code: str, runs: list[int], adjusted: Any) -> None:
    """The rules where ``runs`` (new runs) and ``adjusted`` (a select of adjusted import lines) reach."""
    if not runs and adjusted is None:
        return
    if len(runs) > 1:
        check_ledger(session, company_code)
        return
    company = session.scalar(select(Company.id).where(Company.code == company_code))
    if company is None:
        return
    if not runs:  # adjustments alone: only the adjusted lines' use grew
        rows = active_rows_query(company).where(AllocationRow.import_line_id.in_(adjusted))
        _refuse(
            _overdrawn_problem(session, overdrawn_lines(session, company, True, rows=rows, lines=adjusted))
        )
        return
    (run,) = runs
    others = _other_active_runs(session, company, run)
    problems = _overdrawn_problem(session, _overdrawn_touched(session, company, run, others, adjusted))
    problems.extend(dangling_references(session, company, runs))
    doubled = _doubled_touched(session, run, others)
    if doubled:
        problems.append(_doubled_problem(doubled))
    _refuse(problems)


@dataclass(frozen=True)
class _LastIds:
    """The highest ids of the tables a company writer may add to, when it took the company's lock."""

    run: int
    adjustment: int
    run_reversal: int


def check_writes(session: Session) -> Callable[[Session, str], None]:
    """The check of a company writer (the API's): :func:`check_ledger` scoped to what it wrote.

    Call it once the company's lock is held (the writer's rows are then the company's
    rows with higher ids than now: no other writer of the company adds any). An upload
    of lines or movements adds no allocation and changes no stored line (a line stored
    with other values is refused), so no rule can break and nothing is checked; a
    stored run is checked as :func:`check_new_runs` does; adjustments, as a line's use
    grows only where it is adjusted, on the adjusted lines (with the run's, if the
    adjustment re-discharged); a reversal, or several runs, get the whole-ledger check.
    """
    last = _LastIds(*(_last_id(session, model) for model in (DischargeRunRow, AdjustmentRow, RunReversalRow)))

    def check(session: Session, company_code: str) -> None:
        company = session.scalar(select(Company.id).where(Company.code == company_code))
        if company is None:
            return
        runs = set(session.info.get(NEW_RUNS, ())) | set(
            session.scalars(
                select(DischargeRunRow.id).where(
                    DischargeRunRow.company_id == company, DischargeRunRow.id > last.run
                )
            )
        )
        for run in runs:  # a run this transaction added without noting it: its references too
            note_new_run(session, run)
        reversed_runs = select(RunReversalRow.id).join(
            DischargeRunRow, RunReversalRow.run_id == DischargeRunRow.id
        )
        if session.scalar(
            reversed_runs.where(
                DischargeRunRow.company_id == company, RunReversalRow.id > last.run_reversal
            ).limit(1)
        ):
            check_ledger(session, company_code)
            return
        adjusted = select(AdjustmentRow.import_line_id).where(
            AdjustmentRow.company_id == company, AdjustmentRow.id > last.adjustment
        )
        any_adjusted = session.scalar(adjusted.limit(1)) is not None
        _check_scoped(session, company_code, sorted(runs), adjusted if any_adjusted else None)

    return check


def _last_id(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)


def _other_active_runs(session: Session, company: int, run: int) -> list[int]:
    """The company's runs other than ``run`` that are not reversed (their rows may be active)."""
    query = (
        select(DischargeRunRow.id)
        .where(
            DischargeRunRow.company_id == company,
            DischargeRunRow.id != run,
            DischargeRunRow.id.not_in(select(RunReversalRow.run_id)),
        )
        .order_by(DischargeRunRow.id)
    )
    return list(session.scalars(query))


def _rows_of_run(run: int):  # type: ignore[no-untyped-def]
    """The rows of the new run ``run`` not withdrawn (only the run's own withdrawals could name them)."""
    withdrawal = aliased(AllocationReversalRow)
    return select(AllocationRow).where(
        AllocationRow.run_id == run,
        ~exists().where(and_(withdrawal.allocation_id == AllocationRow.id, withdrawal.run_id == run)),
    )


def _active_of(company: int, run: int, others: list[int]):  # type: ignore[no-untyped-def]
    """The company's active rows: the new run's alone when no other run is active."""
    return _rows_of_run(run) if not others else active_rows_query(company)


def _overdrawn_touched(
    session: Session, company: int, run: int, others: list[int], adjusted: Any = None
) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    """``overdrawn_lines`` (adjustments counted) of the import lines the rows of ``run`` name.

    ``adjusted`` (a select of import line ids) adds lines whose adjustments grew.
    """
    touched: Any = select(AllocationRow.import_line_id).where(
        AllocationRow.run_id == run, AllocationRow.import_line_id.is_not(None)
    )
    if adjusted is not None:
        touched = union(touched, adjusted)
    rows = _active_of(company, run, others)
    if others:
        rows = rows.where(AllocationRow.import_line_id.in_(touched))
    return overdrawn_lines(session, company, True, rows=rows, lines=None if not others else touched)


def _doubled_touched(session: Session, run: int, others: list[int]) -> list[tuple[int, str]]:
    """``doubled_requirements`` of the requirements the rows of ``run`` name.

    Within the run: a lot (or a shortfall) twice for one requirement. Across runs:
    a requirement of the run with active rows of another run.
    """
    mine = _rows_of_run(run).subquery()
    lot = func.coalesce(mine.c.import_line_id, 0)
    queries = [
        select(mine.c.export_line_id, mine.c.part)
        .group_by(mine.c.export_line_id, mine.c.part, lot)
        .having(func.count() > 1)
    ]
    if others:
        other = aliased(AllocationRow)
        queries.append(
            select(mine.c.export_line_id, mine.c.part).where(
                exists().where(
                    other.export_line_id == mine.c.export_line_id,
                    other.part == mine.c.part,
                    other.run_id.in_(others),
                    _not_withdrawn(other),
                )
            )
        )
    found = session.execute(union(*queries))
    return sorted({(int(export_id), str(part)) for export_id, part in found})


def dangling_references(session: Session, company: int, runs: list[int]) -> list[str]:
    """What the rows of ``runs`` name that is not the company's: one message per kind of row.

    One query, set-based (anti-joins with the lines and the company's allocations):
    the rows were COPYed without foreign-key checks. An allocation must name an
    export line of ``company`` and, unless it is a shortfall, an import line of it;
    a withdrawal an allocation of one of the company's runs.
    """
    if not runs:
        return []
    allocations = (
        select(literal("allocation").label("kind"), AllocationRow.id.label("row_id"))
        .outerjoin(
            ExportLineRow,
            and_(ExportLineRow.id == AllocationRow.export_line_id, ExportLineRow.company_id == company),
        )
        .outerjoin(
            ImportLineRow,
            and_(ImportLineRow.id == AllocationRow.import_line_id, ImportLineRow.company_id == company),
        )
        .where(
            AllocationRow.run_id.in_(runs),
            or_(
                ExportLineRow.id.is_(None),
                and_(AllocationRow.import_line_id.is_not(None), ImportLineRow.id.is_(None)),
            ),
        )
    )
    withdrawn = aliased(AllocationRow)
    withdrawals = (
        select(literal("withdrawal").label("kind"), AllocationReversalRow.id.label("row_id"))
        .outerjoin(withdrawn, withdrawn.id == AllocationReversalRow.allocation_id)
        .outerjoin(
            DischargeRunRow,
            and_(DischargeRunRow.id == withdrawn.run_id, DischargeRunRow.company_id == company),
        )
        .where(AllocationReversalRow.run_id.in_(runs), DischargeRunRow.id.is_(None))
    )
    found = union_all(allocations, withdrawals).subquery()
    query = select(found.c.kind, func.count(), func.min(found.c.row_id)).group_by(found.c.kind)
    what = {
        "allocation": "allocation row(s) name an export or import line that is not the company's",
        "withdrawal": "withdrawal row(s) name an allocation that is not the company's",
    }
    return [
        f"{count} {what[kind]} (run(s) {', '.join(map(str, runs))}; first row id {first})"
        for kind, count, first in sorted(session.execute(query).all())
    ]


def _import_names(session: Session, ids: list[int]) -> dict[int, str]:
    query = (
        select(ImportLineRow.id, PedimentoRow.number, ImportLineRow.line, ImportLineRow.part)
        .join(PedimentoRow)
        .where(ImportLineRow.id.in_(ids))
    )
    return {i: f"pedimento {n} line {line} part {part!r}" for i, n, line, part in session.execute(query)}


def overdrawn_ids(session: Session, company_code: str, lines: Any = None) -> set[int]:
    """Import lines whose allocations plus adjustments exceed their quantity now.

    ``lines`` (a select of import line ids) limits the lines looked at, and the
    allocation rows summed, to those lines: an adjustment asks about its own line.
    """
    company = session.scalar(select(Company.id).where(Company.code == company_code))
    if company is None:
        return set()
    rows = (
        None if lines is None else active_rows_query(company).where(AllocationRow.import_line_id.in_(lines))
    )
    return {line for line, *_ in overdrawn_lines(session, company, rows=rows, lines=lines)}


def no_new_overdraws(before: set[int]) -> Callable[[Session, str], None]:
    """The check of a reversal: both rules without adjustments, and no line overdrawn that was not before."""

    def check(session: Session, company_code: str) -> None:
        check_allocations(session, company_code)
        new = overdrawn_ids(session, company_code) - before
        if new:
            names = _import_names(session, sorted(new)[:_SHOWN])
            raise InvariantViolation(
                "refused, nothing stored: the reversal would give back allocations of stock adjusted "
                f"away since ({'; '.join(names.values())}); reverse those adjustments first"
            )

    return check
