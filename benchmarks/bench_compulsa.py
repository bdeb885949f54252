"""Benchmark: compulsa of a large synthetic Data Stage against a ledger drafted from it.

    python3 benchmarks/bench_compulsa.py [--partidas 1000000] [--plant 0.001] [--workdir DIR]

Steps (each timed): generate the Data Stage ZIP with the datastage engineer's
generator; draft the ledger with ``to-ledger``; fill the part numbers and write
``parts.csv``; plant a known number of differences; then run the compulsa
(``differences.csv`` only, then with the XLSX/PDF reports) in a child process
whose peak resident memory is measured. The reference in the same run is the
Data Stage reader alone (``read_zip`` + streaming every 551 partida), the floor
any compulsa must pay, so the table shows what the comparison itself adds.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(code: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; return its JSON result plus peak RSS in MiB."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


_PEAK = """
import resource
def _hwm():
    # VmHWM is this process's own high-water mark (ru_maxrss would include the parent's, kept across exec).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
peak = _hwm()
children = resource.getrusage(resource.RUSAGE_CHILDREN)
peak_child = children.ru_maxrss / 1024
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
"""


def reader_only(zip_path: Path) -> dict[str, float]:
    return _child(f"""
import json, time
from immex.datastage import read as ds
t = time.perf_counter()
read = ds.read_zip({str(zip_path)!r})
assert read.ok, read.problems[:3]
n = sum(1 for _ in ds.partidas(read))
{_PEAK}
print(json.dumps({{"seconds": time.perf_counter() - t, "partidas": n, "peak_mib": peak,
                  "peak_child_mib": peak_child, "cpu_s": cpu}}))
""")


def compulsa(zip_path: Path, ledger: Path, out: Path, reports: bool) -> dict[str, float]:
    return _child(f"""
import json, time
from pathlib import Path
from immex.compulsa.service import run_compulsa
t = time.perf_counter()
result = run_compulsa(Path({str(zip_path)!r}), Path({str(out)!r}), input_dir=Path({str(ledger)!r}),
                      reports={reports!r})
{_PEAK}
print(json.dumps({{"seconds": time.perf_counter() - t, "differences": len(result.differences),
                   "peak_mib": peak, "peak_child_mib": peak_child, "cpu_s": cpu}}))
""")


def fill_ledger(draft: Path, ledger: Path, plant: float, seed: int) -> int:
    """Fill part numbers, write parts.csv, change a fraction of rows' qty; return rows changed."""
    rng = random.Random(seed)
    ledger.mkdir(parents=True, exist_ok=True)
    parts: dict[str, str] = {}
    planted = 0
    for name, column in (("imports.csv", "part"), ("exports.csv", "product")):
        with (
            (draft / name).open(encoding="utf-8", newline="") as handle,
            (ledger / name).open("w", encoding="utf-8", newline="") as target,
        ):
            reader = csv.DictReader(handle)
            writer = csv.DictWriter(target, fieldnames=list(reader.fieldnames or ()), lineterminator="\n")
            writer.writeheader()
            for row in reader:
                part = f"P{row['hs']}-{row['uom']}"
                row[column] = part
                parts[part] = row["uom"]
                if rng.random() < plant:
                    row["qty"] = str(int(float(row["qty"])) + 1)
                    row["unit_value_usd"] = ""  # so the planted qty gives one difference, not two
                    planted += 1
                writer.writerow(row)
    with (ledger / "parts.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("part,uom,kind\n")
        handle.writelines(f"{part},{uom},raw\n" for part, uom in sorted(parts.items()))
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partidas", type=int, default=1_000_000)
    parser.add_argument("--plant", type=float, default=0.001, help="share of ledger rows given a wrong qty")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the ZIP and ledger already in --workdir (time only the compulsa)",
    )
    args = parser.parse_args()
    from tests.datastage.synth import SynthSpec, write_synthetic_zip

    from immex.compulsa.service import to_ledger

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-compulsa-"))
    work.mkdir(parents=True, exist_ok=True)
    zip_path = work / "datastage.zip"
    timings: list[tuple[str, float, str]] = []
    if args.reuse:
        planted = int((work / "planted.txt").read_text())
    else:
        t = time.perf_counter()
        stats = write_synthetic_zip(zip_path, SynthSpec(partidas=args.partidas, seed=args.seed))
        timings.append(
            (
                "generate Data Stage ZIP (datastage_synth)",
                time.perf_counter() - t,
                f"{stats.counts['551']} partidas, {stats.pedimentos} pedimentos, "
                f"{zip_path.stat().st_size / 2**20:.0f} MiB zipped",
            )
        )
        t = time.perf_counter()
        drafted = to_ledger(zip_path, work / "draft")
        timings.append(
            (
                "to-ledger (draft imports/exports)",
                time.perf_counter() - t,
                f"{drafted.imports + drafted.exports} rows",
            )
        )
        t = time.perf_counter()
        planted = fill_ledger(work / "draft", work / "ledger", args.plant, args.seed)
        (work / "planted.txt").write_text(str(planted))
        timings.append(
            (
                "fill parts + plant qty differences (bench helper)",
                time.perf_counter() - t,
                f"{planted} rows changed",
            )
        )
    reference = reader_only(zip_path)
    timings.append(
        (
            "reference: Data Stage reader alone (read_zip + stream 551)",
            reference["seconds"],
            f"CPU {reference['cpu_s']:.0f} s, peak RSS {reference['peak_mib']:.0f} MiB",
        )
    )
    plain = compulsa(zip_path, work / "ledger", work / "out", reports=False)
    assert int(plain["differences"]) == planted, (plain, planted)
    timings.append(
        (
            "compulsa, differences.csv only",
            plain["seconds"],
            f"{int(plain['differences'])} differences (= planted), CPU {plain['cpu_s']:.0f} s, "
            f"peak RSS {plain['peak_mib']:.0f} MiB + validating child "
            f"{plain['peak_child_mib']:.0f} MiB",
        )
    )
    full = compulsa(zip_path, work / "ledger", work / "out_reports", reports=True)
    timings.append(
        (
            "compulsa with XLSX + PDF reports",
            full["seconds"],
            f"CPU {full['cpu_s']:.0f} s, peak RSS {full['peak_mib']:.0f} MiB + child "
            f"{full['peak_child_mib']:.0f} MiB",
        )
    )
    print("| step | seconds | notes |\n| --- | ---: | --- |")
    for name, seconds, notes in timings:
        print(f"| {name} | {seconds:.1f} | {notes} |")
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\nload average at the end (2 cores, shared): {' '.join(load)}")


if __name__ == "__main__":
    main()
