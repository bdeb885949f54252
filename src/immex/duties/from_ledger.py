"""T-MEC Art. 2.5 cases built from the ledger and a discharge (pure: values in, values out).

For each export/return pedimento to the US or Canada, the materials are the import
lines the discharge allocated to its lines: customs value in pesos = allocated quantity
× unit value (USD) × the exchange rate of the import; fracción from the import line;
IGI rate, PROSEC/Regla 8a rate and whether the material is originating from the
company's material terms (or the tariff); the US/CA duty = Σ export line value × the
product's US rate, converted at the export's exchange rate. Each case then goes through
the same engine as ``immex duties tmec25 --input``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from immex.discharge.methods import Allocation
from immex.duties.values import (
    Destination,
    ExportOperation,
    FieldProblem,
    ForeignDuty,
    Material,
    Preference,
    Tmec25Case,
)
from immex.ledger.model import ExportLine, ImportLine, Ledger

# Anexo 22 Apéndice 4 country codes of the two other T-MEC Parties → contract destinations.
DESTINATION_OF: dict[str, Destination] = {"USA": "US", "US": "US", "CAN": "CA", "CA": "CA"}


@dataclass(frozen=True, slots=True)
class MaterialTerms:
    """What the company says about a part: its TIGIE rate, preference and origin."""

    igi_rate: Decimal | None
    originating: bool
    prosec_sector: str | None = None
    prosec_rate: Decimal | None = None
    r8_rate: Decimal | None = None
    no_rate_reason: str = ""  # why igi_rate is None (e.g. the tariff's duty is not ad valorem)
    ieps_category: str | None = None  # LIEPS Art. 2 fr. I category of rules/duties/ieps.yaml

    def preference(self) -> Preference | None:
        if self.r8_rate is not None:
            return Preference("R8", self.r8_rate)
        if self.prosec_rate is not None:
            return Preference("PROSEC", self.prosec_rate, sector=self.prosec_sector or "")
        return None


@dataclass(frozen=True, slots=True)
class MaterialSource:
    """Where a material of a ledger case comes from (for the auditor's trail)."""

    import_pedimento: str
    import_line: int
    part: str
    qty: Decimal
    export_line: int


@dataclass(frozen=True, slots=True)
class LedgerCase:
    pedimento: str
    date: dt.date
    clave: str
    destination: Destination
    export_lines: tuple[int, ...]
    case: Tmec25Case
    sources: tuple[MaterialSource, ...]


def export_cases(  # noqa: C901
    ledger: Ledger,
    allocations: Iterable[Allocation],
    terms: Mapping[str, MaterialTerms],
    import_rate: Callable[[ImportLine], Decimal | None],
    export_rate: Callable[[ExportLine], Decimal | None],
    us_rate: Mapping[str, Decimal],
    period: tuple[dt.date | None, dt.date | None] = (None, None),
    only_allocated: bool = False,
) -> tuple[list[LedgerCase], list[FieldProblem]]:
    """One Art. 2.5 case per export pedimento to the US/Canada in the period (with
    ``only_allocated``, only the exports that have allocations among those given).

    Problems name the ledger row they are about (``import 26...:3 P-1``)."""
    imports = {(line.pedimento, line.line, line.part): line for line in ledger.imports}
    exports = {(line.pedimento, line.line, line.product): line for line in ledger.exports}
    start, end = period
    by_export: dict[str, list[Allocation]] = defaultdict(list)
    for allocation in allocations:
        by_export[allocation.export_pedimento].append(allocation)
    lines_of: dict[str, list[ExportLine]] = defaultdict(list)
    for line in ledger.exports:
        lines_of[line.pedimento].append(line)

    problems: list[FieldProblem] = []
    cases: list[LedgerCase] = []
    for pedimento in sorted(lines_of, key=lambda p: (min(x.cleared_on for x in lines_of[p]), p)):
        lines = sorted(lines_of[pedimento], key=lambda x: x.line)
        destination = DESTINATION_OF.get(lines[0].destination_country.upper())
        day = lines[0].cleared_on
        if destination is None or (start and day < start) or (end and day > end):
            continue
        if only_allocated and pedimento not in by_export:
            continue
        where = f"export {pedimento}"
        materials: list[Material] = []
        sources: list[MaterialSource] = []
        same_condition = True
        for allocation in sorted(
            by_export.get(pedimento, []),
            key=lambda a: (a.export_line, a.import_pedimento, a.import_line, a.part),
        ):
            imp = imports.get((allocation.import_pedimento, allocation.import_line, allocation.part))
            export_line = exports.get((pedimento, allocation.export_line, allocation.product))
            if export_line is not None and allocation.part != export_line.product:
                same_condition = False
            at = f"import {allocation.import_pedimento}:{allocation.import_line} {allocation.part}"
            if imp is None:
                problems.append(FieldProblem(at, f"allocated to {where} but not in the ledger"))
                continue
            term = terms.get(imp.part)
            if term is not None and term.igi_rate is None and term.no_rate_reason:
                problems.append(
                    FieldProblem(
                        at,
                        f"no IGI rate: {term.no_rate_reason}; give "
                        "the part's igi_rate explicitly in the "
                        "material terms (--terms)",
                    )
                )
                continue
            if term is None or term.igi_rate is None:
                problems.append(
                    FieldProblem(at, "no IGI rate: add the part to the material terms (or the tariff table)")
                )
                continue
            rate = import_rate(imp)
            if rate is None:
                problems.append(
                    FieldProblem(at, f"no exchange rate for the import of {imp.cleared_on.isoformat()}")
                )
                continue
            if imp.unit_value_usd is None:
                problems.append(FieldProblem(at, "the import line has no unit value"))
                continue
            value = Fraction(allocation.qty) * Fraction(imp.unit_value_usd) * Fraction(rate)
            materials.append(
                Material(
                    f"{imp.pedimento}:{imp.line}:{imp.part}:{allocation.export_line}",
                    imp.hs,
                    value,
                    term.originating,
                    term.igi_rate,
                    term.preference(),
                )
            )
            sources.append(
                MaterialSource(imp.pedimento, imp.line, imp.part, allocation.qty, allocation.export_line)
            )
        if not materials:
            same_condition = False
        foreign: ForeignDuty | None = None
        if all(line.product in us_rate for line in lines):
            fx = export_rate(lines[0])
            values = [line.unit_value_usd for line in lines]
            if fx is None:
                problems.append(FieldProblem(where, f"no exchange rate for the export of {day.isoformat()}"))
            elif any(v is None for v in values):
                problems.append(
                    FieldProblem(
                        where, "an export line has no unit value, so the US/CA duty cannot be computed"
                    )
                )
            else:
                duty = sum(
                    (
                        Fraction(line.qty)
                        * Fraction(line.unit_value_usd or 0)
                        * Fraction(us_rate[line.product])
                        for line in lines
                    ),
                    Fraction(0),
                )
                foreign = ForeignDuty(duty, fx, "USD")
        operation = ExportOperation(pedimento, day, lines[0].clave, destination, same_condition)
        cases.append(
            LedgerCase(
                pedimento,
                day,
                lines[0].clave,
                destination,
                tuple(line.line for line in lines),
                Tmec25Case(operation, foreign, tuple(materials)),
                tuple(sources),
            )
        )
    return cases, problems
