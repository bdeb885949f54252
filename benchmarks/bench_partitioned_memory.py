"""Peak memory of ``immex discharge --engine partitioned`` at several ledger sizes, one partition size.

Issue 11, point 5: the peak should be set by the partition size, not by the ledger. For each
size N this generates (or reuses) an N imports x N exports folder of ``--data units``
(:func:`bench_discharge.generate_units`, seed 20261123: pounds, grams, boxes, two BOM levels),
runs the command once in its own process under ``/usr/bin/time -v`` and records user and sys
CPU, wall, peak RSS, the load average before and after, and run.json's partitions. The
table goes to ``benchmarks/results/discharge_partitioned_memory.md``.

    python3 benchmarks/bench_partitioned_memory.py --workdir DIR --sizes 1000000 2000000 5000000

The folders (about 95 MB per million lines of each file) and outputs (about 1.3 GB per
million) stay in ``--workdir``; ``--keep-outputs`` keeps the output folders too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_discharge import generate_units

SEED = 20261123
RESULTS = Path(__file__).parent / "results" / "discharge_partitioned_memory.md"


def _time_field(text: str, name: str) -> str:
    found = re.search(rf"{re.escape(name)}: (.+)", text)
    return found.group(1).strip() if found else ""


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])


def measure(folder: Path, output: Path, rows: int | None) -> dict[str, Any]:
    """One run of the command in its own process; its CPU, wall, peak and run.json."""
    shutil.rmtree(output, ignore_errors=True)
    env = dict(os.environ)
    if rows:
        env["IMMEX_PARTITION_ROWS"] = str(rows)
    command = ["immex", "discharge", "--input", str(folder), "--output", str(output)]
    command += ["--engine", "partitioned", "--as-of", "2026-12-07"]
    before = _load()
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    run = json.loads((output / "run.json").read_text(encoding="utf-8"))
    return {
        "user": float(_time_field(done.stderr, "User time (seconds)")),
        "sys": float(_time_field(done.stderr, "System time (seconds)")),
        "wall": _time_field(done.stderr, "Elapsed (wall clock) time (h:mm:ss or m:ss)"),
        "peak_mb": int(_time_field(done.stderr, "Maximum resident set size (kbytes)")) // 1024,
        "load": f"{before} → {_load()}",
        "partitions": run.get("partitions"),
        "partition_rows": run.get("partition_rows"),
        "allocations": run["counts"]["allocations"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 2_000_000, 5_000_000])
    parser.add_argument("--partition-rows", type=int, help="IMMEX_PARTITION_ROWS (default: the engine's)")
    parser.add_argument("--keep-outputs", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        folder = args.workdir / f"units-{size}"
        if not (folder / "exports.csv").exists():
            generate_units(folder, size, size, SEED)
        output = args.workdir / f"out-{size}"
        rows.append((size, measure(folder, output, args.partition_rows)))
        if not args.keep_outputs:
            shutil.rmtree(output, ignore_errors=True)
        print(size, rows[-1], flush=True)
    _write(args, rows)


def _write(args: argparse.Namespace, rows: list[tuple[int, dict[str, Any]]]) -> None:
    sizes = " ".join(str(size) for size in args.sizes)
    option = f" --partition-rows {args.partition_rows}" if args.partition_rows else ""
    lines = [
        "# Partitioned discharge: peak memory by ledger size (`--data units`)",
        "",
        f"Command: `python3 benchmarks/bench_partitioned_memory.py --workdir DIR --sizes {sizes}{option}`",
        "(each size one `/usr/bin/time -v immex discharge --input DIR --output OUT --engine partitioned",
        "--as-of 2026-12-07` in its own process, on `generate_units` folders, seed 20261123).",
        "",
        "| imports × exports | partition rows | partitions | allocations | user + sys CPU s | wall"
        " | peak RSS MB | load (1, 5, 15 min) before → after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for size, run in rows:
        lines.append(
            f"| {size:,} × {size:,} | {run['partition_rows']:,} | {run['partitions']}"
            f" | {run['allocations']:,} | {run['user']:.1f} + {run['sys']:.1f} | {run['wall']}"
            f" | {run['peak_mb']:,} | {run['load']} |"
        )
    args.results.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
