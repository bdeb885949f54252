"""The use case of ``immex report ivacredit``: where the credited IVA/IEPS comes from, and the report.

The credit a temporary import took is read, in this order:

1. **Data Stage** — when the store holds the pedimento's Data Stage (``immex datastage
   import``): the partida's contributions (record 557) of IVA (Apéndice 12 code 3) and of
   IEPS (the codes whose catalog entry is an IEPS) declared with the forma de pago of the
   credit in IVA and IEPS (Apéndice 13 code 21). This is what the pedimento declared, in
   whole pesos. A partida shared by several ledger lines (parts) is split by declared
   value (by quantity when a value is missing). A partida of a stored pedimento with no
   such contribution took no credit (paid or guaranteed) and is not listed.
2. **Computed** (``computed``) — otherwise, by the duty engine: the IVA of a definitive
   import of the whole line on its clearance date (LIVA Art. 27, second paragraph: the
   value plus the contributions that a definitive import would pay), in whole pesos, with
   the exchange rate the user gives (``--exchange-rates`` / ``--exchange-rate``), the
   LIGIE rate of the line's fracción (or ``--terms``) and the DTA of that date
   (:func:`immex.reports.options.definitive_cost`). The IEPS is computed for a part whose
   material terms name an ad valorem category of LIEPS Art. 2 fr. I (``ieps_category``,
   ``rules/duties/ieps.yaml``), on the base of LIEPS Art. 14, and is then in the IVA base;
   a part without a category has no computed IEPS (0).
3. **Estimate** (``computed_usd``) — when the engine lacks an input (no exchange rate,
   no fracción, no LIGIE rate): the IVA rate × the declared value in USD, an estimate in
   USD, never presented as pesos; the notes say what was missing.

What leaves a lot: its allocations to returns and virtual transfers, changes of regime and
regularizations (every discharging class of ``immex.ledger.claves``), on the outgoing
line's date. Manual adjustments (``immex adjust``) do not cancel credit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from immex.core.problems import InputError, Problem
from immex.datastage.orm import TABLES
from immex.discharge.methods import DischargeResult
from immex.discharge.service import stored_result
from immex.duties.rules_data import iva_rates
from immex.ledger.claves import clave_class, is_temporary_import
from immex.ledger.model import ImportLine, Ledger
from immex.ledger.service import company_id, load_ledger
from immex.reports.anexo24 import check_period, outgoing_lines
from immex.reports.ivacredit import IVACREDIT_HEADER, CreditLot, Departure, credit_rows, split_credit
from immex.reports.labels import Lang, Reason, sentence, term
from immex.reports.options import CostSources, default_sources, definitive_cost
from immex.reports.service import Report, open_store
from immex.reports.signing import Signature, Source, stored_source
from immex.rules.anexo22 import contribuciones, formas_pago

DATASTAGE = "datastage"
COMPUTED = "computed"
ESTIMATED = "computed_usd"
CERTIFIED = ("A", "AA", "AAA")
Partida = tuple[str, int]  # (15-digit pedimento, secuencia de la partida)


def _credit_formas() -> frozenset[str]:
    """Formas de pago of the credit in IVA and IEPS (Apéndice 13: settled by credit, 'IVA E IEPS')."""
    return frozenset(
        code
        for code, entry in formas_pago().entries.items()
        if entry.settlement == "credited" and "IVA E IEPS" in entry.description.upper()
    )


def _tax_of(code: str) -> str | None:
    entry = contribuciones().entries.get(code)
    if entry is None:
        return None
    if entry.abbreviation == "IVA":
        return "iva"
    if "IEPS" in entry.abbreviation.upper() or "IEPS" in entry.description.upper():
        return "ieps"
    return None


def datastage_credits(session: Session) -> tuple[set[str], dict[Partida, dict[str, Decimal]]]:
    """The stored pedimentos and the credited IVA/IEPS of each of their partidas."""
    p, c = TABLES["501"].c, TABLES["557"].c
    formas = _credit_formas()
    try:
        numbers = {str(n) for (n,) in session.execute(select(p.numero))}
        query = select(
            p.numero, c.secuencia_fraccion, c.clave_contribucion, c.forma_pago, c.importe_pago
        ).join(
            TABLES["557"],
            (p.patente == c.patente)
            & (p.pedimento == c.pedimento)
            & (p.seccion_aduanera == c.seccion_aduanera),
        )
        found = list(session.execute(query))
    except DBAPIError:  # a store created before the Data Stage tables: no Data Stage
        session.rollback()
        return set(), {}
    credits: dict[Partida, dict[str, Decimal]] = defaultdict(lambda: {"iva": Decimal(0), "ieps": Decimal(0)})
    for numero, partida, code, forma, amount in found:
        tax = _tax_of(str(code or ""))
        if tax is None or str(forma or "") not in formas or not amount:
            continue
        credits[(str(numero), int(partida))][tax] += Decimal(str(amount))
    return numbers, dict(credits)


class Computer:
    """The credit of a line without Data Stage: the duty engine, else an estimate in USD."""

    def __init__(self, ledger: Ledger, sources: CostSources | None) -> None:
        self.ledger = ledger
        self._sources = sources
        self.missing: dict[str, int] = defaultdict(int)

    def sources(self) -> CostSources:
        if self._sources is None:  # the tariff is loaded only when a line needs it
            self._sources = default_sources()
        return self._sources

    def lot(self, line: ImportLine) -> CreditLot:
        part = self.ledger.parts.get(line.part)
        hs = line.hs or (part.hs if part is not None else "")
        definitive, missing = definitive_cost(line, _imported(line), hs, self.sources())
        if definitive is not None:
            return CreditLot(
                line.key,
                line.cleared_on,
                _imported(line),
                Decimal(definitive.iva),
                Decimal(definitive.ieps),
                COMPUTED,
            )
        for reason in missing:  # "exchange rate of 2025-01-15 (...)": counted as missing_exchange_rate
            self.missing[
                reason.key if isinstance(reason, Reason) else re.split(r" of |: | \(", reason)[0]
            ] += 1
        return _estimated_lot(line)


def credit_lots(
    ledger: Ledger,
    stored: set[str],
    credits: dict[Partida, dict[str, Decimal]],
    computer: Computer | None = None,
) -> list[CreditLot]:
    """One lot per temporary-import line with credit (Data Stage, else the duty engine, else USD)."""
    compute = computer or Computer(ledger, None)
    by_partida: dict[Partida, list[ImportLine]] = defaultdict(list)
    for lot in ledger.imports:
        if is_temporary_import(lot.clave, lot.cleared_on):
            by_partida[(lot.pedimento, lot.line)].append(lot)
    lots: list[CreditLot] = []
    for partida, lines in sorted(by_partida.items()):
        if partida[0] in stored:
            lots += _declared_lots(lines, credits.get(partida))
        else:
            lots += [compute.lot(line) for line in lines]
    return [lot for lot in lots if lot.iva > 0 or lot.ieps > 0]


def _imported(line: ImportLine) -> Decimal:
    return line.qty + line.adjusted  # the credit was taken on all that was imported


def _declared_lots(lines: list[ImportLine], credit: dict[str, Decimal] | None) -> list[CreditLot]:
    if credit is None:
        return []
    values = [line.unit_value_usd for line in lines]
    if all(v is not None for v in values):
        weights = [(line.unit_value_usd or Decimal(0)) * (line.qty_given or line.qty) for line in lines]
    else:
        weights = [_imported(line) for line in lines]
    iva = split_credit(credit["iva"], weights)
    ieps = split_credit(credit["ieps"], weights)
    return [
        CreditLot(line.key, line.cleared_on, _imported(line), iva[i], ieps[i], DATASTAGE)
        for i, line in enumerate(lines)
    ]


def _estimated_lot(line: ImportLine) -> CreditLot:
    given = line.qty if line.qty_given is None else line.qty_given
    value = Decimal(0) if line.unit_value_usd is None else line.unit_value_usd * given
    iva = (value * iva_rates().on(line.cleared_on)).quantize(Decimal("0.01"))
    return CreditLot(line.key, line.cleared_on, _imported(line), iva, Decimal(0), ESTIMATED)


def departures(ledger: Ledger, result: DischargeResult) -> list[Departure]:
    """What left each lot and when: allocations to lines of a discharging class."""
    outgoing = {line.key: line for line in outgoing_lines(ledger)}
    moves: list[Departure] = []
    for a in result.allocations:
        line = outgoing.get((a.export_pedimento, a.export_line, a.product))
        if line is None or clave_class(line.clave, line.cleared_on) not in (
            "return",
            "change_of_regime",
            "regularization",
        ):
            continue
        moves.append(Departure((a.import_pedimento, a.import_line, a.part), line.cleared_on, a.qty))
    return moves


def require_certified(source: Source) -> None:
    if not source.has_profile:
        raise InputError(
            [
                Problem(
                    "",
                    None,
                    "company",
                    "the store has no company profile: set it with `immex company set --name ... --rfc ... "
                    "--certification A|AA|AAA` (the IVA/IEPS credit is for certified companies)",
                )
            ]
        )
    if source.certification not in CERTIFIED:
        raise InputError(
            [
                Problem(
                    "",
                    None,
                    "certification",
                    f"{source.company} (RFC {source.rfc}) has no IVA/IEPS certification in its profile: the "
                    "credit of LIVA Art. 28-A is for companies certified A, AA or AAA (set it with "
                    "`immex company set ... --certification A`); without it the IVA is paid or guaranteed",
                )
            ]
        )


def ivacredit_report(
    db_url: str | None,
    start: dt.date,
    end: dt.date,
    sources: CostSources | None = None,
    lang: Lang = "es",
) -> tuple[Report, Signature]:
    """The use case: stored ledger, discharge, profile and Data Stage → the month-end credit ledger."""
    check_period(start, end)
    with open_store(db_url) as uow:  # a mistyped --db is one input error
        try:
            company = company_id(uow.session, uow.company, create=False)
        except LookupError:
            raise InputError(
                [
                    Problem(
                        "", None, "db", "the store holds no ledger yet: run `immex discharge --db ...` first"
                    )
                ]
            ) from None
        return stored_ivacredit(uow.session, company, start, end, sources, lang)


def stored_ivacredit(
    session: Session,
    company: int,
    start: dt.date,
    end: dt.date,
    sources: CostSources | None = None,
    lang: Lang = "es",
) -> tuple[Report, Signature]:
    """The credit ledger of one stored company (the CLI's and the web's reports page); notes in ``lang``."""
    check_period(start, end)
    source = stored_source(session, company)
    require_certified(source)
    ledger = load_ledger(session, company)
    result = stored_result(session, company)
    stored, credits = datastage_credits(session)
    computer = Computer(ledger, sources)
    lots = credit_lots(ledger, stored, credits, computer)
    rows = credit_rows(lots, departures(ledger, result), start, end)
    notes = [sentence(f"ivacredit_{s}", lang) for s in sorted({lot.source for lot in lots})]
    notes += [
        sentence("ivacredit_lines_without", lang, source=ESTIMATED, count=n, what=term(reason, lang))
        for reason, n in sorted(computer.missing.items())
    ]
    title = f"ivacredit {start.isoformat()} to {end.isoformat()}"
    report = Report(title, IVACREDIT_HEADER, rows, tuple(notes))
    return report, Signature("ivacredit", source, period=(start, end))
