"""Any JSON whatever gives either a result or input problems, never a crash (exit 1)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.duties.service import CaseError, pedimento_from_data, tmec25_from_data

from .helpers import CONTRACT_PEDIMENTO, CONTRACT_TMEC25

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False)
    | st.sampled_from(["", "0", "1.5", "-1", "1e3", "A1", "IN", "AF", "TMEC", "US", "2026-01-01", "x"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["line", "value", "program", "rate", "id", "amount", "x"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)


def _mutate(base: dict[str, Any], draw: st.DrawFn) -> Any:
    case = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        target: Any = case
        key_path = draw(
            st.lists(
                st.sampled_from(
                    [
                        "clave",
                        "date",
                        "exchange_rate",
                        "incrementables",
                        "iva_rate",
                        "company",
                        "lines",
                        "export",
                        "foreign_duty",
                        "materials",
                        "quotas",
                        0,
                        "value",
                        "preference",
                        "line",
                        "originating",
                        "customs_value_mxn",
                        "igi_rate",
                        "destination",
                        "amount",
                    ]
                ),
                min_size=1,
                max_size=3,
            )
        )
        for key in key_path[:-1]:
            if isinstance(target, dict) and isinstance(key, str) and key in target:
                target = target[key]
            elif isinstance(target, list) and isinstance(key, int) and target:
                target = target[0]
        last = key_path[-1]
        if isinstance(target, dict) and isinstance(last, str):
            target[last] = draw(json_values)
        elif isinstance(target, list) and target:
            target[0] = draw(json_values)
    return case


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_pedimento_never_crashes(data: st.DataObject) -> None:
    case = data.draw(st.composite(lambda draw: _mutate(CONTRACT_PEDIMENTO, draw))())
    try:
        pedimento_from_data(case)
    except CaseError as error:
        assert error.problems


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_tmec25_never_crashes(data: st.DataObject) -> None:
    case = data.draw(st.composite(lambda draw: _mutate(CONTRACT_TMEC25, draw))())
    try:
        tmec25_from_data(case)
    except CaseError as error:
        assert error.problems
