"""USMCA / T-MEC (and NAFTA) rules-of-origin engine: pure values and functions.

Public API::

    from immex.origin import OriginCase, Good, Material, determine, parse_rule
    from immex.origin import sensitivity

- :func:`determine` — ``OriginCase`` → ``Determination`` (criterion A–D, tariff shift,
  RVC, de minimis, explanation with legal references);
- :func:`parse_rule` — rule text (GN 11 / Annex 4-B wording) → typed :class:`Rule`;
- :func:`sensitivity` — which materials block a good and by how much, or its margin.
"""

from immex.origin.engine import OriginError, determine
from immex.origin.facts import DeMinimisException, OriginFacts
from immex.origin.grammar import RuleSyntaxError, parse_rule
from immex.origin.hs import HsCode, HsError, HsRange
from immex.origin.model import (
    Alternative,
    AlternativeResult,
    Determination,
    FromCodes,
    Good,
    Level,
    Material,
    MaterialRole,
    OriginCase,
    OtherAt,
    OutsideGroup,
    ProductRule,
    Rule,
    RvcRequirement,
    RvcResult,
    TariffShift,
    WithinTarget,
)

__all__ = [
    "Alternative",
    "AlternativeResult",
    "DeMinimisException",
    "Determination",
    "FromCodes",
    "Good",
    "HsCode",
    "HsError",
    "HsRange",
    "Level",
    "Material",
    "MaterialRole",
    "OriginCase",
    "OriginError",
    "OriginFacts",
    "OtherAt",
    "OutsideGroup",
    "ProductRule",
    "Rule",
    "RuleSyntaxError",
    "RvcRequirement",
    "RvcResult",
    "TariffShift",
    "WithinTarget",
    "determine",
    "parse_rule",
]
