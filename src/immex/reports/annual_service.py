"""The use case of ``immex report annual``: the stored ledger's exports of a year and the commitment."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from immex.core.pedimento import display_pedimento
from immex.core.problems import InputError, Problem
from immex.ledger.model import Ledger
from immex.ledger.service import company_id, load_ledger
from immex.reports.anexo24 import outgoing_lines
from immex.reports.annual import (
    AnnualExports,
    ExportCommitment,
    annual_exports,
    annual_json,
    annual_notes,
    export_commitment,
)
from immex.reports.labels import Lang, block_text
from immex.reports.service import Report, open_store
from immex.reports.signing import Signature, Source, stored_source

# An amount with a point for decimals, commas only between groups of three digits (1,000,000.50):
# "1.000,50" (a decimal comma) used to become 1.00050 once its comma was dropped.
_AMOUNT = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")


def usd_amount(text: str, column: str = "total_sales_usd") -> Decimal:
    """An amount in USD as people type it (``1000000.50``, ``1,000,000.50``); InputError naming
    ``column`` otherwise (the CLI's option and the web's field)."""
    message = f"{text!r} is not an amount in USD: write 1000000.50 or 1,000,000.50"
    if _AMOUNT.fullmatch(text.strip()) is None:
        raise InputError([Problem("", None, column, message)])
    return Decimal(text.strip().replace(",", ""))


ANNUAL_HEADER = ("clave_class", "counted", "lines", "value_usd", "lines_without_value")


@dataclass(frozen=True, slots=True)
class AnnualOutcome:
    exports: AnnualExports
    verdict: ExportCommitment
    source: Source
    report: Report
    signature: Signature
    json: dict[str, Any]

    def text_lines(self) -> list[str]:
        """What the terminal shows: the classes, then the verdict (English, like every message)."""
        v = self.verdict
        who = self.source.company or "company profile not set"
        lines = [f"annual report {v.year}: {who}" + (f" (RFC {self.source.rfc})" if self.source.rfc else "")]
        for t in self.exports.by_class:
            missing = f", {t.without_value} without unit value" if t.without_value else ""
            counted = "" if t.counted else " (not counted)"
            lines.append(f"  {t.clave_class}{counted}: {t.lines} line(s), USD {t.value_usd:,.2f}{missing}")
        lines += [
            f"exports USD {v.exports_usd:,.2f} = {v.export_share_pct}% "
            f"of total sales USD {v.total_sales_usd:,.2f}",
            f"export commitment {'met' if v.commitment_met else 'NOT met'}: at least USD "
            f"{v.thresholds.minimum_exports_usd:,.0f} or at least {v.thresholds.minimum_export_share_pct}% "
            f"of total sales ({v.thresholds.reference})",
        ]
        lines += [f"note: {note}" for note in annual_notes(self.exports, v)]
        for line in self.exports.without_value:
            lines.append(
                f"not counted, no unit_value_usd: pedimento {display_pedimento(line.pedimento)} "
                f"partida {line.line} {line.product} ({line.clave})"
            )
        return lines


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _notes(exports: AnnualExports, verdict: ExportCommitment, lang: Lang) -> tuple[str, ...]:
    """The verdict under the table, in the report's language (the JSON carries the same facts)."""
    t = verdict.thresholds
    notes = [
        f"{block_text('exports_usd', lang)}: {verdict.exports_usd:,.2f}",
        f"{block_text('total_sales_usd', lang)}: {verdict.total_sales_usd:,.2f}",
        f"{block_text('export_share_pct', lang)}: {verdict.export_share_pct}",
        f"{block_text('commitment_met', lang)}: {block_text(_yes_no(verdict.commitment_met), lang)}",
        f"{block_text('thresholds', lang)}: USD {t.minimum_exports_usd:,.0f} {block_text('or', lang)} "
        f"{t.minimum_export_share_pct} % ({t.reference})",
    ]
    notes += annual_notes(exports, verdict, lang)
    for line in exports.without_value:
        where = f"{display_pedimento(line.pedimento)} / {line.line} / {line.product} / {line.clave}"
        notes.append(f"{block_text('no_unit_value', lang)}: {where}")
    return tuple(notes)


def build_annual(
    ledger: Ledger, source: Source, year: int, total_sales_usd: Decimal, lang: Lang = "es"
) -> AnnualOutcome:
    """Pure: the outcome from a ledger (InputError for total sales that are not a positive amount)."""
    exports = annual_exports(outgoing_lines(ledger), year)
    verdict = export_commitment(exports.exports_usd, total_sales_usd, year)
    rows = [(t.clave_class, t.counted, t.lines, t.value_usd, t.without_value) for t in exports.by_class]
    report = Report(f"annual {year}", ANNUAL_HEADER, list(rows), _notes(exports, verdict, lang))
    period = (dt.date(year, 1, 1), dt.date(year, 12, 31))
    signature = Signature("annual", source, period=period)
    company = {"name": source.company, "rfc": source.rfc, "immex_program": source.immex_program}
    return AnnualOutcome(exports, verdict, source, report, signature, annual_json(exports, verdict, company))


def annual_report(
    db_url: str | None, year: int, total_sales_usd: Decimal, lang: Lang = "es"
) -> AnnualOutcome:
    """The use case: read the stored ledger and profile, then :func:`build_annual`."""
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
        ledger = load_ledger(uow.session, company)
        source = stored_source(uow.session, company)
    return build_annual(ledger, source, year, total_sales_usd, lang)
