"""Empty input templates (CSV folder and XLSX workbook) with every column documented."""

from __future__ import annotations

import csv
from pathlib import Path

from immex.ledger.movements import MOVEMENT_TABLES
from immex.ledger.read import COLUMNS

# the ledger's tables, then sub-maquila and waste (read beside them: immex.ledger.movements)
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    **COLUMNS,
    **{
        name: (schema.required, tuple(c.name for c in schema.columns if not c.required))
        for name, schema in MOVEMENT_TABLES.items()
    },
}

COLUMN_HELP: dict[str, str] = {
    "part": "Part number, as on the commercial invoice and the BOM",
    "uom": "Unit of the quantity (parts.csv: the part's base unit; elsewhere converted to it)",
    "kind": "raw, subassembly, finished, container or asset (sets the Art. 108 term)",
    "description": "Free text",
    "hs": "Fracción arancelaria (6, 8 or 10 digits, dots allowed)",
    "country_of_origin": "ISO 3166 code, 2 or 3 letters",
    "pedimento": "15-digit pedimento number, with or without spaces (24 47 3456 4000123)",
    "line": "Partida number (positive integer)",
    "clave": (
        "Clave de pedimento (Anexo 22 Apéndice 2): imports IN, AF or V1 (temporary imports only);"
        " exports RT, H1, V1, V5, F4, F5 ... (discharge) or A1, BM, BO (listed, not discharged);"
        " regularizations A3"
    ),
    "cleared_on": "Fecha de pago of the pedimento, YYYY-MM-DD",
    "qty": "Quantity, plain decimal with up to 6 decimals (no thousands separator)",
    "unit_value_usd": "Value per unit in US dollars",
    "product": "Exported product (a part of parts.csv)",
    "destination_country": "ISO 3166 code of the country of destination",
    "import_pedimento": "For the directed method: the import pedimento this export line consumes",
    "import_line": "regularizations.csv: the partida of import_pedimento that the A3 line discharges",
    "component": "Component part consumed by one base unit of the product",
    "qty_per": "Component quantity per one base unit of the product, in the row's uom",
    "valid_from": "First day the BOM version applies, YYYY-MM-DD",
    "valid_to": "Last day the BOM version applies (empty = open ended)",
    "merma_pct": "Merma (loss in process, not recoverable) in percent, default 0",
    "desperdicio_pct": "Desperdicio (scrap with value) in percent, default 0",
    "from_uom": "Unit converted from",
    "to_uom": "Unit converted to (the part's base unit)",
    "factor": "qty_in_to = qty_in_from * factor",
    "shipment": "submaquila.csv: the shipment to the sub-maquiladora (its own number or document)",
    "direction": "submaquila.csv: out (sent to the sub-maquiladora) or in (received back)",
    "date": "Day of the shipment (submaquila.csv) or of the disposal (waste.csv), YYYY-MM-DD",
    "submaquilador_rfc": "RFC of the sub-maquiladora (12 or 13 characters, check digit verified)",
    "disposition": "waste.csv: destroyed, donated, returned or definitive",
    "document": "waste.csv: the acta or pedimento of the disposal (optional)",
}


def write_templates(folder: Path) -> list[Path]:
    """Write one header-only CSV per input file, ledger-template.xlsx and COLUMNS.md into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    from openpyxl import Workbook  # here: other commands never pay for importing openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, (required, optional) in TABLES.items():
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerow([*required, *optional])
        written.append(path)
        sheet = book.create_sheet(name.removesuffix(".csv"))
        sheet.append([*required, *optional])
        for cell in sheet[1]:
            cell.font = Font(bold=str(cell.value) in required)
            cell.comment = Comment(COLUMN_HELP[str(cell.value)], "immex")
            sheet.column_dimensions[cell.column_letter].width = max(14, len(str(cell.value)) + 4)
    workbook = folder / "ledger-template.xlsx"
    book.save(workbook)
    written.append(workbook)
    readme = folder / "COLUMNS.md"
    readme.write_text(_columns_markdown(), encoding="utf-8")
    written.append(readme)
    return written


def _columns_markdown() -> str:
    lines = [
        "# Ledger input columns",
        "",
        "Required columns are **bold**; columns may come in any order; extra columns are ignored.",
        "The XLSX workbook takes the same tables, one sheet per file (sheet name = file name).",
        "",
    ]
    for name, (required, optional) in TABLES.items():
        lines += [f"## {name}", "", "| column | meaning |", "| --- | --- |"]
        lines += [f"| **{c}** | {COLUMN_HELP[c]} |" for c in required]
        lines += [f"| {c} | {COLUMN_HELP[c]} |" for c in optional]
        lines.append("")
    return "\n".join(lines)
