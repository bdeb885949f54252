"""Store and load the ledger: stage → validate → confirm into the database, and back to domain values.

``store_ledger`` merges a validated :class:`Ledger` into a company's stored
ledger in the caller's transaction. Rows already stored with the same key and
the same values are left alone (re-loading changes nothing); a row whose key
exists with different values is a problem, never a silent overwrite, because
allocations may already point at it.
"""

from __future__ import annotations

import dataclasses
import getpass
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress
from immex.ledger.claves import clave_class
from immex.ledger.model import (
    BomComponent,
    BomVersion,
    ExportLine,
    ImportLine,
    Ledger,
    Part,
    UomConversion,
)
from immex.ledger.orm import (
    STORED_LINE_FIELDS,
    AdjustmentRow,
    BomComponentRow,
    BomVersionRow,
    Company,
    ExportLineRow,
    ImportLineRow,
    PartRow,
    PedimentoRow,
    UomConversionRow,
)
from immex.store.copy import bulk_insert
from immex.store.uow import DEFAULT_COMPANY as DEFAULT_COMPANY  # re-exported: features import it here


def company_id(session: Session, code: str = DEFAULT_COMPANY, create: bool = True) -> int:
    found = session.scalar(select(Company.id).where(Company.code == code))
    if found is not None:
        return found
    if not create:
        raise LookupError(f"company {code!r} is not in the store")
    company = Company(code=code, name=code)
    session.add(company)
    session.flush()
    return company.id


@dataclass(frozen=True, slots=True)
class StoreCounts:
    parts: int = 0
    conversions: int = 0
    bom_versions: int = 0
    imports: int = 0
    exports: int = 0


def _same(stored: Any, given: Any, fields: Sequence[str]) -> list[str]:
    return [name for name in fields if getattr(stored, name) != getattr(given, name)]


def _conflict(label: str, row: int, what: str, fields: list[str]) -> Problem:
    return Problem(
        label,
        row or None,
        fields[0],
        f"{what} is already stored with a different {', '.join(fields)}; "
        "reverse its discharge and correct it with an adjustment instead",
    )


def store_ledger(
    session: Session, ledger: Ledger, company: int, progress: Progress = QUIET
) -> tuple[StoreCounts, list[Problem]]:
    """Insert what is new; report rows that contradict what is stored. Does not commit.

    ``progress`` advances by every input row handled (stored, or found already stored).
    """
    problems: list[Problem] = []
    versions_given = sum(len(v) for v in ledger.boms.values())
    small = len(ledger.parts) + len(ledger.conversions) + versions_given
    outgoing = len(ledger.exports) + len(ledger.regularizations) + len(ledger.not_discharging)
    total = small + len(ledger.imports) + outgoing
    progress.phase("storing the input", total=total, unit="rows")
    parts = _store_parts(session, ledger.parts.values(), company, problems)
    conversions = _store_conversions(session, ledger.conversions, company, problems)
    versions = _store_boms(session, ledger.boms, company, problems)
    progress.advance(small)  # parts, conversions and BOMs: few rows, counted at once
    imports = _store_lines(session, ledger.imports, company, "import", problems, progress)
    exports = _store_lines(session, ledger.exports, company, "export", problems, progress)
    # A3 regularizations are stored as export lines (clave A3, import_pedimento + import_line):
    # their allocation rows then share the append-only run machinery and its invariants.
    # A1/BM/BO lines are stored too (the Anexo 24 and annual reports list them); they never discharge.
    if ledger.regularizations or ledger.not_discharging:
        others = (*ledger.regularizations, *ledger.not_discharging)
        exports += _store_lines(session, others, company, "export", problems, progress)
    return StoreCounts(parts, conversions, versions, imports, exports), problems


def store_reference_data(session: Session, ledger: Ledger, company: int) -> list[Problem]:
    """Parts, unit conversions and BOMs of ``ledger`` (small tables) into the store; the conflicts."""
    problems: list[Problem] = []
    _store_parts(session, ledger.parts.values(), company, problems)
    _store_conversions(session, ledger.conversions, company, problems)
    _store_boms(session, ledger.boms, company, problems)
    return problems


def load_reference_data(
    session: Session, company: int
) -> tuple[dict[str, Part], dict[str, tuple[BomVersion, ...]]]:
    """The company's stored parts and BOMs as domain values (what ``load_ledger`` gives)."""
    parts = {
        r.part: Part(r.part, r.uom, r.kind, r.description, r.hs, r.country_of_origin)  # type: ignore[arg-type]
        for r in session.scalars(select(PartRow).where(PartRow.company_id == company))
    }
    return parts, _load_boms(session, company)


