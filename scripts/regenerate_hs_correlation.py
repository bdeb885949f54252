"""Regenerate ``src/immex/rules/usmca/hs_correlation_2022_2012.csv`` from the UN Statistics
Division's official correlation table HS 2022 -> HS 2012.

    python3 scripts/regenerate_hs_correlation.py PATH/TO/HS2022toHS2012ConversionAndCorrelationTables.xlsx

The workbook is published by UNSD (Economic Statistics classifications, "Correspondences":
``HS2022toHS2012ConversionAndCorrelationTables.xlsx``); the copy used is the one kept in the public
repository ``insongkim/concordance`` (``data-raw/``, commit
01161849f30d03e2f3e63c4999d44ea9fed56643). Its sheet "HS2022-HS2012 Correlations" lists every
pair of HS 2022 and HS 2012 subheadings whose scopes overlap, with the relationship (1:1, 1:n,
n:1, n:n). The script refuses a file with another SHA-256 (exit 2) and writes the pairs in the
workbook's order.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
from pathlib import Path

SHA256 = "a8bd784e704095b0bfebd645ca3b4b9b6b301f9b40d25711f78781755acdb32e"
SHEET = "HS2022-HS2012 Correlations"
HEADER = ("HS 2022", "HS 2012", "Relationship")
RELATIONSHIPS = {"1:1", "1:n", "n:1", "n:n"}
OUT = (
    Path(__file__).resolve().parents[1] / "src" / "immex" / "rules" / "usmca" / "hs_correlation_2022_2012.csv"
)


class SourceError(ValueError):
    """The workbook is not the expected table."""


def build(raw: bytes) -> str:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
    if SHEET not in book.sheetnames:
        raise SourceError(f"no sheet {SHEET!r} (sheets: {', '.join(book.sheetnames)})")
    rows = iter(book[SHEET].iter_rows(values_only=True))
    next(rows)  # the "Between" banner over the two code columns
    header = tuple(str(c).strip() for c in next(rows)[:3])
    if header != HEADER:
        raise SourceError(f"sheet {SHEET!r}: header {header} is not {HEADER}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("hs2022", "hs2012", "relationship"))
    for number, row in enumerate(rows, start=3):
        if not any(row[:3]):
            continue
        hs2022, hs2012, relationship = (str(c).strip() if c is not None else "" for c in row[:3])
        if not (len(hs2022) == len(hs2012) == 6 and hs2022.isdigit() and hs2012.isdigit()):
            raise SourceError(f"sheet {SHEET!r} row {number}: {hs2022!r} / {hs2012!r} are not 6-digit codes")
        if relationship not in RELATIONSHIPS:
            raise SourceError(f"sheet {SHEET!r} row {number}: relationship {relationship!r}")
        writer.writerow((hs2022, hs2012, relationship))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("xlsx", type=Path, help="HS2022toHS2012ConversionAndCorrelationTables.xlsx")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    try:
        raw = args.xlsx.read_bytes()
    except OSError as exc:
        print(f"error: {args.xlsx}: {exc.strerror}", file=sys.stderr)
        return 2
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        print(f"error: {args.xlsx}: SHA-256 {digest} is not the expected {SHA256}", file=sys.stderr)
        return 2
    try:
        text = build(raw)
    except SourceError as exc:
        print(f"error: {args.xlsx}: {exc}", file=sys.stderr)
        return 2
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({text.count(chr(10)) - 1} pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
