"""Random small ledgers for the discharge property tests (hypothesis strategies)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from hypothesis import strategies as st

from immex.ledger.model import BomComponent, BomVersion, ExportLine, ImportLine, Ledger, Part, PartKind

START = dt.date(2023, 1, 1)
# Names interleave levels so that "part ascending" is not the level order.
RAW = ("A-raw", "C-box", "E-raw", "G-press", "K-raw", "M-raw")
SUB = ("B-sub", "H-sub", "N-sub")
FINISHED = ("D-fin", "J-fin", "P-fin")
PEDIMENTOS = ("243430014000001", "243430014000002", "253430014000003", "253430014000010")


def decimals(max_places: int, low: int = 0, high: int = 500) -> st.SearchStrategy[Decimal]:
    return st.builds(
        lambda units, places: Decimal(units).scaleb(-places),
        st.integers(low, high * 10**max_places),
        st.integers(0, max_places),
    )


def days(width: int = 900) -> st.SearchStrategy[dt.date]:
    # Few distinct days, so that imports and exports often share a date.
    return st.sampled_from(range(0, width, 45)).map(lambda d: START + dt.timedelta(days=d)) | st.integers(
        0, width
    ).map(lambda d: START + dt.timedelta(days=d))


@st.composite
def bom_versions(draw: st.DrawFn, product: str, below: tuple[str, ...]) -> tuple[BomVersion, ...]:
    """0-3 non-overlapping versions of ``product`` with components from ``below``."""
    cuts = sorted(draw(st.lists(st.integers(0, 900), min_size=1, max_size=4, unique=True)))
    versions = []
    for i in range(len(cuts) - (0 if draw(st.booleans()) else 1)):
        valid_from = START + dt.timedelta(days=cuts[i])
        valid_to = None if i + 1 >= len(cuts) else START + dt.timedelta(days=cuts[i + 1] - 1)
        if valid_to is not None and draw(st.booleans()):  # a gap before the next version
            valid_to = valid_from + dt.timedelta(days=(valid_to - valid_from).days // 2)
        names = draw(st.lists(st.sampled_from(below), min_size=1, max_size=4, unique=True))
        components = tuple(
            BomComponent(name, draw(decimals(3, 1, 5)), draw(decimals(2, 0, 12)), draw(decimals(2, 0, 6)))
            for name in names
        )
        versions.append(BomVersion(product, valid_from, valid_to, components))
    if draw(st.booleans()):
        versions.reverse()  # the order of versions must not matter
    return tuple(versions)


@st.composite
def ledgers(draw: st.DrawFn, max_imports: int = 20, max_exports: int = 10) -> Ledger:
    # no "asset": an asset is never a BOM component (operations contract rule 3; tests/operations)
    choices: tuple[PartKind, ...] = ("raw", "raw", "container")
    kinds = {name: draw(st.sampled_from(choices)) for name in RAW}
    parts = {name: Part(name, "PZA", kind) for name, kind in kinds.items()}
    parts |= {name: Part(name, "PZA", "subassembly") for name in SUB}
    parts |= {name: Part(name, "PZA", "finished") for name in FINISHED}
    boms = {}
    for name in SUB:
        if versions := draw(bom_versions(name, RAW)):
            boms[name] = versions
    for name in FINISHED:
        if versions := draw(bom_versions(name, RAW + SUB)):
            boms[name] = versions
    imports = draw(
        st.lists(
            st.builds(
                lambda ped, line, part, day, qty: ImportLine(ped, line, part, "IN", day, qty),
                st.sampled_from(PEDIMENTOS),
                st.integers(1, 3),
                st.sampled_from(RAW * 3 + SUB + FINISHED),
                days(700),
                decimals(6, 1, 300),  # the contract refuses a quantity of 0
            ),
            min_size=2,
            max_size=max_imports,
            unique_by=lambda lot: lot.key,
        )
    )
    exports = draw(
        st.lists(
            st.builds(
                lambda ped, line, product, day, qty: ExportLine(ped, line, product, "RT", day, qty),
                st.sampled_from(PEDIMENTOS),
                st.integers(1, 3),
                st.sampled_from(FINISHED * 2 + SUB + RAW),
                days(1300),
                decimals(3, 1, 6),
            ),
            min_size=1,
            max_size=max_exports,
            unique_by=lambda e: e.key,
        )
    )
    # An export of a product with no BOM version on its date that was never imported is an input
    # error: such lines become returns of an imported part as is, so most examples reach the engine.
    imported = sorted({lot.part for lot in imports})
    exports = [
        e
        if e.product in imported or _bom_on(boms.get(e.product, ()), e.cleared_on)
        else replace(e, product=draw(st.sampled_from(imported)))
        for e in exports
    ]
    unique = {e.key: e for e in reversed(exports)}  # a replaced product may repeat a line's key
    return Ledger(parts, tuple(imports), tuple(e for e in exports if unique[e.key] is e), boms)


def _bom_on(versions: tuple[BomVersion, ...], day: dt.date) -> bool:
    return any(v.valid_from <= day and (v.valid_to is None or day <= v.valid_to) for v in versions)
