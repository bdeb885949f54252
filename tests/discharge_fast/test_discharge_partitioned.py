"""Partitioned by part == one run, byte for byte; Dask == the single process; run.json says which."""

from __future__ import annotations

import datetime as dt
import json
import random
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.core.problems import InputError
from immex.core.progress import Progress
from immex.discharge import columnar_run, partitioned
from immex.discharge.dask_engine import LOCAL_WORKERS, discharge_dask, local_workers
from immex.discharge.fast import discharge_frames, write_discharge_frames
from immex.discharge.partitioned import discharge_partitioned
from immex.discharge.service import run_discharge
from immex.ledger.frames import LedgerFrames, read_ledger_frames
from immex.ledger.model import BomComponent, BomVersion, ExportLine, ImportLine, Ledger, Part
from immex.ledger.read import read_ledger
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.ledgers import FINISHED, PEDIMENTOS, RAW, START, SUB, ledgers

AS_OF = dt.date(2025, 6, 30)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")


def _frames(ledger: Ledger, folder: Path) -> LedgerFrames | None:
    folder.mkdir(parents=True)
    write_folder_in_units(ledger, folder)
    if read_ledger(folder).problems:
        return None
    frames = read_ledger_frames(folder)
    assert frames is not None
    return frames


def _same(one: Path, other: Path) -> None:
    for name in FILES:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(max_imports=30, max_exports=15), st.integers(1, 12), st.integers(1, 4))
def test_partitions_of_parts_write_the_bytes_of_one_run(ledger: Ledger, rows: int, bucket: int) -> None:
    """Partitions of a few parts (``rows``) and merge buckets of a few export lines (``bucket``)."""
    with tempfile.TemporaryDirectory() as tmp:
        frames = _frames(ledger, Path(tmp) / "in")
        if frames is None:
            return
        whole = write_discharge_frames(Path(tmp) / "one", discharge_frames(frames), AS_OF)
        parted = discharge_partitioned(frames, Path(tmp) / "parted", AS_OF, rows=rows, bucket=bucket)
        _same(Path(tmp) / "one", Path(tmp) / "parted")
        assert {k: parted[k] for k in whole} == whole
        assert not (Path(tmp) / "parted" / ".immex-partitions").exists()


def _ledger(seed: int, n_imports: int, n_exports: int) -> Ledger:
    """A deterministic random ledger: two BOM levels with merma, 6-decimal lots."""
    rnd = random.Random(seed)
    parts = {name: Part(name, "PZA", "raw") for name in RAW}
    parts |= {name: Part(name, "PZA", "subassembly") for name in SUB}
    parts |= {name: Part(name, "PZA", "finished") for name in FINISHED}

    def version(product: str, below: tuple[str, ...]) -> tuple[BomVersion, ...]:
        names = rnd.sample(below, 3)
        return (
            BomVersion(
                product,
                START,
                None,
                tuple(
                    BomComponent(
                        n, Decimal(rnd.randint(1, 40)) / 8, Decimal(rnd.randint(0, 300)) / 100, Decimal(0)
                    )
                    for n in names
                ),
            ),
        )

    boms = {name: version(name, RAW) for name in SUB} | {name: version(name, RAW + SUB) for name in FINISHED}
    day = [START + dt.timedelta(days=rnd.randint(0, 600)) for _ in range(n_imports + n_exports)]
    imports = tuple(
        ImportLine(
            f"2434300140{i:05d}", 1, rnd.choice(RAW), "IN", day[i], Decimal(rnd.randint(1, 10**9)) / 10**6
        )
        for i in range(n_imports)
    )
    exports = tuple(
        ExportLine(
            rnd.choice(PEDIMENTOS),
            i + 1,
            rnd.choice(FINISHED),
            "RT",
            day[n_imports + i],
            Decimal(rnd.randint(1, 40)),
        )
        for i in range(n_exports)
    )
    return Ledger(parts, imports, exports, boms)


def test_the_dask_engine_on_a_local_cluster_writes_the_bytes_of_the_single_process(tmp_path: Path) -> None:
    frames = _frames(_ledger(7, 300, 200), tmp_path / "in")
    assert frames is not None
    whole = write_discharge_frames(tmp_path / "one", discharge_frames(frames), AS_OF)
    counts = discharge_dask(frames, tmp_path / "dask", AS_OF, rows=200, bucket=37, workers=2)
    _same(tmp_path / "one", tmp_path / "dask")
    assert counts["partitions"] > 2 and counts["scheduler"] == "LocalCluster(2 workers)"
    assert {k: counts[k] for k in whole} == whole


