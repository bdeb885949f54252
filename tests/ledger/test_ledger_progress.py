"""Progress of ``immex discharge``: real steps with real counts, never a byte on stdout or in the files."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.cli import app, common
from immex.core.progress import QUIET
from immex.demo import run_demo
from immex.discharge.service import run_discharge
from immex.ledger.orm import AllocationRow
from immex.reports import service as reports
from immex.store.db import open_database
from tests.ledger.ledger_files import bom, exp, imp, part, read_csv, write_ledger
from tests.progress_recorder import Recorder

AS_OF = dt.date(2025, 6, 30)
OUTPUT_FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")
# 3 parts, 5 import lines, 3 export lines, 2 BOM rows of one BOM version
PARTS = [part("FG", kind="finished"), part("CU", "kg"), part("SCREW")]
IMPORTS = [
    imp("25 47 3456 5000001", 1, "CU", "10", "2025-01-10", "kg"),
    imp("25 47 3456 5000001", 2, "SCREW", "40", "2025-01-10"),
    imp("25 47 3456 5000002", 1, "CU", "5", "2025-02-10", "kg"),
    imp("25 47 3456 5000003", 1, "CU", "5", "2025-03-10", "kg"),
    imp("25 47 3456 5000003", 2, "SCREW", "8", "2025-03-10"),
]
EXPORTS = [
    exp("25 47 3456 6000001", 1, "FG", "6", "2025-03-20"),
    exp("25 47 3456 6000002", 1, "FG", "10", "2025-04-20"),
    exp("25 47 3456 6000003", 1, "FG", "30", "2025-05-20"),  # more than is left: shortfalls
]
BOM = [bom("FG", "CU", "0.5", uom="kg"), bom("FG", "SCREW", "4")]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "in", PARTS, IMPORTS, EXPORTS, BOM)


def _output_rows(out: Path) -> int:
    return sum(len(read_csv(out / name)) for name in OUTPUT_FILES)


def test_per_row_discharge_reports_its_steps_in_order_with_counts_that_add_up(
    folder: Path, tmp_path: Path
) -> None:
    recorder = Recorder()
    run_discharge(folder, tmp_path / "out", "directed", AS_OF, None, recorder, engine="per-row")
    assert recorder.names == [
        "reading in",
        "validating the input",
        "exploding every export through its BOM",
        "checking pedimentos and claves against Anexo 22",
        "discharging",
        "computing balances",
        "writing the output folder",
    ]
    assert recorder.step("validating the input").total == len(PARTS) + len(IMPORTS) + len(EXPORTS) + len(BOM)
    assert recorder.step("discharging").total == len(EXPORTS)
    assert recorder.step("writing the output folder").total == _output_rows(tmp_path / "out")
    assert all(s.done == s.total for s in recorder.sized()), recorder.steps
    assert recorder.unsized_advanced() == []


def test_stored_discharge_counts_the_rows_it_stores_and_the_rows_it_records(
    folder: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = Recorder()
    run_discharge(folder, tmp_path / "out", "directed", AS_OF, url, first)  # the per-row stored path
    assert first.names[4:9] == [
        "storing the input",
        "loading the stored ledger",
        "discharging",
        "comparing with the stored allocations",
        "recording the run",
    ]
    versions = 1  # the BOM is stored as versions, not rows
    assert first.step("storing the input").total == len(PARTS) + len(IMPORTS) + len(EXPORTS) + versions
    assert stored_allocations(url) and first.step("recording the run").total == stored_allocations(url)
    assert all(s.done == s.total for s in first.sized()), first.steps

    again = Recorder()  # the same input again: every row is found already stored, nothing recorded
    run_discharge(folder, tmp_path / "out", "directed", AS_OF, url, again)
    storing = again.step("storing the input")
    assert storing.done == storing.total == first.step("storing the input").total
    assert "recording the run" not in again.names


def test_stored_discharge_on_columns_counts_the_lines_it_stores_and_the_rows_it_records(
    folder: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = Recorder()
    run_discharge(folder, tmp_path / "out", "lifo", AS_OF, url, first)  # FIFO/LIFO: the columnar stored path
    assert [name for name in first.names if name != "reading and validating the input (columnar)"][:6] == [
        "storing the input",
        "loading the stored ledger",
        "discharging",
        "comparing with the stored allocations",
        "recording the run",
        "checking the stored ledger and committing",
    ]
    assert first.step("storing the input").total == len(IMPORTS) + len(EXPORTS)
    assert stored_allocations(url) and first.step("recording the run").total == stored_allocations(url)
    assert all(s.done == s.total for s in first.sized()), first.steps

    again = Recorder()
    run_discharge(folder, tmp_path / "out", "lifo", AS_OF, url, again)
    storing = again.step("storing the input")
    assert storing.done == storing.total == first.step("storing the input").total
    assert "recording the run" not in again.names


def stored_allocations(url: str) -> int:
    engine = open_database(url)
    with Session(engine) as session:
        stored = session.scalar(select(func.count()).select_from(AllocationRow)) or 0
    engine.dispose()
    return stored


def test_watching_the_progress_changes_nothing_in_the_output_files(folder: Path, tmp_path: Path) -> None:
    run_discharge(folder, tmp_path / "quiet", "lifo", AS_OF, None, QUIET)
    run_discharge(folder, tmp_path / "watched", "lifo", AS_OF, None, Recorder())
    for name in OUTPUT_FILES:
        assert (tmp_path / "watched" / name).read_bytes() == (tmp_path / "quiet" / name).read_bytes()
    assert _output_rows(tmp_path / "quiet") > len(EXPORTS)


def test_an_old_style_callback_still_hears_the_step_names(folder: Path, tmp_path: Path) -> None:
    names: list[str] = []
    outcome = run_discharge(folder, tmp_path / "out", "fifo", AS_OF, None, names.append)
    assert outcome.run["counts"]["export_lines"] == len(EXPORTS)
    assert any(name.startswith("discharging") for name in names), names
    assert names[-1] == "writing the output folder"


def test_a_report_counts_the_export_lines_it_discharges_and_the_rows_it_writes(
    folder: Path, tmp_path: Path
) -> None:
    recorder = Recorder()
    ledger, result = reports.load_state(None, folder, "lifo", recorder)
    report = reports.balances_report(ledger, result, AS_OF)
    count = reports.write_report(report, tmp_path / "b.xlsx", recorder)
    assert recorder.step("discharging").done == len(EXPORTS)
    writing = recorder.step("writing b.xlsx")
    assert writing.total == writing.done == count == len(IMPORTS)


def test_the_demo_reports_its_run_and_each_report_it_writes(tmp_path: Path) -> None:
    recorder = Recorder()
    outcome, written = run_demo(tmp_path / "demo", AS_OF, recorder)
    assert recorder.names[0] == "generating the demo company"
    storing = recorder.step("storing the input")
    assert storing.done == storing.total > outcome.run["counts"]["import_lines"]
    writing = recorder.step("writing the reports")
    assert writing.total == writing.done == len(written) == 8  # 7 XLSX reports + the trace
    assert recorder.unsized_advanced() == []


def test_cli_stdout_is_unchanged_while_the_bars_go_to_stderr(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [
        "discharge",
        "--input",
        str(folder),
        "--output",
        str(tmp_path / "out"),
        "--method",
        "directed",
        "--engine",
        "per-row",
        "--as-of",
        AS_OF.isoformat(),
    ]
    plain = CliRunner().invoke(app, args)  # stderr is not a terminal: no bars at all
    files = {name: (tmp_path / "out" / name).read_bytes() for name in OUTPUT_FILES}
    screen = io.StringIO()
    monkeypatch.setattr(common, "stderr", Console(file=screen, force_terminal=True, width=120))
    shown = CliRunner().invoke(app, args)
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert shown.stdout == plain.stdout and shown.stdout.startswith("run ")
    assert "discharging" not in shown.stdout
    drawn = screen.getvalue()
    assert "discharging" in drawn and f"{len(EXPORTS)}/{len(EXPORTS)} export lines" in drawn
    assert "discharging" not in plain.stderr
    assert {name: (tmp_path / "out" / name).read_bytes() for name in OUTPUT_FILES} == files
