"""The Anexo 24 report: a period's imports, outgoing lines, discharges and closing balances.

One table, one row per movement, in the order an auditor reads a ledger:

- ``import`` — a temporary-import line cleared in the period (quantity and unit as declared);
- ``return``, ``change_of_regime``, ``regularization``, ``not_discharging`` — an outgoing line
  cleared in the period, by the class of its clave (``immex.ledger.claves``);
- ``discharge`` — what each of those lines consumed of each import lot (part base unit),
  with ``late`` when after the lot's Art. 108 deadline; ``shortfall`` — what no lot covered;
- ``balance`` — at the end of the period, each import line with stock left or discharged in
  the period: imported, discharged up to the end, remaining, deadline and status.

Balances count only the discharges of lines cleared on or before the period's end, so a
report of a past period says what the ledger said then. The columns shown, and their order,
come from a template (:mod:`immex.reports.templates`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from immex.core.problems import InputError, Problem
from immex.core.table_files import Cell
from immex.discharge.methods import Allocation, DischargeResult, balances
from immex.ledger.claves import clave_class
from immex.ledger.model import ExportLine, ImportLine, Ledger, Part
from immex.reports.service import Report
from immex.reports.templates import Template

# Order of movements on one date (imports before what leaves, balances last).
MOVEMENT_ORDER = {
    "import": 0,
    "return": 1,
    "change_of_regime": 2,
    "regularization": 3,
    "not_discharging": 4,
    "unclassified": 5,
    "discharge": 6,
    "shortfall": 7,
    "balance": 8,
}
Row = dict[str, Cell]


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise InputError([Problem("", None, "to", f"--to {end} is before --from {start}")])


def outgoing_lines(ledger: Ledger) -> tuple[ExportLine, ...]:
    """Every line that leaves the ledger: exports, changes of regime, regularizations, A1/BM/BO."""
    return ledger.exports + ledger.regularizations + ledger.not_discharging


def _declared(line: ImportLine | ExportLine) -> tuple[Decimal, Decimal | None]:
    """Quantity as declared and its value in USD (unit value per unit as declared)."""
    given = line.qty if line.qty_given is None else line.qty_given
    value = None if line.unit_value_usd is None else line.unit_value_usd * given
    return given, value


def _import_row(lot: ImportLine, part: Part | None) -> Row:
    qty, value = _declared(lot)
    return {
        "movement": "import",
        "date": lot.cleared_on,
        "pedimento": lot.pedimento,
        "line": lot.line,
        "clave": lot.clave,
        "clave_class": "import",
        "part": lot.part,
        "description": part.description if part else "",
        "hs": lot.hs or (part.hs if part else ""),
        "qty": qty,
        "uom": lot.uom or (part.uom if part else ""),
        "unit_value_usd": lot.unit_value_usd,
        "value_usd": value,
        "country": lot.country_of_origin or (part.country_of_origin if part else ""),
    }


def _outgoing_row(line: ExportLine, part: Part | None) -> Row:
    qty, value = _declared(line)
    group = clave_class(line.clave, line.cleared_on) or "unclassified"
    return {
        "movement": group,
        "date": line.cleared_on,
        "pedimento": line.pedimento,
        "line": line.line,
        "clave": line.clave,
        "clave_class": group,
        "part": line.product,
        "description": part.description if part else "",
        "hs": line.hs or (part.hs if part else ""),
        "qty": qty,
        "uom": line.uom or (part.uom if part else ""),
        "unit_value_usd": line.unit_value_usd,
        "value_usd": value,
        "country": line.destination_country,
        "import_pedimento": line.import_pedimento or None,
        "import_line": line.import_line,
    }


def _discharge_row(a: Allocation, out: ExportLine, lot: ImportLine, parts: Mapping[str, Part]) -> Row:
    part = parts.get(a.part)
    return {
        "movement": "discharge",
        "date": out.cleared_on,
        "pedimento": out.pedimento,
        "line": out.line,
        "clave": out.clave,
        "clave_class": clave_class(out.clave, out.cleared_on) or "unclassified",
        "part": a.part,
        "description": part.description if part else "",
        "hs": lot.hs or (part.hs if part else ""),
        "qty": a.qty,
        "uom": part.uom if part else "",
        "import_pedimento": a.import_pedimento,
        "import_line": a.import_line,
        "import_cleared_on": lot.cleared_on,
        "late": a.late,
    }


def _movement_rows(ledger: Ledger, result: DischargeResult, start: dt.date, end: dt.date) -> list[Row]:

    def within(day: dt.date) -> bool:
        return start <= day <= end

    parts = ledger.parts
    rows = [_import_row(lot, parts.get(lot.part)) for lot in ledger.imports if within(lot.cleared_on)]
    outgoing = {line.key: line for line in outgoing_lines(ledger)}
    rows += [
        _outgoing_row(line, parts.get(line.product)) for line in outgoing.values() if within(line.cleared_on)
    ]
    lots = {lot.key: lot for lot in ledger.imports}
    for a in result.allocations:
        out = outgoing.get((a.export_pedimento, a.export_line, a.product))
        if out is not None and within(out.cleared_on):
            rows.append(_discharge_row(a, out, lots[(a.import_pedimento, a.import_line, a.part)], parts))
    for s in result.shortfalls:
        out = outgoing.get((s.export_pedimento, s.export_line, s.product))
        if out is not None and within(out.cleared_on):
            part = parts.get(s.part)
            rows.append(
                {
                    "movement": "shortfall",
                    "date": out.cleared_on,
                    "pedimento": out.pedimento,
                    "line": out.line,
                    "clave": out.clave,
                    "part": s.part,
                    "description": part.description if part else "",
                    "qty": s.qty_missing,
                    "uom": part.uom if part else "",
                }
            )
    return rows


def _balance_rows(ledger: Ledger, result: DischargeResult, start: dt.date, end: dt.date) -> list[Row]:
    """Closing balances: discharges of lines cleared up to ``end`` only."""
    cleared = {line.key: line.cleared_on for line in outgoing_lines(ledger)}
    until_end = [
        a
        for a in result.allocations
        if cleared.get((a.export_pedimento, a.export_line, a.product), end) <= end
    ]
    in_period = {
        (a.import_pedimento, a.import_line, a.part)
        for a in until_end
        if start <= cleared.get((a.export_pedimento, a.export_line, a.product), end)
    }
    lots = {lot.key: lot for lot in ledger.imports}
    rows: list[Row] = []
    for b in balances(ledger, until_end, end):
        key = (b.import_pedimento, b.import_line, b.part)
        lot = lots[key]
        if lot.cleared_on > end or (b.qty_remaining <= 0 and key not in in_period):
            continue
        part = ledger.parts.get(b.part)
        rows.append(
            {
                "movement": "balance",
                "date": end,
                "pedimento": b.import_pedimento,
                "line": b.import_line,
                "clave": lot.clave,
                "clave_class": "import",
                "part": b.part,
                "description": part.description if part else "",
                "hs": lot.hs or (part.hs if part else ""),
                "uom": part.uom if part else "",
                "import_cleared_on": lot.cleared_on,
                "qty_imported": b.qty_imported,
                "qty_discharged": b.qty_discharged,
                "qty_remaining": b.qty_remaining,
                "deadline": b.deadline,
                "status": b.status,
            }
        )
    return rows


def _sort_key(row: Row) -> tuple[object, ...]:
    return (
        row["date"],
        MOVEMENT_ORDER.get(str(row["movement"]), 9),
        row["pedimento"],
        row["line"],
        row["part"],
    )


def anexo24_report(
    ledger: Ledger, result: DischargeResult, start: dt.date, end: dt.date, template: Template
) -> Report:
    """The period's movements and closing balances in the template's columns."""
    check_period(start, end)
    rows = _movement_rows(ledger, result, start, end) + _balance_rows(ledger, result, start, end)
    rows.sort(key=_sort_key)
    return Report(
        f"anexo24 {start.isoformat()} to {end.isoformat()}",
        template.columns,
        [_select(row, template.columns) for row in rows],
    )


def _select(row: Row, columns: Sequence[str]) -> tuple[Cell, ...]:
    return tuple(row.get(name) for name in columns)
