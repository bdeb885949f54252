"""LIFO on the columnar reader writes exactly the domain engine's files (every integer width)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings

from immex.discharge import fast
from immex.discharge.fast import discharge_frames, write_discharge_frames
from immex.discharge.fast_lifo import lifo_columns
from immex.discharge.methods import balances, discharge
from immex.discharge.outputs import write_discharge_outputs
from immex.discharge.service import run_discharge
from immex.ledger.frames import read_ledger_frames
from immex.ledger.model import Ledger
from immex.ledger.read import read_ledger
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.ledgers import ledgers
from tests.discharge_scale.synth import write_units_folder

AS_OF = dt.date(2025, 6, 30)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same_as_domain(folder: Path, out: Path) -> bool:
    """The columnar LIFO files equal the domain's; False when the folder is invalid."""
    staged = read_ledger(folder)
    if staged.problems or staged.ledger is None:
        return False
    frames = read_ledger_frames(folder)
    assert frames is not None, "a valid folder must take the columnar path"
    simple = discharge(staged.ledger, "lifo")
    rows = balances(staged.ledger, simple.allocations, AS_OF)
    write_discharge_outputs(out / "simple", simple.allocations, simple.shortfalls, rows)
    write_discharge_frames(out / "fast", discharge_frames(frames, consume=lifo_columns), AS_OF)
    for name in FILES:
        assert (out / "fast" / name).read_bytes() == (out / "simple" / name).read_bytes(), name
    return True


@SETTINGS
@given(ledgers())
def test_columnar_lifo_equals_the_domain_on_ledgers_in_pounds_grams_and_boxes(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        write_folder_in_units(ledger, folder)
        _same_as_domain(folder, Path(tmp))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_columnar_lifo_on_the_int128_tier(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as tmp, patch.object(fast, "VALUE_SAFE", 1):
        folder = Path(tmp) / "in"
        folder.mkdir()
        write_folder_in_units(ledger, folder)
        _same_as_domain(folder, Path(tmp))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_bom_levels_and_per_part_boxes(tmp_path: Path, seed: int) -> None:
    write_units_folder(tmp_path / "in", 120, 90, seed)
    assert _same_as_domain(tmp_path / "in", tmp_path)


def test_immex_discharge_lifo_takes_the_columnar_engine(tmp_path: Path) -> None:
    write_units_folder(tmp_path / "in", 60, 40, seed=5)
    run_discharge(tmp_path / "in", tmp_path / "out", "lifo", AS_OF)
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert (run["engine"], run["method"], "why" in run) == ("columnar", "lifo", False)
    for engine in ("partitioned", "per-row"):
        run_discharge(tmp_path / "in", tmp_path / engine, "lifo", AS_OF, engine=engine)
        other = json.loads((tmp_path / engine / "run.json").read_text(encoding="utf-8"))
        assert other["engine"] == engine and ("why" in other) == (engine == "per-row")
        for name in FILES:
            assert (tmp_path / "out" / name).read_bytes() == (tmp_path / engine / name).read_bytes()
