"""The compulsa's output folders appear whole or not at all (``immex.core.atomic``).

``immex datastage compulsa``, ``to-ledger`` and ``anexo22`` are run in a child
process that is stopped at a chosen point of its writing (the PDF after the
CSV and workbook were written, half-way through the drafted rows, in the middle
of an in-place update) and killed with SIGKILL there; the folder must then
hold the previous complete result, and the next run must clean up and succeed.
A full disk is simulated by a write that fails with ENOSPC; a path under a file
is a real file-system error. Either is one line on stderr and exit 1.
"""

from __future__ import annotations

import csv
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from immex.cli import datastage_compulsa
from immex.compulsa import service
from tests import test_atomic_outputs as atomic_outputs

from .compulsa_helpers import Par, Ped, Stage, import_row, write_ledger, write_stage

app = typer.Typer()
datastage_compulsa.register(app)
runner = CliRunner()
ROOT = str(Path(__file__).resolve().parents[2])

# The last pedimento's clave is no Anexo 22 clave: a stage of 12 and one of 10 give different
# anexo22.csv files (the fracciones of January 2026 are not judged: the tariff data vouches
# for them only from 2026-03-30).
PEDS = [Ped(pedimento=f"60000{i:02d}", clave="ZZ" if i == 11 else "IN") for i in range(12)]
PARS = [Par(p) for p in PEDS]


def inputs(tmp_path: Path, ledger_rows: int, stage_size: int = 12) -> None:
    """A Data Stage of ``stage_size`` pedimentos; the ledger has the first ``ledger_rows``, qty 99."""
    write_stage(tmp_path / "ds.zip", Stage(PEDS[:stage_size], PARS[:stage_size]))
    write_ledger(tmp_path / "ledger", [import_row(p, qty="99") for p in PARS[:ledger_rows]])


def args(tmp_path: Path, command: str, out: Path, *extra: str) -> list[str]:
    base = [command, "--datastage", str(tmp_path / "ds.zip"), "--output", str(out)]
    if command in ("compulsa", "to-ledger"):
        base += ["--input", str(tmp_path / "ledger")]
    return base + list(extra)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(tmp_path: Path) -> list[str]:
    """Temporary folders and files of immex anywhere under ``tmp_path``."""
    return [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if "immex-" in p.name]


# --- kill -9 in a child process ---------------------------------------------------------------

CHILD = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
stop, argv = sys.argv[2], sys.argv[3:]

def halt():
    print("STOP", flush=True)
    time.sleep(60)

if stop == "pdf":  # differences.csv and compulsa.xlsx are written; the PDF is being written
    import immex.compulsa.pdf as pdf
    pdf.write_compulsa_pdf = lambda result, path, now=None: (path.write_bytes(b"%PDF-1.4 half"), halt())
if stop == "drafts":  # half of the drafted rows are on disk
    import immex.compulsa.service as service
    real = service.write_drafts
    def drafts(stage, known, writers, progress, *rest):
        written = []
        def wrap(write):
            def row(values):
                write(values)
                written.append(1)
                if len(written) == 6:
                    halt()
            return row
        return real(stage, known, {k: wrap(w) for k, w in writers.items()}, progress, *rest)
    service.write_drafts = drafts
if stop == "anexo22":  # anexo22.csv is being written
    import immex.core.problems as problems
    real_problems = problems.write_problems
    def write_problems(found, handle):
        real_problems(found, handle)
        handle.flush()
        halt()
    problems.write_problems = write_problems
if stop == "in-place-half":  # one file replaced in a folder with a file of the user
    real_replace, done = os.replace, []
    def replace(src, dst):
        real_replace(src, dst)
        if "immex-partial" not in str(dst):
            done.append(dst)
            if len(done) == 1:
                halt()
    os.replace = replace
sys.argv = ["immex", "datastage", *argv]
from immex.cli import main
main()
"""


def kill_child_at(stop: str, argv: list[str]) -> None:
    """Run ``immex datastage <argv>``, SIGKILL it at ``stop``, wait for it to be gone."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, ROOT, stop, *argv], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if line != "STOP":
        child.kill()
        child.wait(timeout=30)
        pytest.fail(f"the child finished without reaching {stop!r}: {line!r}")
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("command", "stop"), [("compulsa", "pdf"), ("to-ledger", "drafts"), ("anexo22", "anexo22")]
)
def test_kill_9_while_writing_leaves_the_previous_complete_folder(
    tmp_path: Path, command: str, stop: str
) -> None:
    inputs(tmp_path, ledger_rows=2)
    out = tmp_path / "out"
    first = runner.invoke(app, args(tmp_path, command, out))
    assert first.exit_code == 0, first.output
    previous = snapshot(out)
    inputs(tmp_path, ledger_rows=4, stage_size=10)  # the next run has a different result
    kill_child_at(stop, args(tmp_path, command, out))
    assert snapshot(out) == previous  # the old folder, whole: nothing of the killed run
    again = runner.invoke(app, args(tmp_path, command, out))
    assert again.exit_code == 0, again.output
    assert snapshot(out) != previous and snapshot(out).keys() == previous.keys()
    assert leftovers(tmp_path) == []


