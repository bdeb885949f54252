"""A report as a PDF an auditor signs (fpdf2): header block, the table on as many pages as it
needs (headings repeated on each), notes, and signature lines.

Landscape Letter (Legal for a table of more than 12 columns); the core PDF fonts are
Latin-1, so the few other characters the reports use (dashes, quotes) are replaced by
their plain equivalents.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from immex.core.atomic import write_bytes_atomic
from immex.core.table_files import Cell
from immex.reports.labels import Lang, block_text
from immex.reports.signing import Signature, headings, kinds, person_text, preamble

_SWAPS = {"—": "-", "–": "-", "’": "'", "“": '"', "”": '"', "…": "...", "≥": ">=", "≤": "<="}
_RIGHT = frozenset({"qty", "money", "pct", "count", "id"})


def latin1(text: str) -> str:
    for old, new in _SWAPS.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def _widths(pdf: FPDF, header: Sequence[str], texts: list[list[str]]) -> list[float]:
    """Column widths (mm, at the current font) by their longest text up to 45 mm, or heading word."""
    widths = [max(pdf.get_string_width(word) for word in f"{h} x".split()) for h in header]
    for row in texts:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], min(pdf.get_string_width(text), 45.0))
    return [w + 2.5 for w in widths]


def _fit(widths: list[float], width: float) -> list[float]:
    """The columns scaled to the printable width (narrowed columns wrap their text)."""
    total = sum(widths)
    return [w * width / total for w in widths]


class _Table:
    """Rows drawn cell by cell: one line where the text fits (most cells), wrapped where not.

    fpdf2's ``table()`` wraps every cell, which costs about 0.1 s a row on a loaded machine; a
    year of a plant's Anexo 24 has thousands of rows. Headings are repeated on every page.
    """

    def __init__(self, pdf: FPDF, widths: list[float], aligns: list[str], line: float) -> None:
        self.pdf, self.widths, self.aligns, self.line = pdf, widths, aligns, line
        self.room = [w - 2 * pdf.c_margin for w in widths]

    def _lines(self, text: str, i: int) -> int:
        if self.pdf.get_string_width(text) <= self.room[i]:
            return 1
        wrapped = self.pdf.multi_cell(
            self.widths[i], self.line, text, dry_run=True, output=MethodReturnValue.LINES
        )
        return max(1, len(wrapped)) if isinstance(wrapped, list) else 1

    def _row(self, texts: Sequence[str], counts: list[int], fill: bool = False) -> None:
        pdf = self.pdf
        height = max(counts, default=1) * self.line
        x, top = pdf.l_margin, pdf.get_y()
        for i, text in enumerate(texts):
            pdf.rect(x, top, self.widths[i], height, style="DF" if fill else "D")
            pdf.set_xy(x, top)
            if counts[i] == 1:
                pdf.cell(self.widths[i], self.line, text, align=self.aligns[i])
            else:
                pdf.multi_cell(self.widths[i], self.line, text, align=self.aligns[i])
            x += self.widths[i]
        pdf.set_xy(pdf.l_margin, top + height)

    def draw(self, titles: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """The headings, then every row; a row that does not fit goes to a new page under headings."""
        pdf = self.pdf
        pdf.set_auto_page_break(auto=False)  # pages are broken here, between rows
        pdf.set_fill_color(230, 230, 230)
        style = pdf.font_style
        pdf.set_font(style="B")
        heading = [self._lines(t, i) for i, t in enumerate(titles)]
        pdf.set_font(style=style)

        def headings() -> None:
            pdf.set_font(style="B")
            self._row(titles, heading, fill=True)
            pdf.set_font(style=style)

        headings()
        for texts in rows:
            counts = [self._lines(t, i) for i, t in enumerate(texts)]
            if pdf.get_y() + max(counts, default=1) * self.line > pdf.h - pdf.b_margin:
                pdf.add_page()
                headings()
            self._row(texts, counts)
        pdf.set_auto_page_break(auto=True, margin=pdf.b_margin)


def write_pdf(
    path: Path,
    signature: Signature,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    lang: Lang,
    notes: Sequence[str] = (),
) -> None:
    """The whole report in one PDF, written atomically."""
    wide = len(header) > 12  # the full Anexo 24 layout needs a Legal page to keep codes whole
    pdf = FPDF(orientation="landscape", format="Legal" if wide else "Letter")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(10, 10, 10)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    lines = preamble(signature, lang)
    pdf.set_font("helvetica", "B", 13)
    pdf.multi_cell(width, 7, latin1(lines[0][1]), new_x="LMARGIN", new_y="NEXT")
    for label, value in lines[1:]:
        pdf.set_font("helvetica", "B", 8)
        pdf.cell(55, 4.5, latin1(label))
        pdf.set_font("helvetica", "", 8)
        pdf.cell(width - 55, 4.5, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    column_kinds = kinds(header)
    texts = [
        [latin1(person_text(v, k, lang)) for v, k in zip(row, column_kinds, strict=False)] for row in rows
    ]
    size = 6 if wide else 7
    pdf.set_font("helvetica", "", size)
    aligns = ["R" if k in _RIGHT else "L" for k in column_kinds]
    titles = [latin1(h) for h in headings(header, lang)]
    widths = _fit(_widths(pdf, titles, texts), width)
    _Table(pdf, widths, aligns, size * 0.55).draw(titles, texts)
    pdf.ln(3)
    pdf.set_font("helvetica", "", 8)
    for note in notes:
        pdf.multi_cell(width, 4, latin1(note), new_x="LMARGIN", new_y="NEXT")
    _signature_lines(pdf, width, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, bytes(pdf.output()))


def _signature_lines(pdf: FPDF, width: float, lang: Lang) -> None:
    if pdf.get_y() > pdf.h - 45:
        pdf.add_page()
    pdf.ln(8)
    pdf.set_font("helvetica", "", 9)
    for role in ("prepared_by", "reviewed_by"):
        pdf.cell(width * 0.45, 10, latin1(block_text(role, lang)) + ":", border="B")
        pdf.cell(width * 0.1, 10, "")
        pdf.cell(width * 0.45, 10, latin1(block_text("signature_date", lang)) + ":", border="B")
        pdf.ln(14)
