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
- :func:`import_clave_problem` — why a line of ``imports.csv`` with this clave is no
  Anexo 24 lot (None when it is one), with the citation of the rule data;
- :data:`DISCHARGING`, :data:`NOT_DISCHARGING`, :data:`REGULARIZATION`,
  :data:`TEMPORARY_IMPORT` — the claves of each class in force today (for
  listings; decisions about a line use the functions with the line's date).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from immex.rules import anexo22
from immex.rules.operations import ClaveRule, clave_rule, clave_rules, imports_reference

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
    "import_clave_problem",
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


def import_clave_problem(clave: str, day: dt.date) -> str | None:
    """Why a line of ``imports.csv`` with ``clave`` on ``day`` is refused; None for an Anexo 24 lot.

    ``imports.csv`` holds temporary imports only (the discharge contract's lots): a
    definitive import, an outgoing clave or a clave the ledger does not know is an
    input error naming the clave, the claves that are lots and the legal citation.
    """
    rule = clave_rule(clave, day)
    if rule is not None and rule.incoming == "temporary_import":
        return None
    lots = ", ".join(sorted(claves_of("temporary_import", day)))
    head = (
        f"clave {clave} is not a temporary import under IMMEX: imports.csv holds the Anexo 24 lots"
        f" (claves {lots} on {day}; {imports_reference()})"
    )
    return f"{head}; {_where_it_belongs(clave, day, rule)}"


def _where_it_belongs(clave: str, day: dt.date, rule: ClaveRule | None) -> str:
    """What to do with a line whose clave is no temporary import (the second half of its message)."""
    if rule is not None and rule.incoming == "definitive_import":
        return f"{clave} is a definitive import ({rule.reference}): no lot to discharge, leave it out"
    if rule is not None and rule.outgoing == "regularization":
        return f"{clave} is a regularization ({rule.reference}): list it in regularizations.csv"
    if rule is not None and rule.outgoing is not None:
        return f"{clave} is an outgoing clave ({rule.reference}): list it in exports.csv"
    entry = anexo22.claves_pedimento().get(clave)
    if entry is not None and entry.in_force(day):
        return f"{clave} is '{entry.description}' (Anexo 22 Ap. 2), no Anexo 24 lot: leave it out"
    return f"{clave} is not a clave the ledger knows on that date"


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
