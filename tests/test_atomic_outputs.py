"""Output folders and report files appear whole or not at all (``immex.core.atomic``).

The ``kill -9`` tests run a writer in a child process, stop it at a chosen
point (mid-file, before the swap, between the two renames of the fallback,
before the old folder is removed, half-way through an in-place update) and
kill it there; the folder must then hold the previous complete result or the
new complete one, and the next run must clean up and succeed. A full disk is
simulated by a write that fails with ENOSPC, and (as root) by a tiny tmpfs.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from immex.cli import app
from immex.core.atomic import OutputError, atomic_file, atomic_folder, output_error
from tests.ledger.ledger_files import exp, imp, part, write_ledger

OWNED = ("a.csv", "b.csv", "run.json")


def write_result(folder: Path, version: str) -> None:
    """A result of three files; run.json vouches for the other two with their SHA-256."""
    files = {}
    for name in ("a.csv", "b.csv"):
        data = f"{name},{version}\n".encode() * 1000
        (folder / name).write_bytes(data)
        files[name] = hashlib.sha256(data).hexdigest()
    (folder / "run.json").write_text(json.dumps({"version": version, "files": files}))


def complete_version(folder: Path) -> str | None:
    """The version of a complete result in ``folder`` (every file vouched for), else None."""
    run = folder / "run.json"
    if not run.exists():
        return None
    vouched = json.loads(run.read_text())
    for name, digest in vouched["files"].items():
        found = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert found == digest, f"{name} is not the file run.json vouches for"
    listed = set(vouched["files"]) | {"run.json"}
    present = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert present - listed <= {"notes.txt"}, f"files nobody vouches for: {present - listed}"
    return str(vouched["version"])


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary folders and files of immex beside or inside ``folder``."""
    found = [p.name for p in folder.parent.iterdir() if "immex-" in p.name]
    if folder.is_dir():
        found += [p.name for p in folder.iterdir() if "immex-" in p.name]
    return found


# --- in-process behaviour ---------------------------------------------------------------------


def test_a_new_folder_appears_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out, OWNED) as staging:
        write_result(staging, "A")
        assert not out.exists()  # nothing visible before the block ends
    assert complete_version(out) == "A" and leftovers(out) == []


def test_an_old_folder_is_swapped_for_the_new_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_result(out, "A")
    (out / "b.csv").unlink()  # a file of the old result the new one still writes
    with atomic_folder(out, OWNED) as staging:
        write_result(staging, "B")
    assert complete_version(out) == "B" and leftovers(out) == []


def test_an_error_while_writing_leaves_the_previous_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_result(out, "A")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OSError, match="disk full"), atomic_folder(out, OWNED) as staging:
        (staging / "a.csv").write_text("half")
        raise OSError(errno.ENOSPC, "disk full")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(out) == []


def test_without_renameat2_the_two_rename_fallback_gives_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("immex.core.atomic._exchange", lambda first, second: False)
    out = tmp_path / "out"
    out.mkdir()
    write_result(out, "A")
    with atomic_folder(out, OWNED) as staging:
        write_result(staging, "B")
    assert complete_version(out) == "B" and leftovers(out) == []


def test_a_folder_with_files_of_the_user_is_updated_in_place_and_keeps_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_result(out, "A")
    (out / "notes.txt").write_text("mine")
    (out / "b.csv").write_text("stale")  # a file the new result no longer writes is removed
    with atomic_folder(out, OWNED) as staging:
        write_result(staging, "B")
        (staging / "b.csv").unlink()
        run = json.loads((staging / "run.json").read_text())
        del run["files"]["b.csv"]
        (staging / "run.json").write_text(json.dumps(run))
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "b.csv").exists()
    assert complete_version(out) == "B" and leftovers(out) == []


def test_the_current_directory_is_updated_in_place_never_swapped_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_result(out, "A")
    monkeypatch.chdir(out)  # `--output .`: the user's shell must not end up in a deleted folder
    inode = out.stat().st_ino
    with atomic_folder(Path("."), OWNED) as staging:
        write_result(staging, "B")
    assert out.stat().st_ino == inode and complete_version(out) == "B" and leftovers(out) == []


def test_a_folder_of_our_files_is_swapped_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_result(out, "A")
    inode = out.stat().st_ino
    with atomic_folder(out, OWNED) as staging:
        write_result(staging, "B")
    assert out.stat().st_ino != inode and complete_version(out) == "B"


def test_a_symlinked_folder_is_replaced_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    write_result(real, "A")
    link = tmp_path / "link"
    link.symlink_to(real)
    with atomic_folder(link, OWNED) as staging:
        write_result(staging, "B")
    assert link.is_symlink() and complete_version(link) == "B"


