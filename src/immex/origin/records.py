"""Supplier certifications of origin, solicitations to suppliers, and the rules they follow.

Pure values and functions. A material bought from a supplier counts as
originating on a date only when a certification of origin from a supplier
covers that part on that date (USMCA Art. 5.2: a blanket certification covers
the shipments of its period, at most 12 months); from the day after its period
ends the material is non-originating until a new certification is on file.

``parse_certifications`` validates the rows of a certifications file and
returns every problem at once; ``certification_status`` builds the
solicitation list (what is missing, expired or expiring) the analyst sends to
suppliers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, Literal

from immex.core.numbers import plain
from immex.core.problems import Problem
from immex.discharge.deadlines import add_months
from immex.discharge.methods import DischargeResult, discharge
from immex.ledger.model import ExportLine, ImportLine, Ledger
from immex.origin.hs import HsCode, HsError
from immex.origin.model import Good, Material, MaterialRole, OriginCase
from immex.rules import EffectiveSeries, RulesError, build_series, read_yaml, require_keys

CertStatus = Literal["missing", "expired", "expiring"]
SolicitationStatus = Literal["requested", "received", "declined", "cancelled"]
SOLICITATION_STATUSES: tuple[SolicitationStatus, ...] = ("requested", "received", "declined", "cancelled")
OPEN_SOLICITATION: SolicitationStatus = "requested"


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataElement:
    number: int
    key: str
    title: str
    reference: str


@dataclass(frozen=True, slots=True)
class OriginRecordsRules:
    """The legal data of ``rules/origin_records.yaml``."""

    blanket_max_months: EffectiveSeries[int]
    blanket_reference: str
    record_keeping_years: EffectiveSeries[int]
    record_keeping_reference: str
    criteria: Mapping[str, str]
    criteria_reference: str
    certifier_types: tuple[str, ...]
    certifier_types_reference: str
    territory: frozenset[str]
    territory_reference: str
    data_elements: tuple[DataElement, ...]
    data_elements_reference: str
    statement: str


def _section(data: Mapping[str, Any], key: str, required: set[str], allowed: set[str]) -> Mapping[str, Any]:
    section = data[key]
    if not isinstance(section, Mapping):
        raise RulesError(f"origin_records.yaml: {key} must be a mapping")
    require_keys(section, required, allowed, f"origin_records.yaml:{key}")
    if not str(section["reference"]).strip():
        raise RulesError(f"origin_records.yaml:{key}: empty reference")
    return section


@cache
def rules() -> OriginRecordsRules:
    """Load ``rules/origin_records.yaml`` strictly (unknown keys, missing citations are errors)."""
    data = read_yaml("origin_records.yaml")
    sections = {
        "blanket_period",
        "record_keeping",
        "origin_criteria",
        "certifier_types",
        "territory",
        "data_elements",
    }
    require_keys(data, sections, sections, "origin_records.yaml")
    blanket = _section(
        data,
        "blanket_period",
        {"description", "reference", "max_months"},
        {"description", "reference", "max_months"},
    )
    keeping = _section(
        data, "record_keeping", {"description", "reference", "years"}, {"description", "reference", "years"}
    )
    criteria = _section(data, "origin_criteria", {"reference", "codes"}, {"reference", "codes"})
    certifiers = _section(data, "certifier_types", {"reference", "codes"}, {"reference", "codes"})
    territory = _section(
        data,
        "territory",
        {"description", "reference", "countries"},
        {"description", "reference", "countries"},
    )
    elements = _section(
        data, "data_elements", {"reference", "elements", "statement"}, {"reference", "elements", "statement"}
    )
    parsed_elements = []
    for index, row in enumerate(elements["elements"]):
        where = f"origin_records.yaml:data_elements[{index}]"
        require_keys(
            row, {"number", "key", "title", "reference"}, {"number", "key", "title", "reference"}, where
        )
        parsed_elements.append(
            DataElement(int(row["number"]), str(row["key"]), str(row["title"]), str(row["reference"]))
        )
    if [e.number for e in parsed_elements] != list(range(1, len(parsed_elements) + 1)):
        raise RulesError("origin_records.yaml:data_elements: numbers must run 1, 2, 3, ... in order")
    if set(criteria["codes"]) != {"A", "B", "C", "D"}:
        raise RulesError("origin_records.yaml:origin_criteria: codes must be exactly A, B, C, D")
    return OriginRecordsRules(
        blanket_max_months=build_series("blanket_period.max_months", blanket["max_months"], "months"),
        blanket_reference=str(blanket["reference"]),
        record_keeping_years=build_series("record_keeping.years", keeping["years"], "years"),
        record_keeping_reference=str(keeping["reference"]),
        criteria={str(k): str(v) for k, v in criteria["codes"].items()},
        criteria_reference=str(criteria["reference"]),
        certifier_types=tuple(str(c) for c in certifiers["codes"]),
        certifier_types_reference=str(certifiers["reference"]),
        territory=frozenset(str(c) for c in territory["countries"]),
        territory_reference=str(territory["reference"]),
        data_elements=tuple(parsed_elements),
        data_elements_reference=str(elements["reference"]),
        statement=" ".join(str(elements["statement"]).split()),
    )


def blanket_last_day(start: dt.date) -> dt.date:
    """The last day a blanket period starting on ``start`` may cover (12 months, USMCA Art. 5.2)."""
    months = rules().blanket_max_months.on(start)
    return add_months(start, months) - dt.timedelta(days=1)


def retention_until(completed_on: dt.date) -> dt.date:
    """Keep the records of a certification completed on ``completed_on`` until this date (Art. 5.8)."""
    years = rules().record_keeping_years.on(completed_on)
    return add_months(completed_on, 12 * years)


# --- supplier certifications -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupplierCertification:
    """A supplier's certification of origin for one part, covering ``valid_from``..``valid_to``."""

    supplier: str
    part: str
    valid_from: dt.date
    valid_to: dt.date
    criterion: str
    document_ref: str
    supplier_country: str = ""
    certifier_type: str = ""
    row: int = 0

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.supplier, self.part, self.valid_from)

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_to


