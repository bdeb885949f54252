"""The fast paths give exactly the simple engines' amounts (STYLE §7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.duties.case import parse_pedimento_case
from immex.duties.fast import (
    NotFixedPoint,
    art25_by_export,
    pedimento_amounts,
    to_fixed,
)
from immex.duties.pedimento import compute_pedimento, resolve_dta
from immex.duties.rules_data import duty_rules
from immex.duties.tmec25 import compute_tmec25
from immex.duties.values import ExportOperation, ForeignDuty, Material, Tmec25Case

from .test_duties_pedimento import cases


@settings(max_examples=120, deadline=None)
@given(cases())
def test_fast_pedimento_equals_the_simple_engine(data: dict[str, Any]) -> None:
    rules = duty_rules()
    case, problems = parse_pedimento_case(data)
    assert case is not None, problems
    dta, _ = resolve_dta(case, rules)
    assert dta is not None
    simple = compute_pedimento(case, dta, rules)
    fast = pedimento_amounts(case, dta, rules)
    assert fast.customs_values == [ln.customs_value for ln in simple.lines]
    assert fast.igi == [ln.contributions[0].amount for ln in simple.lines]
    assert fast.iva == [ln.contributions[-1].amount for ln in simple.lines]
    assert (fast.dta, fast.dta_forma_pago) == (simple.dta.amount, simple.dta.forma_pago)
    assert fast.by_code == simple.by_code and fast.cash == simple.cash


money = st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=Decimal("0.5"), places=6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.tuples(money, rates, st.booleans()), max_size=6), min_size=1, max_size=6),
    st.lists(st.one_of(st.none(), money), min_size=6, max_size=6),
)
def test_fast_art25_equals_the_simple_engine(
    exports: list[list[tuple[Decimal, Decimal, bool]]], foreign: list[Decimal | None]
) -> None:
    rules = duty_rules()
    resolved: dict[str, Decimal | int] = {"days": 60, "dta_v": Decimal("462.86")}
    idx, vals, rts, orig = [], [], [], []
    expected = []
    fx = Decimal("17.2500")
    for e, mats in enumerate(exports):
        materials = tuple(Material(f"M{i}", "x", v, o, r) for i, (v, r, o) in enumerate(mats))
        paid = foreign[e]
        duty = None if paid is None else ForeignDuty(paid, fx)
        case = Tmec25Case(ExportOperation(None, dt.date(2026, 3, 1), "RT", "US"), duty, materials)
        expected.append(compute_tmec25(case, resolved, rules))
        for v, r, o in mats:
            idx.append(e)
            vals.append(v)
            rts.append(r)
            orig.append(o)
    n = len(exports)
    cols = art25_by_export(
        np.array(idx, dtype=np.int64),
        to_fixed(vals, 100),
        to_fixed(rts, 1_000_000),
        np.array(orig, dtype=bool),
        n,
        np.array([-1 if f is None else int(f * 100) for f in foreign[:n]], dtype=np.int64),
        np.full(n, 172500, dtype=np.int64),
    )
    assert cols.mexican_igi.tolist() == [r.mexican_igi for r in expected]
    assert cols.payable.tolist() == [r.payable for r in expected]
    assert cols.exemption.tolist() == [r.exemption for r in expected]
    assert [None if f < 0 else f for f in cols.foreign_duty_mxn.tolist()] == [
        r.foreign_duty_mxn for r in expected
    ]


def test_fixed_point_refuses_values_it_cannot_hold() -> None:
    try:
        to_fixed([Decimal("1.005")], 100)
    except NotFixedPoint:
        return
    raise AssertionError("1.005 is not a whole number of centavos")


def test_fast_art25_falls_back_to_python_integers_near_int64_limits() -> None:
    big = np.array([9 * 10**14, 9 * 10**14], dtype=np.int64)  # 9e12 pesos each
    cols = art25_by_export(
        np.array([0, 0]),
        big,
        np.array([999_999, 999_999]),
        np.array([False, False]),
        1,
        np.array([-1]),
        np.array([0]),
    )
    assert cols.mexican_igi.tolist() == [2 * 9 * 10**14 * 999_999 // 10**8]
