"""The columnar reader's pedimento check accepts exactly the cells the per-row parser accepts (ASCII)."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from immex.core.pedimento import canonical_pedimento
from immex.ledger.schema import LEDGER_TABLES

# near-misses: 13-17 digits with spaces anywhere, other scripts' digits, letters
cells = st.from_regex(r"[0-9 ]{0,3}[0-9]{13,17}[0-9 ]{0,3}", fullmatch=True) | st.text(
    alphabet="0123456789 ٣x-", min_size=0, max_size=20
)


def _parses(cell: str) -> bool:
    try:
        canonical_pedimento(cell)
    except ValueError:
        return False
    return True


@given(cell=cells)
def test_the_vectorized_pedimento_check_agrees_with_the_parser(cell: str) -> None:
    for table, name in (("imports.csv", "pedimento"), ("exports.csv", "import_pedimento")):
        column = LEDGER_TABLES[table].column(name)
        assert column.vector is not None
        stripped = cell.strip()
        vector = pl.select(column.vector(pl.lit(stripped)).fill_null(False)).item()
        if vector:
            assert _parses(stripped)
        if stripped.isascii() and stripped:
            assert vector == _parses(stripped)
