"""Benchmark: import of a synthetic Data Stage ZIP (all 26 record types) into the store.

    python3 benchmarks/bench_datastage.py                      # 1,000,000 partidas, SQLite
    python3 benchmarks/bench_datastage.py --partidas 100000 --naive
    python3 benchmarks/bench_datastage.py --pg postgresql+psycopg://user@host/db

Every measured step runs in a child process of its own, so the peak RSS reported
(``resource.getrusage(RUSAGE_SELF).ru_maxrss`` in the child) belongs to that step
alone. Steps:

- ``scan`` (reference, lower bound): decompress every entry and split its lines
  and fields, nothing else;
- ``naive`` (reference, only with ``--naive``): what a simple reader does — every
  entry read whole, decoded, split into lists in memory;
- ``validate``: :func:`immex.datastage.read.read_zip` (all contract checks);
- ``import``: ``immex datastage import`` into a new SQLite file (or ``--pg``);
- ``reimport``: the same ZIP again (every pedimento replaced);
- ``refuse-bomb``: ``read_zip`` of a 1 MB ZIP expanding to 1 GiB of zeros (built by
  ``tests.datastage.test_datastage_limits``), which must be refused without decompressing it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _measure(step: str, zip_path: str, db: str) -> dict[str, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, Any] = {}
    if step == "scan":
        lines = 0
        with zipfile.ZipFile(zip_path) as archive:
            for info in archive.infolist():
                with archive.open(info) as stream:
                    rest = b""
                    while chunk := stream.read(1 << 22):
                        data = rest + chunk
                        cut = data.rfind(b"\n")
                        if cut < 0:
                            rest = data
                            continue
                        rest = data[cut + 1 :]
                        for line in data[:cut].decode("latin-1").split("\n"):
                            line.split("|")
                            lines += 1
        extra["lines"] = lines
    elif step == "naive":
        with zipfile.ZipFile(zip_path) as archive:
            tables = {
                info.filename: [
                    line.split("|") for line in archive.read(info).decode("cp1252", "replace").splitlines()
                ]
                for info in archive.infolist()
            }
        extra["lines"] = sum(len(t) for t in tables.values())
    elif step == "validate":
        from immex.datastage.read import read_zip

        read = read_zip(zip_path)
        assert read.ok, read.problems[:3]
        extra["lines"] = sum(read.counts.values())
    elif step == "refuse-bomb":
        from immex.datastage.read import read_zip

        read = read_zip(zip_path)
        assert not read.ok and "ZIP bomb" in read.problems[0].message, read.problems[:1]
        extra["lines"] = 0
    elif step in ("import", "reimport"):
        from immex.datastage.service import import_datastage

        result = import_datastage(zip_path, db)
        extra["lines"] = sum(result.counts.values())
        extra["replaced"] = result.replaced
    return {
        "step": step,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **extra,
    }


def _child(step: str, zip_path: Path, db: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, "--zip", str(zip_path), "--db", db],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--partidas", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zip", help="use (or keep) this ZIP instead of a temporary one")
    parser.add_argument("--pg", help="PostgreSQL URL to import into instead of a new SQLite file")
    parser.add_argument("--naive", action="store_true", help="also run the in-memory reference reader")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child, args.zip, args.db)))
        return

    sys.path.insert(0, str(ROOT))  # the synthetic generator lives in the tests package
    from tests.datastage.synth import SynthSpec, write_synthetic_zip

    with tempfile.TemporaryDirectory(prefix="bench-datastage-") as tmp:
        zip_path = Path(args.zip) if args.zip else Path(tmp) / "datastage.zip"
        generated = ""
        if not zip_path.exists():
            start = time.perf_counter()
            stats = write_synthetic_zip(
                zip_path, SynthSpec(partidas=args.partidas, seed=args.seed, compresslevel=1)
            )
            generated = (
                f"generated in {time.perf_counter() - start:.1f} s: {stats.pedimentos} pedimentos, "
                f"{sum(stats.counts.values())} lines, {stats.bytes_uncompressed / 1e6:.0f} MB of "
                f"text, ZIP {zip_path.stat().st_size / 1e6:.0f} MB"
            )
        db = args.pg or f"sqlite:///{Path(tmp) / 'bench.db'}"
        load_before = os.getloadavg()[0]
        steps = ["scan", *(["naive"] if args.naive else []), "validate", "import", "reimport"]
        results = [_child(step, zip_path, db) for step in steps]
        bomb = Path(tmp) / "bomb.zip"  # built in a process of its own: its memory is not the step's
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from tests.datastage."
                "test_datastage_limits import GIB, _bomb; _bomb(Path(sys.argv[1]), GIB)",
                str(bomb),
            ],
            check=True,
            cwd=ROOT,
        )
        results.append(_child("refuse-bomb", bomb, db))
        load_after = os.getloadavg()[0]
    store = "PostgreSQL" if args.pg else "SQLite"
    print(f"# Data Stage import benchmark ({args.partidas:,} partidas, {store})\n")
    print(
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{load_before:.1f} at start, {load_after:.1f} at end (other work on the machine); {generated}\n"
    )
    print("| step | lines | wall s | CPU s | peak RSS MB | lines/s (wall) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['step']} | {r['lines']:,} | {r['seconds']:.3f} | {r['cpu_seconds']:.3f} | "
            f"{r['peak_rss_mb']:.0f} | {r['lines'] / r['seconds']:,.0f} |"
        )


if __name__ == "__main__":
    main()