def _store_parts(session: Session, parts: Iterable[Part], company: int, problems: list[Problem]) -> int:
    stored = {row.part: row for row in session.scalars(select(PartRow).where(PartRow.company_id == company))}
    new = []
    for part in parts:
        existing = stored.get(part.part)
        if existing is None:
            new.append(
                {
                    "company_id": company,
                    "part": part.part,
                    "uom": part.uom,
                    "kind": part.kind,
                    "description": part.description,
                    "hs": part.hs,
                    "country_of_origin": part.country_of_origin,
                }
            )
        elif differ := _same(existing, part, ("uom", "kind")):
            problems.append(_conflict("parts.csv", 0, f"part {part.part!r}", differ))
    _insert(session, PartRow, new)
    return len(new)


def _store_conversions(
    session: Session, conversions: Iterable[UomConversion], company: int, problems: list[Problem]
) -> int:
    query = select(UomConversionRow).where(UomConversionRow.company_id == company)
    stored = {(r.part, r.from_uom, r.to_uom): r for r in session.scalars(query)}
    new = []
    for row in conversions:
        existing = stored.get((row.part, row.from_uom, row.to_uom))
        if existing is None:
            stored[(row.part, row.from_uom, row.to_uom)] = UomConversionRow(factor=row.factor)
            new.append(
                {
                    "company_id": company,
                    "part": row.part,
                    "from_uom": row.from_uom,
                    "to_uom": row.to_uom,
                    "factor": row.factor,
                }
            )
        elif existing.factor != row.factor:
            problems.append(
                _conflict("uom_conversions.csv", 0, f"conversion {row.from_uom}->{row.to_uom}", ["factor"])
            )
    _insert(session, UomConversionRow, new)
    return len(new)


def _store_boms(session: Session, boms: Any, company: int, problems: list[Problem]) -> int:
    query = select(BomVersionRow).where(BomVersionRow.company_id == company)
    stored = {(r.product, r.valid_from): r for r in session.scalars(query)}
    count = 0
    for product, versions in boms.items():
        for version in versions:
            existing = stored.get((product, version.valid_from))
            if existing is not None:
                if existing.valid_to != version.valid_to:
                    problems.append(
                        _conflict(
                            "bom.csv",
                            version.components[0].row,
                            f"BOM of {product!r} from {version.valid_from}",
                            ["valid_to"],
                        )
                    )
                continue
            row = BomVersionRow(
                company_id=company, product=product, valid_from=version.valid_from, valid_to=version.valid_to
            )
            session.add(row)
            session.flush()
            _insert(
                session,
                BomComponentRow,
                [
                    {
                        "bom_version_id": row.id,
                        "component": c.component,
                        "qty_per": c.qty_per,
                        "uom": c.uom,
                        "qty_per_given": c.qty_per_given,
                        "merma_pct": c.merma_pct,
                        "desperdicio_pct": c.desperdicio_pct,
                    }
                    for c in version.components
                ],
            )
            count += 1
    return count


def _pedimento_ids(session: Session, numbers: set[str], company: int, operation: str) -> dict[str, int]:
    query = select(PedimentoRow).where(
        PedimentoRow.company_id == company, PedimentoRow.operation == operation
    )
    ids = {row.number: row.id for row in session.scalars(query)}
    missing = sorted(numbers - ids.keys())
    _insert(
        session, PedimentoRow, [{"company_id": company, "number": n, "operation": operation} for n in missing]
    )
    if missing:
        ids = {row.number: row.id for row in session.scalars(query)}
    return ids


def _store_lines(
    session: Session,
    lines: Sequence[ImportLine] | Sequence[ExportLine],
    company: int,
    operation: str,
    problems: list[Problem],
    progress: Progress = QUIET,
) -> int:
    model: Any = ImportLineRow if operation == "import" else ExportLineRow
    item = "part" if operation == "import" else "product"
    ids = _pedimento_ids(session, {line.pedimento for line in lines}, company, operation)
    by_id = {v: k for k, v in ids.items()}
    stored = {
        (by_id[r.pedimento_id], r.line, getattr(r, item)): r
        for r in session.scalars(select(model).where(model.company_id == company))
    }
    new = []
    fields = STORED_LINE_FIELDS[operation]
    for line in lines:
        existing = stored.get(line.key)
        if existing is None:
            values = {name: getattr(line, name) for name in fields}
            new.append(
                {
                    "company_id": company,
                    "pedimento_id": ids[line.pedimento],
                    "line": line.line,
                    item: line.key[2],
                    "uom": line.uom,
                    "qty_given": line.qty_given,
                    **values,
                }
            )
        elif differ := _same(existing, line, fields):
            problems.append(
                _conflict(
                    _file_of(line, operation),
                    line.row,
                    f"pedimento {line.pedimento} line {line.line} {line.key[2]!r}",
                    differ,
                )
            )
    progress.advance(len(lines) - len(new))  # rows already stored: handled, nothing to insert
    _insert(session, model, new, progress)
    return len(new)


