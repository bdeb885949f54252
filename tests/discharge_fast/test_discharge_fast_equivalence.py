"""The vectorized FIFO gives exactly the domain version's allocations and shortfalls, in order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import numpy as np
import numpy.typing as npt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.core.numbers import decimal_places, to_fixed
from immex.discharge import fast
from immex.discharge.fast import discharge_fast, fifo_columns, trim_scale
from immex.discharge.methods import Allocation, DischargeResult, Shortfall, discharge
from immex.ledger.model import BomComponent, BomVersion, ExportLine, ImportLine, Ledger, Part
from tests.discharge_fast.ledgers import ledgers

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ledgers())
def test_fast_fifo_equals_the_domain_fifo_on_random_ledgers(ledger: Ledger) -> None:
    simple, quick = discharge(ledger, "fifo"), discharge_fast(ledger)
    assert quick.allocations == simple.allocations
    assert quick.shortfalls == simple.shortfalls


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_lots_cleared_by_each_date_by_binary_search_equal_the_dense_count(ledger: Ledger) -> None:
    """Many parts over many days: the lots per (part, day) are found by search, not a dense table."""
    with patch.object(fast, "DENSE_CELLS_PER_ROW", 0):
        quick = discharge_fast(ledger)
    assert quick == discharge(ledger, "fifo")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.booleans())
def test_two_ranges_of_parts_on_two_threads_equal_the_domain_fifo(ledger: Ledger, wide: bool) -> None:
    """Every ledger split into two ranges of parts (as a million requirements are), both widths."""
    bound = 1 if wide else fast.INT64_SAFE
    with (
        patch.object(fast, "PARALLEL_FROM", 0),
        patch.object(fast, "INT64_SAFE", bound),
        patch.object(fast, "_array", _int64),
    ):
        quick = discharge_fast(ledger)
    assert quick == discharge(ledger, "fifo")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(1, 3))
def test_allocations_laid_out_in_small_blocks_equal_the_domain_fifo(ledger: Ledger, block: int) -> None:
    """Blocks of 1-3 requirements on two threads: the same rows, in the same order."""
    with patch.object(fast, "BLOCK", block):
        quick = discharge_fast(ledger)
    assert quick == discharge(ledger, "fifo")


def _int64(values: Sequence[int] | npt.NDArray[Any]) -> npt.NDArray[Any]:
    return np.array(list(values), dtype=np.int64)


def _discharge_recording(ledger: Ledger) -> tuple[DischargeResult, fast.Requirements, bool]:
    """``discharge_fast`` with the int64 bound forced down: (result, its requirements, Int128 core ran)."""
    made: list[fast.Requirements] = []
    requirements = fast.requirements

    def recording(*args: Any, **kwargs: Any) -> fast.Requirements:
        made.append(requirements(*args, **kwargs))
        return made[-1]

    with (
        patch.object(fast, "INT64_SAFE", 1),
        patch.object(fast, "_array", _int64),
        patch.object(fast, "_fifo_core_wide", wraps=fast._fifo_core_wide) as wide,
        patch.object(fast, "requirements", side_effect=recording),
    ):
        result = discharge_fast(ledger)
    [req] = made
    return result, req, wide.called


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_int128_path_equals_the_domain_fifo(ledger: Ledger) -> None:
    """With the int64 bound forced down, the running sums go through Polars Int128."""
    quick, req, wide = _discharge_recording(ledger)
    # Int128 sums unless a single quantity is too big for int64 (then Python ints) or all are zero.
    assert wide == (req.wide and len(req.qty) > 0)
    assert req.width in ("wide", "int128", "object") or not any(lot.qty > 0 for lot in ledger.imports)
    simple = discharge(ledger, "fifo")
    assert quick.allocations == simple.allocations
    assert quick.shortfalls == simple.shortfalls


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_quantities_past_float_precision_take_the_int128_path_exactly(ledger: Ledger) -> None:
    """Quantities x 10**6: positions beyond float64's 53 bits (the exact Int128 search)."""
    big = Decimal(10**6)
    ledger = replace(
        ledger,
        imports=tuple(replace(lot, qty=lot.qty * big) for lot in ledger.imports),
        exports=tuple(replace(e, qty=e.qty * big) for e in ledger.exports),
    )
    quick, req, wide = _discharge_recording(ledger)
    assert wide == (req.wide and len(req.qty) > 0)
    simple = discharge(ledger, "fifo")
    assert quick.allocations == simple.allocations
    assert quick.shortfalls == simple.shortfalls


def _ledger(
    imports: list[ImportLine],
    exports: list[ExportLine],
    boms: Mapping[str, tuple[BomVersion, ...]] | None = None,
) -> Ledger:
    parts = {
        "BOX": Part("BOX", "PZA", "container"),
        "PRESS": Part("PRESS", "PZA", "asset"),
        "RES": Part("RES", "PZA", "raw"),
        "WIRE": Part("WIRE", "M", "raw"),
        "HARNESS": Part("HARNESS", "PZA", "finished"),
    }
    return Ledger(parts, tuple(imports), tuple(exports), boms or {})