CERT_REQUIRED = ("supplier", "part", "valid_from", "valid_to", "criterion", "document_ref")
CERT_OPTIONAL = ("supplier_country", "certifier_type")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a YYYY-MM-DD date") from exc


def parse_certifications(  # noqa: C901
    label: str,
    header: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, str]]],
    known_parts: Iterable[str],
) -> tuple[list[SupplierCertification], list[Problem]]:
    """Validate every row of a certifications table; all problems are returned together."""
    problems: list[Problem] = []
    missing = [c for c in CERT_REQUIRED if c not in header]
    if missing:
        return [], [Problem(label, 1, c, f"required column {c!r} is missing") for c in missing]
    parts = set(known_parts)
    table = rules()
    certs: list[SupplierCertification] = []
    seen: dict[tuple[str, str, dt.date], int] = {}
    for number, row in rows:
        bad = len(problems)

        def problem(column: str, message: str, number: int = number) -> None:
            problems.append(Problem(label, number, column, message))

        values = {c: row.get(c, "").strip() for c in (*CERT_REQUIRED, *CERT_OPTIONAL)}
        for column in CERT_REQUIRED:
            if not values[column]:
                problem(column, f"{column} is required")
        dates: dict[str, dt.date] = {}
        for column in ("valid_from", "valid_to"):
            if values[column]:
                try:
                    dates[column] = _date(values[column])
                except ValueError as exc:
                    problem(column, str(exc))
        if values["part"] and values["part"] not in parts:
            problem("part", f"part {values['part']!r} is not in the stored parts; load the ledger first")
        criterion = values["criterion"].upper()
        if values["criterion"] and criterion not in table.criteria:
            problem(
                "criterion",
                f"criterion {values['criterion']!r} must be one of A, B, C, D ({table.criteria_reference})",
            )
        certifier_type = values["certifier_type"].lower()
        if certifier_type and certifier_type not in table.certifier_types:
            problem(
                "certifier_type",
                f"certifier_type {values['certifier_type']!r} must be one of "
                f"{', '.join(table.certifier_types)}",
            )
        country = values["supplier_country"].upper()
        if country and (len(country) != 2 or not country.isalpha()):
            problem(
                "supplier_country",
                f"supplier_country {values['supplier_country']!r} must be an ISO 3166 two-letter code",
            )
        start, end = dates.get("valid_from"), dates.get("valid_to")
        if start is not None and end is not None:
            if end < start:
                problem("valid_to", f"valid_to {end} is before valid_from {start}")
            else:
                try:
                    last = blanket_last_day(start)
                except RulesError as exc:
                    problem("valid_from", str(exc))
                else:
                    if end > last:
                        problem(
                            "valid_to",
                            f"a blanket period may not exceed "
                            f"{table.blanket_max_months.on(start)} months: from {start} it "
                            f"ends on {last} at the latest ({table.blanket_reference})",
                        )
        if len(problems) > bad or start is None or end is None:
            continue
        cert = SupplierCertification(
            values["supplier"],
            values["part"],
            start,
            end,
            criterion,
            values["document_ref"],
            country,
            certifier_type,
            number,
        )
        if cert.key in seen:
            problem(
                "valid_from",
                f"supplier {cert.supplier!r} part {cert.part!r} from {start} is also on row {seen[cert.key]}",
            )
            continue
        seen[cert.key] = number
        certs.append(cert)
    return certs, problems


