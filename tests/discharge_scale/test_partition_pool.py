"""The partitions on a pool of worker processes: the bytes of one process and of the columnar run;
a failing or killed worker stops the run with one line naming its partition and no output folder."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.cli import main
from immex.core.problems import InputError
from immex.discharge import partition_pool, partitioned
from immex.discharge.columnar_run import run_discharge
from immex.discharge.fast import discharge_frames, write_discharge_frames
from immex.discharge.partition_pool import POOL_FROM_LINES, WORKERS_ENV, worker_count
from immex.discharge.partitioned import PartitionSummary, discharge_partitioned
from immex.ledger.frames import read_ledger_frames
from immex.ledger.model import Ledger
from immex.ledger.read import read_ledger
from immex.ledger.spilled import spilled_from_frames
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.ledgers import ledgers
from tests.discharge_scale.synth import write_units_folder

AS_OF = dt.date(2026, 11, 23)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")


def _same(one: Path, other: Path, names: Sequence[str] = FILES) -> None:
    for name in names:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(max_imports=30, max_exports=15), st.integers(1, 12), st.integers(1, 4))
def test_two_workers_write_the_bytes_of_one_worker_and_of_the_columnar_run(
    ledger: Ledger, rows: int, bucket: int
) -> None:
    """Few examples: each starts two processes (about a second of imports each)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        write_folder_in_units(ledger, root / "in")
        if read_ledger(root / "in").problems:
            return
        frames = read_ledger_frames(root / "in")
        assert frames is not None
        whole = write_discharge_frames(root / "columnar", discharge_frames(frames), AS_OF)
        one = discharge_partitioned(frames, root / "one", AS_OF, rows=rows, bucket=bucket, workers=1)
        two = discharge_partitioned(frames, root / "two", AS_OF, rows=rows, bucket=bucket, workers=2)
        _same(root / "columnar", root / "one")
        _same(root / "columnar", root / "two")
        assert {k: two[k] for k in whole} == whole
        assert one["workers"] == 1 and two["workers"] == min(2, two["partitions"])
        assert not (root / "two" / ".immex-partitions").exists()


def test_the_command_on_the_bench_shape_with_two_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LB, G, boxes, per-part factors, two BOM levels, waste: ``--workers 2`` == the columnar run,
    every output file, and run.json says how many workers ran."""
    write_units_folder(tmp_path / "in", 600, 400, seed=11)
    monkeypatch.setattr(partitioned, "PARTITION_ROWS", 900)  # planned in this process: several partitions
    run_discharge(tmp_path / "in", tmp_path / "columnar", "fifo", AS_OF, engine="columnar")
    run_discharge(tmp_path / "in", tmp_path / "pool", "fifo", AS_OF, engine="partitioned", workers=2)
    written = sorted(p.name for p in (tmp_path / "columnar").iterdir() if p.name != "run.json")
    assert written == sorted(p.name for p in (tmp_path / "pool").iterdir() if p.name != "run.json")
    assert {*FILES, "waste.csv"} <= set(written)
    _same(tmp_path / "columnar", tmp_path / "pool", written)
    run = json.loads((tmp_path / "pool" / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "partitioned" and run["partitions"] > 2 and run["workers"] == 2
    assert "workers" not in json.loads((tmp_path / "columnar" / "run.json").read_text(encoding="utf-8"))


def test_workers_from_the_option_the_environment_or_the_cores() -> None:
    cores = len(os.sched_getaffinity(0))
    assert worker_count(3, 10, {WORKERS_ENV: "5"}) == 3
    assert worker_count(None, 10, {WORKERS_ENV: " 5 "}) == 5
    assert worker_count(None, POOL_FROM_LINES, {}) == cores
    assert worker_count(None, POOL_FROM_LINES - 1, {}) == 1  # a small ledger: no processes to start
    for bad in ("0", "two", "-1", "1.5"):
        with pytest.raises(InputError) as raised:
            worker_count(None, 10, {WORKERS_ENV: bad})
        (problem,) = raised.value.problems
        assert problem.column == WORKERS_ENV and repr(bad) in problem.message
    with pytest.raises(InputError):
        worker_count(0, 10, {})


def _threads_partition(*args: Any) -> PartitionSummary:
    """Reports its worker's Polars threads (in ``late``) and its parts (in ``qty_allocated``)."""
    import polars as pl

    return PartitionSummary(args[3], 0, 0, pl.thread_pool_size(), ",".join(args[2]), "0")


