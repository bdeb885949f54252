"""The case fields of the HS edition: ``hs_version`` and ``hs_2012`` (documented in
``docs/origin_automotive.md``); only values and their reader, no rules.

    "hs_version": "2022",
    "hs_2012": {"good": "8703.23", "materials": {"cell": "8541.40"}}

GN 11(o) is written in HS 2012; a case in HS 2022 is matched to its rule through the UNSD
correlation (:mod:`immex.origin.correlation`). ``hs_2012`` gives the HS 2012 code of a good or
material whose HS 2022 code splits across several HS 2012 codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from immex.origin.hs import HsCode, HsError

Report = Callable[[str, str], None]
EDITIONS = ("2012", "2022")


@dataclass(frozen=True, slots=True)
class HsEdition:
    """The case's codes are of ``version`` (``"2022"``); the HS 2012 codes a person chose."""

    version: str
    good: HsCode | None = None
    materials: tuple[tuple[str, HsCode], ...] = ()

    def material(self, material_id: str) -> HsCode | None:
        return next((code for mid, code in self.materials if mid == material_id), None)


def _code(raw: Any, where: str, report: Report) -> HsCode | None:
    try:
        return HsCode.parse(str(raw))
    except HsError as exc:
        report(where, f"unknown HS code: {exc}")
        return None


def read_hs_edition(data: Mapping[str, Any], report: Report) -> HsEdition | None:
    """None for HS 2012 (GN 11's own codes, the default); problems go to ``report``."""
    version = data.get("hs_version")
    chosen = data.get("hs_2012")
    if version is None or str(version) == "2012":
        if chosen is not None:
            report("hs_2012", 'give hs_2012 only with "hs_version": "2022"')
        return None
    if str(version) not in EDITIONS:
        report("hs_version", f"{version!r}: the codes may be HS 2012 (GN 11's own) or HS 2022")
        return None
    good = None
    materials: list[tuple[str, HsCode]] = []
    if chosen is not None:
        if not isinstance(chosen, dict) or set(chosen) - {"good", "materials"}:
            report("hs_2012", 'must be an object {"good": CODE, "materials": {ID: CODE}}')
            return HsEdition(str(version))
        if chosen.get("good") is not None:
            good = _code(chosen["good"], "hs_2012.good", report)
        raw_materials = chosen.get("materials") or {}
        if not isinstance(raw_materials, dict):
            report("hs_2012.materials", "must be an object of material id: HS 2012 code")
            raw_materials = {}
        for mid, raw in raw_materials.items():
            code = _code(raw, f"hs_2012.materials.{mid}", report)
            if code is not None:
                materials.append((str(mid), code))
    return HsEdition(str(version), good, tuple(materials))
