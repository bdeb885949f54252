"""Regenerate src/immex/rules/duties/tariff/ligie2022.csv from the TIGIE file it comes from.

Usage::

    python3 scripts/regenerate_tigie_tariff.py PATH/TO/aduanex_maestra_tigie_import.csv [--out DIR]

The source is a machine-readable copy of the Tarifa of the LIGIE 2022 (fracción + NICO,
description, unit of the Tarifa, ad valorem import duty), published in the public
repository ramoncorquiz1997/modulo_aduana_odoo as ``aduanex_maestra_tigie_import.csv``
(blob d1e27eb5e4de6ecd16cc33ba56dc741059251d2f); docs/duties.md ("Tariff data sources")
says what it can vouch for. The script refuses any file whose SHA-256 is not the one
below, so the committed table always comes from the same bytes.

The file is read by the same reader as ``immex duties tariff update --file`` (with
``--non-ad-valorem keep``): ``Ex.`` in the note column is exempt; a specific or mixed
duty in the note column (``AMX (20%+0.36 Dls por Kg de azúcar)``) is kept as text without
a rate, since the 0.0 beside it in the rate column is not a rate. It writes one row per
fracción + NICO in the compact layout of ``immex.duties.tariff_shipped`` (sorted, rates as
fractions), which ``releases.yaml`` puts in force from its dates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from pathlib import Path

from immex.core.problems import InputError
from immex.duties.tariff_service import read_official_tariff
from immex.duties.tariff_shipped import write_release_csv

SHA256 = "d829c989951e3bc6ea4f705a31473b94da710cbefe89b3f7e81f10a7d0c4e0c8"
OUTPUT = "ligie2022.csv"
# What the source holds (docs/duties.md): a check that the whole file was read.
EXPECTED_ROWS = 11507
EXPECTED_FRACCIONES = 8134
EXPECTED_WITHOUT_RATE = 50
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "immex" / "rules" / "duties" / "tariff"


def build(path: Path) -> str:
    """The committed table's text from the source file (which must have the SHA-256 above)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{path}: SHA-256 {digest} is not the TIGIE file this table comes from ({SHA256})")
    # The date and source are not written: releases.yaml gives them.
    rows = read_official_tariff(path, dt.date(2026, 3, 30), "-", non_ad_valorem="keep")
    counts = (len(rows), len({r.fraccion for r in rows}), sum(1 for r in rows if r.igi_text))
    if counts != (EXPECTED_ROWS, EXPECTED_FRACCIONES, EXPECTED_WITHOUT_RATE):
        raise SystemExit(
            f"{path}: read {counts} (rows, fracciones, rows without an ad valorem "
            f"rate), expected {(EXPECTED_ROWS, EXPECTED_FRACCIONES, EXPECTED_WITHOUT_RATE)}"
        )
    return write_release_csv(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", type=Path, help="aduanex_maestra_tigie_import.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory to write into")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"{args.source}: no such file", file=sys.stderr)
        return 2
    try:
        text = build(args.source)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    except InputError as exc:
        for problem in exc.problems:
            print(f"{problem.file}:{problem.row}:{problem.column}: {problem.message}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / OUTPUT).write_text(text, encoding="utf-8", newline="")
    print(f"wrote {args.out / OUTPUT} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
