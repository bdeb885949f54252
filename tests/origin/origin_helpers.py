"""Small builders for origin cases: a whole case in one line, as the engine sees it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from immex.origin import Good, HsCode, Material, MaterialRole, OriginCase, parse_rule

# A small USMCA case file (JSON), as a user writes it for `immex origin qualify`.
CASE: dict[str, Any] = {
    "agreement": "USMCA",
    "date": "2025-03-01",
    "good": {"hs": "8501.10", "transaction_value": "100.00", "net_cost": "85.00"},
    "materials": [
        {"id": "rotor", "hs": "8503.00", "value": "30.00", "originating": False, "country": "CN"},
        {"id": "housing", "hs": "7616.99", "value": "10.00", "originating": True, "country": "MX"},
    ],
}


def mat(
    mid: str,
    hs: str,
    value: str,
    originating: bool = False,
    role: MaterialRole = MaterialRole.DIRECT,
    **kw: object,
) -> Material:
    return Material(mid, HsCode.parse(hs), Decimal(value), originating, None, role, **kw)  # type: ignore[arg-type]


def case(
    hs: str,
    tv: str,
    materials: list[Material],
    nc: str | None = None,
    rule: str | None = None,
    agreement: str = "USMCA",
    date: str = "2025-03-01",
    wholly: bool = False,
    *,
    description: str = "",
    use: str = "",
    weight: str | None = None,
    processes: tuple[str, ...] = (),
    conditions: dict[str, bool] | None = None,
    destination: str | None = None,
    exporter: str | None = None,
) -> OriginCase:
    good = Good(
        HsCode.parse(hs),
        Decimal(tv),
        Decimal(nc) if nc else None,
        description,
        wholly,
        Decimal(weight) if weight else None,
        processes,
        use,
        tuple((conditions or {}).items()),
    )
    return OriginCase(
        agreement,
        dt.date.fromisoformat(date),
        good,
        tuple(materials),
        parse_rule(rule) if rule else None,
        destination=destination,
        exporter=exporter,
    )