def test_the_workers_share_the_cores_and_give_their_summaries_in_partition_order(tmp_path: Path) -> None:
    frames = read_ledger_frames(_units(tmp_path))
    assert frames is not None
    ranges = [["R0"], ["R1", "R2"], ["R3"], ["R4", "R5"], ["S0"]]
    (tmp_path / "spill").mkdir()
    ledger = spilled_from_frames(frames, tmp_path / "spill")
    work = partition_pool.PartitionWork(ledger, _no_exports(), AS_OF, tmp_path, [0, 0], "fifo", None)
    summaries = partition_pool.run_partitions(_threads_partition, work, ranges, 2)
    assert [s.index for s in summaries] == list(range(5))
    assert [s.qty_allocated for s in summaries] == [",".join(r) for r in ranges]
    cores = len(os.sched_getaffinity(0))
    assert {s.late for s in summaries} == {max(1, cores // 2)}
    assert partition_pool.polars_threads(2, {"POLARS_MAX_THREADS": "1"}) == 1
    assert partition_pool.polars_threads(1, {"POLARS_MAX_THREADS": "x"}) == cores


def _units(tmp_path: Path) -> Path:
    write_units_folder(tmp_path / "in", 30, 20, seed=2)
    return tmp_path / "in"


def _no_exports() -> partitioned.OrderedExports:
    return partitioned.OrderedExports((), [], (), 0)


# ---- failures: run in the workers by name (a spawned worker imports this module) ----------------


def _failing_partition(*args: Any) -> PartitionSummary:
    """The second partition raises; the others run as usual."""
    if args[3] == 1:
        raise RuntimeError("disk on fire")
    return partitioned.run_partition(*args)


def _killed_partition(*args: Any) -> PartitionSummary:
    """The second partition's worker is killed as the out-of-memory killer kills it."""
    if args[3] == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return partitioned.run_partition(*args)


@pytest.mark.parametrize(
    ("function", "said"),
    [
        (_failing_partition, "failed in a worker process: RuntimeError: disk on fire"),
        (_killed_partition, "a worker process died running partition 2 of"),
    ],
)
def test_a_failing_worker_stops_the_command_with_one_line_and_no_output(
    function: Any,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    write_units_folder(tmp_path / "in", 300, 200, seed=3)
    monkeypatch.setattr(partitioned, "PARTITION_ROWS", 400)
    monkeypatch.setattr(partitioned, "run_partition", function)
    argv = ["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--engine", "partitioned"]
    monkeypatch.setattr(
        sys, "argv", ["immex", "discharge", *argv, "--as-of", AS_OF.isoformat(), "--workers", "2"]
    )
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    del exited  # its traceback holds the spilled ledger, whose folder goes when it is collected (or at exit)
    gc.collect()
    err = capfd.readouterr().err
    assert code == 1
    assert said in err and "partition 2 of" in err and "no output was written" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    if function is _killed_partition:
        assert "SIGKILL" in err and "out-of-memory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output, no spill, no partial folder


def _sleeping_partition(*args: Any) -> PartitionSummary:
    """Says it started, then runs long (stopped by the parent)."""
    (args[5] / f"started-{os.getpid()}").write_text("")
    time.sleep(120)
    return partitioned.run_partition(*args)


def test_an_interrupted_run_stops_its_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in the parent (a KeyboardInterrupt while it waits) ends the workers at once."""
    write_units_folder(tmp_path / "in", 300, 200, seed=3)
    frames = read_ledger_frames(tmp_path / "in")
    assert frames is not None
    spill = tmp_path / "out" / ".immex-partitions"
    pids: list[int] = []

    def interrupted(*args: Any) -> list[PartitionSummary]:
        while len(list(spill.glob("started-*"))) < 2:
            time.sleep(0.05)
        pids.extend(int(p.name.split("-")[1]) for p in spill.glob("started-*"))
        raise KeyboardInterrupt

    monkeypatch.setattr(partition_pool, "_gather", interrupted)
    monkeypatch.setattr(partitioned, "run_partition", _sleeping_partition)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        discharge_partitioned(frames, tmp_path / "out", AS_OF, rows=400, workers=2)
    assert time.monotonic() - started < 100  # not after the workers' sleep
    assert len(pids) == 2 and not spill.exists()
    for pid in pids:  # ended and reaped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
