"""The line files spilled to disk (memory set by the partition): the bytes of one in-memory run.

The spilled reader (:mod:`immex.ledger.spilled`) writes imports by part bucket and exports as
sorted runs, one per batch; the partitioned engine merges the runs, discharges one range of
parts at a time and merges the partitions' balances. Here batches, runs' slices, partitions
and merge buckets are a few rows, so every merge meets many runs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.discharge import partitioned
from immex.discharge.fast import discharge_frames, write_discharge_frames
from immex.discharge.fast_directed import consumption
from immex.discharge.partitioned import discharge_partitioned, merge_runs
from immex.discharge.service import run_discharge
from immex.ledger import spilled
from immex.ledger.frames import read_ledger_frames
from immex.ledger.model import Ledger
from immex.ledger.read import read_ledger
from immex.ledger.spilled import SpilledFile, read_spilled_ledger
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.ledgers import ledgers
from tests.discharge_fast.test_discharge_fast_methods import directed_ledgers
from tests.discharge_fast.test_fast_directed import name_pedimentos
from tests.discharge_scale.synth import write_units_folder

AS_OF = dt.date(2025, 6, 30)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(one: Path, other: Path) -> None:
    for name in FILES:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name


def _spilled_equals_one_run(folder: Path, root: Path, method: str, sizes: tuple[int, int, int, int]) -> None:
    """Read ``folder`` in batches of ``batch`` rows into a spill folder; partitions of ``rows``,
    merge buckets of ``bucket`` export lines, merges holding ``window`` rows: one run's bytes."""
    batch, rows, bucket, window = sizes
    frames = read_ledger_frames(folder)
    assert frames is not None
    whole = write_discharge_frames(root / "one", discharge_frames(frames, **consumption(method)), AS_OF)
    spill = root / "spill"
    spill.mkdir()
    ledger = read_spilled_ledger(folder, batch, spill)
    assert ledger is not None
    assert (ledger.import_lines, ledger.export_lines) == (frames.imports.height, frames.exports.height)
    assert len(ledger.export_runs) == -(-frames.exports.height // batch) or frames.exports.height == 0
    parted = discharge_partitioned(ledger, root / "parted", AS_OF, rows, bucket, method, merge_rows=window)
    _same(root / "one", root / "parted")
    assert {k: parted[k] for k in whole} == whole
    assert parted["partition_rows"] == rows and parted["partitions"] >= 1


@SETTINGS
@given(
    ledgers(max_imports=30, max_exports=15),
    st.integers(1, 5),
    st.integers(1, 12),
    st.integers(1, 4),
    st.integers(1, 6),
)
def test_spilled_batches_and_tiny_partitions_write_the_bytes_of_one_run(
    ledger: Ledger, batch: int, rows: int, bucket: int, window: int
) -> None:
    """Several BOM levels with merma and desperdicio, unit conversions (random ledgers)."""
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(spilled, "RUN_ROW_GROUP", 2)  # slices cross Parquet row groups
        root = Path(tmp)
        (root / "in").mkdir()
        write_folder_in_units(ledger, root / "in")
        if read_ledger(root / "in").problems:
            return
        _spilled_equals_one_run(root / "in", root, "fifo", (batch, rows, bucket, window))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directed_ledgers(), st.sampled_from(("lifo", "directed")), st.integers(1, 4), st.integers(1, 12))
def test_lifo_and_directed_on_spilled_batches_write_the_bytes_of_one_run(
    ledger: Ledger, method: str, batch: int, rows: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        write_folder_in_units(ledger, root / "in")
        name_pedimentos(root / "in", [e.import_pedimento for e in ledger.exports])
        if read_ledger(root / "in").problems:
            return
        _spilled_equals_one_run(root / "in", root, method, (batch, rows, 3, 4))


@pytest.mark.parametrize("seed", [1, 2])
def test_two_bom_levels_in_pounds_grams_and_boxes_spilled(tmp_path: Path, seed: int) -> None:
    """The units data of the benchmark (Int128 quantities), 7-row batches, 40-row partitions."""
    write_units_folder(tmp_path / "in", 150, 110, seed)
    _spilled_equals_one_run(tmp_path / "in", tmp_path, "fifo", (7, 40, 9, 5))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.integers(0, 5), st.text("ab", max_size=3)), max_size=12), max_size=5),
    st.integers(1, 8),
)
def test_merge_runs_gives_the_sorted_union_a_window_at_a_time(
    runs: list[list[tuple[int, str]]], window: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        everything = []
        for i, rows in enumerate(runs):
            unique = sorted({(a, b, i) for a, b in rows})  # keys unique across runs: the run's number
            everything += unique
            frame = pl.DataFrame(
                unique, schema={"a": pl.Int64, "b": pl.String, "run": pl.Int64}, orient="row"
            )
            path = Path(tmp) / f"run-{i}.parquet"
            frame.write_parquet(path, row_group_size=2)
            files.append(SpilledFile(path, 0, frame.height))
        windows = list(merge_runs(files, ("a", "b", "run"), window))
        merged = [row for w in windows for row in w.iter_rows()]
        assert merged == sorted(everything)
        assert all(w.height for w in windows)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.integers(0, 4), st.sampled_from("ab")), max_size=15), max_size=6),
    st.integers(1, 12),
    st.integers(1, 4),
)
def test_merge_runs_with_equal_keys_is_the_stable_sort_of_the_runs_in_order(
    runs: list[list[tuple[int, str]]], window: int, row_group: int
) -> None:
    """Equal keys within and across runs (as the partitions' allocations by export line): the
    stream is the runs concatenated in order and sorted stably, whatever the window held."""
    with tempfile.TemporaryDirectory() as tmp:
        files, frames = [], []
        for i, rows in enumerate(runs):
            frame = pl.DataFrame(
                [(a, b, i, n) for n, (a, b) in enumerate(sorted(rows))],
                schema={"a": pl.Int64, "b": pl.String, "run": pl.Int64, "n": pl.Int64},
                orient="row",
            )
            path = Path(tmp) / f"run-{i}.parquet"
            frame.write_parquet(path, row_group_size=row_group)
            files.append(SpilledFile(path, 0, frame.height))
            frames.append(frame)
        windows = list(merge_runs(files, ("a", "b"), window))
        expected = pl.concat(frames).sort("a", "b", maintain_order=True).rows() if frames else []
        assert [row for w in windows for row in w.iter_rows()] == expected
        assert all(w.height for w in windows)
        assert all(w.columns == ["a", "b", "run", "n"] for w in windows)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=40), st.integers(1, 9), st.booleans())
