"""What a clave de pedimento does in the Anexo 24 ledger (public API for every feature).

The classes are data with their legal citation (``immex/rules/operations/claves.yaml``);
this module only answers questions about them:

- :func:`clave_class` — ``"return"``, ``"change_of_regime"``, ``"not_discharging"``,
  ``"regularization"`` for a clave that leaves the ledger (an export, a virtual
  transfer, a change of regime, an A3), ``"import"`` for a clave that is only a
  temporary import (``IN``, ``AF``), None for a clave the ledger does not know;
- :func:`is_temporary_import` — whether an import line with this clave is an
  Anexo 24 lot (``IN``, ``AF``, ``V1``);
- :func:`discharges` — whether an outgoing line with this clave consumes lots;
- :data:`DISCHARGING`, :data:`NOT_DISCHARGING`, :data:`REGULARIZATION`,
  :data:`TEMPORARY_IMPORT` — the claves of each class in force today (for
  listings; decisions about a line use the functions with the line's date).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from immex.rules.operations import ClaveRule, clave_rule, clave_rules

ClaveClass = Literal["return", "change_of_regime", "not_discharging", "regularization", "import"]

__all__ = [
    "DISCHARGING",
    "NOT_DISCHARGING",
    "REGULARIZATION",
    "TEMPORARY_IMPORT",
    "ClaveClass",
    "clave_citation",
    "clave_class",
    "claves_of",
    "discharges",
    "is_temporary_import",
]


def clave_class(clave: str, day: dt.date) -> ClaveClass | None:
    """The class of ``clave`` on ``day``: its outgoing class, else ``"import"``, else None."""
    rule = clave_rule(clave, day)
    if rule is None:
        return None
    if rule.outgoing is not None:
        return rule.outgoing
    return "import"


def is_temporary_import(clave: str, day: dt.date) -> bool:
    """True when an import line with ``clave`` on ``day`` is an Anexo 24 lot."""
    rule = clave_rule(clave, day)
    return rule is not None and rule.incoming == "temporary_import"


def discharges(clave: str, day: dt.date) -> bool:
    """True when an outgoing line with ``clave`` consumes lots (return or change of regime)."""
    return clave_class(clave, day) in ("return", "change_of_regime")


def clave_citation(clave: str, day: dt.date) -> str:
    """The legal reference of the clave's class on ``day`` ("" when it has none)."""
    rule: ClaveRule | None = clave_rule(clave, day)
    return "" if rule is None else rule.reference


def claves_of(kind: ClaveClass | Literal["temporary_import"], day: dt.date | None = None) -> frozenset[str]:
    """Every clave of one class on ``day`` (default: today)."""
    on = day or dt.date.today()
    if kind == "temporary_import":
        return frozenset(c for c in clave_rules() if is_temporary_import(c, on))
    return frozenset(c for c in clave_rules() if clave_class(c, on) == kind)


DISCHARGING = claves_of("return") | claves_of("change_of_regime")
NOT_DISCHARGING = claves_of("not_discharging")
REGULARIZATION = claves_of("regularization")
TEMPORARY_IMPORT = claves_of("temporary_import")
