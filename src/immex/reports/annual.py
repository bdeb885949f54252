"""The annual report: the year's exports by class of clave and the Decreto IMMEX export commitment.

A company with an IMMEX program must sell abroad more than US$500,000 a year or at
least 10 % of its total sales (Decreto IMMEX Art. 24 fr. VI; thresholds, citation and
dates in ``rules/immex_program.yaml``). The exports come from the ledger: each export
line's value is ``unit_value_usd`` × the quantity as written (the unit value is per
unit as written, as everywhere in the ledger). Which lines count is data too
(``counted_exports``: the classes and claves that are sales abroad). A line without a
unit value cannot be counted: it is listed by pedimento, partida and product, never
taken as zero in silence.

:func:`export_commitment` is the public verdict (the web application shows it too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from immex.core.pedimento import display_pedimento
from immex.core.problems import InputError, Problem
from immex.ledger.claves import clave_class
from immex.ledger.model import ExportLine
from immex.reports.labels import Lang, block_text
from immex.rules import EffectiveSeries, RulesError, as_decimal, build_series, read_yaml, require_keys

CENT = Decimal("0.01")
_BLOCKS = {"export_commitment", "annual_report", "counted_exports", "anexo24_report"}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decreto IMMEX Art. 24 fr. VI in force on a date: either minimum is enough (both inclusive)."""

    minimum_exports_usd: Decimal
    minimum_export_share_pct: Decimal
    reference: str


@dataclass(frozen=True, slots=True)
class CountedExports:
    """Which outgoing lines are exports for the commitment: by class of clave, or by clave."""

    classes: frozenset[str]
    claves: frozenset[str]
    reference: str

    def counts(self, clave: str, clave_class: str | None) -> bool:
        return clave in self.claves or (clave_class is not None and clave_class in self.classes)


@cache
def program_rules() -> dict[str, Any]:
    data = read_yaml("immex_program.yaml")
    require_keys(data, _BLOCKS, _BLOCKS, "immex_program.yaml")
    for name in _BLOCKS:
        for key in ("description", "reference"):
            if not str(data[name].get(key, "")).strip():
                raise RulesError(f"immex_program.yaml: {name}.{key} is missing or empty")
    return dict(data)


@cache
def commitment_thresholds() -> EffectiveSeries[Thresholds]:
    """The export commitment's thresholds by period (strict: a bad file fails at load time)."""
    block = program_rules()["export_commitment"]
    keys = {"description", "reference", "rows"}
    require_keys(block, keys, keys, "export_commitment")
    rows: list[dict[str, Any]] = []
    for index, row in enumerate(block["rows"]):
        where = f"export_commitment.rows[{index}]"
        fields = {"since", "until", "minimum_exports_usd", "minimum_export_share_pct", "reference"}
        require_keys(row, fields - {"until"}, fields, where)
        value = Thresholds(
            as_decimal(row["minimum_exports_usd"], where),
            as_decimal(row["minimum_export_share_pct"], where),
            str(row["reference"]),
        )
        rows.append({k: row[k] for k in ("since", "until", "reference") if k in row} | {"value": value})
    return build_series("export_commitment", rows, "value")


@cache
def counted_exports() -> CountedExports:
    block = program_rules()["counted_exports"]
    keys = {"description", "reference", "classes", "claves"}
    require_keys(block, keys, keys, "counted_exports")
    return CountedExports(frozenset(block["classes"]), frozenset(block["claves"]), str(block["reference"]))


@dataclass(frozen=True, slots=True)
class ExportCommitment:
    """The verdict of Art. 24 fr. VI for one year."""

    year: int
    exports_usd: Decimal
    total_sales_usd: Decimal
    export_share_pct: Decimal
    commitment_met: bool
    thresholds: Thresholds

    @property
    def exports_exceed_sales(self) -> bool:
        """Possible, not an error: export pedimentos carry the customer's materials, which a
        maquila does not invoice (its sales may be only its service), so the share can pass 100 %."""
        return self.exports_usd > self.total_sales_usd