def test_kill_9_half_way_through_an_in_place_update_leaves_no_differences_csv(tmp_path: Path) -> None:
    """A folder with a file of the user is updated file by file: differences.csv out first, back last."""
    inputs(tmp_path, ledger_rows=2)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert runner.invoke(app, args(tmp_path, "compulsa", out)).exit_code == 0
    inputs(tmp_path, ledger_rows=4)
    kill_child_at("in-place-half", args(tmp_path, "compulsa", out))
    assert not (out / "differences.csv").exists()  # visibly incomplete, never a mix vouched for
    assert runner.invoke(app, args(tmp_path, "compulsa", out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "compulsa.pdf",
        "compulsa.xlsx",
        "differences.csv",
        "notes.txt",
    ]
    assert (out / "notes.txt").read_text() == "mine" and leftovers(tmp_path) == []


def test_immex_compulsa_killed_unpatched_while_writing_keeps_the_previous_folder(tmp_path: Path) -> None:
    """The real command, no hook: killed once its temporary folder holds a file, at whatever point."""
    peds = [Ped(pedimento=f"{6000000 + i}") for i in range(3000)]
    write_stage(tmp_path / "ds.zip", Stage(peds, [Par(p) for p in peds]))
    write_ledger(tmp_path / "ledger", [import_row(Par(peds[0]))])
    out = tmp_path / "out"
    out.mkdir()
    (out / "differences.csv").write_bytes(b"previous\n")
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from immex.cli import main; main()",
            "datastage",
            *args(tmp_path, "compulsa", out),
        ]
    )
    deadline = time.monotonic() + 300
    staging: list[Path] = []
    while time.monotonic() < deadline and child.poll() is None:
        staging = [p for p in tmp_path.iterdir() if p.name.startswith(".out.immex-partial")]
        try:
            if staging and any(p.stat().st_size > 0 for p in staging[0].iterdir()):
                break  # differences.csv (or a report) is being written right now
        except FileNotFoundError:
            continue
        time.sleep(0.001)
    assert staging and child.poll() is None, "the run finished before its writing could be observed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert snapshot(out) == {"differences.csv": b"previous\n"}
    assert runner.invoke(app, args(tmp_path, "compulsa", out)).exit_code == 0
    assert len((out / "differences.csv").read_text().splitlines()) == 3000  # header + 2,999 missing
    assert leftovers(tmp_path) == []


# --- disk and permission errors: one line, exit 1, the folder as it was ------------------------


def full(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


FULL_DISK = [
    ("compulsa", "immex.compulsa.service.write_differences"),
    ("compulsa", "immex.compulsa.pdf.write_compulsa_pdf"),
    ("to-ledger", "immex.compulsa.service.write_drafts"),
    ("anexo22", "immex.core.problems.write_problems"),
]


@pytest.mark.parametrize(("command", "target"), FULL_DISK)
def test_a_full_disk_is_one_line_exit_1_and_the_folder_is_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, target: str
) -> None:
    inputs(tmp_path, ledger_rows=2)
    out = tmp_path / "out"
    assert runner.invoke(app, args(tmp_path, command, out)).exit_code == 0
    previous = snapshot(out)
    monkeypatch.setattr(target, full)
    result = runner.invoke(app, args(tmp_path, command, out))
    assert result.exit_code == 1
    assert result.stderr == (
        f"cannot write {out}: no space left on device; it was left as it was; "
        "free some space and run the command again\n"
    )
    assert snapshot(out) == previous and leftovers(tmp_path) == []


def test_a_full_disk_on_a_new_folder_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs(tmp_path, ledger_rows=2)
    monkeypatch.setattr("immex.compulsa.xlsx.write_compulsa_xlsx", full)
    result = runner.invoke(app, args(tmp_path, "compulsa", tmp_path / "out"))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["compulsa", "to-ledger", "anexo22"])