def covering(certs: Iterable[SupplierCertification], day: dt.date) -> SupplierCertification | None:
    """The certification covering ``day`` that runs longest (None when none does)."""
    found = [c for c in certs if c.covers(day)]
    return max(found, key=lambda c: (c.valid_to, c.supplier, c.document_ref)) if found else None


def coverage_end(certs: Sequence[SupplierCertification], day: dt.date) -> dt.date | None:
    """The last day of the unbroken coverage that starts on ``day`` (chaining renewals)."""
    end: dt.date | None = None
    current = day
    extended = True
    while extended:
        extended = False
        for cert in certs:
            if cert.valid_from <= current <= cert.valid_to and (end is None or cert.valid_to > end):
                end = cert.valid_to
                extended = True
        if end is not None:
            current = end + dt.timedelta(days=1)
    return end


# --- solicitations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Solicitation:
    """A request to a supplier for a certification of the part, and where it stands."""

    supplier: str
    part: str
    requested_on: dt.date
    status: SolicitationStatus
    status_on: dt.date
    note: str = ""


def latest_solicitation(solicitations: Iterable[Solicitation]) -> Solicitation | None:
    items = list(solicitations)
    return max(items, key=lambda s: (s.requested_on, s.status_on)) if items else None


@dataclass(frozen=True, slots=True)
class CertificationNeed:
    """A purchased part whose origin depends on a supplier certification."""

    part: str
    description: str
    hs: str
    country: str
    used_in: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SolicitationLine:
    """One line of the list to send to suppliers."""

    part: str
    description: str
    hs: str
    country: str
    supplier: str
    status: CertStatus
    covered_until: dt.date | None
    days_left: int | None
    last_document: str
    used_in: tuple[str, ...]
    solicitation_status: str
    requested_on: dt.date | None


def certification_status(
    needs: Iterable[CertificationNeed],
    certs_by_part: Mapping[str, Sequence[SupplierCertification]],
    solicitations_by_part: Mapping[str, Sequence[Solicitation]],
    day: dt.date,
    days: int,
) -> list[SolicitationLine]:
    """Parts whose certification is missing or expired on ``day`` or ends within ``days`` days.

    ``expiring``: covered on ``day`` but the unbroken coverage (renewals on file
    included) ends before ``day + days``. ``expired``: not covered on ``day`` and
    a certification ended before it. ``missing``: none ever on file for the part.
    """
    if days < 0:
        raise ValueError("days must be zero or more")
    horizon = day + dt.timedelta(days=days)
    lines = []
    for need in sorted(needs, key=lambda n: n.part):
        certs = certs_by_part.get(need.part, ())
        end = coverage_end(certs, day)
        status: CertStatus
        reference: SupplierCertification | None
        if end is not None and end >= horizon:
            continue
        if end is not None:
            status, reference = (
                "expiring",
                max((c for c in certs if c.valid_to == end), key=lambda c: c.valid_from),
            )
        else:
            before = [c for c in certs if c.valid_to < day]
            status = "expired" if before else "missing"
            reference = max(before, key=lambda c: c.valid_to) if before else None
        asked = latest_solicitation(solicitations_by_part.get(need.part, ()))
        supplier = reference.supplier if reference else (asked.supplier if asked else "")
        lines.append(
            SolicitationLine(
                need.part,
                need.description,
                need.hs,
                need.country,
                supplier,
                status,
                end,
                None if end is None else (end - day).days,
                reference.document_ref if reference else "",
                need.used_in,
                asked.status if asked else "",
                asked.requested_on if asked else None,
            )
        )
    return lines


