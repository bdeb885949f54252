"""The waste ratio table of a vectorized run: built once per run, looked up alike either way.

A partitioned run (and each Dask worker) reads its parts' rows from one table of
(export key, part, ratio) built before the partitions run: the partitions do not
explode BOMs or number ratios again (issue 11: that was 28 % of the partition phase).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import immex.discharge.movements as movements
import immex.discharge.partitioned as partitioned
from immex.discharge.movements import WasteTable, _entries, waste_table
from tests.ledger.ledger_files import bom, exp, imp, part, write_ledger
from tests.movements.files import discharge

RAWS = [f"R{i}" for i in range(6)]


@given(
    st.sets(st.integers(0, 3_000_000), min_size=1, max_size=60),
    st.lists(st.integers(0, 3_000_000), max_size=200),
    st.booleans(),
)
def test_entries_find_exactly_the_codes_of_the_table(table: set[int], codes: list[int], small: bool) -> None:
    # small: codes below 2**10 (the dense lookup array); else up to 3 M (the binary search)
    width = 1 << 10 if small else 3_000_001
    table_codes = np.array(sorted(c % width for c in table), dtype=np.int64)
    table_codes = np.unique(table_codes)
    code = np.array([c % width for c in codes], dtype=np.int64)
    rows, entry = _entries(table_codes, code)
    where = {c: i for i, c in enumerate(table_codes.tolist())}
    expected = [(i, where[c]) for i, c in enumerate(code.tolist()) if c in where]
    assert list(zip(rows.tolist(), entry.tolist(), strict=True)) == expected


def _ledger(folder: Path) -> Path:
    """One product of six raw parts, each with its own desperdicio: one part per partition."""
    parts = [part("P", kind="finished"), *(part(name) for name in RAWS)]
    imports = [imp("25 47 3456 5000001", i + 1, name, "1000", "2025-01-10") for i, name in enumerate(RAWS)]
    exports = [exp(f"25 47 3456 60000{n:02d}", 1, "P", "3", f"2025-02-{n + 1:02d}") for n in range(20)]
    boms = [bom("P", name, "2", desperdicio_pct=f"{i + 1}.5") for i, name in enumerate(RAWS)]
    return write_ledger(folder, parts, imports, exports, boms)


def test_a_partitioned_run_builds_the_waste_table_once_for_all_its_partitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _ledger(tmp_path / "in")
    code, problems, _ = discharge(folder, tmp_path / "columnar", "--engine", "columnar")
    assert code == 0, problems
    built: list[WasteTable] = []

    def counted(*args: Any) -> WasteTable:
        built.append(waste_table(*args))
        return built[-1]

    def not_per_partition(*args: Any) -> WasteTable:
        raise AssertionError("a partition built a waste table of its own")

    monkeypatch.setattr(partitioned, "waste_table", counted)
    monkeypatch.setattr(movements, "plan_waste_table", not_per_partition)
    monkeypatch.setattr(partitioned, "PARTITION_ROWS", 25)  # about one raw part per partition
    code, problems, _ = discharge(folder, tmp_path / "partitioned", "--engine", "partitioned")
    assert code == 0, problems
    run = json.loads((tmp_path / "partitioned" / "run.json").read_text())
    assert run["engine"] == "partitioned"
    assert run["partitions"] >= 3
    assert len(built) == 1
    assert sorted(built[0].parts) == RAWS  # every part with waste, each partition took its own
    for name in ("waste.csv", "allocations.csv", "balances.csv"):
        assert (tmp_path / "partitioned" / name).read_bytes() == (tmp_path / "columnar" / name).read_bytes()
