"""Unit conversions (8-decimal factors) through BOM levels: the columnar engine, exact, every tier."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings

from immex.core.problems import InputError
from immex.discharge import fast
from immex.discharge.fast import FramesResult, discharge_frames, write_discharge_frames
from immex.discharge.methods import Allocation, balances, discharge
from immex.discharge.movements import MovementOutputs, folder_movement_outputs, movement_outputs
from immex.discharge.outputs import write_discharge_outputs
from immex.ledger.frames import LedgerFrames, read_ledger_frames
from immex.ledger.model import Ledger
from immex.ledger.movements import Disposal, Movements
from immex.ledger.read import read_ledger
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.ledgers import ledgers

AS_OF = dt.date(2025, 6, 30)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")
# 25 decimals per requirement (LB x merma x LB x merma), with desperdicio on both BOM levels
POUND_LEDGER = {
    "parts.csv": "part,uom,kind\nRES,KG,raw\nSUB,PZA,subassembly\nFIN,PZA,finished\n",
    "uom_conversions.csv": "from_uom,to_uom,factor,part\nLB,KG,0.45359237,\nCJ,PZA,12,\n",
    "imports.csv": "pedimento,line,clave,cleared_on,part,qty,uom\n"
    "244734564000123,1,IN,2025-01-02,RES,1234.567891,LB\n"
    "244734564000123,2,IN,2025-01-03,RES,98765.432109,LB\n",
    "exports.csv": "pedimento,line,clave,cleared_on,product,qty,uom\n"
    "254778904000001,1,RT,2025-02-01,FIN,7,CJ\n"
    "254778904000001,2,RT,2025-02-02,FIN,3.5,PZA\n",
    "bom.csv": "product,component,qty_per,uom,valid_from,merma_pct,desperdicio_pct\n"
    "FIN,SUB,2.125,PZA,2020-01-01,1.75,0.35\n"
    "SUB,RES,0.375,LB,2020-01-01,2.35,1\n",
}


def _run_both(folder: Path, out: Path) -> fast.Requirements | None:
    """Domain files and columnar files of ``folder``; returns the columnar requirements (None: invalid)."""
    staged = read_ledger(folder)
    if staged.problems or staged.ledger is None:
        return None
    frames = read_ledger_frames(folder)
    assert frames is not None, "a valid folder must take the columnar path"
    simple = discharge(staged.ledger, "fifo")
    write_discharge_outputs(
        out / "simple",
        simple.allocations,
        simple.shortfalls,
        balances(staged.ledger, simple.allocations, AS_OF),
    )
    made: list[fast.Requirements] = []
    original = fast.requirements

    def recording(*args: object, **kwargs: object) -> fast.Requirements:
        made.append(original(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    with patch.object(fast, "requirements", side_effect=recording):
        result = discharge_frames(frames)
        write_discharge_frames(out / "fast", result, AS_OF)
    for name in FILES:
        assert (out / "fast" / name).read_bytes() == (out / "simple" / name).read_bytes(), name
    _assert_same_waste(staged.ledger, simple.allocations, frames, result, out / "fast")
    return made[0]


def _assert_same_waste(
    ledger: Ledger, allocations: Sequence[Allocation], frames: LedgerFrames, result: FramesResult, out: Path
) -> None:
    """The waste from the columnar run's integer columns is the per-row run's (sums, refusals by date)."""
    parts = sorted({a.part for a in allocations})[:2]
    last = max((e.cleared_on for e in ledger.exports), default=AS_OF)
    disposals = tuple(
        Disposal(
            last - dt.timedelta(days=200 * i),
            part,
            Decimal("0.01"),
            "PZA",
            Decimal("0.01"),
            "destroyed",
            "",
            i,
        )
        for i, part in enumerate(parts)
    )
    moves = Movements(disposals=disposals, waste_given=True)
    waste: list[Callable[[], MovementOutputs]] = [
        lambda: movement_outputs(ledger, allocations, moves, AS_OF),
        lambda: folder_movement_outputs(out, frames, moves, AS_OF, result),
    ]
    outcomes: list[object] = []
    for outcome in waste:
        try:
            outcomes.append(outcome())
        except InputError as error:
            outcomes.append(error.problems)
    assert outcomes[0] == outcomes[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_quantities_in_pounds_grams_and_boxes_take_the_columnar_engine_exactly(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        write_folder_in_units(ledger, folder)
        _run_both(folder, Path(tmp))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_the_int128_tier_equals_the_domain_fifo(ledger: Ledger) -> None:
    """Every value forced past the int64 bound: Int128 series end to end (or Python ints beyond)."""
    with tempfile.TemporaryDirectory() as tmp, patch.object(fast, "VALUE_SAFE", 1):
        folder = Path(tmp) / "in"
        folder.mkdir()
        write_folder_in_units(ledger, folder)
        req = _run_both(folder, Path(tmp))
        assert req is None or req.width in ("int128", "object")


def test_a_pound_ledger_with_two_bom_levels_runs_on_int128_not_python_ints(tmp_path: Path) -> None:
    """25 decimals per requirement (LB x merma x LB x merma): beyond int64, inside Int128."""
    (tmp_path / "in").mkdir()
    for name, text in POUND_LEDGER.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    req = _run_both(tmp_path / "in", tmp_path)
    assert req is not None and req.width == "int128" and req.scale > 18
    first = (tmp_path / "fast" / "allocations.csv").read_text(encoding="utf-8").splitlines()[1]
    # 7 boxes x 12 x 2.125 x (1 + 2.1 %) x 0.375 LB x 0.45359237 x (1 + 3.35 %), exact
    assert first.split(",")[6] == "32.0384466625939340625"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_the_int128_tier_on_two_part_ranges_and_small_blocks_equals_the_domain_fifo(ledger: Ledger) -> None:
    """The Int128 core split into two ranges of parts (two threads) from two requirements on, and the
    allocations laid over the lots three requirements at a time: the same bytes as one pass."""
    calls = []
    original = fast._fifo_core_int128

    def counted(*args: Any) -> Any:
        calls.append(len(args[3]))  # the requirements of this range
        return original(*args)

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        for name, value in {"VALUE_SAFE": 1, "PARALLEL_FROM": 2, "BLOCK": 3}.items():
            stack.enter_context(patch.object(fast, name, value))
        stack.enter_context(patch.object(fast, "_fifo_core_int128", side_effect=counted))
        folder = Path(tmp) / "in"
        folder.mkdir()
        write_folder_in_units(ledger, folder)
        req = _run_both(folder, Path(tmp))
    if req is not None and req.width == "int128" and len(req.part):
        # Two ranges unless the median requirement's part is the last one (it holds the upper half).
        ordered = sorted(req.part.tolist())
        first_range = sum(1 for part in ordered if part <= ordered[len(ordered) // 2])
        assert len(calls) == (2 if first_range < len(ordered) else 1), (calls, ordered)
        assert sum(calls) == len(req.part)


def test_a_pound_ledger_of_two_parts_runs_the_int128_core_on_two_threads(tmp_path: Path) -> None:
    """Two raw parts in pounds: one range of parts each, shifted back onto one lot stream exactly."""
    ledger = dict(POUND_LEDGER)
    ledger["parts.csv"] += "RES2,KG,raw\n"
    ledger["imports.csv"] += "244734564000123,3,IN,2025-01-02,RES2,5.000001,LB\n"
    ledger["bom.csv"] += "SUB,RES2,1.5,LB,2020-01-01,0.5,0.25\n"
    ledger["exports.csv"] += "254778904000001,3,RT,2025-02-03,RES,2,KG\n"  # RES returned: the median part
    (tmp_path / "in").mkdir()
    for name, text in ledger.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    ranges = []
    original = fast._fifo_core_int128

    def counted(*args: Any) -> Any:
        ranges.append(int(args[6]))  # parts in the range
        return original(*args)

    with (
        patch.object(fast, "PARALLEL_FROM", 2),
        patch.object(fast, "_fifo_core_int128", side_effect=counted),
    ):
        req = _run_both(tmp_path / "in", tmp_path)
    assert req is not None and req.width == "int128"
    assert len(ranges) == 2
    shortfalls = (tmp_path / "fast" / "shortfalls.csv").read_text(encoding="utf-8")
    assert ",RES2," in shortfalls  # 5 LB of RES2 do not cover 10.5 finished units


@pytest.mark.parametrize(
    ("patches", "width"),
    [({}, "int128"), ({"INT128_SAFE": 1}, "object")],
)
def test_the_waste_of_every_width_equals_the_per_row_waste(
    tmp_path: Path, patches: dict[str, int], width: str
) -> None:
    """The in-memory waste pass sums Int128 and Python-int allocations exactly (and int64 below)."""
    (tmp_path / "in").mkdir()
    for name, text in POUND_LEDGER.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    with ExitStack() as stack:
        for name, value in patches.items():
            stack.enter_context(patch.object(fast, name, value))
        req = _run_both(tmp_path / "in", tmp_path)
    assert req is not None and req.width == width


def test_the_waste_of_an_int64_run_equals_the_per_row_waste(tmp_path: Path) -> None:
    """The pound ledger written in kilograms, smaller lots: int64 allocations, the same waste."""
    kilograms = dict(POUND_LEDGER)
    kilograms["imports.csv"] = (
        POUND_LEDGER["imports.csv"].replace("1234.567891,LB", "12.5,KG").replace("98765.432109,LB", "30,KG")
    )
    kilograms["bom.csv"] = POUND_LEDGER["bom.csv"].replace("0.375,LB", "0.375,KG")
    (tmp_path / "in").mkdir()
    for name, text in kilograms.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    req = _run_both(tmp_path / "in", tmp_path)
    assert req is not None and req.width == "int64"
