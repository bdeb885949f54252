"""Codes a duty case names: currency (ISO 4217 and Anexo 22 Apéndice 5), incoterm
(Incoterms, Anexo 22 Apéndice 14) and PROSEC sector (Decreto PROSEC Art. 3).

The lists are data (``rules/duties/catalogs.yaml``, ``input_codes``, each with its
citation); ISO 4217 comes from the ``pycountry`` package. Each check answers the code in
its canonical form, or None when the code is unknown; :func:`unknown_message` says why
and names the valid codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pycountry

from immex.duties.rules_data import read_duties_yaml
from immex.rules import RulesError, require_keys

# a sector as the decree numbers it, optionally with "sector" before it and the inciso of
# Art. 5 after it: "XIX", "xix", "Sector II", "XX-b", "XX inciso c)"
_SECTOR = re.compile(r"^(?:sector\s+)?([ivxl]+)(?:\s*[-.]?\s*(?:inciso\s+)?([a-z])\)?)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class InputCodes:
    """The code lists of ``catalogs.yaml`` (``input_codes``) with their references."""

    currencies_not_iso: dict[str, str]
    currency_reference: str
    incoterms: dict[str, str]
    incoterm_reference: str
    prosec_sectors: dict[str, str]
    prosec_reference: str


def _block(data: Any, name: str, keys: set[str]) -> dict[str, Any]:
    block = data.get(name) if isinstance(data, dict) else None
    if not isinstance(block, dict):
        raise RulesError(f"catalogs.yaml: input_codes.{name} missing")
    require_keys(block, keys, keys, f"input_codes.{name}")
    if not str(block["reference"]).strip():
        raise RulesError(f"catalogs.yaml: input_codes.{name}: empty reference")
    return block


@cache
def input_codes() -> InputCodes:
    """The lists shipped with the package (read once; strict like the rest of the rules)."""
    data = read_duties_yaml("catalogs.yaml").get("input_codes")
    currencies = _block(data, "currencies", {"reference", "not_iso_4217"})
    incoterms = _block(data, "incoterms", {"reference", "codes"})
    sectors = _block(data, "prosec_sectors", {"reference", "codes"})
    for code, entry in {**currencies["not_iso_4217"], **incoterms["codes"]}.items():
        require_keys(entry, {"name", "reference"}, {"name", "reference"}, f"input_codes: {code}")
    return InputCodes(
        {str(k): str(v["name"]) for k, v in currencies["not_iso_4217"].items()},
        str(currencies["reference"]),
        {str(k): str(v["name"]) for k, v in incoterms["codes"].items()},
        str(incoterms["reference"]),
        {str(k): str(v) for k, v in sectors["codes"].items()},
        str(sectors["reference"]),
    )


def currency(raw: str) -> str | None:
    """The ISO 4217 (or Apéndice 5) code of ``raw`` in upper case, or None when unknown."""
    code = raw.strip().upper()
    if code in input_codes().currencies_not_iso:
        return code
    return code if len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None else None


def incoterm(raw: str) -> str | None:
    """The incoterm of ``raw`` in upper case ("fob" is FOB; "FOB Laredo" is FOB), or None."""
    words = raw.strip().upper().split()
    return words[0] if words and words[0] in input_codes().incoterms else None


def prosec_sector(raw: str) -> str | None:
    """The sector's number in capitals ("xix" and "Sector XIX" are XIX; "XX-b" is XX b), or None."""
    found = _SECTOR.match(raw.strip())
    if found is None or found.group(1).upper() not in input_codes().prosec_sectors:
        return None
    number = found.group(1).upper()
    return f"{number} {found.group(2).lower()}" if found.group(2) else number


def sector_number(sector: str) -> str:
    """The program's number of a checked sector, without its inciso ("XX b" is XX)."""
    return sector.split()[0]


def unknown_message(kind: str, raw: str) -> str:
    """Why ``raw`` is not a ``kind`` (currency, incoterm, prosec_sector), naming the valid codes."""
    codes = input_codes()
    if kind == "currency":
        return (
            f"{raw!r} is not an ISO 4217 currency code (USD, EUR, MXN, CAD, JPY, CNY ...; "
            f"also {', '.join(codes.currencies_not_iso)} of Anexo 22 Apéndice 5)"
        )
    if kind == "incoterm":
        return (
            f"{raw!r} is not an incoterm: one of {', '.join(codes.incoterms)} "
            "(Incoterms 2020; Anexo 22 Apéndice 14)"
        )
    return (
        f"{raw!r} is not a PROSEC sector: the program's number I to "
        f"{list(codes.prosec_sectors)[-1]} (Decreto PROSEC Art. 3: I eléctrica, II electrónica, "
        "XIX automotriz y de autopartes, ...), optionally with the inciso of Art. 5 (XX-b)"
    )