def export_commitment(exports_usd: Decimal, total_sales_usd: Decimal, year: int) -> ExportCommitment:
    """Whether ``exports_usd`` of ``year`` meet the Decreto IMMEX commitment, with the share of sales.

    The thresholds are those in force on 31 December of the year. ``total_sales_usd`` must be
    positive (InputError otherwise); it may be less than the exports (see ``exports_exceed_sales``).
    The share is rounded half-up to 2 decimals for display; the verdict uses the exact share.
    """
    problems = _sales_problems(exports_usd, total_sales_usd)
    if problems:
        raise InputError(problems)
    thresholds = commitment_thresholds().on(dt.date(year, 12, 31))
    share = exports_usd * 100 / total_sales_usd
    met = exports_usd >= thresholds.minimum_exports_usd or share >= thresholds.minimum_export_share_pct
    return ExportCommitment(
        year,
        exports_usd,
        total_sales_usd,
        share.quantize(CENT, rounding=ROUND_HALF_UP),
        met,
        thresholds,
    )


def _sales_problems(exports_usd: Decimal, total_sales_usd: Decimal) -> list[Problem]:
    if total_sales_usd <= 0:
        return [Problem("", None, "total_sales_usd", f"{total_sales_usd} must be more than 0")]
    return []


@dataclass(frozen=True, slots=True)
class ClassTotal:
    clave_class: str
    counted: bool
    lines: int
    value_usd: Decimal
    without_value: int


@dataclass(frozen=True, slots=True)
class AnnualExports:
    """The year's outgoing lines by class, what counts as exports, and what has no value."""

    year: int
    by_class: tuple[ClassTotal, ...]
    exports_usd: Decimal
    without_value: tuple[ExportLine, ...] = field(default=())

    @property
    def counted_lines(self) -> int:
        return sum(t.lines for t in self.by_class if t.counted)


def export_value(line: ExportLine) -> Decimal | None:
    """USD value of an export line (unit value per unit as written × quantity as written)."""
    if line.unit_value_usd is None:
        return None
    given = line.qty if line.qty_given is None else line.qty_given
    return line.unit_value_usd * given


def annual_exports(lines: Iterable[ExportLine], year: int) -> AnnualExports:
    """Totals of the outgoing lines cleared in ``year``, by class of clave ("unclassified" if none)."""
    rule = counted_exports()
    totals: dict[str, list[Any]] = {}
    missing: list[ExportLine] = []
    exports = Decimal(0)
    for line in sorted(lines, key=lambda e: e.order_key):
        if line.cleared_on.year != year:
            continue
        known = clave_class(line.clave, line.cleared_on)
        group = known or "unclassified"
        counted = rule.counts(line.clave, known)
        entry = totals.setdefault(f"{group}:{counted}", [group, counted, 0, Decimal(0), 0])
        entry[2] += 1
        value = export_value(line)
        if value is None:
            entry[4] += 1
            if counted:
                missing.append(line)
            continue
        entry[3] += value
        if counted:
            exports += value
    by_class = tuple(
        ClassTotal(g, c, n, v.quantize(CENT, rounding=ROUND_HALF_UP), w)
        for g, c, n, v, w in sorted(totals.values(), key=lambda t: (not t[1], t[0]))
    )
    return AnnualExports(year, by_class, exports.quantize(CENT, rounding=ROUND_HALF_UP), tuple(missing))


def annual_notes(exports: AnnualExports, verdict: ExportCommitment, lang: Lang = "en") -> list[str]:
    """What a reader must know beside the verdict: nothing exported, or exports above the sales given."""
    keys = ["no_exports"] if exports.counted_lines == 0 else []
    keys += ["exports_exceed_sales"] if verdict.exports_exceed_sales else []
    return [block_text(key, lang) for key in keys]


def annual_json(
    exports: AnnualExports, verdict: ExportCommitment, company: Mapping[str, str]
) -> dict[str, Any]:
    """The JSON of ``immex report annual --format json`` (contract keys first)."""
    return {
        "exports_usd": float(verdict.exports_usd),
        "total_sales_usd": float(verdict.total_sales_usd),
        "export_share_pct": float(verdict.export_share_pct),
        "commitment_met": verdict.commitment_met,
        "year": exports.year,
        "notes": annual_notes(exports, verdict),
        "company": dict(company),
        "thresholds": {
            "minimum_exports_usd": float(verdict.thresholds.minimum_exports_usd),
            "minimum_export_share_pct": float(verdict.thresholds.minimum_export_share_pct),
            "reference": verdict.thresholds.reference,
        },
        "by_class": [
            {
                "class": t.clave_class,
                "counted": t.counted,
                "lines": t.lines,
                "value_usd": float(t.value_usd),
                "lines_without_value": t.without_value,
            }
            for t in exports.by_class
        ],
        "exports_without_value": [
            {
                "pedimento": display_pedimento(e.pedimento),
                "line": e.line,
                "product": e.product,
                "clave": e.clave,
            }
            for e in exports.without_value
        ],
    }
