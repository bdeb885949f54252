"""The reader in batches (``read_ledger_frames(folder, batch_rows)``, used by the partitioned and
Dask engines) gives the frames of the whole reader and the same files, and refuses what it refuses.

Batches of one to a few rows, so that every check that spans rows (a line twice, the scale of the
quantities, the first row of each pedimento and clave) meets rows of different batches.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from immex.cli import app
from immex.discharge import partitioned
from immex.discharge.fast import discharge_frames, write_discharge_frames
from immex.discharge.fast_directed import consumption
from immex.discharge.partitioned import discharge_partitioned
from immex.discharge.service import run_discharge
from immex.ledger.frames import LedgerFrames, read_ledger_frames
from immex.ledger.model import Ledger
from immex.ledger.spilled import read_spilled_ledger
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.test_discharge_fast_methods import directed_ledgers
from tests.discharge_fast.test_fast_directed import name_pedimentos
from tests.discharge_scale.synth import write_units_folder

AS_OF = dt.date(2025, 6, 30)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _quantities(frame: pl.DataFrame, scale: int) -> list[Decimal]:
    return [Decimal(v).scaleb(-scale) for v in frame["qty"].to_list()]


def assert_same_frames(whole: LedgerFrames, streamed: LedgerFrames) -> None:
    """Equal columns and values; the fixed-point scale may differ (the largest of the batches')."""
    for name in ("imports", "exports"):
        one, other = getattr(whole, name), getattr(streamed, name)
        assert one.drop("qty").equals(other.drop("qty")), name
        scales = (getattr(whole, f"{name}_scale"), getattr(streamed, f"{name}_scale"))
        assert _quantities(one, scales[0]) == _quantities(other, scales[1]), name
    assert_same_header(whole, streamed)


def assert_same_header(whole: LedgerFrames, streamed: LedgerFrames) -> None:
    """What a reader gives besides the line rows."""
    assert whole.parts.equals(streamed.parts) and whole.boms == streamed.boms
    assert (whole.sources, whole.encodings) == (streamed.sources, streamed.encodings)
    assert whole.pedimento_rows == streamed.pedimento_rows
    assert whole.not_discharging == streamed.not_discharging


def _write(ledger: Ledger, folder: Path) -> None:
    folder.mkdir(parents=True)
    write_folder_in_units(ledger, folder)
    name_pedimentos(folder, [e.import_pedimento for e in ledger.exports])


@SETTINGS
@given(directed_ledgers(), st.integers(1, 5), st.integers(1, 12), st.sampled_from(("fifo", "directed")))
def test_batches_read_the_frames_of_the_whole_reader_and_partitions_write_its_bytes(
    ledger: Ledger, batch: int, rows: int, method: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        _write(ledger, folder)
        whole, streamed = read_ledger_frames(folder), read_ledger_frames(folder, batch)
        assert (whole is None) == (streamed is None)
        if whole is None or streamed is None:
            return
        assert_same_frames(whole, streamed)
        one = write_discharge_frames(Path(tmp) / "one", discharge_frames(whole, **consumption(method)), AS_OF)
        parted = discharge_partitioned(streamed, Path(tmp) / "parted", AS_OF, rows, 2, method)
        for name in FILES:
            assert (Path(tmp) / "one" / name).read_bytes() == (Path(tmp) / "parted" / name).read_bytes()
        assert {k: parted[k] for k in one} == one
        (Path(tmp) / "spill").mkdir()
        spilled = read_spilled_ledger(folder, batch, Path(tmp) / "spill")  # the same checks, on disk
        assert spilled is not None
        assert_same_header(whole, spilled.header())
        discharge_partitioned(spilled, Path(tmp) / "spilled", AS_OF, rows, 2, method, merge_rows=3)
        for name in FILES:
            assert (Path(tmp) / "one" / name).read_bytes() == (Path(tmp) / "spilled" / name).read_bytes()


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _rewrite(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.parametrize("name", ["imports.csv", "exports.csv"])
def test_a_line_twice_in_two_batches_is_refused_as_by_the_whole_reader(tmp_path: Path, name: str) -> None:
    write_units_folder(tmp_path, 30, 20, seed=4)
    rows = _rows(tmp_path / name)
    rows.append(list(rows[1]))  # the first line again, at the end: another batch
    _rewrite(tmp_path / name, rows)
    assert read_ledger_frames(tmp_path) is None
    assert read_ledger_frames(tmp_path, 3) is None
    assert read_spilled_ledger(tmp_path, 3, _folder(tmp_path / "spill")) is None


def test_a_not_discharging_line_that_repeats_a_key_is_refused_too(tmp_path: Path) -> None:
    write_units_folder(tmp_path, 30, 20, seed=4)
    rows = _rows(tmp_path / "exports.csv")
    clave = rows[0].index("clave")
    again = list(rows[1])
    again[clave] = "A1"  # does not discharge: filtered out, but its key still counts
    _rewrite(tmp_path / "exports.csv", [*rows, again])
    assert read_ledger_frames(tmp_path) is None
    assert read_ledger_frames(tmp_path, 4) is None
    assert read_spilled_ledger(tmp_path, 4, _folder(tmp_path / "spill")) is None


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def test_a_windows_1252_file_is_read_whole_and_its_encoding_recorded(tmp_path: Path) -> None:
    write_units_folder(tmp_path, 30, 20, seed=6)
    rows = _rows(tmp_path / "imports.csv")
    rows[0].append("description")
    for row in rows[1:]:
        row.append("Válvula")
    _rewrite(tmp_path / "imports.csv", rows, "cp1252")
    whole, streamed = read_ledger_frames(tmp_path), read_ledger_frames(tmp_path, 2)
    assert whole is not None and streamed is not None
    assert streamed.encodings["imports.csv"] == "cp1252"
    assert_same_frames(whole, streamed)


def test_the_partitioned_command_with_tiny_batches_and_partitions_writes_the_columnar_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_units_folder(tmp_path / "in", 200, 150, seed=9)
    run_discharge(tmp_path / "in", tmp_path / "columnar", "fifo", AS_OF, engine="columnar")
    monkeypatch.setattr(partitioned, "READ_BATCH_ROWS", 7)
    monkeypatch.setattr(partitioned, "PARTITION_ROWS", 40)
    monkeypatch.setattr(partitioned, "BUCKET_ROWS", 25)
    run_discharge(tmp_path / "in", tmp_path / "parted", "fifo", AS_OF, engine="partitioned")
    run = json.loads((tmp_path / "parted" / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "partitioned" and run["partitions"] > 3
    for name in (*FILES, "waste.csv"):
        assert (tmp_path / "columnar" / name).read_bytes() == (tmp_path / "parted" / name).read_bytes(), name


def test_a_bad_cell_in_a_later_batch_is_the_per_row_readers_error(tmp_path: Path) -> None:
    """exit 2, errors.csv naming file, row and column; nothing written in the output folder."""
    write_units_folder(tmp_path / "in", 40, 30, seed=2)
    rows = _rows(tmp_path / "in" / "imports.csv")
    rows[35][rows[0].index("qty")] = "12,5"
    _rewrite(tmp_path / "in" / "imports.csv", rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["discharge", "--input", str(tmp_path / "in"), "--output", str(out), "--engine", "partitioned"]
    )
    assert result.exit_code == 2
    errors = _rows(out / "errors.csv")
    assert errors[0][:3] == ["file", "row", "column"]
    assert [row[:3] for row in errors[1:]] == [["imports.csv", "36", "qty"]]
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv"]