def _file_of(line: ImportLine | ExportLine, operation: str) -> str:
    if isinstance(line, ExportLine) and line.import_line is not None:
        return "regularizations.csv"
    return f"{operation}s.csv"


def _insert(session: Session, model: Any, rows: list[dict[str, Any]], progress: Progress = QUIET) -> None:
    bulk_insert(session, model, rows, progress)  # COPY on PostgreSQL, executemany on SQLite


def load_ledger(session: Session, company: int) -> Ledger:
    """The company's whole stored ledger as domain values."""
    parts, boms = load_reference_data(session, company)
    conversions = tuple(
        UomConversion(r.from_uom, r.to_uom, r.factor, r.part)
        for r in session.scalars(
            select(UomConversionRow)
            .where(UomConversionRow.company_id == company)
            .order_by(UomConversionRow.id)
        )
    )
    exports, regularizations, held = split_outgoing(load_exports(session, company))
    company_row = session.get(Company, company)
    return Ledger(
        parts,
        load_imports(session, company),
        exports,
        boms,
        conversions,
        regularizations,
        held,
        program_valid_to=None if company_row is None else company_row.program_valid_to,
    )


Outgoing = tuple[ExportLine, ...]


def split_outgoing(lines: Iterable[ExportLine]) -> tuple[Outgoing, Outgoing, Outgoing]:
    """Stored outgoing lines by clave class: (export lines, A3 regularizations, not discharging).

    A line stored before the classes existed whose clave has none keeps discharging, as it did.
    """
    kinds: dict[tuple[str, Any], str | None] = {}
    split: dict[str | None, list[ExportLine]] = {"regularization": [], "not_discharging": [], None: []}
    for line in lines:
        key = (line.clave, line.cleared_on)
        if key not in kinds:
            kinds[key] = clave_class(line.clave, line.cleared_on)
        kind = kinds[key]
        if kind == "regularization":
            line = dataclasses.replace(line, row=0)  # errors name the input's rows, not store ids
        split[kind if kind in ("regularization", "not_discharging") else None].append(line)
    return tuple(split[None]), tuple(split["regularization"]), tuple(split["not_discharging"])


def load_imports(session: Session, company: int) -> tuple[ImportLine, ...]:
    """Import lines with their manual adjustments netted from the quantity the discharge may use."""
    adjusted: dict[int, Decimal] = defaultdict(Decimal)
    for line_id, qty in session.execute(
        select(AdjustmentRow.import_line_id, AdjustmentRow.qty).where(AdjustmentRow.company_id == company)
    ):
        adjusted[line_id] += qty
    query = (
        select(ImportLineRow, PedimentoRow.number)
        .join(PedimentoRow)
        .where(ImportLineRow.company_id == company)
        .order_by(ImportLineRow.id)
    )
    return tuple(
        ImportLine(
            number,
            r.line,
            r.part,
            r.clave,
            r.cleared_on,
            r.qty - adjusted[r.id],
            r.uom,
            r.qty_given,
            r.unit_value_usd,
            r.country_of_origin,
            r.hs,
            row=r.id,
            adjusted=adjusted[r.id],
        )
        for r, number in session.execute(query)
    )


