"""What IMMEX operations do in the Anexo 24 ledger: the classes of the claves de pedimento.

``claves.yaml`` gives each clave of Anexo 22 Apéndice 2 that the ledger knows
its outgoing class (return, change of regime, not discharging, regularization)
and/or its incoming class (a temporary import: an Anexo 24 lot), with its legal
citation and the dates it is in force. Loading is strict, as for every file
under ``rules/``: an unknown key or class, an empty citation, or two periods of
one clave that overlap raise :class:`~immex.rules.RulesError` at load time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from immex.rules import RulesError, as_date, read_yaml, require_keys

OutgoingClass = Literal["return", "change_of_regime", "not_discharging", "regularization"]
OUTGOING_CLASSES: tuple[OutgoingClass, ...] = (
    "return",
    "change_of_regime",
    "not_discharging",
    "regularization",
)
INCOMING_CLASSES = ("temporary_import", "definitive_import")

_HEADER = {"catalog", "title", "reference", "since", "classes", "imports_reference", "claves"}
_ENTRY = {"clave", "outgoing", "incoming", "reference", "since", "until"}


@dataclass(frozen=True, slots=True)
class ClaveRule:
    """One clave's classes from ``since`` through ``until`` (inclusive; None = open)."""

    clave: str
    outgoing: OutgoingClass | None
    incoming: str | None
    reference: str
    since: dt.date
    until: dt.date | None

    def covers(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


def _read() -> Any:
    return read_yaml("claves.yaml", __name__)


def _rule(row: Any, index: int, default_since: dt.date) -> ClaveRule:
    where = f"claves.yaml.claves[{index}]"
    if not isinstance(row, dict):
        raise RulesError(f"{where}: expected a mapping")
    require_keys(row, {"clave", "reference"}, _ENTRY, where)
    clave = str(row["clave"]).strip().upper()
    reference = str(row["reference"]).strip()
    if not clave or not reference:
        raise RulesError(f"{where}: empty clave or reference")
    outgoing, incoming = row.get("outgoing"), row.get("incoming")
    if outgoing is None and incoming is None:
        raise RulesError(f"{where}: {clave} has neither an outgoing nor an incoming class")
    if outgoing is not None and outgoing not in OUTGOING_CLASSES:
        raise RulesError(f"{where}: outgoing class {outgoing!r} is not one of {', '.join(OUTGOING_CLASSES)}")
    if incoming is not None and incoming not in INCOMING_CLASSES:
        raise RulesError(f"{where}: incoming class {incoming!r} is not one of {', '.join(INCOMING_CLASSES)}")
    since = as_date(row["since"], where) if row.get("since") is not None else default_since
    until = as_date(row["until"], where) if row.get("until") is not None else None
    if until is not None and until < since:
        raise RulesError(f"{where}: until {until} before since {since}")
    return ClaveRule(clave, outgoing, incoming, reference, since, until)


@cache
def clave_rules() -> dict[str, tuple[ClaveRule, ...]]:
    """Every clave's periods, sorted by start date (loaded once, strictly)."""
    data = _read()
    if not isinstance(data, dict):
        raise RulesError("claves.yaml: expected a mapping")
    require_keys(data, _HEADER, _HEADER, "claves.yaml")
    if not str(data["reference"]).strip():
        raise RulesError("claves.yaml: empty reference")
    if tuple(data["classes"]) != OUTGOING_CLASSES:
        raise RulesError(f"claves.yaml: classes must be {list(OUTGOING_CLASSES)}")
    default_since = as_date(data["since"], "claves.yaml.since")
    grouped: dict[str, list[ClaveRule]] = defaultdict(list)
    for index, row in enumerate(data["claves"] or ()):
        rule = _rule(row, index, default_since)
        grouped[rule.clave].append(rule)
    for clave, rules in grouped.items():
        rules.sort(key=lambda r: r.since)
        for before, after in itertools.pairwise(rules):
            if before.until is None or before.until >= after.since:
                raise RulesError(
                    f"claves.yaml: periods of {clave} from {before.since} and {after.since} overlap"
                )
    return {clave: tuple(rules) for clave, rules in grouped.items()}


def clave_rule(clave: str, day: dt.date) -> ClaveRule | None:
    """The rule of ``clave`` in force on ``day``; None when the clave has no class that day."""
    for rule in clave_rules().get(clave.strip().upper(), ()):
        if rule.covers(day):
            return rule
    return None


@cache
def imports_reference() -> str:
    """Why ``imports.csv`` holds temporary imports only: the citation its clave errors give."""
    clave_rules()  # the file is checked whole first
    reference = str(_read()["imports_reference"]).strip()
    if not reference:
        raise RulesError("claves.yaml: empty imports_reference")
    return reference
