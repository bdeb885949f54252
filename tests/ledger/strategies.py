"""Hypothesis strategies for random but valid ledgers (multi-level BOMs, versions, shortfalls)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from immex.ledger.model import BomComponent, BomVersion, ExportLine, ImportLine, Ledger, Part

RAWS = ("R1", "R2", "R3", "R4")
SUBS = ("S1", "S2")
FINISHED = ("F1", "F2")
START = dt.date(2024, 1, 1)

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(500), places=3)
percents = st.sampled_from([Decimal(0), Decimal("1.5"), Decimal(3), Decimal("0.25")])
days = st.integers(min_value=0, max_value=900)


def _pedimento(n: int) -> str:
    return f"2447345{n:08d}"


@st.composite
def components(draw: st.DrawFn, choices: tuple[str, ...]) -> tuple[BomComponent, ...]:
    names = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True))
    return tuple(BomComponent(n, draw(quantities), draw(percents), draw(percents)) for n in names)


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    parts = {p: Part(p, "pcs", "raw") for p in RAWS}
    # not "asset": an asset is never a BOM component (operations contract rule 3; tests/operations)
    parts["R4"] = Part("R4", "pcs", draw(st.sampled_from(["raw", "container"])))
    parts |= {p: Part(p, "pcs", "subassembly") for p in SUBS}
    parts |= {p: Part(p, "pcs", "finished") for p in FINISHED}
    boms: dict[str, tuple[BomVersion, ...]] = {}
    for sub in SUBS:
        boms[sub] = (BomVersion(sub, START, None, draw(components(RAWS))),)
    for product in FINISHED:
        switch = START + dt.timedelta(days=draw(st.integers(100, 600)))
        boms[product] = (
            BomVersion(product, START, switch - dt.timedelta(days=1), draw(components(RAWS + SUBS))),
            BomVersion(product, switch, None, draw(components(RAWS + SUBS))),
        )
    import_parts = (*RAWS, "F1")
    imports = tuple(
        ImportLine(
            _pedimento(i // 3),
            i % 3 + 1,
            draw(st.sampled_from(import_parts)),
            "IN",
            START + dt.timedelta(days=draw(days)),
            draw(quantities),
        )
        for i in range(draw(st.integers(0, 12)))
    )
    unique_imports = tuple({line.key: line for line in imports}.values())
    exports = tuple(
        ExportLine(
            _pedimento(50_000 + i // 2),
            i % 2 + 1,
            draw(st.sampled_from((*FINISHED, "R1"))),
            "RT",
            START + dt.timedelta(days=draw(days)),
            draw(quantities),
        )
        for i in range(draw(st.integers(0, 10)))
    )
    # R1 exported as is needs an import of R1 when it has no BOM: keep it only if one exists.
    has_r1 = any(line.part == "R1" for line in unique_imports)
    exports = tuple(e for e in exports if e.product != "R1" or has_r1)
    unique_exports = tuple({line.key: line for line in exports}.values())
    return Ledger(parts, unique_imports, unique_exports, boms)
