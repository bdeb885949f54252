"""A one-page compulsa summary an auditor can sign off (fpdf2).

What was compared (file names and SHA-256 fingerprints, period), how many
differences of each kind, what to do about each kind, and signature lines.
The detail is in ``differences.csv`` and the workbook.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF

from immex.compulsa.text import SHEETS
from immex.core.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from immex.compulsa.service import CompulsaResult


def _latin1(text: str) -> str:
    """The core PDF fonts are Latin-1: replace anything else readably."""
    swaps = {"—": "-", "–": "-", "’": "'", "“": '"', "”": '"', "…": "..."}
    for old, new in swaps.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def write_compulsa_pdf(result: CompulsaResult, path: Path, now: dt.datetime | None = None) -> None:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 9, style: str = "", height: float = 5) -> None:
        pdf.set_font("helvetica", style, size)
        pdf.multi_cell(width, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    line("Compulsa: Anexo 24 ledger vs Data Stage", 15, "B", 8)
    line(f"Generated {stamp} by immex. Detail: differences.csv and compulsa.xlsx.", 8)
    pdf.ln(2)
    period = (
        "none (empty Data Stage)"
        if result.period is None
        else f"{result.period[0].isoformat()} to {result.period[1].isoformat()} (from {result.period_source})"
    )
    for label, value in (
        ("Data Stage", f"{result.datastage_name}  SHA-256 {result.datastage_sha256}"),
        ("Ledger", f"{result.ledger_description}  fingerprint {result.ledger_fingerprint}"),
        ("Period compared", period),
        (
            "Compared",
            f"{result.stage_pedimentos} Data Stage pedimentos ({result.stage_partidas} "
            f"partidas) with {result.ledger_pedimentos} ledger pedimentos "
            f"({result.ledger_rows} rows)",
        ),
    ):
        line(f"{label}: {value}", 8, height=4.2)
    pdf.ln(2)
    total = len(result.differences)
    verdict = (
        "No differences: the ledger agrees with the Data Stage."
        if total == 0
        else f"{total} difference(s) found."
    )
    line(verdict, 11, "B", 6)
    pdf.ln(1)
    counts: dict[str, int] = {sheet.title: 0 for sheet in SHEETS}
    owner = {pair: sheet.title for sheet in SHEETS for pair in sheet.pairs}
    for d in result.differences:
        counts[owner[(d.field, d.kind)]] += 1
    pdf.set_font("helvetica", "B", 9)
    columns = (45, 20, width - 65)
    for text, cell_width in zip(("Kind", "Count", "What it means"), columns, strict=True):
        pdf.cell(cell_width, 6, text, border=1)
    pdf.ln(6)
    pdf.set_font("helvetica", "", 9)
    for sheet in SHEETS:
        pdf.cell(columns[0], 6, _latin1(sheet.title), border=1)
        pdf.cell(columns[1], 6, str(counts[sheet.title]), border=1, align="R")
        pdf.cell(columns[2], 6, _latin1(sheet.summary), border=1)
        pdf.ln(6)
    pdf.ln(3)
    if result.warnings:
        line(f"Data Stage warnings ({len(result.warnings)}):", 9, "B")
        for warning in result.warnings[:3]:
            line(f"- {warning.file} row {warning.row}: {warning.message}", 8, height=4)
        pdf.ln(1)
    if result.scope == "all":
        scope = "every Data Stage pedimento is compared"
    else:
        listed = ", ".join(f"{clave} {count}" for clave, count in result.out_of_scope) or "none"
        scope = (
            "the Data Stage pedimentos that are Anexo 24 movements (temporary imports, returns, "
            "virtual transfers, changes of regime, A3) and those the ledger holds are compared; "
            f"{result.out_of_scope_total} others are left out ({listed})"
        )
    line(
        f"Scope: {scope}; a ledger pedimento absent from the Data "
        "Stage is reported only if one of its rows is dated within the period above. Quantities "
        "are compared in the declared unit (rounded half-up to 3 decimals); values in USD with a "
        "tolerance of 1.00 USD.",
        8,
        height=4,
    )
    pdf.set_y(pdf.h - 62)
    line("Sign-off", 11, "B", 6)
    pdf.ln(2)
    for role in ("Prepared by (trade compliance)", "Reviewed by (auditor)"):
        pdf.set_font("helvetica", "", 9)
        pdf.cell(width * 0.45, 10, _latin1(role) + ":", border="B")
        pdf.cell(width * 0.1, 10, "")
        pdf.cell(width * 0.45, 10, "Date:", border="B")
        pdf.ln(16)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, bytes(pdf.output()))
