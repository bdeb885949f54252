"""Regenerate src/immex/rules/usmca/ from the official HTSUS General Note 11 PDF.

Usage::

    python3 scripts/regenerate_usmca_rules.py PATH/TO/general-note-11.pdf [--out DIR]

The PDF is the USITC's HTSUS (2025 Revision 7) General Note 11 (136 pages,
SHA-256 recorded below); the script refuses any other file, so the committed
data always comes from the same official text. Requires ``pypdf`` (the
optional extra ``rules``: ``pip install immex[rules]``).

What it writes, one YAML file per HS chapter (``chapter_NN.yaml``):

- every numbered rule of GN 11(o) with its verbatim text (whitespace
  normalized, the official typos kept), its HS scope, its citation and its
  effective dates;
- every chapter / heading / subheading rule: either an effective-dated rule
  set ("Beginning on July 1, 2020, until ... the following rules of origin
  shall apply to ...") which is a rule of its own, or an interpretive note,
  which is kept with the numbered rule(s) it precedes (heading / subheading
  notes) or with the whole chapter (chapter rules);
- ``subdivisions.yaml``: the verbatim text of GN 11(e) (de minimis), (n) (interpretation,
  item by item: the chemical-process rules of chapters 28-40, the textile rules, tariff-item
  precedence), (p) (goods deemed originating) and (q) (exceptions); the (n) items that govern
  particular chapters are also kept in those chapters' notes;
- ``index.yaml``: counts per chapter and the source identity.

The parsing of each rule into the typed grammar happens at load time in
``immex.origin.grammar``; this script only cuts the text into rules.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import yaml

PDF_SHA256 = "0a10d4c758f5231549c0ae83763374b8225ce2a0d167cd7d9d5866aaf362bc30"
SOURCE = "HTSUS (2025 Rev. 7) General Note 11"
USMCA_IN_FORCE = "2020-07-01"

FURNITURE = (
    re.compile(r"^Harmonized Tariff Schedule of the United States.*$"),
    re.compile(r"^Annotated for Statistical Reporting Purposes$"),
    re.compile(r"^GN p\.\d+$"),
    re.compile(r"^USMCA$"),
)
CHAPTER_LINE = re.compile(r"^Chapter (\d{1,2})$")
NUMBERED = re.compile(r"^\.?(\d{1,3})[.,]?\s+(?=[A-Z(])")
OTHER_RULE = re.compile(r"^(Chapter|Heading|Subheading) [Rr]ule(?: (\d+))?:\s*")
ONE = r"\d{4}(?:\.\d{2}){0,2}"
# the first code list of a target: "headings 0101 through 0106", "tariff item 8504.90.65 or 8504.90.75"
TARGET_GROUP = re.compile(
    rf"(?:headings?|subheadings?|tariff items?)\s+({ONE}(?:\s+through\s+{ONE})?"
    rf"(?:(?:,\s*|,?\s+or\s+|\s+and\s+){ONE}(?:\s+through\s+{ONE})?)*)"
)
MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
DATE = _MONTH + r" (\d{1,2}), (\d{4})"
DATED = re.compile(r"Beginning on " + DATE + r"(?:,? (?:until|through) " + DATE + r"|,? and thereafter)?")
TRADE = re.compile(
    r"For the purposes of trade between the territory of (\w+) "
    r"and the territory of the (?:United States|(\w+))"
)


def page_lines(pdf: Path) -> list[str]:
    from pypdf import PdfReader  # optional extra "rules"

    lines: list[str] = []
    for page in PdfReader(str(pdf)).pages:
        for raw in page.extract_text().splitlines():
            line = raw.strip()
            if line and not any(p.match(line) for p in FURNITURE):
                lines.append(line)
    return lines


def join(parts: list[str]) -> str:
    text = " ".join(parts)
    return re.sub(r"\s+", " ", text).strip()


def iso(month: str, day: str, year: str) -> str:
    return f"{int(year):04d}-{MONTHS[month]:02d}-{int(day):02d}"


def scope_of(text: str) -> list[dict[str, str]]:
    """HS codes named as targets ("A change to ... from"), as [{from, to}] ranges of digit strings."""
    scopes: list[dict[str, str]] = []
    for target in re.findall(
        r"(?:A change (?:to|of)|No (?:required )?change in tariff classification "
        r"(?:is required )?(?:to|for)) "
        r"(.*?)(?: from |,? provided|$)",
        text,
    ):
        # "drive-axles ..., for vehicles of heading 8703, of subheading 8708.50": a code that
        # qualifies the use ("for vehicles of", "motor vehicle of") is not the good's classification
        group = next(
            (
                g
                for g in TARGET_GROUP.finditer(target)
                if not re.search(r"(?:for|motor) vehicles? of\s*$", target[: g.start()])
            ),
            None,
        )
        if group is None:
            continue
        for low, high in re.findall(rf"({ONE})(?:\s+through\s+({ONE}))?", group.group(1)):
            low = low.replace(".", "")
            scopes.append({"from": low, "to": (high or low).replace(".", "")})
    unique: list[dict[str, str]] = []
    for item in scopes:
        if item not in unique:
            unique.append(item)
    return unique


def dated_scope(text: str) -> list[dict[str, str]]:
    match = re.search(r"shall apply to (?:goods of )?((?:headings?|subheadings?|tariff items?) .*?):", text)
    if not match:
        return []
    return scope_of("A change to " + match.group(1) + " from")


def cut(lines: list[str]) -> dict[int, dict[str, Any]]:
    start = next(
        i for i, line in enumerate(lines) if line.startswith("(o) Change in tariff classification rules")
    )
    end = next(
        i for i, line in enumerate(lines) if i > start and line.startswith("(p) Goods that shall be deemed")
    )
    chapters: dict[int, dict[str, Any]] = {}
    chapter: dict[str, Any] | None = None
    current: list[str] | None = None
    expected = 1
    entries: list[tuple[str, str | None, list[str]]] = []

    def flush() -> None:
        nonlocal current
        current = None

    for line in lines[start + 1 : end]:
        m = CHAPTER_LINE.match(line)
        if m:
            flush()
            number = int(m.group(1))
            entries = []
            chapter = {"chapter": number, "entries": entries}
            chapters[number] = chapter
            expected = 1
            continue
        if chapter is None:
            continue
        m = OTHER_RULE.match(line)
        if m:
            current = [line[m.end() :]]
            entries.append((m.group(1).lower(), m.group(2), current))
            continue
        m = NUMBERED.match(line)
        if m and int(m.group(1)) == expected:
            current = [line[m.end() :]]
            entries.append(("numbered", m.group(1), current))
            expected += 1
            continue
        if current is None:
            raise SystemExit(f"chapter {chapter['chapter']}: text outside any rule: {line!r}")
        current.append(line)
    return chapters


def build(chapters: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for number, chapter in sorted(chapters.items()):
        notes: list[dict[str, Any]] = []
        rules: list[dict[str, Any]] = []
        pending: list[dict[str, Any]] = []
        other_count = 0
        for kind, label, parts in chapter["entries"]:
            text = join(parts)
            if kind == "numbered":
                rule = {
                    "id": f"{number:02d}-{label}",
                    "kind": "numbered",
                    "number": int(label or 0),
                    "citation": f"{SOURCE}(o), chapter {number}, rule {label}",
                    "since": USMCA_IN_FORCE,
                    "until": None,
                    "scope": scope_of(text),
                    "text": text,
                }
                if pending:
                    rule["notes"] = pending
                    pending = []
                rules.append(rule)
                continue
            other_count += 1
            citation = f"{SOURCE}(o), chapter {number}, {kind} rule" + (f" {label}" if label else "")
            dated = DATED.search(text[:200])
            trade = TRADE.search(text[:200])
            if dated and "rule" in text and "shall apply to" in text:
                since = iso(*dated.group(1, 2, 3))
                until = iso(*dated.group(4, 5, 6)) if dated.group(4) else None
                body = text[text.index(":", dated.end()) + 1 :].strip() if ":" in text[dated.end() :] else ""
                rules.append(
                    {
                        "id": f"{number:02d}-{kind}-{other_count}",
                        "kind": kind,
                        "number": None,
                        "citation": citation,
                        "since": since,
                        "until": until,
                        "until_wording": dated.group(0),
                        "scope": dated_scope(text),
                        "text": body,
                        "heading_text": text[: text.index(":", dated.end()) + 1]
                        if ":" in text[dated.end() :]
                        else text,
                    }
                )
                continue
            note = {"kind": kind, "citation": citation, "text": text}
            if trade:
                note["trade"] = trade.group(0)
            if kind == "chapter":
                notes.append(note)
            else:
                pending.append(note)
        if pending:
            notes.extend(pending)
        numbered = sum(1 for r in rules if r["kind"] == "numbered")
        out[number] = {
            "chapter": number,
            "source": SOURCE,
            "numbered_rules": numbered,
            "other_rules": other_count,
            "notes": notes,
            "rules": rules,
        }
    return out


SUBDIVISIONS = {
    "e": ("(e) De minimis amounts of nonoriginating materials", "(f) Fungible goods and materials"),
    "n": ("(n) Interpretation of rules of origin", "(o) Change in tariff classification rules"),
    "p": ("(p) Goods that shall be deemed", "(q) Exceptions to change in tariff classification rules"),
    "q": ("(q) Exceptions to change in tariff classification rules", None),
}
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"]
# GN 11(n) items that govern the rules of particular chapters: item -> chapters
INTERPRETATION_CHAPTERS = {
    "iii": range(6, 15),
    "iv": range(28, 39),
    "v": range(39, 41),
    "vi": range(50, 64),
    "vii": range(50, 64),
}


def subdivisions(lines: list[str]) -> dict[str, Any]:
    """The verbatim text of GN 11(e), (n), (p) and (q); (n) also item by item."""
    out: dict[str, Any] = {}
    for key, (first, stop) in SUBDIVISIONS.items():
        start = next(i for i, line in enumerate(lines) if line.startswith(first))
        end = next(
            (i for i, line in enumerate(lines) if i > start and stop and line.startswith(stop)), len(lines)
        )
        body = lines[start:end]
        entry: dict[str, Any] = {"citation": f"{SOURCE}({key})", "text": join(body)}
        if key == "n":
            items: dict[str, list[str]] = {}
            current: list[str] | None = None
            expected = 0
            for line in body[1:]:
                if expected < len(ROMAN) and line.startswith(f"({ROMAN[expected]}) "):
                    current = [line]
                    items[ROMAN[expected]] = current
                    expected += 1
                elif current is not None:
                    current.append(line)
            entry["items"] = {k: {"citation": f"{SOURCE}(n)({k})", "text": join(v)} for k, v in items.items()}
        out[key] = entry
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path, help="HTSUS (2025 Rev. 7) General Note 11 PDF")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "src" / "immex" / "rules" / "usmca",
    )
    args = parser.parse_args(argv)
    digest = hashlib.sha256(args.pdf.read_bytes()).hexdigest()
    if digest != PDF_SHA256:
        print(
            f"error: {args.pdf} has SHA-256 {digest}; expected {PDF_SHA256} "
            f"({SOURCE}, 136 pages). Refusing to regenerate from another file.",
            file=sys.stderr,
        )
        return 2
    lines = page_lines(args.pdf)
    chapters = build(cut(lines))
    parts = subdivisions(lines)
    for item, applies_to in INTERPRETATION_CHAPTERS.items():
        note = parts["n"]["items"][item]
        for number in applies_to:
            if number in chapters:
                chapters[number]["notes"].append({"kind": "interpretation", **note})
    args.out.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Generated by scripts/regenerate_usmca_rules.py from {SOURCE} (USITC PDF, SHA-256 {PDF_SHA256}).\n"
        "# Do not edit by hand: fix the script and regenerate. Rule texts are verbatim (typos kept).\n"
    )
    for number, data in chapters.items():
        path = args.out / f"chapter_{number:02d}.yaml"
        path.write_text(
            header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
        )
    (args.out / "subdivisions.yaml").write_text(
        header + yaml.safe_dump(parts, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )
    index: dict[str, Any] = {
        "source": SOURCE,
        "sha256": PDF_SHA256,
        "subdivision": "(o) Change in tariff classification rules",
        "in_force": USMCA_IN_FORCE,
        "chapters": {
            n: {"numbered": d["numbered_rules"], "other": d["other_rules"]} for n, d in chapters.items()
        },
        "totals": {
            "chapters": len(chapters),
            "numbered": sum(d["numbered_rules"] for d in chapters.values()),
            "other": sum(d["other_rules"] for d in chapters.values()),
        },
    }
    (args.out / "index.yaml").write_text(header + yaml.safe_dump(index, sort_keys=False), encoding="utf-8")
    print(
        f"{len(chapters)} chapters, {index['totals']['numbered']} numbered rules, "
        f"{index['totals']['other']} chapter/heading/subheading rules -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