def add_adjustment(
    session: Session, company: int, pedimento: str, line: int, part: str, qty: Decimal, reason: str, user: str
) -> int:
    """Withdraw ``qty`` (negative: give back) from an import line, with the reason and who did it.

    Raises InputError when the line is unknown, the reason empty, or the line would go negative.
    """
    problems = []
    if not reason.strip():
        problems.append(
            Problem("", None, "reason", "an adjustment needs a reason (it is kept for the audit)")
        )
    if qty == 0:
        problems.append(Problem("", None, "qty", "an adjustment of 0 changes nothing"))
    row = session.scalar(
        select(ImportLineRow)
        .join(PedimentoRow)
        .where(
            ImportLineRow.company_id == company,
            PedimentoRow.number == pedimento,
            ImportLineRow.line == line,
            ImportLineRow.part == part,
        )
    )
    if row is None:
        problems.append(
            Problem(
                "", None, "pedimento", f"import pedimento {pedimento} line {line} part {part!r} is not stored"
            )
        )
    else:
        already = sum(
            session.scalars(select(AdjustmentRow.qty).where(AdjustmentRow.import_line_id == row.id)),
            Decimal(0),
        )
        if already + qty < 0:  # giving back more than was withdrawn would make stock from nothing
            message = f"only {already} was withdrawn from the line: give back at most that"
            problems.append(Problem("", None, "qty", message))
        elif row.qty - already - qty < 0:
            problems.append(
                Problem(
                    "",
                    None,
                    "qty",
                    f"the line has {row.qty - already} left to adjust "
                    f"(imported {row.qty}, adjusted {already})",
                )
            )
    if problems:
        raise InputError(problems)
    assert row is not None
    adjustment = AdjustmentRow(
        company_id=company, import_line_id=row.id, qty=qty, reason=reason.strip(), created_by=user
    )
    session.add(adjustment)
    session.flush()
    return adjustment.id


def load_exports(session: Session, company: int) -> tuple[ExportLine, ...]:
    query = (
        select(ExportLineRow, PedimentoRow.number)
        .join(PedimentoRow)
        .where(ExportLineRow.company_id == company)
        .order_by(ExportLineRow.id)
    )
    return tuple(
        ExportLine(
            number,
            r.line,
            r.product,
            r.clave,
            r.cleared_on,
            r.qty,
            r.uom,
            r.qty_given,
            r.unit_value_usd,
            r.destination_country,
            r.hs,
            r.import_pedimento,
            row=r.id,
            import_line=r.import_line,
        )
        for r, number in session.execute(query)
    )


def _load_boms(session: Session, company: int) -> dict[str, tuple[BomVersion, ...]]:
    components: dict[int, list[BomComponent]] = defaultdict(list)
    query = (
        select(BomComponentRow)
        .join(BomVersionRow)
        .where(BomVersionRow.company_id == company)
        .order_by(BomComponentRow.id)
    )
    for c in session.scalars(query):
        components[c.bom_version_id].append(
            BomComponent(c.component, c.qty_per, c.merma_pct, c.desperdicio_pct, c.uom, c.qty_per_given)
        )
    versions: dict[str, list[BomVersion]] = defaultdict(list)
    for v in session.scalars(
        select(BomVersionRow)
        .where(BomVersionRow.company_id == company)
        .order_by(BomVersionRow.product, BomVersionRow.valid_from)
    ):
        versions[v.product].append(BomVersion(v.product, v.valid_from, v.valid_to, tuple(components[v.id])))
    return {product: tuple(vs) for product, vs in versions.items()}


def ledger_fingerprint_rows(ledger: Ledger) -> Iterable[str]:
    """A canonical text of the ledger's facts, for fingerprinting what a run saw."""
    for part in sorted(ledger.parts.values(), key=lambda p: p.part):
        yield f"P|{part.part}|{part.uom}|{part.kind}"
    for lot in sorted(ledger.imports, key=lambda x: x.key):
        yield f"I|{lot.pedimento}|{lot.line}|{lot.part}|{lot.cleared_on}|{lot.qty.normalize()}"
    for exp in sorted(ledger.exports, key=lambda x: x.key):
        yield (
            f"E|{exp.pedimento}|{exp.line}|{exp.product}|{exp.cleared_on}|{exp.qty.normalize()}|"
            f"{exp.import_pedimento}"
        )
    for held in sorted(ledger.not_discharging, key=lambda x: x.key):  # none: the text of before
        yield (
            f"N|{held.pedimento}|{held.line}|{held.product}|{held.clave}|{held.cleared_on}|"
            f"{held.qty.normalize()}"
        )
    for reg in sorted(ledger.regularizations, key=lambda x: x.key):  # none: the text of before
        yield (
            f"R|{reg.pedimento}|{reg.line}|{reg.product}|{reg.cleared_on}|{reg.qty.normalize()}|"
            f"{reg.import_pedimento}|{reg.import_line}"
        )
    for product in sorted(ledger.boms):
        for v in ledger.boms[product]:
            for c in v.components:
                yield (
                    f"B|{product}|{v.valid_from}|{v.valid_to}|{c.component}|{c.qty_per.normalize()}|"
                    f"{c.merma_pct.normalize()}|{c.desperdicio_pct.normalize()}"
                )


def current_user() -> str:
    """Who is running the command, for the audit trail."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