def test_a_report_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("old\n")
    with pytest.raises(OSError), atomic_file(path) as temporary:
        temporary.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert path.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]
    with atomic_file(path) as temporary:
        temporary.write_text("new\n")
    assert path.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_the_message_for_a_full_disk_is_one_line_and_says_what_is_stored() -> None:
    error = OSError(errno.ENOSPC, "No space left on device", "/x/out/allocations.csv")
    plain = output_error(Path("/x/out"), error).message
    assert plain == (
        "cannot write /x/out: no space left on device; it was left as it was; "
        "free some space and run the command again"
    )
    stored = output_error(Path("/x/out"), error, "run 7").message
    assert "\n" not in stored and "run 7 is already stored in the database" in stored
    assert "run the same command again to rewrite the files" in stored
    polars_style = OSError("No space left on device (os error 28)")
    assert "free some space" in output_error(Path("/x"), polars_style).message


# --- kill -9 in a child process ---------------------------------------------------------------

CHILD = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from immex.core import atomic
from tests.test_atomic_outputs import OWNED, write_result

target, stop = Path(sys.argv[1]), sys.argv[2]

def halt():
    print("STOP", flush=True)
    time.sleep(60)

if stop == "between-renames":
    atomic._exchange = lambda first, second: False
    real_rename, calls = os.rename, []
    def rename(src, dst):
        real_rename(src, dst)
        calls.append(dst)
        if len(calls) == 1:
            halt()
    os.rename = rename
if stop == "before-swap":
    real_swap = atomic._publish_swap
    atomic._publish_swap = lambda plan: (halt(), real_swap(plan))
if stop == "before-old-removed":
    real_remove = atomic._remove
    def remove(path):
        if atomic.OLD in path.name:
            halt()
        real_remove(path)
    atomic._remove = remove
if stop == "in-place-half":
    real_replace, done = os.replace, []
    def replace(src, dst):
        real_replace(src, dst)
        done.append(dst)
        if len(done) == 2 and atomic.PARTIAL not in str(dst):
            halt()
    os.replace = replace
with atomic.atomic_folder(target, OWNED) as staging:
    if stop == "mid-file":
        with (staging / "a.csv").open("w") as handle:
            handle.write("a.csv,B\n" * 500)
            handle.flush()
            halt()
    write_result(staging, "B")
