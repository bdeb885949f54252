"""The exact sums of the vectorized waste path equal Decimal sums, short or long quantities."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.core.numbers import EXACT, plain
from immex.discharge.movements import exact_sums

quantities = st.one_of(
    st.decimals(Decimal("0.000001"), Decimal(10**6), places=6),
    st.decimals(Decimal("0.000000000000000001"), Decimal(10**15), places=18),  # Python fallback
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), quantities), max_size=40))
def test_exact_sums_are_decimal_sums(rows: list[tuple[str, Decimal]]) -> None:
    frame = pl.DataFrame(
        {"part": [p for p, _ in rows], "qty": [plain(q) for _, q in rows]},
        schema={"part": pl.String, "qty": pl.String},
    )
    expected: dict[str, Decimal] = {}
    for part, qty in rows:
        expected[part] = EXACT.add(expected.get(part, Decimal(0)), qty)  # the default context rounds
    assert {part: total for part, total in exact_sums(frame, ["part"])} == expected
