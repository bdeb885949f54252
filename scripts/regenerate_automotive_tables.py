"""Regenerate ``src/immex/rules/usmca/automotive_tables.yaml`` from the official XML of Canada's
USMCA Uniform Regulations (SOR/2020-155), whose Part 6 reproduces the tables of the Appendix to
USMCA Annex 4-B (automotive goods): A.1, A.2, B, C, D, E, F and S, in HS 2012 codes.

    python3 scripts/regenerate_automotive_tables.py PATH/TO/SOR-2020-155.xml

The file is ``eng/regulations/SOR-2020-155.xml`` of the public repository
``justicecanada/laws-lois-xml`` (Open Government Licence - Canada). The script refuses a file
with another SHA-256 (exit 2), so the committed data always comes from the same text.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

SHA256 = "b297d7095f2de642afb1188215cd1f2d9bbbadd7474a07179bbffae0de683cfe"
OUT = Path(__file__).resolve().parents[1] / "src" / "immex" / "rules" / "usmca" / "automotive_tables.yaml"
SOURCE = (
    "Uniform Regulations regarding the interpretation, application and administration of Chapter 4 "
    "(Rules of Origin) and related provisions of Chapter 6 (Textile and Apparel Goods) of the USMCA, "
    "as published by Canada: Regulations SOR/2020-155, Part 6 (Automotive Goods), official XML "
    "(justicecanada/laws-lois-xml, eng/regulations/SOR-2020-155.xml, consolidated 2025-07-25)"
)
# table label in the XML -> (key, what the Appendix calls it)
TABLES = {
    "TABLE A.1": ("A.1", "Core parts for passenger vehicles and light trucks"),
    "TABLE A.2": (
        "A.2",
        "Parts and components for determining the origin of passenger vehicles and light trucks",
    ),
    "TABLE B": ("B", "Principal parts for passenger vehicles and light trucks"),
    "TABLE C": ("C", "Complementary parts for passenger vehicles and light trucks"),
    "TABLE D": ("D", "Principal parts for heavy trucks"),
    "TABLE E": ("E", "Complementary parts for heavy trucks"),
    "TABLE F": ("F", "Parts for other vehicles"),
    "TABLE S": ("S", "Steel and aluminum"),
}
# "ex 8407.33", "8409.91", "40.09" (a heading), "4016.93.aa" (a tariff item described in words)
CODE = re.compile(r"(ex\s*)?(\d{4}\.\d{2}(?:\.[a-z0-9]{2})?|\d{2}\.\d{2}(?!\d))")


def text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def codes(cell: str) -> list[dict[str, Any]]:
    out = []
    for m in CODE.finditer(cell):
        code = m.group(2)
        digits = code.replace(".", "")
        out.append({"hs": digits if digits.isdigit() else code, "ex": bool(m.group(1))})
    return out


def tables(root: ET.Element) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    label = None
    group = 0
    for element in root.iter():
        if element.tag == "Label" and text(element) in TABLES:
            label = text(element)
            group = 0
        if element.tag == "TableGroup" and label is not None:
            key, title = TABLES[label]
            rows = [[text(c) for c in row] for row in element.iter("row")]
            group += 1
            if group == (2 if key == "S" else 1):  # Table S has two parts: steel, then aluminum
                label = None
            entry = found.setdefault(key, {"title": title, "rows": []})
            entry["rows"].extend(_rows(key, rows, group))
    return found


def _rows(key: str, rows: list[list[str]], group: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if key == "A.2":
        part = None
        for cells in rows[2:]:
            if len(cells) == 3:
                part, component, cell = cells
            elif len(cells) == 2:
                component, cell = cells
            else:
                continue
            out.append({"part": part, "component": component, "codes": codes(cell)})
        return out
    if key == "S":
        metal = "steel" if group == 1 else "aluminum"
        for cells in rows[1:]:
            if len(cells) < 2:
                continue
            cell = cells[-1]
            if not CODE.search(cell):
                continue
            out.append({"metal": metal, "description": cells[-2], "codes": codes(cell)})
        return out
    for cells in rows[1:]:
        if len(cells) < 2 or not cells[0]:
            continue
        out.append({"codes": codes(cells[0]), "description": cells[1]})
    return out


def build(xml: bytes) -> str:
    root = ET.fromstring(xml)
    data = {
        "source": SOURCE,
        "sha256": SHA256,
        "hs_version": "HS 2012 (the tables' own heading: 'Harmonized system 2012')",
        "note": (
            "Tables of the Appendix to USMCA Annex 4-B; 'ex' marks a code of which only the described "
            "goods are listed (Uniform Regulations, Part 6; Appendix Art. 6.3). Codes with letters "
            "(8708.99.aa) are tariff items the Appendix describes in words."
        ),
        "tables": tables(root),
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("xml", type=Path, help="SOR-2020-155.xml (English)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    try:
        raw = args.xml.read_bytes()
    except OSError as exc:
        print(f"error: {args.xml}: {exc.strerror}", file=sys.stderr)
        return 2
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        print(f"error: {args.xml}: SHA-256 {digest} is not the expected {SHA256}", file=sys.stderr)
        return 2
    args.out.write_text(build(raw), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