def test_rows_cut_by_merge_bucket_are_every_row_once_in_export_order(
    positions: list[int], size: int, in_order: bool
) -> None:
    """The rows in discharge order (a stable sort when they come in another order); bucket ``b``
    is the slice of the rows of its export positions."""
    exports = sorted(positions) if in_order else positions
    frame = pl.DataFrame(
        {"_export": exports, "row": range(len(exports))}, schema_overrides={"_export": pl.Int64}
    )
    bounds = partitioned.bucket_bounds(31, size)
    ordered, starts = partitioned._in_buckets(frame, bounds)
    assert ordered.rows() == frame.sort("_export", maintain_order=True).rows()
    assert len(starts) == len(bounds) and starts[0] == 0 and starts[-1] == frame.height
    for bucket, (first, last) in enumerate(itertools.pairwise(starts)):
        rows = ordered.slice(first, last - first)
        assert rows["_export"].is_between(bounds[bucket], bounds[bucket + 1] - 1).all()


@pytest.mark.parametrize("name", ["imports.csv", "exports.csv"])
def test_a_line_twice_in_different_batches_is_left_to_the_per_row_reader(tmp_path: Path, name: str) -> None:
    """The first row written again at the end: in another batch, found by its key bucket."""
    folder = tmp_path / "in"
    write_units_folder(folder, 30, 20, 4)
    assert read_spilled_ledger(folder, 4, _empty(tmp_path / "good")) is not None
    lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / name).write_text("".join([*lines, lines[1]]), encoding="utf-8")
    assert read_ledger(folder).problems
    assert read_spilled_ledger(folder, 4, _empty(tmp_path / "spill")) is None


def _empty(folder: Path) -> Path:
    folder.mkdir()
    return folder


def test_immex_discharge_partitioned_spills_and_says_the_partition_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run.json has the partition size and the partitions that ran; no spill folder is left."""
    write_units_folder(tmp_path / "in", 150, 110, 3)
    monkeypatch.setattr(partitioned, "READ_BATCH_ROWS", 16)
    monkeypatch.setattr(partitioned, "PARTITION_ROWS", 60)
    monkeypatch.setattr(partitioned, "MERGE_ROWS", 10)
    run_discharge(tmp_path / "in", tmp_path / "out" / "parted", "fifo", AS_OF, engine="partitioned")
    run_discharge(tmp_path / "in", tmp_path / "out" / "one", "fifo", AS_OF, engine="columnar")
    _same(tmp_path / "out" / "one", tmp_path / "out" / "parted")
    run = json.loads((tmp_path / "out" / "parted" / "run.json").read_text(encoding="utf-8"))
    one = json.loads((tmp_path / "out" / "one" / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "partitioned" and run["partition_rows"] == 60 and run["partitions"] > 3
    assert run["counts"] == one["counts"] and run["totals"] == one["totals"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["one", "parted"]


def test_auto_partitions_big_folders_and_run_json_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``auto`` partitions from PARTITION_FROM_LINES lines read whole, or line files of
    SPILL_FROM_BYTES (spilled); run.json's why names the reason; the bytes are the columnar run's."""
    write_units_folder(tmp_path / "in", 60, 40, 5)
    run_discharge(tmp_path / "in", tmp_path / "one", "fifo", AS_OF, engine="columnar")
    monkeypatch.setattr(partitioned, "PARTITION_FROM_LINES", 100)
    run_discharge(tmp_path / "in", tmp_path / "lines", "fifo", AS_OF, engine="auto")
    monkeypatch.setattr(partitioned, "SPILL_FROM_BYTES", 1)
    run_discharge(tmp_path / "in", tmp_path / "bytes", "fifo", AS_OF, engine="auto")
    for name, reason in (("lines", "100 import + export lines (100 or more)"), ("bytes", "read in batches")):
        run = json.loads((tmp_path / name / "run.json").read_text(encoding="utf-8"))
        assert run["engine"] == "partitioned" and reason in run["why"], run.get("why")
        _same(tmp_path / "one", tmp_path / name)
