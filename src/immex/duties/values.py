"""Plain values of the duty engine: case files, the DTA table and the results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

# Case files give Decimals; derived cases (landed cost, ledger) may carry exact Fractions.
Exact = Decimal | Fraction

Clave = Literal["A1", "IN", "AF"]
Program = Literal["TMEC", "PROSEC", "R8"]
Certification = Literal["A", "AA", "AAA"]
Destination = Literal["US", "CA"]


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with a case file: ``PATH: message`` (``lines[2].value: ...``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class CitedValue:
    """A value of the legal data with its citation; ``value`` None = not in our sources."""

    value: Decimal | None
    reference: str


@dataclass(frozen=True, slots=True)
class DtaRow:
    """LFD Art. 49 rates and quotas in force from ``since`` (through ``until``)."""

    since: dt.date
    until: dt.date | None
    fr_i_rate: CitedValue
    fr_ii_rate: CitedValue
    fr_iii_quota: CitedValue
    fr_iv_quota: CitedValue
    fr_v_quota: CitedValue


@dataclass(frozen=True, slots=True)
class DtaTable:
    """The rows of LFD Art. 49, sorted by ``since``, non-overlapping."""

    rows: tuple[DtaRow, ...]

    def row_on(self, day: dt.date) -> DtaRow | None:
        """The row with the latest ``since`` not after ``day``, unless it ended before ``day``."""
        found: DtaRow | None = None
        for row in self.rows:
            if row.since <= day:
                found = row
        if found is None or (found.until is not None and day > found.until):
            return None
        return found

    def first_day(self) -> dt.date | None:
        return self.rows[0].since if self.rows else None


@dataclass(frozen=True, slots=True)
class QuotaOverrides:
    """Quotas a case file gives for its own run (``quotas.dta_iii`` / ``quotas.dta_v``)."""

    dta_iii: Decimal | None = None
    dta_v: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Preference:
    """A preferential IGI rate claimed on a line or a material."""

    program: Program
    rate: Decimal
    certificate: str | None = None
    sector: str | None = None


@dataclass(frozen=True, slots=True)
class Incrementables:
    """LA Art. 65 charges not in the invoice price, for the whole pedimento, in its currency."""

    freight: Exact = Decimal(0)
    insurance: Exact = Decimal(0)
    packing: Exact = Decimal(0)
    other: Exact = Decimal(0)

    def total(self) -> Fraction:
        return (
            Fraction(self.freight) + Fraction(self.insurance) + Fraction(self.packing) + Fraction(self.other)
        )


@dataclass(frozen=True, slots=True)
class Company:
    immex: bool = False
    certification: Certification | None = None
    iva_guarantee: bool = False


@dataclass(frozen=True, slots=True)
class PedimentoLine:
    line: int
    fraccion: str
    value: Exact
    igi_rate: Decimal
    preference: Preference | None
    cc_rate: Decimal
    iva_rate: Decimal
    ieps_rate: Decimal = Decimal(0)
    """Ad valorem IEPS (LIEPS Art. 2 fr. I); 0 = none. Not read from a contract case file
    (contracts/duties.md: IEPS is not in this version): set by the ledger's costs."""


@dataclass(frozen=True, slots=True)
class PedimentoCase:
    clave: Clave
    date: dt.date
    exchange_rate: Decimal
    incrementables: Incrementables
    iva_rate: Decimal
    company: Company
    lines: tuple[PedimentoLine, ...]
    quotas: QuotaOverrides = QuotaOverrides()
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class ContributionRow:
    """One row of the cuadro de liquidación (Apéndice 12 code, Apéndice 13 forma de pago)."""

    code: int
    abbr: str
    base: str
    rate: str
    amount: int
    forma_pago: int
    tipo_tasa: int | None = None


@dataclass(frozen=True, slots=True)
class LineResult:
    line: int
    fraccion: str
    customs_value: int
    contributions: tuple[ContributionRow, ...]
    ieps: int = 0
    """IEPS of the line (whole pesos), in the IVA base; not a contribution row of the contract output."""


@dataclass(frozen=True, slots=True)
class PedimentoResult:
    clave: Clave
    date: dt.date
    lines: tuple[LineResult, ...]
    dta: ContributionRow
    customs_value: int
    by_code: dict[int, int]
    cash: int


@dataclass(frozen=True, slots=True)
class ExportOperation:
    pedimento: str | None
    date: dt.date
    clave: str | None
    destination: Destination
    same_condition: bool = False


@dataclass(frozen=True, slots=True)
class ForeignDuty:
    """Duty paid in the US/Canada on the finished good, with the MXN rate to convert it."""

    amount: Exact
    exchange_rate: Decimal
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class Material:
    """A material consumed in the exported good, valued in pesos at its import rate."""

    id: str | int
    fraccion: str
    customs_value_mxn: Exact
    originating: bool
    igi_rate: Decimal
    preference: Preference | None = None


@dataclass(frozen=True, slots=True)
class Tmec25Case:
    export: ExportOperation
    foreign_duty: ForeignDuty | None
    materials: tuple[Material, ...]
    quotas: QuotaOverrides = QuotaOverrides()


@dataclass(frozen=True, slots=True)
class MaterialResult:
    id: str | int
    included: bool
    rate: Decimal
    rate_source: str
    igi: str


@dataclass(frozen=True, slots=True)
class Tmec25Result:
    applies: bool
    materials: tuple[MaterialResult, ...]
    mexican_igi: int
    foreign_duty_mxn: int | None
    exemption: int
    payable: int
    contribution_code: int
    contribution_abbr: str
    contribution_forma_pago: int
    identificador_clave: str
    complemento: str
    due_date: dt.date | None
    dta_complementario: int


@dataclass(frozen=True, slots=True)
class Catalog:
    """Anexo 22 codes the engine writes (Apéndices 8, 12, 13 and 18)."""

    contributions: dict[str, tuple[int, str]]
    formas_pago: dict[str, int]
    tipos_tasa: dict[str, int]
    art25_identificador: str
    art25_complementos: dict[str, str]


@dataclass(frozen=True, slots=True)
class EvidenceTerm:
    """Days after the export to prove the US/CA duty (T-MEC Art. 2.5), by period."""

    since: dt.date
    until: dt.date | None
    days: int


@dataclass(frozen=True, slots=True)
class DutyRules:
    """Everything the engine takes from ``rules/duties/``: a plain value, no I/O."""

    dta: DtaTable
    catalog: Catalog
    evidence_terms: tuple[EvidenceTerm, ...]

    def evidence_days_on(self, day: dt.date) -> int | None:
        for term in self.evidence_terms:
            if term.since <= day and (term.until is None or day <= term.until):
                return term.days
        return None
