"""Strict loader of the HS 2022 -> HS 2012 correlation (``hs_correlation_2022_2012.csv``, generated
by ``scripts/regenerate_hs_correlation.py`` from the UNSD table; provenance in
``hs_correlation.yaml``). Imports nothing of the features.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from immex.rules import RulesError, parse_yaml, require_keys

RELATIONSHIPS = frozenset({"1:1", "1:n", "n:1", "n:n"})


@dataclass(frozen=True, slots=True)
class CorrelationTable:
    source: str
    reference: str
    pairs: Mapping[str, tuple[tuple[str, str], ...]]  # HS 2022 subheading -> ((HS 2012, relationship), ...)


def _text(name: str) -> str:
    return resources.files(__package__ or "immex.rules.usmca").joinpath(name).read_text(encoding="utf-8")


@cache
def correlation_2022_2012() -> CorrelationTable:
    meta = parse_yaml(_text("hs_correlation.yaml"))
    keys = {"source", "reference", "sha256", "file", "pairs", "hs2022_codes"}
    require_keys(meta, keys, keys, "hs_correlation.yaml")
    name = str(meta["file"])
    rows = csv.reader(io.StringIO(_text(name)))
    if next(rows, None) != ["hs2022", "hs2012", "relationship"]:
        raise RulesError(f"{name}: the header must be hs2022,hs2012,relationship")
    pairs: dict[str, list[tuple[str, str]]] = {}
    count = 0
    for line, row in enumerate(rows, start=2):
        if len(row) != 3:
            raise RulesError(f"{name}: line {line}: expected 3 columns, found {len(row)}")
        hs2022, hs2012, relationship = row
        if not (len(hs2022) == len(hs2012) == 6 and hs2022.isdigit() and hs2012.isdigit()):
            raise RulesError(f"{name}: line {line}: {hs2022!r}, {hs2012!r} are not 6-digit HS codes")
        if relationship not in RELATIONSHIPS:
            raise RulesError(f"{name}: line {line}: unknown relationship {relationship!r}")
        pairs.setdefault(hs2022, []).append((hs2012, relationship))
        count += 1
    if count != meta["pairs"] or len(pairs) != meta["hs2022_codes"]:
        raise RulesError(
            f"{name}: {count} pairs of {len(pairs)} HS 2022 codes, but hs_correlation.yaml says "
            f"{meta['pairs']} of {meta['hs2022_codes']}"
        )
    return CorrelationTable(
        str(meta["source"]), str(meta["reference"]), {k: tuple(v) for k, v in pairs.items()}
    )
