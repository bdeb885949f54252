"""A case classified in HS 2022 matched to the GN 11(o) rules, which are written in HS 2012.

:func:`decide_in_hs2012` reads every HS 2022 code of the case (good, materials, components of
intermediate materials) at its HS 2012 equivalents in the UNSD correlation table
(``rules/usmca/hs_correlation_2022_2012.csv``). Where a code splits across several HS 2012
codes, the case is decided for each possible reading: when every reading gives the same
answer, that answer is given and the explanation says so; otherwise the case cannot be
decided and the error asks for the HS 2012 code (``hs_2012`` in the case file).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from immex.origin.engine import OriginError
from immex.origin.facts import OriginFacts
from immex.origin.hs import HsCode
from immex.origin.model import Determination, Material, OriginCase, ProductRule
from immex.rules.usmca.hs_correlation_data import CorrelationTable, correlation_2022_2012

Lookup = Callable[[HsCode, OriginCase], ProductRule]
Base = Callable[[OriginCase, OriginFacts, Lookup], Determination]
MAX_READINGS = 64  # readings of split codes tried before asking for the HS 2012 codes


@dataclass(frozen=True, slots=True)
class Item:
    """One code of the case: where it is, its HS 2022 code and its possible HS 2012 codes."""

    key: str  # "good" or a material id ("frame", "subassembly/bolt" for a component)
    field: str  # where the user gives its HS 2012 code
    code: HsCode
    candidates: tuple[HsCode, ...]
    relationships: tuple[str, ...]
    chosen: bool = False


def hs2012_candidates(
    code: HsCode, table: CorrelationTable | None = None
) -> tuple[tuple[HsCode, ...], tuple[str, ...]]:
    """The HS 2012 codes an HS 2022 code may be, with their relationships; OriginError if unknown.

    A code that keeps its subheading keeps its national digits (8703.23.01 stays 8703.23.01)."""
    table = table or correlation_2022_2012()
    pairs = table.pairs.get(code.at(6))
    if pairs is None:
        raise OriginError(f"{code} is not an HS 2022 subheading (it is not in the {table.reference})")
    codes = tuple(dict.fromkeys(hs for hs, _ in pairs))
    relationships = tuple(dict.fromkeys(rel for _, rel in pairs))
    if codes == (code.at(6),):
        return (code,), relationships
    return tuple(HsCode(c) for c in codes), relationships


def _item(key: str, field: str, code: HsCode, chosen: HsCode | None, table: CorrelationTable) -> Item:
    candidates, relationships = hs2012_candidates(code, table)
    if chosen is None:
        return Item(key, field, code, candidates, relationships)
    if chosen.at(6) not in {c.at(6) for c in candidates}:
        raise OriginError(
            f"{field} {chosen} is not one of the HS 2012 codes that HS 2022 {code} correlates with "
            f"({', '.join(str(c) for c in candidates)}; {table.reference})"
        )
    return Item(key, field, code, (chosen,), relationships, chosen=True)


def _items(case: OriginCase, table: CorrelationTable) -> list[Item]:
    edition = case.hs_edition
    assert edition is not None
    items = [_item("good", "hs_2012.good", case.good.hs, edition.good, table)]
    for m in case.materials:
        field = f"hs_2012.materials.{m.id}"
        items.append(_item(m.id, field, m.hs, edition.material(m.id), table))
        for c in m.components:
            key = f"{m.id}/{c.id}"
            items.append(_item(key, f"hs_2012.materials.{key}", c.hs, edition.material(key), table))
    return items


def _reading(case: OriginCase, codes: dict[str, HsCode]) -> OriginCase:
    def material(m: Material, prefix: str = "") -> Material:
        key = f"{prefix}{m.id}"
        components = tuple(material(c, f"{key}/") for c in m.components)
        return replace(m, hs=codes[key], components=components)

    return replace(
        case,
        hs_edition=None,
        good=replace(case.good, hs=codes["good"]),
        materials=tuple(material(m) for m in case.materials),
    )


def _notes(items: list[Item], table: CorrelationTable) -> list[str]:
    lines = [
        "The case's codes are HS 2022; GN 11(o) is written in HS 2012: each code is read through "
        f"the {table.source}."
    ]
    for item in items:
        name = "the good" if item.key == "good" else f"material {item.key!r}"
        if item.chosen:
            lines.append(
                f"HS 2022 {item.code} of {name} is read as HS 2012 {item.candidates[0]} ({item.field})."
            )
        elif len(item.candidates) > 1:
            lines.append(
                f"HS 2022 {item.code} of {name} splits across HS 2012 "
                f"{', '.join(str(c) for c in item.candidates)} ({'/'.join(item.relationships)})."
            )
        elif item.candidates[0] != item.code:
            lines.append(
                f"HS 2022 {item.code} of {name} is HS 2012 {item.candidates[0]} "
                f"({'/'.join(item.relationships)})."
            )
    return lines


def _ask(split: list[Item]) -> str:
    return "; ".join(
        f"HS 2022 {i.code} of {'the good' if i.key == 'good' else 'material ' + repr(i.key)} may be HS 2012 "
        f"{_some(i.candidates)}: give it in {i.field}"
        for i in split
    )


def _some(codes: tuple[HsCode, ...], shown: int = 12) -> str:
    names = ", ".join(str(c) for c in codes[:shown])
    return names if len(codes) <= shown else f"{names}, ... ({len(codes)} codes)"


def decide_in_hs2012(case: OriginCase, facts: OriginFacts, lookup: Lookup, base: Base) -> Determination:
    """Decide a case whose codes are HS 2022 (see the module docstring)."""
    table = correlation_2022_2012()
    items = _items(case, table)
    split = [i for i in items if len(i.candidates) > 1]
    readings = math.prod(len(i.candidates) for i in items)
    if readings > MAX_READINGS:
        raise OriginError(f"too many HS 2012 readings ({readings}) to try: " + _ask(split))
    outcomes: list[Determination | OriginError] = []
    for combination in itertools.product(*(i.candidates for i in items)):
        codes = {i.key: code for i, code in zip(items, combination, strict=True)}
        try:
            outcomes.append(base(_reading(case, codes), facts, lookup))
        except OriginError as exc:
            outcomes.append(exc)
    verdicts = {
        ("error", str(o)) if isinstance(o, OriginError) else (o.originating, o.criterion) for o in outcomes
    }
    if len(verdicts) > 1:
        raise OriginError("the answer depends on the HS 2012 reading of split codes: " + _ask(split))
    first = outcomes[0]
    if isinstance(first, OriginError):
        raise first
    lines = _notes(items, table)
    if split:
        lines.append(
            f"Every HS 2012 reading of the split codes ({len(outcomes)}) gives the same answer; the first is "
            "reported. Give the HS 2012 codes in hs_2012 to have the rule of the exact one."
        )
    head, rest = first.explanation[:1], first.explanation[1:]
    return replace(first, explanation=(*head, *lines, *rest))
