"""The actualización factor of CFF Art. 17-A from the INPC table (immex.reports.actualizacion).

The article: factor = INPC of the month before the latest month of the period ÷ INPC of the
month before the oldest month of the period; computed to the ten-thousandth; a result below 1
is 1. The shipped table (rules/inpc.yaml) holds only the months read in a source.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from immex.reports.actualizacion import InpcTable, inpc_table, month_before, parse_table, update_factor
from immex.rules import RulesError, read_yaml

D = Decimal


def _table(values: dict[tuple[int, int], str]) -> InpcTable:
    return InpcTable({m: D(v) for m, v in values.items()}, D(1), 4)


def test_the_factor_of_a_worked_example_from_the_shipped_table() -> None:
    """Goods entered in October 2023, paid in June 2025: INPC May 2025 140.012 (INEGI, June
    2025) ÷ INPC September 2023 130.120 (DOF, November 2023) = 1.076022… → 1.0760."""
    factor, why = update_factor(dt.date(2023, 10, 2), dt.date(2025, 6, 10), inpc_table())
    assert (factor, why) == (D("1.0760"), "")


def test_within_one_month_the_factor_is_one() -> None:
    """Due and paid in the same month: both indexes are the month before, so 1 (no fraction of a month)."""
    table = _table({(2025, 4): "139.620"})
    assert update_factor(dt.date(2025, 5, 2), dt.date(2025, 5, 30), table) == (D("1.0000"), "")


def test_a_factor_below_one_is_one() -> None:
    """CFF Art. 17-A: when prices fell over the period, the factor applied is 1 (April 2019
    103.531 → May 2019 103.233, DOF 10-06-2019)."""
    factor, _ = update_factor(dt.date(2019, 5, 10), dt.date(2019, 6, 3), inpc_table())
    assert factor == D(1)


def test_the_factor_is_cut_at_the_ten_thousandth_not_rounded_up() -> None:
    table = _table({(2025, 1): "100.000", (2025, 3): "100.009"})
    assert update_factor(dt.date(2025, 2, 1), dt.date(2025, 4, 1), table)[0] == D("1.0000")
    table = _table({(2025, 1): "100.000", (2025, 3): "103.45678"})
    assert update_factor(dt.date(2025, 2, 1), dt.date(2025, 4, 1), table)[0] == D("1.0345")


def test_a_missing_month_is_named_never_guessed() -> None:
    table = _table({(2025, 1): "138.343"})
    factor, why = update_factor(dt.date(2025, 2, 1), dt.date(2025, 7, 1), table)
    assert factor is None
    assert why == (
        "INPC of 2025-06 for the actualización (CFF Art. 17-A; rules/inpc.yaml has 1 months from "
        "2025-01 to 2025-01)"
    )


def test_month_before_crosses_the_year() -> None:
    assert month_before(dt.date(2026, 1, 15)) == (2025, 12)
    assert month_before(dt.date(2026, 3, 1)) == (2026, 2)


def test_a_payment_before_the_due_date_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="before the due date"):
        update_factor(dt.date(2025, 5, 1), dt.date(2025, 4, 1), inpc_table())


@given(
    st.decimals(D("50"), D("500"), places=3),
    st.decimals(D("50"), D("500"), places=3),
)
def test_the_factor_is_never_below_one_nor_above_the_quotient(old: Decimal, new: Decimal) -> None:
    table = _table({(2024, 12): str(old), (2025, 11): str(new)})
    factor, why = update_factor(dt.date(2025, 1, 20), dt.date(2025, 12, 5), table)
    assert why == "" and factor is not None
    assert factor >= 1
    assert factor <= max(D(1), new / old)
    assert factor == factor.quantize(D("0.0001"))


def test_the_shipped_table_is_loaded_strictly() -> None:
    data: dict[str, Any] = read_yaml("inpc.yaml")
    table = parse_table(data)
    assert table.values[(2025, 12)] == D("143.042")
    assert all(D(90) < v < D(200) for v in table.values.values())  # base 2Q Jul 2018 = 100
    first = data["months"][0]
    with pytest.raises(RulesError, match="given twice"):
        parse_table({**data, "months": [first, first]})
    with pytest.raises(RulesError, match="empty source"):
        parse_table({**data, "months": [{**first, "source": " "}]})
    with pytest.raises(RulesError, match="quoted decimal"):
        parse_table({**data, "months": [{**first, "value": 103.5}]})
    with pytest.raises(RulesError, match="unknown keys"):
        parse_table({**data, "months": [{**first, "guess": True}]})
    with pytest.raises(RulesError, match="YYYY-MM"):
        parse_table({**data, "months": [{**first, "month": "2019-13"}]})
