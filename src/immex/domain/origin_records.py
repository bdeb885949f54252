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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from immex.domain.deadlines import add_months
from immex.domain.ledger import Ledger
from immex.intake.problems import Problem
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


def parse_certifications(
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
