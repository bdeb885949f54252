"""Which HS headings and subheadings exist, to tell a user that a code of a case does not.

Two shipped sources give the 6-digit subheadings:

- HS 2022: the subheadings of the LIGIE 2022 Tarifa (the first six digits of its
  fracciones, ``rules/duties/tariff/ligie2022.csv``; Mexico's Tarifa is built on the HS) and
  the HS 2022 column of the UNSD HS 2022 - HS 2012 correlation
  (``rules/usmca/hs_correlation_2022_2012.csv``, which also lists the subheadings the LIGIE
  leaves out, such as 2404.11-2404.12);
- HS 2012, the edition GN 11(o) is written in: the HS 2012 column of the same correlation
  (every HS 2012 subheading correlates with some HS 2022 one).

A code is known when its first six digits are a subheading of the edition the case is in
(``hs_version``: 2022 only; else HS 2012 or HS 2022, since a case without ``hs_version``
may carry either). HS 2017 has no list here: a subheading created in 2017 and deleted in
2022 is not known.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from immex.origin.hs import HsCode
from immex.rules.usmca.hs_correlation_data import correlation_2022_2012

_UNSPECIFIED = "999999"  # UNSD's row for commodities not specified by kind, not a subheading
LIGIE_2022 = "ligie2022.csv"


@cache
def ligie_2022_subheadings() -> frozenset[str]:
    """The first six digits of every fracción of the LIGIE 2022 Tarifa (chapter 98 is Mexican)."""
    text = resources.files("immex.rules.duties").joinpath("tariff", LIGIE_2022).read_text(encoding="utf-8")
    return frozenset(row["fraccion"][:6] for row in csv.DictReader(io.StringIO(text)))


@cache
def hs_subheadings(edition: str) -> frozenset[str]:
    """The 6-digit subheadings of HS ``edition`` ("2012" or "2022")."""
    pairs = correlation_2022_2012().pairs
    if edition == "2022":
        found = set(pairs) | {code for code in ligie_2022_subheadings() if not code.startswith("98")}
    else:
        found = {hs2012 for targets in pairs.values() for hs2012, _ in targets}
    found.discard(_UNSPECIFIED)
    return frozenset(found)


def _headings(subheadings: frozenset[str]) -> frozenset[str]:
    return frozenset(code[:4] for code in subheadings)


def editions_of(hs_version: str | None) -> tuple[str, ...]:
    """The HS editions a code of a case may be in: the one ``hs_version`` names, else either
    (a case that says nothing may carry HS 2012 codes, as GN 11 does, or today's codes)."""
    if hs_version in ("2012", "2022"):
        return (hs_version,)
    return ("2012", "2022")


def unknown_code(code: HsCode, editions: tuple[str, ...]) -> str | None:
    """Why ``code`` is not a heading or subheading of any of ``editions``, or None when it is."""
    subheading = code.at(6)
    if any(subheading in hs_subheadings(edition) for edition in editions):
        return None
    names = " or ".join(f"HS {edition}" for edition in editions)
    heading = code.at(4)
    if not any(heading in _headings(hs_subheadings(edition)) for edition in editions):
        others = sorted(h for e in editions for h in _headings(hs_subheadings(e)) if h[:2] == heading[:2])
        span = f" (chapter {heading[:2]} has headings {others[0]} to {others[-1]})" if others else ""
        return f"heading {heading[:2]}.{heading[2:]} does not exist in {names}{span}"
    siblings = sorted({s for e in editions for s in hs_subheadings(e) if s[:4] == heading})
    listed = ", ".join(f"{s[:4]}.{s[4:]}" for s in siblings[:12]) + (", ..." if len(siblings) > 12 else "")
    return f"subheading {heading}.{subheading[4:]} does not exist in {names} (heading {heading} has {listed})"