def test_the_local_cluster_takes_its_workers_from_the_option_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMMEX_WORKERS", raising=False)
    assert local_workers(None) == LOCAL_WORKERS and local_workers(3) == 3
    monkeypatch.setenv("IMMEX_WORKERS", "1")
    assert local_workers(None) == 1 and local_workers(3) == 3
    monkeypatch.setenv("IMMEX_WORKERS", "many")
    with pytest.raises(InputError) as bad:
        local_workers(None)
    assert [problem.column for problem in bad.value.problems] == ["IMMEX_WORKERS"]
    monkeypatch.delenv("IMMEX_WORKERS")
    folder = tmp_path / "in"
    folder.mkdir()
    write_folder_in_units(_ledger(5, 60, 40), folder)
    columnar_run.run_discharge(folder, tmp_path / "dask", "fifo", AS_OF, engine="dask", workers=1)
    columnar_run.run_discharge(folder, tmp_path / "one", "fifo", AS_OF, engine="columnar")
    run = json.loads((tmp_path / "dask" / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "dask" and run["scheduler"] == "LocalCluster(1 workers)"
    _same(tmp_path / "one", tmp_path / "dask")


def test_run_json_names_the_engine_and_why_the_per_row_one_ran(tmp_path: Path) -> None:
    ledger = _ledger(3, 40, 20)
    folder = tmp_path / "in"
    folder.mkdir()
    write_folder_in_units(ledger, folder)
    runs = {}
    for engine, method in (("auto", "fifo"), ("partitioned", "fifo"), ("auto", "lifo"), ("auto", "directed")):
        out = tmp_path / f"{engine}-{method}"
        run_discharge(folder, out, method, AS_OF, engine=engine)
        runs[(engine, method)] = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert runs[("auto", "fifo")]["engine"] == "columnar" and "why" not in runs[("auto", "fifo")]
    assert runs[("partitioned", "fifo")]["engine"] == "partitioned"
    _same(tmp_path / "auto-fifo", tmp_path / "partitioned-fifo")
    assert runs[("auto", "lifo")]["engine"] == "columnar" and "why" not in runs[("auto", "lifo")]
    assert runs[("auto", "directed")]["engine"] == "columnar" and "why" not in runs[("auto", "directed")]


def test_auto_partitions_from_the_spill_size_or_the_line_count_and_says_why() -> None:
    spilled_engine, spilled_why = partitioned.auto_engine(True, 10)
    assert spilled_engine == "partitioned" and spilled_why is not None and "400 MB or more" in spilled_why
    at = partitioned.PARTITION_FROM_LINES
    engine, why = partitioned.auto_engine(False, at)
    assert engine == "partitioned" and why is not None and f"{at:,} import + export lines" in why
    assert partitioned.auto_engine(False, at - 1) == ("columnar", None)


class _Recorded(Progress):
    """The phases told and the buckets advanced in each."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, int | None, str]] = []
        self.advanced: dict[str, int] = {}

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        self.phases.append((name, total, unit))

    def advance(self, n: int = 1) -> None:
        name = self.phases[-1][0]
        self.advanced[name] = self.advanced.get(name, 0) + n


def test_the_partitioned_run_times_and_tells_each_phase(tmp_path: Path) -> None:
    """run.json's phase timings and the progress of each phase, the merge's bucket by bucket."""
    frames = _frames(_ledger(5, 120, 80), tmp_path / "in")
    assert frames is not None
    told = _Recorded()
    counts = discharge_partitioned(frames, tmp_path / "out", AS_OF, rows=60, bucket=9, progress=told)
    names = [name for name, _, _ in told.phases]
    assert names == [
        "spilling the ledger's lines",
        "ordering the export lines",
        f"discharging {counts['partitions']} partitions",
        "writing allocations.csv",
        "writing shortfalls.csv",
        "writing balances.csv",
    ]
    buckets = -(-80 // 9)
    assert told.phases[3] == ("writing allocations.csv", buckets, "buckets")
    assert told.advanced == {"writing allocations.csv": buckets, "writing shortfalls.csv": buckets}
    keys = [
        "spill_s",
        "order_s",
        "partitions_s",
        "merge_allocations_s",
        "merge_shortfalls_s",
        "merge_balances_s",
    ]
    assert list(counts["timings"]) == keys
    assert all(seconds >= 0 for seconds in counts["timings"].values())
    run = tmp_path / "run"
    run_discharge(tmp_path / "in", run, "fifo", AS_OF, engine="partitioned")
    timings = json.loads((run / "run.json").read_text(encoding="utf-8"))["timings"]
    assert set(keys) - {"spill_s"} <= set(timings) and {"validate_s", "discharge_s", "total_s"} <= set(
        timings
    )
