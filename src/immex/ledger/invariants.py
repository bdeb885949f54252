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
from decimal import Decimal

from sqlalchemy import Numeric, Text, and_, cast, exists, func, literal, or_, select, union, union_all
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
    reversed_runs = select(RunReversalRow.run_id)
    withdrawal = aliased(AllocationReversalRow)
    return (
        select(AllocationRow)
        .join(DischargeRunRow, AllocationRow.run_id == DischargeRunRow.id)
        .where(
            DischargeRunRow.company_id == company,
            AllocationRow.run_id.not_in(reversed_runs),
            ~exists().where(
                and_(withdrawal.allocation_id == AllocationRow.id, withdrawal.run_id.not_in(reversed_runs))
            ),
        )
    )


def overdrawn_lines(
    session: Session, company: int, with_adjustments: bool = True
) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    """(import line id, qty, discharged, adjusted) of every line whose use exceeds its quantity.

    Use is the active allocations, plus the adjustments when ``with_adjustments``.
    PostgreSQL sums in SQL (NUMERIC is exact; a plant's ledger has tens of millions of
    allocation rows, too many to bring over); SQLite keeps decimals as text, so its
    sums are exact only in Python.
    """
    if session.get_bind().dialect.name == "postgresql":
        return _overdrawn_in_sql(session, company, with_adjustments)
    return _overdrawn_in_python(session, company, with_adjustments)


def _overdrawn_in_python(
    session: Session, company: int, with_adjustments: bool
) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    discharged: dict[int, Decimal] = defaultdict(Decimal)
    rows = active_rows_query(company).with_only_columns(AllocationRow.import_line_id, AllocationRow.qty)
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

    def overdrawn(line_id: int, qty: Decimal) -> bool:
        out, adj = discharged[line_id], adjusted[line_id]
        return out > qty or adj > qty or (with_adjustments and out + adj > qty)

    return [
        (line_id, qty, discharged[line_id], adjusted[line_id])
        for line_id, qty in session.execute(lines)
        if line_id in used and overdrawn(line_id, qty)
    ]


def _overdrawn_in_sql(
    session: Session, company: int, with_adjustments: bool
) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    """``overdrawn_lines`` as one grouped query: only the overdrawn lines leave the database."""
    active = (
        active_rows_query(company)
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
    problems = []
    over = overdrawn_lines(session, company, with_adjustments)
    if over:
        names = _import_names(session, [line for line, *_ in over[:_SHOWN]])
        shown = "; ".join(
            f"{names[line]}: imported {qty}, discharged {used}, adjusted {adj}"
            for line, qty, used, adj in over[:_SHOWN]
        )
        more = f" and {len(over) - _SHOWN} more" if len(over) > _SHOWN else ""
        problems.append(
            f"{len(over)} import line(s) would be discharged beyond their quantity ({shown}{more})"
        )
    problems.extend(dangling_references(session, company, sorted(session.info.get(NEW_RUNS, ()))))
    doubled = doubled_requirements(session, company)
    if doubled:
        problems.append(
            f"{len(doubled)} requirement(s) would be allocated twice (export line ids "
            f"{', '.join(str(e) for e, _ in doubled[:_SHOWN])})"
        )
    if problems:
        raise InvariantViolation(
            "refused, nothing stored: "
            + "; ".join(problems)
            + ". Reverse the later runs or adjustments that conflict, then try again"
        )


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


def overdrawn_ids(session: Session, company_code: str) -> set[int]:
    """Import lines whose allocations plus adjustments exceed their quantity now."""
    company = session.scalar(select(Company.id).where(Company.code == company_code))
    return set() if company is None else {line for line, *_ in overdrawn_lines(session, company)}


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