def certification_needs(ledger: Ledger, day: dt.date, territory: Iterable[str]) -> list[CertificationNeed]:
    """Purchased materials of the finished goods' BOMs on ``day`` that could be originating.

    A component with its own BOM version on ``day`` is self-produced (its origin is
    determined, not certified) and is walked through; every other component is
    purchased. It needs a supplier certification unless every country of origin
    known for it (the part's, its import lots') is outside the territory.
    """
    parties = set(territory)
    countries: dict[str, set[str]] = {}
    for lot in ledger.imports:
        if lot.country_of_origin:
            countries.setdefault(lot.part, set()).add(lot.country_of_origin.upper())
    used_in: dict[str, set[str]] = {}

    def walk(product: str, item: str, path: tuple[str, ...]) -> None:
        version = ledger.bom_on(item, day)
        if version is None or item in path:
            return
        for component in version.components:
            if ledger.bom_on(component.component, day) is not None:
                walk(product, component.component, (*path, item))
            else:
                used_in.setdefault(component.component, set()).add(product)

    for name, finished in ledger.parts.items():
        if finished.kind == "finished":
            walk(name, name, ())
    needs = []
    for name, products in used_in.items():
        part = ledger.parts.get(name)
        known = set(countries.get(name, set()))
        if part is not None and part.country_of_origin:
            known.add(part.country_of_origin.upper())
        if known and not known & parties:
            continue
        needs.append(
            CertificationNeed(
                name,
                part.description if part else "",
                part.hs if part else "",
                ", ".join(sorted(known)),
                tuple(sorted(products)),
            )
        )
    return sorted(needs, key=lambda n: n.part)


# --- origin from the ledger -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredValue:
    """A value the analyst keeps: a material's unit value, or a good's transaction value / net cost."""

    item: str
    valid_from: dt.date
    unit_value_usd: Decimal
    net_cost_usd: Decimal | None = None
    note: str = ""
    row: int = 0


def value_on(values: Sequence[StoredValue], day: dt.date) -> StoredValue | None:
    """The stored value in force on ``day``: the latest ``valid_from`` on or before it."""
    found = [v for v in values if v.valid_from <= day]
    return max(found, key=lambda v: v.valid_from) if found else None