def test_quantities_beyond_int64_stay_exact() -> None:
    huge = Decimal("9" * 17 + ".123456")
    ledger = _ledger(
        [
            ImportLine("243430014000001", 1, "WIRE", "IN", dt.date(2025, 1, 2), huge),
            ImportLine("243430014000002", 1, "WIRE", "IN", dt.date(2025, 1, 3), huge),
        ],
        [ExportLine("253430014000009", 1, "WIRE", "RT", dt.date(2025, 2, 1), huge + 5)],
    )
    result = discharge_fast(ledger)
    assert result == discharge(ledger, "fifo")
    assert [a.qty for a in result.allocations] == [huge, Decimal(5)]


def test_late_flag_uses_the_part_kind_term_and_assets_have_none() -> None:
    day = dt.date(2024, 8, 31)
    export_day = dt.date(2026, 3, 1)  # after raw + 18 months (2026-02-28), before box + 24
    imports = [
        ImportLine("243430014000001", 1, name, "IN", day, Decimal(1)) for name in ("BOX", "PRESS", "RES")
    ]
    exports = [
        ExportLine("263430014000001", 1, name, "RT", export_day, Decimal(1))
        for name in ("BOX", "PRESS", "RES")
    ]
    result = discharge_fast(_ledger(imports, exports))
    assert {a.part: a.late for a in result.allocations} == {"BOX": False, "PRESS": False, "RES": True}
    assert result == discharge(_ledger(imports, exports), "fifo")


def test_merma_and_desperdicio_requirements_with_many_decimals() -> None:
    bom = {
        "HARNESS": (
            BomVersion(
                "HARNESS",
                dt.date(2024, 1, 1),
                None,
                (
                    BomComponent("WIRE", Decimal("0.333333"), Decimal("1.37"), Decimal("0.05")),
                    BomComponent("RES", Decimal(3), Decimal("2.5")),
                ),
            ),
        )
    }
    imports = [
        ImportLine("243430014000001", 1, "WIRE", "IN", dt.date(2024, 2, 1), Decimal("1.000001")),
        ImportLine("243430014000001", 2, "WIRE", "IN", dt.date(2024, 2, 1), Decimal("7")),
        ImportLine("243430014000002", 1, "RES", "IN", dt.date(2024, 2, 1), Decimal("10")),
    ]
    exports = [
        ExportLine("243430014000009", 1, "HARNESS", "RT", dt.date(2024, 3, 1), Decimal("2.5")),
        ExportLine("243430014000009", 2, "HARNESS", "RT", dt.date(2024, 3, 1), Decimal("1")),
    ]
    ledger = _ledger(imports, exports, bom)
    result = discharge_fast(ledger)
    assert result == discharge(ledger, "fifo")
    assert result.allocations[0] == Allocation(
        "243430014000009", 1, "HARNESS", "RES", "243430014000002", 1, Decimal("7.6875"), False
    )
    assert result.shortfalls == (Shortfall("243430014000009", 2, "HARNESS", "RES", Decimal("0.7625")),)


def test_an_export_before_the_import_is_cleared_is_a_shortfall_and_the_lot_serves_later_exports() -> None:
    imports = [ImportLine("243430014000001", 1, "RES", "IN", dt.date(2024, 5, 1), Decimal(5))]
    exports = [
        ExportLine("243430014000009", 1, "RES", "RT", dt.date(2024, 4, 30), Decimal(2)),
        ExportLine("243430014000009", 2, "RES", "RT", dt.date(2024, 5, 1), Decimal(3)),
    ]
    ledger = _ledger(imports, exports)
    result = discharge_fast(ledger)
    assert result == discharge(ledger, "fifo")
    assert [s.qty_missing for s in result.shortfalls] == [Decimal(2)]
    assert [a.qty for a in result.allocations] == [Decimal(3)]


def test_empty_ledger() -> None:
    result = discharge_fast(_ledger([], []))
    assert result.allocations == () and result.shortfalls == ()


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 8)), max_size=20))
def test_fixed_point_round_trip_is_exact(pairs: list[tuple[int, int]]) -> None:
    values = [Decimal(units).scaleb(-places) for units, places in pairs]
    ints, scale = to_fixed(values)
    assert [Decimal(i).scaleb(-scale) for i in ints] == values
    assert scale == max((decimal_places(v) for v in values), default=0)


def test_trim_scale_drops_only_shared_trailing_zeros() -> None:
    values, scale = trim_scale(np.array([1500, 250]), 3)
    assert values.tolist() == [150, 25] and scale == 2


def test_core_on_columns_worked_example() -> None:
    """One part, lots 5 (day 1) and 5 (day 3); needs 4 (day 1), 4 (day 2), 4 (day 3)."""
    out = fifo_columns(
        np.array([0, 0]),
        np.array([1, 3]),
        np.array([5, 5]),
        np.array([0, 0, 0]),
        np.array([1, 2, 3]),
        np.array([4, 4, 4]),
        1,
    )
    assert list(zip(out.alloc_req.tolist(), out.alloc_lot.tolist(), out.alloc_qty.tolist(), strict=True)) == [
        (0, 0, 4),
        (1, 0, 1),
        (2, 1, 4),
    ]
    assert out.short_req.tolist() == [1] and out.short_qty.tolist() == [3]
