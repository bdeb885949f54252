"""The certification of origin as a PDF: the nine Annex 5-A data elements in numbered boxes.

Renders the JSON document of :func:`immex.origin.certificate.certificate_document`, so
the PDF and the JSON say the same thing. Core fonts only (no font files needed);
text outside Latin-1 is transliterated.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from fpdf import FPDF

_REPLACEMENTS = {"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "≤": "<=", "≥": ">="}


def latin1(text: str) -> str:
    """Text the core PDF fonts can show: Latin-1 kept (ñ, á, ü), other marks dropped or replaced."""
    for old, new in _REPLACEMENTS.items():
        text = text.replace(old, new)
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


def _party_lines(value: Any) -> list[str]:
    if isinstance(value, dict):
        lines = [value.get("name", "")]
        if value.get("title"):
            lines[0] += f", {value['title']}"
        for key, label in (
            ("address", ""),
            ("country", "Country: "),
            ("tax_id", "Tax ID: "),
            ("telephone", "Tel.: "),
            ("email", "E-mail: "),
        ):
            if value.get(key):
                lines.append(f"{label}{value[key]}")
        return lines
    return [str(value)]


class _Pdf(FPDF):
    def __init__(self, number: str) -> None:
        super().__init__(orientation="P", unit="mm", format="Letter")
        self.number = number
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", size=7)
        self.cell(
            0,
            5,
            latin1(f"Certification of origin {self.number} - page {self.page_no()} of {{nb}}"),
            align="C",
        )


def _box(pdf: _Pdf, number: int, title: str, lines: list[str], width: float, x: float, y: float) -> float:
    """One numbered box; returns its bottom."""
    pdf.set_xy(x + 1.5, y + 1.2)
    pdf.set_font("Helvetica", style="B", size=7.5)
    pdf.multi_cell(width - 3, 3.6, latin1(f"{number}. {title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=8.5)
    for line in lines or [""]:
        pdf.set_x(x + 1.5)
        pdf.multi_cell(width - 3, 4, latin1(line), new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y() + 1.5
    return bottom


def _row(pdf: _Pdf, boxes: list[tuple[int, str, list[str]]]) -> None:
    """Boxes side by side with a common height (drawn after measuring)."""
    left, usable = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin
    width = usable / len(boxes)
    top = pdf.get_y()
    if top > pdf.h - 60:
        pdf.add_page()
        top = pdf.get_y()
    bottoms = []
    for i, (number, title, lines) in enumerate(boxes):
        bottoms.append(_box(pdf, number, title, lines, width, left + i * width, top))
    bottom = max(bottoms)
    for i in range(len(boxes)):
        pdf.rect(left + i * width, top, width, bottom - top)
    pdf.set_xy(left, bottom)


def render_certificate(document: dict[str, Any]) -> bytes:
    """The PDF bytes of a certification of origin document."""
    elements = {e["number"]: e for e in document["data_elements"]}
    pdf = _Pdf(document["number"])
    pdf.set_title(latin1(f"Certification of origin {document['number']}"))
    pdf.set_creator("immex")
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=13)
    agreement = document["agreement"]
    heading = (
        "USMCA / T-MEC / CUSMA CERTIFICATION OF ORIGIN"
        if agreement == "USMCA"
        else f"{agreement} CERTIFICATION OF ORIGIN"
    )
    pdf.cell(0, 7, latin1(heading), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=8.5)
    kind = (
        "Blanket certification (multiple shipments)"
        if document["kind"] == "blanket"
        else f"Single shipment of {document['shipment_date']}"
    )
    pdf.cell(
        0,
        5,
        latin1(
            f"No. {document['number']}   |   {kind}   |   minimum data elements of "
            f"{elements[1]['reference'].rsplit(',', 1)[0]}"
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)

    def text(number: int) -> list[str]:
        return _party_lines(elements[number]["value"])

    _row(
        pdf,
        [
            (1, elements[1]["title"], [str(elements[1]["value"]).capitalize()]),
            (2, elements[2]["title"], text(2)),
        ],
    )
    _row(pdf, [(3, elements[3]["title"], text(3)), (4, elements[4]["title"], text(4))])
    _row(pdf, [(5, elements[5]["title"], text(5)), (8, elements[8]["title"], _period(elements[8]["value"]))])
    _goods(pdf, elements[6], elements[7])
    signature = elements[9]["value"]
    _row(
        pdf,
        [
            (
                9,
                elements[9]["title"],
                [
                    signature["statement"],
                    "",
                    f"Signed by: {signature['signed_by']}"
                    + (f", {signature['title']}" if signature.get("title") else ""),
                    f"Date: {signature['date']}",
                    "",
                    "Signature: ____________________________________",
                ],
            )
        ],
    )
    pdf.ln(2)
    pdf.set_font("Helvetica", size=7.5)
    pdf.multi_cell(
        0,
        3.6,
        latin1(
            f"Records supporting this certification are kept until "
            f"{document['records_kept_until']} ({document['record_keeping_reference']})."
        ),
    )
    return bytes(pdf.output())


def _period(value: Any) -> list[str]:
    if not value:
        return ["Not applicable: single shipment"]
    return [f"From {value['from']} to {value['to']}"]


def _goods(pdf: _Pdf, goods: dict[str, Any], criteria: dict[str, Any]) -> None:
    """Elements 6 and 7 as one table: description, HS classification, invoice, criterion."""
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    widths = (usable * 0.52, usable * 0.16, usable * 0.17, usable * 0.15)
    pdf.set_font("Helvetica", style="B", size=7.5)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(
        usable,
        4.5,
        latin1(f" {goods['number']}. {goods['title']}   /   {criteria['number']}. {criteria['title']}"),
        border=1,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    headers = ("Description", "HS (6 digits)", "Invoice", "Origin criterion")

    def header_row() -> None:
        pdf.set_font("Helvetica", style="B", size=7.5)
        for width, header in zip(widths, headers, strict=True):
            pdf.cell(width, 5, latin1(header), border=1)
        pdf.ln()
        pdf.set_font("Helvetica", size=8.5)

    header_row()
    for good in goods["value"]:
        cells = (
            f"{good['description']} ({good['product']})",
            good["hs"],
            good.get("invoice", ""),
            criteria["value"][good["product"]],
        )
        top = pdf.get_y()
        if top > pdf.h - 40:
            pdf.add_page()
            header_row()
            top = pdf.get_y()
        bottom = top
        x = pdf.l_margin
        for width, value in zip(widths, cells, strict=True):
            pdf.set_xy(x, top)
            pdf.multi_cell(width, 4.5, latin1(str(value)), new_x="LMARGIN", new_y="NEXT")
            bottom = max(bottom, pdf.get_y())
            x += width
        x = pdf.l_margin
        for width in widths:
            pdf.rect(x, top, width, bottom - top)
            x += width
        pdf.set_xy(pdf.l_margin, bottom)
