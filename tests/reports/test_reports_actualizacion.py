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

from immex.reports.actualizacion import (
    InpcTable,
    factor_for,
    inpc_table,
    month_before,
    parse_table,
    update_factor,
)
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


def test_a_month_missing_inside_the_table_is_named_never_guessed() -> None:
    """A gap (June 2025 between January and December) was published: it is missing, not replaced."""
    table = _table({(2025, 1): "138.343", (2025, 12): "143.042"})
    factor, why = update_factor(dt.date(2025, 2, 1), dt.date(2025, 7, 1), table)
    assert factor is None
    assert why == (
        "INPC of 2025-06 for the actualización (CFF Art. 17-A; rules/inpc.yaml has 2 months from "
        "2025-01 to 2025-12)"
    )


def test_the_month_before_the_goods_entered_is_never_replaced() -> None:
    """Goods entered in March 2025 need February 2025, which the shipped table lacks; a later
    entry month beyond the table (2026-04 needs 2026-03) is missing too, and only it is named."""
    _, why = factor_for(dt.date(2025, 3, 1), dt.date(2026, 10, 15), inpc_table())
    assert why.startswith("INPC of 2025-02 for the actualización")
    _, why = factor_for(dt.date(2026, 4, 15), dt.date(2026, 12, 7), inpc_table())
    assert why.startswith("INPC of 2026-03 for the actualización")


def test_the_last_published_index_is_used_for_a_later_month() -> None:
    """CFF Art. 17-A second paragraph: the index of the month before the latest month of the
    period not yet published, the last published one applies. Goods entered in April 2025
    (INPC March 2025 139.161), paid on 2026-10-15: September 2026 is later than the table's
    last month, February 2026 (144.307), which is used: 144.307 ÷ 139.161 = 1.03697… → 1.0369,
    and the factor says which months it took."""
    factor, why = factor_for(dt.date(2025, 4, 2), dt.date(2026, 10, 15), inpc_table())
    assert why == "" and factor is not None
    assert (factor.value, factor.latest, factor.oldest, factor.wanted) == (
        D("1.0369"),
        (2026, 2),
        (2025, 3),
        (2026, 9),
    )
    assert factor.last_published
    assert factor.indexes() == (
        "INPC 2026-02 / INPC 2025-03 (2026-02: the last published index in rules/inpc.yaml, used "
        "for 2026-09, CFF Art. 17-A second paragraph)"
    )
    inside, _ = factor_for(dt.date(2023, 10, 2), dt.date(2025, 6, 10), inpc_table())
    assert inside is not None and not inside.last_published
    assert inside.indexes() == "INPC 2025-05 / INPC 2023-09"


@given(st.integers(0, 40))
def test_past_the_table_the_factor_is_that_of_its_last_month(months_after: int) -> None:
    """Every payment month after the table's last one gives the same factor as paying in the
    month after the last (the numerator is frozen at the last published index)."""
    table = inpc_table()
    last = max(table.values)
    first_after = dt.date(last[0] + last[1] // 12, last[1] % 12 + 1, 10)
    paid = first_after + dt.timedelta(days=31 * months_after)
    assert update_factor(dt.date(2025, 4, 2), paid, table) == update_factor(
        dt.date(2025, 4, 2), first_after, table
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
