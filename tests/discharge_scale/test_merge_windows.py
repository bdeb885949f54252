"""The partitioned merge of finished CSV lines, windows of buckets read ahead on threads: the bytes
of one columnar run, also for part names Polars must quote."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.discharge import partitioned
from immex.discharge.fast import discharge_frames, write_discharge_frames
from immex.discharge.partitioned import discharge_partitioned, merge_windows
from immex.ledger.frames import read_ledger_frames
from immex.ledger.model import Ledger
from immex.ledger.read import read_ledger
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.ledgers import ledgers

AS_OF = dt.date(2025, 6, 30)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")
# names with the separator, the quote and non-ASCII text: their fields are quoted in the outputs
ODD_NAMES = {
    "A-raw": 'A,raw "Válvula"',
    "C-box": 'Ç-box, "12"',
    "D-fin": 'D "fin"',
    "B-sub": "B,sub€",
    "M-raw": "M-raw 中",
}


def _with_odd_names(folder: Path) -> None:
    """Rename some parts in every file of ``folder`` (the csv module quotes them)."""
    for path in folder.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [[ODD_NAMES.get(cell, cell) for cell in row] for row in csv.reader(handle)]
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ledgers(max_imports=30, max_exports=15),
    st.integers(1, 12),
    st.integers(1, 4),
    st.integers(1, 40),
    st.booleans(),
)
def test_windows_of_finished_lines_write_the_bytes_of_one_run(
    ledger: Ledger, rows: int, bucket: int, window: int, odd: bool
) -> None:
    """Partitions of a few parts, buckets of a few export lines and merge windows of a few rows
    (many windows, so the threads read ahead), odd part names or not."""
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(partitioned, "MERGE_WINDOW_ROWS", window)
        folder = Path(tmp) / "in"
        folder.mkdir()
        write_folder_in_units(ledger, folder)
        if odd:
            _with_odd_names(folder)
        if read_ledger(folder).problems:
            return
        frames = read_ledger_frames(folder)
        assert frames is not None
        whole = write_discharge_frames(Path(tmp) / "one", discharge_frames(frames), AS_OF)
        parted = discharge_partitioned(frames, Path(tmp) / "parted", AS_OF, rows=rows, bucket=bucket)
        for name in FILES:
            assert (Path(tmp) / "one" / name).read_bytes() == (Path(tmp) / "parted" / name).read_bytes(), name
        assert {key: parted[key] for key in whole} == whole
        assert not (Path(tmp) / "parted" / ".immex-partitions").exists()


def test_odd_names_are_quoted_in_the_partitioned_outputs(tmp_path: Path) -> None:
    """The renamed parts reach the outputs quoted as Polars quotes them (not vacuous)."""
    folder = tmp_path / "in"
    folder.mkdir()
    name = '"A,raw ""Válvula"""'
    (folder / "parts.csv").write_text(
        f"part,uom,kind\n{name},PZA,raw\nD-fin,PZA,finished\n", encoding="utf-8"
    )
    (folder / "imports.csv").write_text(
        "pedimento,line,clave,cleared_on,part,qty,uom,unit_value_usd\n"
        f"244734560000000,1,IN,2024-01-05,{name},5,PZA,1.25\n",
        encoding="utf-8",
    )
    (folder / "exports.csv").write_text(
        "pedimento,line,clave,cleared_on,product,qty,uom\n234778900000000,1,RT,2024-03-01,D-fin,4,PZA\n",
        encoding="utf-8",
    )
    (folder / "bom.csv").write_text(
        f"product,component,qty_per,uom,valid_from\nD-fin,{name},2,PZA,2023-01-01\n", encoding="utf-8"
    )
    frames = read_ledger_frames(folder)
    assert frames is not None, read_ledger(folder).problems
    discharge_partitioned(frames, tmp_path / "out", AS_OF, rows=1, bucket=1)
    allocations = (tmp_path / "out" / "allocations.csv").read_text(encoding="utf-8")
    shortfalls = (tmp_path / "out" / "shortfalls.csv").read_text(encoding="utf-8")
    assert allocations.splitlines()[1] == f"234778900000000,1,D-fin,{name},244734560000000,1,5,false"
    assert shortfalls.splitlines()[1] == f"234778900000000,1,D-fin,{name},3"


def test_windows_gather_buckets_up_to_the_rows_and_cover_every_bucket() -> None:
    # two files, four buckets: rows per bucket 3+1, 0+2, 5+0, 1+1
    starts = [(0, 3, 3, 8, 9), (0, 1, 3, 3, 4)]
    assert merge_windows(starts, 4, rows=4) == [(0, 1), (1, 3), (3, 4)]
    assert merge_windows(starts, 4, rows=1) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert merge_windows(starts, 4, rows=100) == [(0, 4)]
    assert merge_windows([], 1, rows=10) == [(0, 1)]