def test_an_output_under_a_file_is_one_line_not_a_traceback(tmp_path: Path, command: str) -> None:
    inputs(tmp_path, ledger_rows=2)
    (tmp_path / "file.txt").write_text("not a folder")
    out = tmp_path / "file.txt" / "out"
    result = runner.invoke(app, args(tmp_path, command, out))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"cannot write {out}: ")
    assert result.stderr.endswith(
        "; it was left as it was; check the destination and run the command again\n"
    )


def test_errors_csv_on_a_full_disk_keeps_the_problems_on_stderr_and_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_stage(tmp_path / "ds.zip", Stage(PEDS, PARS))
    write_ledger(tmp_path / "ledger", [import_row(PARS[0], qty="-1")])
    monkeypatch.setattr("immex.compulsa.service.write_bytes_atomic", full)
    result = runner.invoke(app, args(tmp_path, "compulsa", tmp_path / "out"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "file,row,column,message" and lines[1].startswith("imports.csv,2,qty,")
    assert lines[-1] == (
        f"cannot write {tmp_path / 'out' / 'errors.csv'}: no space left on device; it was left as it was; "
        "free some space and run the command again"
    )
    assert "Traceback" not in result.output and not (tmp_path / "out" / "errors.csv").exists()


# --- what the folder holds after each kind of run ----------------------------------------------


def test_invalid_input_replaces_the_last_result_with_errors_csv_and_keeps_the_users_files(
    tmp_path: Path,
) -> None:
    inputs(tmp_path, ledger_rows=2)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert runner.invoke(app, args(tmp_path, "compulsa", out)).exit_code == 0
    write_ledger(tmp_path / "ledger", [import_row(PARS[0], qty="-1")])
    result = runner.invoke(app, args(tmp_path, "compulsa", out))
    assert result.exit_code == 2
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv", "notes.txt"]
    assert (out / "errors.csv").read_text(encoding="utf-8") == result.stderr
    inputs(tmp_path, ledger_rows=2)
    assert runner.invoke(app, args(tmp_path, "compulsa", out)).exit_code == 0
    assert "errors.csv" not in {p.name for p in out.iterdir()}  # a stale errors.csv goes too


def test_no_reports_after_a_full_run_leaves_no_stale_reports(tmp_path: Path) -> None:
    inputs(tmp_path, ledger_rows=2)
    out = tmp_path / "out"
    assert runner.invoke(app, args(tmp_path, "compulsa", out)).exit_code == 0
    assert runner.invoke(app, args(tmp_path, "compulsa", out, "--no-reports")).exit_code == 0
    assert [p.name for p in out.iterdir()] == ["differences.csv"]


def test_differences_csv_bytes_are_the_contracts(tmp_path: Path) -> None:
    """Written through the temporary folder, differences.csv is byte for byte what write_differences
    gives: plain UTF-8 CSV, LF, no apostrophe or other escaping of cells."""
    inputs(tmp_path, ledger_rows=1)
    rows = [dict(import_row(PARS[0], qty="99"), part="=HYPERLINK(1)")]
    write_ledger(tmp_path / "ledger", rows)
    out = tmp_path / "out"
    assert runner.invoke(app, args(tmp_path, "compulsa", out, "--no-reports")).exit_code == 0
    result = service.run_compulsa(
        tmp_path / "ds.zip", tmp_path / "again", input_dir=tmp_path / "ledger", reports=False
    )
    plain = tmp_path / "plain.csv"
    service.write_differences(result.differences, plain)
    data = (out / "differences.csv").read_bytes()
    assert data == plain.read_bytes() and b"'" not in data and b"\r" not in data
    with (out / "differences.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert data.startswith(",".join(header).encode() + b"\n")
    assert result.written == (tmp_path / "again" / "differences.csv",)


tiny_disk = atomic_outputs.tiny_disk  # a 256 KiB tmpfs (root only), always unmounted


def test_a_really_full_disk_gives_one_line_and_leaves_nothing_behind(tmp_path: Path, tiny_disk: Path) -> None:
    peds = [Ped(pedimento=f"{6000000 + i}") for i in range(9000)]  # 420 KB of differences.csv
    write_stage(tmp_path / "ds.zip", Stage(peds, [Par(p) for p in peds]))
    write_ledger(tmp_path / "ledger", [])
    out = tiny_disk / "out"
    result = runner.invoke(app, args(tmp_path, "compulsa", out, "--no-reports"))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"cannot write {out}: no space left on device")
    assert result.stderr.count("\n") == 1
    assert list(tiny_disk.iterdir()) == []  # no half-written folder, no temporary left