print("DONE", flush=True)
"""

ROOT = str(Path(__file__).resolve().parents[1])


def kill_child_at(target: Path, stop: str) -> None:
    """Run the writer of version B, SIGKILL it at ``stop``, wait for it to be gone."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), stop, ROOT], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "STOP"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("stop", "allowed"),
    [
        ("mid-file", {"A"}),
        ("before-swap", {"A"}),
        ("before-old-removed", {"B"}),
        ("between-renames", {"A-restored-next-run"}),
    ],
)
def test_kill_9_leaves_the_previous_or_the_new_complete_folder(
    tmp_path: Path, stop: str, allowed: set[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_result(out, "A")
    kill_child_at(out, stop)
    if stop == "between-renames":
        # The only window where the folder is briefly absent: the old one waits aside, complete,
        # and the next writer puts it back before doing anything else.
        assert not out.exists()
        with pytest.raises(RuntimeError), atomic_folder(out, OWNED):
            raise RuntimeError("the next run fails too")
        assert complete_version(out) == "A"
    else:
        assert complete_version(out) in allowed
    with atomic_folder(out, OWNED) as staging:
        write_result(staging, "C")
    assert complete_version(out) == "C" and leftovers(out) == []


def test_kill_9_half_way_through_an_in_place_update_leaves_no_run_json_vouching_for_a_mix(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_result(out, "A")
    (out / "notes.txt").write_text("mine")
    kill_child_at(out, "in-place-half")
    assert not (out / "run.json").exists()  # visibly incomplete: nothing vouches for the mix
    with atomic_folder(out, OWNED) as staging:
        write_result(staging, "C")
    assert complete_version(out) == "C" and leftovers(out) == []
    assert (out / "notes.txt").read_text() == "mine"


# --- immex discharge: kill -9, full disk ------------------------------------------------------


def big_ledger(folder: Path, lines: int = 20_000) -> Path:
    """A hundred parts, many import and export lines: the output folder takes a while to write."""
    return write_ledger(
        folder,
        parts=[part(f"P{n}") for n in range(100)],
        imports=[imp(f"25 47 3456 5{n:06d}", 1, f"P{n % 100}", "3", "2025-01-01") for n in range(lines)],
        exports=[exp(f"25 47 3456 6{n:06d}", 1, f"P{n % 100}", "2", "2025-02-01") for n in range(lines)],
    )


def discharge_args(tmp_path: Path, out: Path, as_of: str, *extra: str) -> list[str]:
    return ["discharge", "--input", str(tmp_path / "in"), "--output", str(out), "--as-of", as_of, *extra]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def vouched(folder: Path) -> bool:
    run = json.loads((folder / "run.json").read_text())
    return all(
        hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"]
        for name, entry in run["files"].items()
    ) and set(run["files"]) | {"run.json"} == {p.name for p in folder.iterdir()}


def test_immex_discharge_killed_while_writing_leaves_the_previous_complete_folder(tmp_path: Path) -> None:
    big_ledger(tmp_path / "in")
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, discharge_args(tmp_path, out, "2025-03-01")).exit_code == 0
    previous = snapshot(out)
    assert vouched(out)
    immex = [sys.executable, "-c", "from immex.cli import main; main()"]
    # the per-row path writes row by row, which leaves a wide window to kill in.
    child = subprocess.Popen([*immex, *discharge_args(tmp_path, out, "2026-12-01", "--engine", "per-row")])
    deadline = time.monotonic() + 300
    staging: list[Path] = []
    while time.monotonic() < deadline and child.poll() is None:
        staging = [p for p in tmp_path.iterdir() if p.name.startswith(".out.immex-partial")]
        if staging and any(p.stat().st_size > 0 for p in staging[0].iterdir()):
            break  # the new allocations.csv is being written right now
        time.sleep(0.001)
    assert staging, "the run finished before its writing could be observed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert snapshot(out) == previous  # the old folder, whole: no truncated allocations.csv
    result = runner.invoke(app, discharge_args(tmp_path, out, "2026-12-01", "--engine", "per-row"))
    assert result.exit_code == 0, result.output
    assert vouched(out) and snapshot(out) != previous
    assert [p.name for p in tmp_path.iterdir() if "immex-" in p.name] == []


def test_full_disk_after_the_run_is_stored_says_so_and_how_to_rewrite_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big_ledger(tmp_path / "in", lines=3)
    out = tmp_path / "out"
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    runner = CliRunner()
    assert runner.invoke(app, discharge_args(tmp_path, out, "2025-03-01")).exit_code == 0
    previous = snapshot(out)

    def full(*_args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("immex.discharge.outputs._raw_csv", full)  # the per-row stored path
    monkeypatch.setattr("immex.discharge.service.write_discharge_frames", full)  # the columnar one
    result = runner.invoke(app, discharge_args(tmp_path, out, "2025-04-01", "--db", db))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"cannot write {out}: no space left on device; it was left as it was;")
    assert "run 1 is already stored in the database: free some space and run the same command again" in (
        result.stderr
    )
    assert snapshot(out) == previous and [p.name for p in tmp_path.iterdir() if "immex-" in p.name] == []
    engine = create_engine(db)
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from discharge_run")).scalar() == 1
    engine.dispose()
    monkeypatch.undo()
    result = runner.invoke(app, discharge_args(tmp_path, out, "2025-04-01", "--db", db))
    assert result.exit_code == 0, result.output
    rewritten = json.loads((out / "run.json").read_text())
    assert rewritten["run_id"] == 1 and rewritten["reused_existing_run"] is True and vouched(out)


def test_full_disk_without_a_store_says_the_folder_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big_ledger(tmp_path / "in", lines=3)

    def full(*_args: object) -> int:
        raise OSError("No space left on device (os error 28)")  # as Polars says it

    monkeypatch.setattr("immex.discharge.columnar_run.write_discharge_frames", full)  # without --db
    monkeypatch.setattr("immex.discharge.outputs._raw_csv", full)
    result = CliRunner().invoke(app, discharge_args(tmp_path, tmp_path / "out", "2025-03-01"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"cannot write {tmp_path / 'out'}: no space left on device; it was left as it was; "
        "free some space and run the command again\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (root only); skipped where mounting is not allowed. Always unmounted."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk_gives_one_line_and_leaves_nothing_behind(tmp_path: Path, tiny_disk: Path) -> None:
    big_ledger(tmp_path / "in", lines=5_000)  # about 1 MB of output: more than the disk holds
    out = tiny_disk / "out"
    result = CliRunner().invoke(app, discharge_args(tmp_path, out, "2025-03-01"))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"cannot write {out}: no space left on device")
    assert result.stderr.count("\n") == 1
    assert list(tiny_disk.iterdir()) == []  # no half-written folder, no temporary left


def test_output_error_is_not_an_os_error() -> None:
    """Handlers of OSError elsewhere must not swallow the message that names a stored run."""
    assert not issubclass(OutputError, OSError)
