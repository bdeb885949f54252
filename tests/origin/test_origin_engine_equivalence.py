"""The engine's fast paths give the answers of the plain ones, on every packaged rule (hypothesis).

``engine._shift_verdicts`` decides each material's tariff shift once per HS code,
``engine._short_code_notes`` reads each code's length once, ``_material_ok`` stops at the
first allowed source and ``describe.names`` is memoised. Each test below runs ``determine``
with the plain version (written out here, as the engine had it) and with the engine's,
on generated cases against rules drawn from the GN 11(o) table, and asserts the same
determination (or the same error).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.origin import Good, HsCode, Material, OriginCase, OriginError, describe, determine, engine
from immex.origin.hs import in_any
from immex.origin.model import Alternative, DescribedCodes, FromCodes, MaterialRole
from immex.origin.rules_data import TableEntry, rule_table

DAY = dt.date(2025, 6, 1)


def plain_material_ok(alt: Alternative, m: Material, good: HsCode) -> bool | None:
    """``_material_ok`` before the short cut: every source read, then combined."""
    shift = alt.shift
    if shift is None:
        return True
    verdicts = [
        engine._described(s, m)
        if isinstance(s, DescribedCodes)
        else engine._matches(s, m.hs, good, alt.target)
        for s in shift.sources + shift.also
    ]
    allowed: bool | None = True if any(v is True for v in verdicts) else None
    if allowed is None and not any(
        isinstance(s, DescribedCodes) and v is None
        for s, v in zip(shift.sources + shift.also, verdicts, strict=True)
    ):
        return False
    if shift.excepted and in_any(m.hs, shift.excepted) is True:
        return False
    excluded = [engine._described(named, m) for named in shift.excepted_described]
    if any(e is True for e in excluded):
        return False
    if allowed is None or any(e is None for e in excluded):
        return None
    return True


def plain_verdicts(alt: Alternative, materials: list[Material], good: HsCode) -> dict[str, bool | None]:
    return {m.id: plain_material_ok(alt, m, good) for m in materials}


def plain_notes(alt: Alternative, materials: list[Material]) -> tuple[str, ...]:
    return tuple(
        f"material {m.id!r} ({m.hs}) is read at {len(m.hs.digits)} digits: taken as outside the "
        f"tariff items named by the rule; give its full tariff item if it is one of them"
        for m in materials
        if alt.shift is not None
        and any(
            in_any(m.hs, codes) is None
            for codes in [alt.shift.excepted]
            + [s.codes for s in alt.shift.sources + alt.shift.also if isinstance(s, FromCodes)]
        )
    )


def _entries() -> list[TableEntry]:
    return [e for e in rule_table() if e.product is not None and e.covers(DAY)]


def _codes_of(entry: TableEntry) -> list[str]:
    """Codes near the rule: its scope's bounds and the codes its shift names, at 6 to 10 digits."""
    out: list[str] = []
    assert entry.product is not None
    ranges = list(entry.scope)
    for alt in entry.product.rule.alternatives:
        ranges.extend(alt.target)
        if alt.shift is not None:
            ranges.extend(alt.shift.excepted)
            for s in alt.shift.sources + alt.shift.also:
                ranges.extend(getattr(s, "codes", ()) or getattr(s, "within", ()))
    for r in ranges:
        for digits in (r.low, r.high):
            out.append((digits + "0000000000")[: max(6, len(digits))])
            out.append((digits + "9999999999")[: max(6, len(digits))])
    return out


def _words_of(entry: TableEntry) -> list[str]:
    assert entry.product is not None
    words = entry.product.rule.text.replace(",", " ").replace(";", " ").split()
    return [w for w in words if w.isalpha()][:40] or ["part"]


def _named(alt: Alternative) -> list[DescribedCodes]:
    if alt.shift is None:
        return []
    return [
        n
        for n in (*alt.shift.sources, *alt.shift.also, *alt.shift.excepted_described)
        if isinstance(n, DescribedCodes)
    ]


def _phrases_of(entry: TableEntry) -> list[str]:
    """The descriptions the rule's shift names, whole: a material described so is one of them."""
    assert entry.product is not None
    return [n.description for alt in entry.product.rule.alternatives for n in _named(alt)]


def _described_entries() -> list[TableEntry]:
    return [e for e in _entries() if _phrases_of(e)]


@st.composite
def cases(draw: st.DrawFn) -> OriginCase:
    entry = draw(st.sampled_from(_described_entries()) | st.sampled_from(_entries()))
    assert entry.product is not None
    near = _codes_of(entry)
    good_code = draw(st.sampled_from(near))
    pool = [*near, "850300", "8544.49", "392690", "7318.15", "8471.70.10"]
    words = _words_of(entry)
    n = draw(st.integers(1, 12))
    materials = tuple(
        Material(
            f"M{draw(st.integers(0, 8))}",  # ids may repeat: the last of an id wins, as before
            HsCode.parse(draw(st.sampled_from(pool))),
            Decimal(draw(st.integers(1, 5000))) / 100,
            draw(st.booleans()),
            None,
            draw(st.sampled_from([MaterialRole.DIRECT] * 4 + list(MaterialRole))),
            description=draw(
                st.sampled_from(["", *_phrases_of(entry)])
                | st.lists(st.sampled_from(words), max_size=4).map(" ".join)
            ),
            weight=draw(st.none() | st.integers(1, 50).map(Decimal)),
        )
        for _ in range(n)
    )
    good = Good(
        HsCode.parse(good_code),
        Decimal(draw(st.integers(100, 20000))) / 100,
        draw(st.none() | st.integers(50, 20000).map(lambda v: Decimal(v) / 100)),
        " ".join(draw(st.lists(st.sampled_from(words), max_size=5))),
        weight=draw(st.none() | st.integers(1, 500).map(Decimal)),
    )
    return OriginCase("USMCA", DAY, good, materials, product_rule=entry.product)


def _answer(case: OriginCase) -> object:
    try:
        return determine(case)
    except OriginError as exc:
        return ("OriginError", str(exc))


@settings(max_examples=400, deadline=None)
@given(cases())
def test_fast_shift_paths_answer_as_the_plain_ones(case: OriginCase) -> None:
    fast = _answer(case)
    with (
        mock.patch.object(engine, "_shift_verdicts", plain_verdicts),
        mock.patch.object(engine, "_short_code_notes", plain_notes),
        mock.patch.object(engine, "_material_ok", plain_material_ok),
        mock.patch.object(describe, "names", describe.names.__wrapped__),
    ):
        slow = _answer(case)
    assert fast == slow


def test_generated_cases_reach_described_rules() -> None:
    """Half the generated cases use a rule whose shift names materials by description (the per-code
    short cut must not apply there): the table has enough of them to matter."""
    assert len(_described_entries()) > 10
