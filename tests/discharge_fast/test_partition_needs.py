"""A partition's per-unit needs come from a per-part index built once, equal to filtering every key's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from immex.discharge.partitioned import OrderedExports

PARTS = [f"P{i}" for i in range(8)]
needs_strategy = st.lists(
    st.dictionaries(st.sampled_from(PARTS), st.decimals(min_value=Decimal("0.001"), max_value=100, places=3)),
    max_size=12,
)


@given(needs_strategy, st.sets(st.sampled_from([*PARTS, "ABSENT"])))
def test_needs_of_parts_is_every_key_filtered_to_those_parts(
    needs: list[dict[str, Decimal]], parts: set[str]
) -> None:
    ordered = OrderedExports((), needs, tuple(1 for _ in needs), len(needs))
    found = ordered.needs_of(sorted(parts))
    assert found == [{p: u for p, u in need.items() if p in parts} for need in needs]
    assert ordered.needs_of(sorted(parts)) == found  # the index is reused, not consumed


def test_the_part_index_is_built_once_per_ordered_exports() -> None:
    ordered = OrderedExports(((Path("x.parquet"), 0),), [{"A": Decimal(1), "B": Decimal(2)}], (1,), 1)
    assert ordered.uses is ordered.uses
    assert ordered.uses == {"A": [(0, Decimal(1))], "B": [(0, Decimal(2))]}
