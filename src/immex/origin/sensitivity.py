"""Sensitivity of a determination: what blocks a good, by how much, or how much room it has.

``sensitivity(case)`` is pure (given the same ``facts`` and ``lookup`` as
:func:`~immex.origin.engine.determine`) and reports, for the rule's
alternatives that apply to the good:

- per RVC method: the value, the threshold, the margin in percentage points and the
  value of non-originating materials that must be replaced by originating ones to reach
  the threshold (``value_to_replace`` > 0) or that could still be added before the good
  stops qualifying (``headroom`` > 0);
- the materials that do not make the tariff shift (they block the shift unless sourced
  as originating, or reclassified);
- which single materials, sourced as originating, would make the good qualify, and a
  set found by sourcing the largest non-originating materials as originating first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from immex.origin.engine import HUNDRED, RuleLookup, determine
from immex.origin.facts import OriginFacts
from immex.origin.model import Determination, MaterialRole, OriginCase


@dataclass(frozen=True, slots=True)
class RvcGap:
    alternative: int
    method: str  # "TV" / "NC"
    value: Decimal | None  # unrounded RVC percent; None when the method has no data
    required: Decimal
    margin_points: Decimal | None  # value - required
    value_to_replace: Decimal  # non-originating value to source as originating to qualify (0 if met)
    headroom: Decimal  # non-originating value that could be added while still qualifying (0 if not met)


@dataclass(frozen=True, slots=True)
class Blocker:
    id: str
    hs: str
    value: Decimal
    alternatives: tuple[int, ...]  # alternatives whose tariff shift this material fails


@dataclass(frozen=True, slots=True)
class Sensitivity:
    determination: Determination
    rvc: tuple[RvcGap, ...]
    blockers: tuple[Blocker, ...]
    single_fixes: tuple[str, ...]
    greedy_fix: tuple[str, ...] | None  # None when even all-originating does not qualify, () when not needed
    greedy_fix_value: Decimal

    @property
    def originating(self) -> bool:
        """Originating for certain (an undetermined good is not)."""
        return self.determination.originating is True


def _base(case: OriginCase, facts: OriginFacts | None, lookup: RuleLookup | None) -> Determination:
    return determine(case, facts, lookup)


def _flip(case: OriginCase, ids: set[str]) -> OriginCase:
    materials = tuple(
        replace(m, originating=True, intermediate=False, components=()) if m.id in ids else m
        for m in case.materials
    )
    return replace(case, materials=materials)


def sensitivity(  # noqa: C901
    case: OriginCase, facts: OriginFacts | None = None, lookup: RuleLookup | None = None
) -> Sensitivity:
    """How far ``case`` is from qualifying (or from losing its origin)."""
    result = _base(case, facts, lookup)
    good = case.good
    gaps: list[RvcGap] = []
    for alt in result.alternatives:
        if not alt.applies:
            continue
        for r in alt.rvc:
            base = good.transaction_value if r.method == "TV" else good.net_cost
            if r.value is None or base is None:
                gaps.append(RvcGap(alt.index, r.method, None, r.required, None, Decimal(0), Decimal(0)))
                continue
            allowed_vnm = base * (HUNDRED - r.required) / HUNDRED
            vnm = base - r.value * base / HUNDRED
            diff = allowed_vnm - vnm
            gaps.append(
                RvcGap(
                    alt.index,
                    r.method,
                    r.value,
                    r.required,
                    r.value - r.required,
                    max(-diff, Decimal(0)),
                    max(diff, Decimal(0)),
                )
            )
    d_rvc = result.rvc
    if result.criterion == "D" and d_rvc is not None and d_rvc.value is not None:
        d_value = d_rvc.value
        base = good.transaction_value if d_rvc.method == "TV" else (good.net_cost or good.transaction_value)
        diff = base * (HUNDRED - d_rvc.required) / HUNDRED - (base - d_value * base / HUNDRED)
        gaps.append(
            RvcGap(
                result.alternative or 0,
                d_rvc.method + " (criterion D)",
                d_value,
                d_rvc.required,
                d_value - d_rvc.required,
                Decimal(0),
                max(diff, Decimal(0)),
            )
        )

    by_id = {m.id: m for m in case.materials}
    failing: dict[str, list[int]] = {}
    for alt in result.alternatives:
        if alt.applies:
            for mid in alt.failing_materials:
                failing.setdefault(mid, []).append(alt.index)
    blockers = tuple(
        Blocker(mid, str(by_id[mid].hs), by_id[mid].value, tuple(idx))
        for mid, idx in failing.items()
        if mid in by_id
    )

    single: list[str] = []
    greedy: tuple[str, ...] | None = ()
    greedy_value = Decimal(0)
    if not result.originating:
        candidates = sorted(
            (
                m
                for m in case.materials
                if not m.originating and m.role not in (MaterialRole.INDIRECT, MaterialRole.SHIPPING_PACKING)
            ),
            key=lambda m: (-m.value, m.id),
        )
        for m in candidates:
            if _base(_flip(case, {m.id}), facts, lookup).originating:
                single.append(m.id)
        chosen: list[str] = []
        greedy = None
        for m in candidates:
            chosen.append(m.id)
            greedy_value += m.value
            if _base(_flip(case, set(chosen)), facts, lookup).originating:
                greedy = tuple(chosen)
                break
        if greedy is None:
            greedy_value = Decimal(0)
    return Sensitivity(result, tuple(gaps), blockers, tuple(single), greedy, greedy_value)
