"""Benchmark of the stored discharge: ``immex discharge --db`` on PostgreSQL (COPY) and SQLite.

    python3 benchmarks/bench_store.py --imports 1000000 --exports 1000000
    python3 benchmarks/bench_store.py --imports 200000 --exports 200000 --sqlite

Generates the ledger folder of ``bench_discharge.py --data units`` (quantities in
LB, G, KG and boxes, converted; two BOM levels), then runs, each as its own
``immex`` process: the in-memory command (the reference files), the stored
command on a new PostgreSQL database (a throw-away local cluster unless
``--pg URL`` names a server), the same command again (idempotent: nothing new
to store), and with ``--sqlite`` the stored command on a new SQLite file. Each
stored run's three files are compared byte by byte with the in-memory ones.
Wall seconds and the peak resident memory of the ``immex`` process (not the
database server's) are reported with the phases of its run.json and the load
average. The table goes to ``benchmarks/results/store.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_api import fresh_database, postgres  # noqa: E402
from bench_discharge import AS_OF, OUTPUTS, generate_units  # noqa: E402


def _server_cpu(url: str | None) -> float:
    """CPU seconds the PostgreSQL server has used so far: the postmaster, its live processes and the
    backends it has reaped (a backend ends with its connection: its time moves to cutime/cstime)."""
    if url is None or not url.startswith("postgresql"):
        return 0.0
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            datadir = str(connection.scalar(text("SHOW data_directory")))
    finally:
        engine.dispose()
    postmaster = int((Path(datadir) / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    own = fields(postmaster)
    total = sum(int(v) for v in own[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = fields(int(entry.name))
            except OSError:
                continue
            if int(stat[1]) == postmaster:  # ppid
                total += int(stat[11]) + int(stat[12])
    return total / tick


def _immex(folder: Path, out: Path, db: str | None) -> dict[str, Any]:
    """One ``immex discharge`` process: wall, peak RSS (its own), run.json; the server's CPU."""
    command = [shutil.which("immex") or "immex", "discharge", "--input", str(folder), "--output", str(out)]
    command += ["--as-of", AS_OF.isoformat(), *(["--db", db] if db else [])]
    load = os.getloadavg()[0]
    server_before = _server_cpu(db)
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    stderr = child.stderr.read() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"immex discharge failed: {stderr[-2000:]}")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    server = _server_cpu(db) - server_before
    postgresql = db is not None and db.startswith("postgresql")
    return {
        "server_cpu_s": f"{server:.1f}" if postgresql else "-",
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "load": round(max(load, os.getloadavg()[0]), 1),
        "run": run,
        "digest": {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in OUTPUTS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--imports", type=int, default=1_000_000)
    parser.add_argument("--exports", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--pg", default=None, help="a PostgreSQL server URL (default: a local throw-away one)"
    )
    parser.add_argument("--sqlite", action="store_true", help="also the stored run on SQLite")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--results", type=Path, default=HERE / "results" / "store.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_store_", dir=args.workdir))
    try:
        generate_units(work / "in", args.imports, args.exports, args.seed)
        os.sync()
        runs = {"in memory (no --db)": _immex(work / "in", work / "memory", None)}
        print(_line("in memory", runs["in memory (no --db)"]), flush=True)
        with postgres(args.pg) as server:
            made = fresh_database(server)  # (url, reused) in newer bench_api
            url = made[0] if isinstance(made, tuple) else made
            for label in ("PostgreSQL, first run (COPY)", "PostgreSQL, same input again"):
                runs[label] = _immex(work / "in", work / label.split(",")[1].strip().replace(" ", "_"), url)
                print(_line(label, runs[label]), flush=True)
        if args.sqlite:
            runs["SQLite, first run (executemany)"] = _immex(
                work / "in", work / "sqlite", f"sqlite:///{work / 'store.db'}"
            )
            print(_line("SQLite", runs["SQLite, first run (executemany)"]), flush=True)
        reference = runs["in memory (no --db)"]["digest"]
        same = all(run["digest"] == reference for run in runs.values())
        if not same:
            raise SystemExit("a stored run wrote other files than the in-memory run")
        _write(args, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _line(label: str, report: dict[str, Any]) -> str:
    timings = report["run"]["timings"]
    phases = report["run"].get("stored_phases", {})
    return (
        f"{label}: {report['wall_s']} s wall, {report['cpu_s']} s CPU, "
        f"server {report['server_cpu_s']} s CPU, {report['peak_mb']} MB, load {report['load']}, "
        f"{timings} {phases}"
    )


def _write(args: argparse.Namespace, runs: dict[str, dict[str, Any]]) -> None:
    counts = runs["in memory (no --db)"]["run"]["counts"]
    command = f"python3 benchmarks/bench_store.py --imports {args.imports} --exports {args.exports}"
    command += " --sqlite" if args.sqlite else ""
    lines = [
        f"# Stored discharge (`immex discharge --db`), {args.imports:,} × {args.exports:,}",
        "",
        f"Command: `{command}` (seed {args.seed}; the folder of `bench_discharge.py --data units`: "
        f"{counts['allocations']:,} allocations, {counts['shortfalls']:,} shortfalls). Machine: "
        f"{os.cpu_count()} cores shared with other jobs, Python {platform.python_version()}. Each row is "
        "one `immex` process; peak MB is that process's maximum resident set (the database server's "
        "memory is not included; server CPU s is the PostgreSQL server's CPU during that process, from "
        "/proc: the postmaster, its processes and the backends it reaped); load = the 1-minute load "
        "average at start or end, whichever was higher. "
        "Every stored run wrote the in-memory run's three files byte for byte (checked).",
        "",
        "| run | wall s | CPU s | server CPU s | peak MB | load | run.json timings (s) | stored phases (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for label, report in runs.items():
        timings = ", ".join(f"{k.removesuffix('_s')} {v:.1f}" for k, v in report["run"]["timings"].items())
        reused = " (reused the stored run)" if report["run"].get("reused_existing_run") else ""
        phases = report["run"].get("stored_phases", {})
        parts = ", ".join(f"{k.removesuffix('_s')} {v:.1f}" for k, v in phases.items()) or "-"
        lines.append(
            f"| {label}{reused} | {report['wall_s']:.1f} | {report['cpu_s']:.1f} | "
            f"{report['server_cpu_s']} | {report['peak_mb']:,} | {report['load']} | {timings} | {parts} |"
        )
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text("\n".join([*lines, ""]), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
