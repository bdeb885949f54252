"""The compulsa workbook for people: a summary sheet and one sheet per kind of difference.

Each difference row carries a plain-language explanation and a suggested fix
(see :mod:`immex.compulsa.text`). Written in openpyxl's write-only
mode so a large compulsa does not hold the whole workbook in memory. Every value
is a text or number cell, never a formula, whatever the Data Stage or the ledger
holds (``immex.core.table_files.xlsx_cell``); the file appears whole or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Font

from immex.compulsa.model import Difference
from immex.compulsa.text import SHEETS, explain
from immex.core.atomic import atomic_file
from immex.core.table_files import xlsx_cell

if TYPE_CHECKING:
    from immex.compulsa.service import CompulsaResult

COLUMNS = ("pedimento", "line", "field", "ledger", "datastage", "kind", "explanation", "suggested fix")
WIDTHS = (18, 7, 11, 24, 18, 22, 80, 80)


def _scope_text(result: CompulsaResult) -> str:
    if result.scope == "all":
        return "every Data Stage pedimento"
    listed = ", ".join(f"{clave} {count}" for clave, count in result.out_of_scope) or "none"
    return (
        f"Anexo 24 movements; {result.out_of_scope_total} Data Stage pedimentos left out as no Anexo 24 "
        f"movement ({listed})"
    )


def write_compulsa_xlsx(result: CompulsaResult, path: Path) -> None:
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(sheet: object, names: tuple[str, ...]) -> list[object]:
        cells = []
        for name in names:
            cell = xlsx_cell(sheet, name)
            cell.font = bold
            cells.append(cell)
        return cells

    def row(sheet: object, values: tuple[object, ...]) -> list[object]:
        return [xlsx_cell(sheet, value) for value in values]

    summary = book.create_sheet("Summary")
    summary.column_dimensions["A"].width = 34
    summary.column_dimensions["B"].width = 70
    summary.append(header(summary, ("Compulsa: ledger vs Data Stage", "")))
    period = (
        ""
        if result.period is None
        else f"{result.period[0].isoformat()} to {result.period[1].isoformat()} ({result.period_source})"
    )
    for label, value in (
        ("Data Stage", result.datastage_name),
        ("Data Stage SHA-256", result.datastage_sha256),
        ("Ledger", result.ledger_description),
        ("Ledger fingerprint (SHA-256)", result.ledger_fingerprint),
        ("Period compared", period),
        ("Data Stage pedimentos / partidas", f"{result.stage_pedimentos} / {result.stage_partidas}"),
        ("Ledger pedimentos / rows", f"{result.ledger_pedimentos} / {result.ledger_rows}"),
        ("Differences", str(len(result.differences))),
        ("Scope", _scope_text(result)),
    ):
        summary.append(row(summary, (label, value)))
    summary.append([])
    summary.append(header(summary, ("Sheet", "Differences")))
    grouped: dict[str, list[Difference]] = {sheet.title: [] for sheet in SHEETS}
    owner = {pair: sheet.title for sheet in SHEETS for pair in sheet.pairs}
    for difference in result.differences:
        grouped[owner[(difference.field, difference.kind)]].append(difference)
    for sheet in SHEETS:
        summary.append(row(summary, (f"{sheet.title}: {sheet.summary}", len(grouped[sheet.title]))))
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.title)
        for index, width in enumerate(WIDTHS):
            ws.column_dimensions[chr(ord("A") + index)].width = width
        ws.freeze_panes = "A2"
        ws.append(header(ws, COLUMNS))
        for d in grouped[sheet.title]:
            explanation, fix = explain(d)
            values = (d.pedimento, d.line, d.field, d.ledger, d.datastage, d.kind, explanation, fix)
            ws.append(row(ws, values))
    with atomic_file(path) as temporary:
        book.save(temporary)
