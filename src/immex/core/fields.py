"""Field names of case files: which unknown field is most likely a misspelt known one.

Case files come from spreadsheets and other systems that add fields of their own
(units, supplier names, notes), so an unknown field is not an error in itself. But a
field whose name is close to one the reader reads (``net_cots``, ``igi_rte``, ``Value``)
is most likely a typo: ignored, it would silently change the answer (a missing rate read
as the default, a net cost left out). The origin and duty case readers both refuse such
a field and name the field they think was meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from dataclasses import dataclass

# difflib's default cut-off: "igi_rte" ~ "igi_rate" (0.93) and "net_cots" ~ "net_cost" (0.75)
# are caught, "supplier_name" ~ "supplier_country" (0.55) is not
SIMILARITY = 0.6


@dataclass(frozen=True, slots=True)
class LikelyTypo:
    """An unknown field and the known field it most likely stands for."""

    field: str
    meant: str

    def message(self, file: str | None = None) -> str:
        where = f" in {file}" if file else ""
        return f"unknown field{where}; did you mean '{self.meant}'?"


def likely_typos(keys: Iterable[object], known: Collection[str]) -> list[LikelyTypo]:
    """Each key that is not a known field but whose name (in any case) is close to one."""
    names = sorted(known)
    found: list[LikelyTypo] = []
    for key in keys:
        if key in known:
            continue
        name = str(key).lower()
        close = difflib.get_close_matches(name, names, n=1, cutoff=SIMILARITY)
        if close and _same_word(name, close[0]):
            found.append(LikelyTypo(str(key), close[0]))
    return found


def _same_word(name: str, meant: str) -> bool:
    """Short names are similar by chance ("notes" and "incoterm" score 0.62): a typo keeps the
    first letter, or one name holds the other ("is_set" for "set")."""
    return name[:1] == meant[:1] or name in meant or meant in name
