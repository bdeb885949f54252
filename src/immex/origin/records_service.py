"""Origin records use cases: load supplier certifications, list what to request, track requests.

Each function opens the store, validates everything first (problems as values,
nothing stored on bad input), then writes in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.core.numbers import parse_decimal
from immex.core.problems import InputError, Problem
from immex.core.table_files import Cell, write_csv, write_xlsx
from immex.core.tables import Table, read_csv_table, read_workbook_tables
from immex.ledger.orm import PartRow
from immex.ledger.service import DEFAULT_COMPANY, company_id, load_ledger
from immex.origin.orm import SolicitationRow, StoredValueRow, SupplierCertificationRow
from immex.origin.records import (
    OPEN_SOLICITATION,
    SOLICITATION_STATUSES,
    Solicitation,
    SolicitationLine,
    StoredValue,
    SupplierCertification,
    certification_needs,
    certification_status,
    parse_certifications,
    rules,
)
from immex.store.uow import UnitOfWork


def read_table(path: Path) -> Table:
    """A CSV file, or the first sheet of an XLSX workbook."""
    if not path.exists():
        raise InputError([Problem(path.name, None, "", f"file {path.name!r} does not exist")])
    if not path.is_file():
        raise InputError(
            [Problem(path.name, None, "", f"{path.name!r} is a directory, not a CSV or XLSX file")]
        )
    try:
        if path.suffix.lower() == ".xlsx":
            tables = list(read_workbook_tables(path).values())
            if not tables:
                raise InputError([Problem(path.name, None, "", "the workbook has no sheet")])
            return tables[0]
        return read_csv_table(path)
    except OSError as exc:  # unreadable: permissions, a device, ...
        raise InputError(
            [Problem(path.name, None, "", f"cannot read {path.name!r}: {exc.strerror}")]
        ) from None


def _certs(session: Session, company: int) -> list[SupplierCertification]:
    query = (
        select(SupplierCertificationRow)
        .where(SupplierCertificationRow.company_id == company)
        .order_by(SupplierCertificationRow.id)
    )
    return [
        SupplierCertification(
            r.supplier,
            r.part,
            r.valid_from,
            r.valid_to,
            r.criterion,
            r.document_ref,
            r.supplier_country,
            r.certifier_type,
        )
        for r in session.scalars(query)
    ]


def certifications_by_part(session: Session, company: int) -> dict[str, list[SupplierCertification]]:
    grouped: dict[str, list[SupplierCertification]] = defaultdict(list)
    for cert in _certs(session, company):
        grouped[cert.part].append(cert)
    return dict(grouped)


@dataclass(frozen=True, slots=True)
class LoadCounts:
    rows: int
    new: int
    unchanged: int
    solicitations_closed: int


def load_certifications(
    db_url: str | None, path: Path, company: str = DEFAULT_COMPANY, today: dt.date | None = None
) -> LoadCounts:
    """Store a file of supplier certifications, all or nothing.

    Columns: supplier, part, valid_from, valid_to, criterion, document_ref
    (optional supplier_country, certifier_type). A row already stored with the
    same values is left alone; the same key with other values is a problem. An
    open solicitation for a part that now has a certification is marked received.
    """
    table = read_table(path)
    received_on = today or dt.date.today()
    with UnitOfWork(db_url, write=True, company=company) as uow:
        session = uow.session
        company_key = company_id(session, company, create=False) if _has_company(session, company) else None
        parts: list[str] = []
        if company_key is not None:
            parts = list(session.scalars(select(PartRow.part).where(PartRow.company_id == company_key)))
        certs, problems = parse_certifications(table.label, table.header, table.rows, parts)
        if company_key is None:
            problems.insert(
                0,
                Problem(
                    table.label,
                    None,
                    "",
                    f"company {company!r} has no ledger in the store; load the ledger first",
                ),
            )
        stored = {c.key: c for c in _certs(session, company_key)} if company_key is not None else {}
        new = []
        for cert in certs:
            existing = stored.get(cert.key)
            if existing is None:
                new.append(cert)
                continue
            differ = [
                f
                for f in ("valid_to", "criterion", "document_ref", "supplier_country", "certifier_type")
                if getattr(existing, f) != getattr(cert, f)
            ]
            if differ:
                problems.append(
                    Problem(
                        table.label,
                        cert.row,
                        differ[0],
                        f"supplier {cert.supplier!r} part {cert.part!r} from {cert.valid_from} "
                        f"is already stored with a different {', '.join(differ)}",
                    )
                )
        if problems:
            raise InputError(problems)
        assert company_key is not None
        session.add_all(
            SupplierCertificationRow(
                company_id=company_key,
                supplier=c.supplier,
                part=c.part,
                valid_from=c.valid_from,
                valid_to=c.valid_to,
                criterion=c.criterion,
                document_ref=c.document_ref,
                supplier_country=c.supplier_country,
                certifier_type=c.certifier_type,
            )
            for c in new
        )
        closed = 0
        covered = {c.part for c in new}
        for row in session.scalars(
            select(SolicitationRow).where(
                SolicitationRow.company_id == company_key, SolicitationRow.status == OPEN_SOLICITATION
            )
        ):
            if row.part in covered:
                row.status, row.status_on = "received", received_on
                closed += 1
    return LoadCounts(len(certs), len(new), len(certs) - len(new), closed)


def _has_company(session: Session, company: str) -> bool:
    try:
        company_id(session, company, create=False)
    except LookupError:
        return False
    return True


def _solicitations(session: Session, company: int) -> dict[str, list[Solicitation]]:
    grouped: dict[str, list[Solicitation]] = defaultdict(list)
    for r in session.scalars(
        select(SolicitationRow).where(SolicitationRow.company_id == company).order_by(SolicitationRow.id)
    ):
        grouped[r.part].append(
            Solicitation(
                r.supplier,
                r.part,
                r.requested_on,
                r.status,  # type: ignore[arg-type]
                r.status_on,
                r.note,
            )
        )
    return dict(grouped)


SOLICITATION_HEADER = (
    "part",
    "description",
    "hs",
    "country_of_origin",
    "supplier",
    "status",
    "covered_until",
    "days_left",
    "last_document",
    "used_in",
    "solicitation_status",
    "requested_on",
)


def solicitation_rows(lines: Sequence[SolicitationLine]) -> list[tuple[Cell, ...]]:
    return [
        (
            x.part,
            x.description,
            x.hs,
            x.country,
            x.supplier,
            x.status,
            x.covered_until,
            x.days_left,
            x.last_document,
            " ".join(x.used_in),
            x.solicitation_status,
            x.requested_on,
        )
        for x in lines
    ]


def missing_certifications(
    db_url: str | None,
    day: dt.date,
    days: int,
    output: Path | None = None,
    mark_requested: bool = False,
    company: str = DEFAULT_COMPANY,
) -> list[SolicitationLine]:
    """The solicitation list on ``day``: purchased materials missing, expired or expiring within ``days``.

    With ``output`` the list is written (``.xlsx``: a sheet ``solicitations`` and a
    sheet ``legal basis``; ``.csv``: the table). With ``mark_requested`` every listed
    part without an open request gets a solicitation ``requested`` on ``day``.
    """
    with UnitOfWork(db_url, write=mark_requested, company=company) as uow:
        session = uow.session
        if not _has_company(session, company):
            raise InputError([Problem("--db", None, "", f"company {company!r} has no ledger in the store")])
        key = company_id(session, company, create=False)
        ledger = load_ledger(session, key)
        needs = certification_needs(ledger, day, rules().territory)
        lines = certification_status(
            needs, certifications_by_part(session, key), _solicitations(session, key), day, days
        )
        if mark_requested:
            for line in lines:
                if line.solicitation_status != OPEN_SOLICITATION:
                    session.add(
                        SolicitationRow(
                            company_id=key,
                            supplier=line.supplier,
                            part=line.part,
                            requested_on=day,
                            status=OPEN_SOLICITATION,
                            status_on=day,
                            note=f"certification {line.status}",
                        )
                    )
            lines = (
                certification_status(
                    needs, certifications_by_part(session, key), _solicitations(session, key), day, days
                )
                if lines
                else lines
            )
    if output is not None:
        write_solicitation_list(output, lines, day, days)
    return lines


def write_solicitation_list(output: Path, lines: Sequence[SolicitationLine], day: dt.date, days: int) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    rows = solicitation_rows(lines)
    if output.suffix.lower() == ".csv":
        write_csv(output, SOLICITATION_HEADER, rows)
        return
    table = rules()
    basis: list[tuple[Cell, ...]] = [
        ("as of", day),
        ("expiring within (days)", days),
        (
            "originating only with a certification covering the date",
            "A purchased material counts as originating only while a supplier certification "
            "of origin covers it",
        ),
        ("blanket period", table.blanket_reference),
        ("parties (territory)", f"{', '.join(sorted(table.territory))} — {table.territory_reference}"),
    ]
    write_xlsx(
        output,
        {
            "solicitations": (SOLICITATION_HEADER, rows),
            "by supplier": (BY_SUPPLIER_HEADER, by_supplier(lines)),
            "legal basis": (("item", "value"), basis),
        },
    )


BY_SUPPLIER_HEADER = ("supplier", "parts", "missing", "expired", "expiring", "first_end", "part_list")


def by_supplier(lines: Sequence[SolicitationLine]) -> list[tuple[Cell, ...]]:
    """One line per supplier to write to ('' = supplier not on file), most urgent first."""
    grouped: dict[str, list[SolicitationLine]] = defaultdict(list)
    for line in lines:
        grouped[line.supplier].append(line)
    ranked = []
    for supplier, items in grouped.items():
        ends = [x.covered_until for x in items if x.covered_until is not None]
        count = {
            status: sum(1 for x in items if x.status == status)
            for status in ("missing", "expired", "expiring")
        }
        row: tuple[Cell, ...] = (
            supplier or "(supplier not on file)",
            len(items),
            count["missing"],
            count["expired"],
            count["expiring"],
            min(ends) if ends else None,
            " ".join(x.part for x in items),
        )
        ranked.append((-(count["missing"] + count["expired"]), supplier, row))
    return [row for *_, row in sorted(ranked, key=lambda r: (r[0], r[1]))]


def record_solicitation(
    db_url: str | None,
    part: str,
    status: str,
    day: dt.date,
    supplier: str = "",
    note: str = "",
    company: str = DEFAULT_COMPANY,
) -> Solicitation:
    """Record a request (``requested``) or the answer to the open one (received, declined, cancelled)."""
    if status not in SOLICITATION_STATUSES:
        raise InputError(
            [
                Problem(
                    "--status",
                    None,
                    "status",
                    f"status {status!r} must be one of {', '.join(SOLICITATION_STATUSES)}",
                )
            ]
        )
    with UnitOfWork(db_url, write=True, company=company) as uow:
        session = uow.session
        if not _has_company(session, company):
            raise InputError([Problem("--db", None, "", f"company {company!r} has no ledger in the store")])
        key = company_id(session, company, create=False)
        if session.scalar(select(PartRow.id).where(PartRow.company_id == key, PartRow.part == part)) is None:
            raise InputError([Problem("--part", None, "part", f"part {part!r} is not in the stored parts")])
        open_rows = list(
            session.scalars(
                select(SolicitationRow)
                .where(
                    SolicitationRow.company_id == key,
                    SolicitationRow.part == part,
                    SolicitationRow.status == OPEN_SOLICITATION,
                )
                .order_by(SolicitationRow.id)
            )
        )
        if status == OPEN_SOLICITATION:
            if open_rows:
                raise InputError(
                    [
                        Problem(
                            "--part",
                            None,
                            "part",
                            f"part {part!r} already has an open request of {open_rows[-1].requested_on}",
                        )
                    ]
                )
            row = SolicitationRow(
                company_id=key,
                supplier=supplier,
                part=part,
                requested_on=day,
                status=status,
                status_on=day,
                note=note,
            )
            session.add(row)
        else:
            if not open_rows:
                raise InputError(
                    [Problem("--part", None, "part", f"part {part!r} has no open request to mark {status}")]
                )
            row = open_rows[-1]
            row.status, row.status_on = status, day
            row.supplier = supplier or row.supplier
            row.note = note or row.note
        return Solicitation(
            row.supplier,
            row.part,
            row.requested_on,
            row.status,  # type: ignore[arg-type]
            row.status_on,
            row.note,
        )


# --- stored values ---------------------------------------------------------------------------

VALUE_REQUIRED = ("item", "valid_from", "unit_value_usd")


def parse_values(table: Table) -> tuple[list[StoredValue], list[Problem]]:
    problems = [
        Problem(table.label, 1, c, f"required column {c!r} is missing")
        for c in VALUE_REQUIRED
        if c not in table.header
    ]
    if problems:
        return [], problems
    values: list[StoredValue] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for number, row in table.rows:
        before = len(problems)
        item = row.get("item", "").strip()
        if not item:
            problems.append(Problem(table.label, number, "item", "item is required"))
        day: dt.date | None = None
        try:
            day = dt.date.fromisoformat(row.get("valid_from", "").strip())
        except ValueError:
            problems.append(
                Problem(
                    table.label,
                    number,
                    "valid_from",
                    f"{row.get('valid_from', '')!r} is not a YYYY-MM-DD date",
                )
            )
        amounts: dict[str, Decimal | None] = {}
        for column in ("unit_value_usd", "net_cost_usd"):
            text = row.get(column, "").strip()
            if not text:
                amounts[column] = None
                if column == "unit_value_usd":
                    problems.append(Problem(table.label, number, column, f"{column} is required"))
                continue
            try:
                amount = parse_decimal(text)
            except ValueError as exc:
                problems.append(Problem(table.label, number, column, str(exc)))
                continue
            if amount < 0:
                problems.append(Problem(table.label, number, column, f"{column} must not be negative"))
            amounts[column] = amount
        if len(problems) > before or day is None:
            continue
        if (item, day) in seen:
            problems.append(
                Problem(
                    table.label,
                    number,
                    "valid_from",
                    f"{item!r} from {day} is also on row {seen[(item, day)]}",
                )
            )
            continue
        seen[(item, day)] = number
        unit = amounts["unit_value_usd"]
        assert unit is not None
        values.append(
            StoredValue(item, day, unit, amounts.get("net_cost_usd"), row.get("note", "").strip(), number)
        )
    return values, problems


def load_values(db_url: str | None, path: Path, company: str = DEFAULT_COMPANY) -> int:
    """Store unit values of materials and values of goods.

    Columns: ``item, valid_from, unit_value_usd[, net_cost_usd, note]``.
    """
    table = read_table(path)
    values, problems = parse_values(table)
    with UnitOfWork(db_url, write=True, company=company) as uow:
        session = uow.session
        if not _has_company(session, company):
            problems.insert(
                0, Problem(table.label, None, "", f"company {company!r} has no ledger in the store")
            )
            raise InputError(problems)
        key = company_id(session, company, create=False)
        parts = set(session.scalars(select(PartRow.part).where(PartRow.company_id == key)))
        stored = {
            (r.item, r.valid_from): r
            for r in session.scalars(select(StoredValueRow).where(StoredValueRow.company_id == key))
        }
        new = []
        for value in values:
            number = value.row
            if value.item not in parts:
                problems.append(
                    Problem(table.label, number, "item", f"item {value.item!r} is not a stored part")
                )
                continue
            existing = stored.get((value.item, value.valid_from))
            if existing is None:
                new.append(value)
            elif (existing.unit_value_usd, existing.net_cost_usd) != (
                value.unit_value_usd,
                value.net_cost_usd,
            ):
                problems.append(
                    Problem(
                        table.label,
                        number,
                        "unit_value_usd",
                        f"{value.item!r} from {value.valid_from} is already stored with different values",
                    )
                )
        if problems:
            raise InputError(problems)
        session.add_all(
            StoredValueRow(
                company_id=key,
                item=v.item,
                valid_from=v.valid_from,
                unit_value_usd=v.unit_value_usd,
                net_cost_usd=v.net_cost_usd,
                note=v.note,
            )
            for v in new
        )
    return len(new)


def stored_values(session: Session, company: int) -> Mapping[str, tuple[StoredValue, ...]]:
    grouped: dict[str, list[StoredValue]] = defaultdict(list)
    for r in session.scalars(
        select(StoredValueRow)
        .where(StoredValueRow.company_id == company)
        .order_by(StoredValueRow.item, StoredValueRow.valid_from)
    ):
        grouped[r.item].append(StoredValue(r.item, r.valid_from, r.unit_value_usd, r.net_cost_usd, r.note))
    return {item: tuple(vs) for item, vs in grouped.items()}