class LedgerCaseError(ValueError):
    """The stored ledger cannot give a case for this product and date; ``messages`` says every reason."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("; ".join(self.messages))


# Valuation orders of the lots still in stock on the date (the discharge's methods that
# order lots by themselves; "directed" needs an export line and is not one of them).
VALUATION_METHODS = ("fifo", "lifo")


# a purchased material as built for one quantity: the material, its problems, its notes
_Purchased = tuple[Material | None, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Stock:
    """The ledger as a good produced on ``day`` sees it, indexed for many goods.

    ``lots``: per part, the lots cleared on or before the date in FIFO order with what
    is left of each; ``exports``: the export lines of each product; ``lot_hs``: a
    part's fracción as written on its import lines.
    """

    day: dt.date
    method: str
    lots: Mapping[str, tuple[tuple[ImportLine, Decimal], ...]]
    exports: Mapping[str, tuple[ExportLine, ...]] = field(default_factory=dict)
    lot_hs: Mapping[str, str] = field(default_factory=dict)
    memo: dict[tuple[str, Decimal], _Purchased] = field(default_factory=dict, compare=False, repr=False)


def stock_on(
    ledger: Ledger, day: dt.date, method: str = "fifo", run: Callable[[Ledger], DischargeResult] | None = None
) -> Stock:
    """What the inventory method leaves for a good produced on ``day``.

    The exports cleared before ``day`` are discharged first (``immex.discharge.methods``,
    same method, or ``run``: an engine that gives exactly its result, such as the
    vectorized FIFO); the lots cleared on or before ``day`` keep what is left.
    """
    return stocks_on(ledger, [day], method, run)[day]


def stocks_on(
    ledger: Ledger,
    days: Iterable[dt.date],
    method: str = "fifo",
    run: Callable[[Ledger], DischargeResult] | None = None,
) -> dict[dt.date, Stock]:
    """:func:`stock_on` for several days with one discharge.

    Exports are discharged in date order and each takes only from lots cleared by its
    date, so the allocations of the exports before a day are the same in a run over the
    exports before any later day: one run before the last day serves every day.
    """
    if method not in VALUATION_METHODS:
        raise ValueError(f"inventory method {method!r} must be one of {', '.join(VALUATION_METHODS)}")
    wanted = sorted(set(days))
    if not wanted:
        return {}
    earlier = tuple(e for e in ledger.exports if e.cleared_on < wanted[-1])
    taken: list[tuple[dt.date, tuple[str, int, str], Decimal]] = []
    if earlier:
        prefix = Ledger(ledger.parts, ledger.imports, earlier, ledger.boms, ledger.conversions)
        result = run(prefix) if run is not None else discharge(prefix, method)
        dates = {e.key: e.cleared_on for e in earlier}
        taken = sorted(
            (
                (
                    dates[(a.export_pedimento, a.export_line, a.product)],
                    (a.import_pedimento, a.import_line, a.part),
                    a.qty,
                )
                for a in result.allocations
            ),
            key=lambda t: t[0],
        )
    exports: dict[str, list[ExportLine]] = defaultdict(list)
    for line in ledger.exports:
        exports[line.product].append(line)
    by_product = {product: tuple(lines) for product, lines in exports.items()}
    lot_hs: dict[str, str] = {}
    for lot in ledger.imports:
        if lot.hs and lot.part not in lot_hs:
            lot_hs[lot.part] = lot.hs
    lots = sorted(ledger.imports, key=lambda x: x.fifo_key)
    used: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    out: dict[dt.date, Stock] = {}
    position = 0
    for day in wanted:
        while position < len(taken) and taken[position][0] < day:
            used[taken[position][1]] += taken[position][2]
            position += 1
        by_part: dict[str, list[tuple[ImportLine, Decimal]]] = defaultdict(list)
        for lot in lots:
            if lot.cleared_on <= day:
                by_part[lot.part].append((lot, lot.qty - used.get(lot.key, Decimal(0))))
        out[day] = Stock(day, method, {part: tuple(x) for part, x in by_part.items()}, by_product, lot_hs)
    return out


@dataclass(frozen=True, slots=True)
class LedgerInputs:
    """What the ledger alone does not hold: certifications and stored values."""

    certifications: Mapping[str, Sequence[SupplierCertification]]
    stored_values: Mapping[str, Sequence[StoredValue]]


@dataclass(frozen=True, slots=True)
class GoodValue:
    transaction_value: Decimal
    net_cost: Decimal | None
    source: str


def good_value(
    ledger: Ledger,
    inputs: LedgerInputs,
    product: str,
    day: dt.date,
    explicit: Decimal | None = None,
    explicit_net_cost: Decimal | None = None,
    exports: Sequence[ExportLine] | None = None,
) -> GoodValue:
    """The good's transaction value per unit, first of:

    1. the value given explicitly (``--transaction-value``);
    2. the value stored for the product in force on ``day`` (``immex origin values load``);
    3. the product's export lines with a unit value: those of the latest date on or before
       ``day``, else of the earliest date after it; several lines of that date are averaged
       weighted by quantity.

    The net cost is the explicit one, else the stored one, else unknown. ``exports`` are the
    product's export lines when the caller has them indexed (else they are looked up).
    """
    stored = value_on(inputs.stored_values.get(product, ()), day)
    net_cost = explicit_net_cost
    if net_cost is None and stored is not None:
        net_cost = stored.net_cost_usd
    if explicit is not None:
        return GoodValue(explicit, net_cost, "given")
    if stored is not None:
        return GoodValue(stored.unit_value_usd, net_cost, f"stored value from {stored.valid_from}")
    candidates = exports if exports is not None else [e for e in ledger.exports if e.product == product]
    lines = [e for e in candidates if e.product == product and e.unit_value_usd is not None and e.qty > 0]
    before = [e for e in lines if e.cleared_on <= day]
    after = [e for e in lines if e.cleared_on > day]
    if before:
        on = max(e.cleared_on for e in before)
    elif after:
        on = min(e.cleared_on for e in after)
    else:
        raise LedgerCaseError(
            [
                f"product {product!r} has no transaction value: no export line with "
                "unit_value_usd and no stored value; give --transaction-value or load one "
                "with 'immex origin values load'"
            ]
        )
    chosen = [e for e in lines if e.cleared_on == on]
    qty = sum((e.qty for e in chosen), Decimal(0))
    total = sum((e.qty * (e.unit_value_usd or Decimal(0)) for e in chosen), Decimal(0))
    return GoodValue(
        total / qty,
        net_cost,
        f"export lines of {on.isoformat()} ({', '.join(f'{e.pedimento}/{e.line}' for e in chosen)})",
    )


def _material_value(
    stock: Stock, inputs: LedgerInputs, part: str, qty: Decimal, problems: list[str], notes: list[str]
) -> Decimal:
    """Value of ``qty`` of a purchased part: the lots the method would take, then fallbacks."""
    lots = stock.lots.get(part, ())
    order = lots if stock.method == "fifo" else tuple(reversed(lots))
    need, value = qty, Decimal(0)
    for lot, left in order:
        if need <= 0:
            break
        if left <= 0 or lot.unit_value_usd is None:
            continue
        take = min(left, need)
        value += take * lot.unit_value_usd
        need -= take
    if need <= 0:
        return value
    valued = [lot for lot, _left in lots if lot.unit_value_usd is not None]
    if valued:  # stock used up on the date: the newest lot's unit value for the rest
        newest = valued[-1]
        assert newest.unit_value_usd is not None
        notes.append(
            f"Material {part!r}: the lots in stock on {stock.day.isoformat()} do not cover "
            f"{need} of the {qty} needed; that rest is valued at the newest lot "
            f"{newest.pedimento}/{newest.line}."
        )
        return value + need * newest.unit_value_usd
    stored = value_on(inputs.stored_values.get(part, ()), stock.day)
    if stored is not None:
        notes.append(
            f"Material {part!r} has no import lot with a value: stored value from "
            f"{stored.valid_from.isoformat()} used."
        )
        return value + need * stored.unit_value_usd
    problems.append(
        f"material {part!r} has no import lot with unit_value_usd cleared on or before "
        f"{stock.day.isoformat()} and no stored value; load one with 'immex origin values load'"
    )
    return value


@lru_cache(maxsize=65536)
def _parse_hs(text: str) -> HsCode:
    return HsCode.parse(text)


def _hs(ledger: Ledger, stock: Stock, part: str, problems: list[str]) -> HsCode | None:
    record = ledger.parts.get(part)
    text = (record.hs if record is not None else "") or stock.lot_hs.get(part, "")
    if not text:
        problems.append(f"part {part!r} has no fracción (hs) in parts or in its import lines")
        return None
    try:
        return _parse_hs(text)
    except HsError as exc:
        problems.append(f"part {part!r}: {exc}")
        return None


def _materials(
    ledger: Ledger,
    stock: Stock,
    inputs: LedgerInputs,
    product: str,
    multiplier: Decimal,
    day: dt.date,
    path: tuple[str, ...],
    problems: list[str],
    notes: list[str],
    designate: bool = True,
) -> tuple[Material, ...]:
    """The materials of ``multiplier`` units of ``product``, one per part (same part summed).

    With ``designate`` (the good's own BOM) a self-produced component is an intermediate
    material with its components. Inside an intermediate material no other self-produced
    material may be designated (USMCA Art. 4.7; HTSUS GN 11(c)(ix)(B)): a subassembly there
    is replaced by the materials used to produce it.
    """
    version = ledger.bom_on(product, day)
    assert version is not None
    out: dict[str, Material] = {}

    def add(material: Material) -> None:
        known = out.get(material.id)
        out[material.id] = material if known is None else replace(known, value=known.value + material.value)

    for component in version.components:
        name = component.component
        qty = multiplier * component.gross_qty_per
        if name in path:
            problems.append(f"BOM cycle on {day.isoformat()}: {' -> '.join((*path, name))}")
            continue
        if name in ledger.boms and ledger.bom_on(name, day) is not None:
            inner = (*path, name)
            if not designate:
                for material in _materials(
                    ledger, stock, inputs, name, qty, day, inner, problems, notes, False
                ):
                    add(material)
                continue
            hs = _hs(ledger, stock, name, problems)
            part = ledger.parts.get(name)
            country = part.country_of_origin if part is not None else ""
            components = _materials(ledger, stock, inputs, name, qty, day, inner, problems, notes, False)
            stored = value_on(inputs.stored_values.get(name, ()), day)
            value = stored.unit_value_usd * qty if stored else sum((c.value for c in components), Decimal(0))
            net_cost = stored.net_cost_usd * qty if stored and stored.net_cost_usd is not None else value
            if hs is not None:
                out[name] = Material(
                    name,
                    hs,
                    value,
                    False,
                    country or None,
                    MaterialRole.DIRECT,
                    intermediate=True,
                    components=components,
                    net_cost=net_cost,
                    description=part.description if part is not None else "",
                )
            continue
        bought, found, said = _purchased(ledger, stock, inputs, name, qty)
        problems.extend(found)
        notes.extend(said)
        if bought is not None:
            add(bought)
    return tuple(out.values())


def _purchased(ledger: Ledger, stock: Stock, inputs: LedgerInputs, name: str, qty: Decimal) -> _Purchased:
    """A purchased material as ``qty`` of it is on ``stock.day``; memoised in the stock (a value
    depends only on the part, the quantity and the day's stock, never on the good)."""
    key = (name, qty)
    known = stock.memo.get(key)
    if known is not None:
        return known
    problems: list[str] = []
    notes: list[str] = []
    hs = _hs(ledger, stock, name, problems)
    part = ledger.parts.get(name)
    country = part.country_of_origin if part is not None else ""
    packing = part is not None and part.kind == "container"
    role = MaterialRole.SHIPPING_PACKING if packing else MaterialRole.DIRECT
    value = _material_value(stock, inputs, name, qty, problems, notes)
    certified = covering(inputs.certifications.get(name, ()), stock.day) is not None
    description = part.description if part is not None else ""  # read where a rule names goods by description
    material = (
        Material(name, hs, value, certified, country or None, role, description=description)
        if hs is not None
        else None
    )
    result = (material, tuple(problems), tuple(notes))
    stock.memo[key] = result
    return result


@dataclass(frozen=True, slots=True)
class LedgerCase:
    """A case built from the ledger, with where its values came from."""

    case: OriginCase
    value: GoodValue
    notes: tuple[str, ...]


def ledger_case(
    ledger: Ledger,
    inputs: LedgerInputs,
    product: str,
    day: dt.date,
    stock: Stock,
    agreement: str = "USMCA",
    value: GoodValue | None = None,
) -> LedgerCase:
    """The origin case of one unit of ``product`` produced on ``day``, from the stored ledger.

    Materials are the components of the BOM version valid on ``day`` (merma and
    desperdicio included); a component with its own BOM on ``day`` is a self-produced
    intermediate material whose origin the engine determines from its components
    (roll-up). A purchased material is originating only when a supplier
    certification covers it on ``day``; its value is what the inventory method
    takes from the lots in stock on ``day``.
    """
    if stock.day != day:
        raise ValueError(f"the stock is of {stock.day.isoformat()}, not of {day.isoformat()}")
    problems: list[str] = []
    notes: list[str] = []
    part = ledger.parts.get(product)
    if part is None:
        raise LedgerCaseError([f"product {product!r} is not a stored part"])
    if ledger.bom_on(product, day) is None:
        raise LedgerCaseError([f"product {product!r} has no BOM version valid on {day.isoformat()}"])
    hs = _hs(ledger, stock, product, problems)
    try:
        worth = value or good_value(ledger, inputs, product, day, exports=stock.exports.get(product, ()))
    except LedgerCaseError as exc:
        problems.extend(exc.messages)
        worth = None
    materials = _materials(ledger, stock, inputs, product, Decimal(1), day, (product,), problems, notes)
    if problems or hs is None or worth is None:
        raise LedgerCaseError(problems)
    good = Good(hs, worth.transaction_value, worth.net_cost, part.description)
    notes.insert(
        0,
        f"Transaction value {plain(worth.transaction_value)} from {worth.source}; materials "
        f"valued by {stock.method.upper()} from the import lots in stock on {day.isoformat()}; "
        "a purchased material is originating only with a supplier certification covering that "
        "date.",
    )
    return LedgerCase(OriginCase(agreement, day, good, materials), worth, tuple(notes))
