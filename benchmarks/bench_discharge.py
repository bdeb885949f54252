"""Benchmark of the FIFO discharge: the columnar fast path against the simple Decimal path.

    python3 benchmarks/bench_discharge.py --imports 1000000 --exports 1000000

Generates (fixed seed) a ledger folder in the contract's CSV format: a few
thousand raw parts, subassemblies with 4 raw components, finished products
with 2 subassemblies + 2 raw parts (10 leaf parts; a third of the products
change BOM version mid-way), merma/desperdicio with decimals, import lines
with 3-decimal quantities, export lines (2 % return raw parts as is). Then
runs each variant ``--warmup`` times untimed (default 1) and ``--repeat`` times timed (default 3;
the median is reported), each in its own process (so each has its own peak memory):

* ``fast``     — ``read_ledger_frames`` → ``discharge_frames`` → ``write_discharge_frames``
                 (reads the CSVs, validates, discharges, writes allocations, shortfalls, balances);
* ``simple``   — ``read_ledger`` → ``discharge(ledger, "fifo")`` → ``write_discharge_outputs``,
                 the exact Decimal domain version, run on a fraction of the input
                 (``--simple-fraction``) and extrapolated linearly to the full size;
* ``ledger_fast`` — ``read_ledger`` → ``discharge_fast(ledger)`` → ``write_discharge_outputs``
                 on the fraction (what the CLI does when it keeps the per-row intake);
* ``baseline`` — Polars only reads the four input CSVs and writes a file with as
                 many rows and columns as allocations.csv (the I/O floor).

On the fraction the output files of ``fast`` and ``simple`` are compared byte by byte.
The table goes to ``benchmarks/results/discharge.md`` (``--results``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

START = dt.date(2023, 1, 1)
DAYS = 3 * 365
N_RAW, N_SUB, N_FINISHED = 2500, 200, 300
OUTPUTS = ("allocations.csv", "shortfalls.csv", "balances.csv")
AS_OF = dt.date(2026, 11, 23)


# ---- data ---------------------------------------------------------------------------------------


def _decimal_text(thousandths: pl.Series) -> pl.Expr:
    """Integer thousandths as a plain 3-decimal string."""
    return pl.concat_str(
        pl.lit((thousandths // 1000).cast(pl.String)),
        pl.lit("."),
        pl.lit((thousandths % 1000).cast(pl.String).str.zfill(3)),
    )


def _pedimentos(
    rng: np.random.Generator, n: int, per: int, patente: int, first_day: int, days: int
) -> pl.DataFrame:
    """``n`` lines on pedimentos of ``per`` partidas each, each pedimento with one random date."""
    index = np.arange(n)
    number = index // per
    day = rng.integers(first_day, first_day + days, size=int(number.max(initial=0)) + 1)[number]
    frame = pl.DataFrame(
        {
            "number": number,
            "line": index % per + 1,
            "day": pl.Series(day + (START - dt.date(1970, 1, 1)).days, dtype=pl.Int32),
        }
    )
    return frame.with_columns(
        cleared_on=pl.col("day").cast(pl.Date),
        pedimento=pl.concat_str(
            (pl.col("day").cast(pl.Date).dt.year() % 100).cast(pl.String).str.zfill(2),
            pl.lit("47"),
            pl.lit(f"{patente:04d}"),
            pl.col("number").cast(pl.String).str.zfill(7),
        ),
    ).drop("day", "number")


# BOM quantities and losses. "many": per-unit requirements reach 14 decimals through two
# levels (1.125 x 1.0175 x ...), beyond int64 at 1M lines, so the engine runs on Int128;
# "few": at most 6 decimals, the int64 path.
BOM_CHOICES = {
    "many": (["1", "2", "0.5", "0.25", "1.5", "3", "1.125"], ["", "1.5", "2", "0.5", "0"], ["", "1", "0.25"]),
    "few": (["1", "2", "0.5", "3"], ["", "1", "2", "0"], [""]),
}


def generate(folder: Path, n_imports: int, n_exports: int, seed: int, decimals: str = "many") -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    raw = [f"R{i:05d}" for i in range(N_RAW)]
    sub = [f"S{i:04d}" for i in range(N_SUB)]
    finished = [f"F{i:04d}" for i in range(N_FINISHED)]
    kinds = ["container" if i % 50 == 7 else "raw" for i in range(N_RAW)]
    pl.DataFrame(
        {
            "part": raw + sub + finished,
            "uom": ["PZA"] * (N_RAW + N_SUB + N_FINISHED),
            "kind": kinds + ["subassembly"] * N_SUB + ["finished"] * N_FINISHED,
        }
    ).write_csv(folder / "parts.csv")

    qty_per, merma, desperdicio = BOM_CHOICES[decimals]
    rows: list[tuple[str, str, str, str, str, str, str, str]] = []
    used_raw: set[str] = set()

    def version(product: str, components: list[str], valid_from: str, valid_to: str) -> None:
        for component in components:
            rows.append(
                (
                    product,
                    component,
                    str(rng.choice(qty_per)),
                    "PZA",
                    valid_from,
                    valid_to,
                    str(rng.choice(merma)),
                    str(rng.choice(desperdicio)),
                )
            )
            if component.startswith("R"):
                used_raw.add(component)

    for name in sub:
        version(name, list(rng.choice(raw, size=4, replace=False)), "2020-01-01", "")
    for i, name in enumerate(finished):

        def components() -> list[str]:
            return list(rng.choice(sub, size=2, replace=False)) + list(rng.choice(raw, size=2, replace=False))

        if i % 3 == 0:
            version(name, components(), "2020-01-01", "2024-06-30")
            version(name, components(), "2024-07-01", "")
        else:
            version(name, components(), "2020-01-01", "")
    pl.DataFrame(
        rows,
        schema=[
            "product",
            "component",
            "qty_per",
            "uom",
            "valid_from",
            "valid_to",
            "merma_pct",
            "desperdicio_pct",
        ],
        orient="row",
    ).write_csv(folder / "bom.csv")

    used = np.array(sorted(used_raw))
    imports = _pedimentos(rng, n_imports, 5, 3456, 0, DAYS)
    part = np.where(
        rng.random(n_imports) < 0.98,
        rng.choice(used, size=n_imports),
        rng.choice(np.array(raw), size=n_imports),
    )
    imports.with_columns(
        clave=pl.lit("IN"),
        part=pl.Series(part),
        uom=pl.lit("PZA"),
        qty=_decimal_text(pl.Series(rng.integers(50_000, 800_000, size=n_imports))),
        unit_value_usd=pl.lit("1.25"),
    ).select("pedimento", "line", "clave", "cleared_on", "part", "qty", "uom", "unit_value_usd").write_csv(
        folder / "imports.csv"
    )

    exports = _pedimentos(rng, n_exports, 3, 7890, 30, DAYS + 60)
    product = np.where(
        rng.random(n_exports) < 0.98,
        rng.choice(np.array(finished), size=n_exports),
        rng.choice(used, size=n_exports),
    )
    exports.with_columns(
        clave=pl.lit("RT"),
        product=pl.Series(product),
        uom=pl.lit("PZA"),
        qty=pl.Series(rng.integers(1, 41, size=n_exports)).cast(pl.String),
    ).select("pedimento", "line", "clave", "cleared_on", "product", "qty", "uom").write_csv(
        folder / "exports.csv"
    )


def generate_units(folder: Path, n_imports: int, n_exports: int, seed: int) -> None:
    """A ledger as plants write it: quantities in the pedimento's unit, converted to the part's base unit.

    Raw parts have base unit KG (imported in LB, factor 0.45359237, or in G,
    factor 0.001, or in KG), PZA (imported in boxes CJ of 12, or in boxes of a
    part's own size: a per-part conversion row) or M; import quantities have
    up to 6 decimals. BOM components are written in LB, G or the base unit,
    with merma and desperdicio with decimals; two levels (subassemblies of 8
    raw parts, finished products of 2 subassemblies + 6 raw parts). Exports
    are written in PZA or in boxes CJ of 12. The per-unit requirements reach
    about 25 decimals: the engine's Int128 tier.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    raw = [f"R{i:05d}" for i in range(N_RAW)]
    sub = [f"S{i:04d}" for i in range(N_SUB)]
    finished = [f"F{i:04d}" for i in range(N_FINISHED)]
    base = ["KG" if i % 3 == 0 else "M" if i % 7 == 1 else "PZA" for i in range(N_RAW)]
    kinds = ["container" if i % 50 == 7 else "raw" for i in range(N_RAW)]
    pl.DataFrame(
        {
            "part": raw + sub + finished,
            "uom": base + ["PZA"] * (N_SUB + N_FINISHED),
            "kind": kinds + ["subassembly"] * N_SUB + ["finished"] * N_FINISHED,
        }
    ).write_csv(folder / "parts.csv")
    own_box = {
        part: str(int(rng.integers(5, 200)))
        for part, uom in zip(raw, base, strict=True)
        if uom == "PZA" and rng.random() < 0.3
    }
    conversions = [("LB", "KG", "0.45359237", ""), ("G", "KG", "0.001", ""), ("CJ", "PZA", "12", "")]
    conversions += [("CJ", "PZA", size, part) for part, size in own_box.items()]
    pl.DataFrame(conversions, schema=["from_uom", "to_uom", "factor", "part"], orient="row").write_csv(
        folder / "uom_conversions.csv"
    )

    def unit_of(part: str) -> str:
        uom = base[int(part[1:])] if part.startswith("R") else "PZA"
        if uom == "KG":
            return str(rng.choice(["LB", "G", "KG"]))
        return "CJ" if uom == "PZA" and part.startswith("R") and rng.random() < 0.3 else uom

    rows: list[tuple[str, ...]] = []
    qty_per = ["1", "2", "0.5", "0.25", "1.5", "3", "1.125", "0.003", "2.75"]
    merma, desperdicio = ["", "1.5", "2", "0.5", "0", "2.35"], ["", "1", "0.25"]

    def version(product: str, components: list[str], valid_from: str, valid_to: str) -> None:
        for component in components:
            rows.append(
                (
                    product,
                    component,
                    str(rng.choice(qty_per)),
                    unit_of(component),
                    valid_from,
                    valid_to,
                    str(rng.choice(merma)),
                    str(rng.choice(desperdicio)),
                )
            )

    for name in sub:
        version(name, list(rng.choice(raw, size=8, replace=False)), "2020-01-01", "")
    for i, name in enumerate(finished):

        def components() -> list[str]:
            return list(rng.choice(sub, size=2, replace=False)) + list(rng.choice(raw, size=6, replace=False))

        if i % 3 == 0:
            version(name, components(), "2020-01-01", "2024-06-30")
            version(name, components(), "2024-07-01", "")
        else:
            version(name, components(), "2020-01-01", "")
    pl.DataFrame(
        rows,
        schema=[
            "product",
            "component",
            "qty_per",
            "uom",
            "valid_from",
            "valid_to",
            "merma_pct",
            "desperdicio_pct",
        ],
        orient="row",
    ).write_csv(folder / "bom.csv")

    used = np.array(sorted({row[1] for row in rows if row[1].startswith("R")}))
    imports = _pedimentos(rng, n_imports, 5, 3456, 0, DAYS)
    part = np.where(
        rng.random(n_imports) < 0.98,
        rng.choice(used, size=n_imports),
        rng.choice(np.array(raw), size=n_imports),
    )
    index = np.array([int(p[1:]) for p in part.tolist()])
    kg = np.array(base)[index] == "KG"
    pick = rng.integers(0, 3, size=n_imports)
    uom = np.where(kg, np.array(["LB", "G", "KG"])[pick], np.array(base)[index])
    boxed = (uom == "PZA") & (rng.random(n_imports) < 0.3)
    uom = np.where(boxed, "CJ", uom)
    millionths = rng.integers(1, 10**6, size=n_imports)  # up to 6 decimals where the unit is weighed
    whole = rng.integers(50, 8000, size=n_imports) * np.where(uom == "G", 1000, 1)
    weighed = (uom == "LB") | (uom == "KG") | (uom == "M")
    text = pl.concat_str(
        pl.lit(pl.Series(whole).cast(pl.String)),
        pl.lit("."),
        pl.lit(pl.Series(millionths).cast(pl.String).str.zfill(6)).str.strip_chars_end("0"),
    )
    qty = pl.select(
        pl.when(pl.lit(pl.Series(weighed)))
        .then(text.str.strip_chars_end("."))
        .otherwise(pl.lit(pl.Series(whole).cast(pl.String)))
    ).to_series()
    imports.with_columns(
        clave=pl.lit("IN"),
        part=pl.Series(part),
        uom=pl.Series(uom),
        qty=qty,
        unit_value_usd=pl.lit("1.25"),
    ).select("pedimento", "line", "clave", "cleared_on", "part", "qty", "uom", "unit_value_usd").write_csv(
        folder / "imports.csv"
    )

    exports = _pedimentos(rng, n_exports, 3, 7890, 30, DAYS + 60)
    product = np.where(
        rng.random(n_exports) < 0.98,
        rng.choice(np.array(finished), size=n_exports),
        rng.choice(np.unique(part), size=n_exports),
    )  # returned as imported
    returned = np.char.startswith(product.astype(str), "R")
    product_uom = np.where(
        returned,
        np.array(base)[np.where(returned, np.char.lstrip(product.astype(str), "R"), "0").astype(int)],
        np.where(rng.random(n_exports) < 0.3, "CJ", "PZA"),
    )
    exports.with_columns(
        clave=pl.lit("RT"),
        product=pl.Series(product),
        uom=pl.Series(product_uom),
        qty=pl.Series(rng.integers(1, 41, size=n_exports)).cast(pl.String),
    ).select("pedimento", "line", "clave", "cleared_on", "product", "qty", "uom").write_csv(
        folder / "exports.csv"
    )


# ---- variants (each runs in its own process) ----------------------------------------------------


def immex_command() -> str:
    """The ``immex`` console script of the interpreter running the benchmark, as a virtualenv
    runs it; else the first on PATH. A version manager's shim on PATH (pyenv's is a bash
    script that resolves the Python version, then execs the script) would add its own
    start-up, 0.07 s of CPU, to every timed run."""
    beside = Path(sysconfig.get_path("scripts")) / "immex"
    return str(beside) if beside.is_file() else shutil.which("immex") or "immex"


def _variant(name: str, source: Path, target: Path) -> dict[str, Any]:
    phases: dict[str, float] = {}
    peaks: dict[str, int] = {}
    started = last = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal last
        now = time.perf_counter()
        phases[phase] = round(now - last, 2)
        peaks[phase] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        last = now

    counts: dict[str, Any] = {}
    if name == "fast":
        from immex.discharge.fast import discharge_frames, write_discharge_frames
        from immex.ledger.frames import read_ledger_frames

        frames = read_ledger_frames(source)
        if frames is None:
            raise SystemExit("the fast reader did not accept the generated input")
        lap("read+validate")
        result = discharge_frames(frames)
        lap("discharge")
        counts = write_discharge_frames(target, result, AS_OF)
        lap("write")
    elif name in ("simple", "ledger_fast", "simple:lifo"):
        from immex.discharge.fast import discharge_fast
        from immex.discharge.methods import balances, discharge
        from immex.discharge.outputs import write_discharge_outputs
        from immex.ledger.read import read_ledger

        staged = read_ledger(source)
        if staged.problems or staged.ledger is None:
            raise SystemExit(f"read_ledger found problems: {staged.problems[:3]}")
        lap("read+validate")
        if name == "ledger_fast":
            outcome = discharge_fast(staged.ledger)
        else:
            outcome = discharge(staged.ledger, "lifo" if name == "simple:lifo" else "fifo")
        lap("discharge")
        rows = balances(staged.ledger, outcome.allocations, AS_OF)
        counts = write_discharge_outputs(target, outcome.allocations, outcome.shortfalls, rows)
        lap("write")
    elif name.startswith("cli"):
        # The command a user runs, in its own process: interpreter start, imports, fingerprint,
        # warnings and run.json included. Peak memory is that child's.
        option = name.partition(":")[2] or "auto"
        engine, method = ("auto", option) if option in ("lifo", "directed") else (option, "fifo")
        immex = immex_command()
        done = subprocess.run(
            [
                immex,
                "discharge",
                "--input",
                str(source),
                "--output",
                str(target),
                "--as-of",
                AS_OF.isoformat(),
                "--engine",
                engine,
                "--method",
                method,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"immex discharge failed: {done.stderr[-2000:]}")
        lap("immex discharge")
        run = json.loads((target / "run.json").read_text(encoding="utf-8"))
        counts = {**run["counts"], "engine": run["engine"]}
        return {
            "variant": name,
            "wall_s": round(time.perf_counter() - started, 2),
            "phases": phases,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "counts": {k: v for k, v in counts.items() if isinstance(v, int)},
            "engine": run["engine"],
        }
    elif name == "baseline":
        tables = {
            n: pl.read_csv(source / n, infer_schema=False)
            for n in ("parts.csv", "imports.csv", "exports.csv", "bom.csv")
        }
        lap("read")
        rows_out = int(json.loads((target / "rows.json").read_text())["allocations"])
        exports, imports = tables["exports.csv"], tables["imports.csv"]
        e = pl.Series(np.arange(rows_out) % max(exports.height, 1))
        i = pl.Series(np.arange(rows_out) * 7 % max(imports.height, 1))
        pl.DataFrame(
            {
                "export_pedimento": exports["pedimento"].gather(e),
                "export_line": exports["line"].gather(e),
                "product": exports["product"].gather(e),
                "part": imports["part"].gather(i),
                "import_pedimento": imports["pedimento"].gather(i),
                "import_line": imports["line"].gather(i),
                "qty": imports["qty"].gather(i),
                "late": pl.Series(np.arange(rows_out) % 9 == 0),
            }
        ).write_csv(target / "allocations.csv")
        lap("write")
        counts = {"allocations": rows_out}
    else:
        raise SystemExit(f"unknown variant {name}")
    return {
        "variant": name,
        "wall_s": round(time.perf_counter() - started, 2),
        "phases": phases,
        "peak_mb_after": peaks,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "counts": {k: v for k, v in counts.items() if isinstance(v, int)},
    }


def _run(name: str, source: Path, target: Path, repeat: int, warmup: int) -> dict[str, Any]:
    """The variant ``warmup`` times untimed, then ``repeat`` times, each in a fresh process: the report
    of the median timed run (by wall)."""
    target.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--variant", name, "--input", str(source), "--output", str(target)]
    for _ in range(warmup):
        subprocess.run(command, check=True, capture_output=True, text=True)
    reports = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        reports.append(json.loads(done.stdout.strip().splitlines()[-1]))
        reports[-1]["process_s"] = round(time.perf_counter() - started, 2)  # with interpreter start
        print(f"  {name:12s} {reports[-1]}", flush=True)
    reports.sort(key=lambda report: report["wall_s"])
    median: dict[str, Any] = reports[len(reports) // 2]
    return {**median, "walls": sorted(report["wall_s"] for report in reports)}


def _digest(folder: Path) -> dict[str, str]:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest()[:16] for n in OUTPUTS}


# ---- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--imports", type=int, default=1_000_000)
    parser.add_argument("--exports", type=int, default=1_000_000)
    parser.add_argument(
        "--simple-fraction",
        type=float,
        default=0.1,
        help="run the simple path on this fraction of the input and extrapolate",
    )
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each variant (the median is reported; the machine is noisy)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="untimed runs of each variant first (page cache, kernel memory state)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where to generate (default: a temp folder)"
    )
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results" / "discharge.md")
    parser.add_argument(
        "--data",
        choices=("standard", "units"),
        default="standard",
        help="units: quantities written in LB/G/KG/boxes and converted (generate_units); "
        "runs the fast path, the CLI (auto and partitioned), the baseline and the "
        "simple path, all on the same folder",
    )
    parser.add_argument(
        "--lifo",
        action="store_true",
        help="units: also immex discharge --method lifo and the simple LIFO path",
    )
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--large",
        action="store_true",
        help="units, a ledger larger than the columnar run fits: only `immex discharge --engine "
        "partitioned`, the floor written in batches and the simple path on the fraction, each once "
        "under /usr/bin/time -v (CPU and peak); the folder is generated in --workdir or reused",
    )
    args = parser.parse_args()
    if args.variant == FLOOR_BATCHED:
        print(json.dumps(_floor_batched(args.input, args.output)))
        return
    if args.large:
        _main_large(args)
        return
    if args.variant:
        print(json.dumps(_variant(args.variant, args.input, args.output)))
        return

    if args.data == "units":
        _main_units(args)
        return
    work = Path(tempfile.mkdtemp(prefix="bench_discharge_", dir=args.workdir))
    try:
        full, few, part = work / "full", work / "few", work / "fraction"
        small_imports = max(1, round(args.imports * args.simple_fraction))
        small_exports = max(1, round(args.exports * args.simple_fraction))
        started = time.perf_counter()
        generate(full / "in", args.imports, args.exports, args.seed)
        generate(few / "in", args.imports, args.exports, args.seed, decimals="few")
        generate(part / "in", small_imports, small_exports, args.seed)
        print(f"generated in {time.perf_counter() - started:.1f}s under {work}", flush=True)
        os.sync()  # the generated files reach the disk now, not while a variant is timed
        runs = {
            "fast": _run("fast", full / "in", full / "fast", args.repeat, args.warmup),
            "fast_few": _run("fast", few / "in", few / "fast", args.repeat, args.warmup),
        }
        (full / "baseline").mkdir()
        rows = {"allocations": runs["fast"]["counts"]["allocations"]}
        (full / "baseline" / "rows.json").write_text(json.dumps(rows))
        runs["baseline"] = _run("baseline", full / "in", full / "baseline", args.repeat, args.warmup)
        runs["fast_small"] = _run("fast", part / "in", part / "fast", args.repeat, args.warmup)
        runs["simple_small"] = _run("simple", part / "in", part / "simple", args.repeat, args.warmup)
        runs["ledger_fast_small"] = _run(
            "ledger_fast", part / "in", part / "ledger_fast", args.repeat, args.warmup
        )
        if not _digest(part / "fast") == _digest(part / "simple") == _digest(part / "ledger_fast"):
            raise SystemExit("the fast and simple outputs differ on the fraction")
        _write_results(args, runs, small_imports, small_exports)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _main_units(args: argparse.Namespace) -> None:
    """Every variant on one folder written in other units; the simple path at full size or on a fraction.

    With ``--simple-fraction`` below 1 the simple path runs on a smaller folder of the same
    generator (with the fast path and the command on it too, all byte-compared there) and is
    extrapolated linearly to the full size, as in the standard benchmark.
    """
    work = Path(tempfile.mkdtemp(prefix="bench_discharge_units_", dir=args.workdir))
    try:
        started = time.perf_counter()
        generate_units(work / "in", args.imports, args.exports, args.seed)
        fraction = min(args.simple_fraction, 1.0)
        small = work if fraction >= 1 else work / "fraction"
        if fraction < 1:
            small_imports = max(1, round(args.imports * fraction))
            generate_units(small / "in", small_imports, max(1, round(args.exports * fraction)), args.seed)
        print(f"generated in {time.perf_counter() - started:.1f}s under {work}", flush=True)
        os.sync()
        names = (
            ("fast", "cli", "cli:lifo", "cli:partitioned")
            if args.lifo
            else ("fast", "cli", "cli:partitioned")
        )
        runs = {
            name: _run(name, work / "in", work / name.replace(":", "_"), args.repeat, args.warmup)
            for name in names
        }
        (work / "baseline").mkdir()
        (work / "baseline" / "rows.json").write_text(
            json.dumps({"allocations": runs["fast"]["counts"]["allocations"]})
        )
        runs["baseline"] = _run("baseline", work / "in", work / "baseline", args.repeat, args.warmup)
        runs["simple"] = _run("simple", small / "in", small / "simple", 1, 0)
        if fraction < 1:
            runs["cli_small"] = _run("cli", small / "in", small / "cli", 1, 0)
            same_small = _digest(small / "simple") == _digest(small / "cli")
            if not same_small:
                raise SystemExit("the simple and command outputs differ on the fraction")
        fifo_folders = [work / "fast", work / "cli", work / "cli_partitioned"]
        fifo_folders += [work / "simple"] if fraction >= 1 else []
        if len({json.dumps(_digest(folder)) for folder in fifo_folders}) != 1:
            raise SystemExit("the outputs differ")
        if args.lifo:
            runs["simple_lifo"] = _run("simple:lifo", small / "in", small / "simple_lifo", 1, 0)
            small_lifo = small / ("cli_lifo" if fraction >= 1 else "cli_lifo_small")
            if fraction < 1:
                runs["cli_lifo_small"] = _run("cli:lifo", small / "in", small_lifo, 1, 0)
            if _digest(small / "simple_lifo") != _digest(small_lifo):
                raise SystemExit("the simple and command LIFO outputs differ")
        _write_units_results(args, runs, fraction)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_units_results(args: argparse.Namespace, runs: dict[str, dict[str, Any]], fraction: float) -> None:
    size = f"{args.imports:,} × {args.exports:,}"
    scale = 1 / fraction
    simple, baseline = runs["simple"], runs["baseline"]
    simple_wall = simple["wall_s"] * scale
    floor = baseline["process_s"]  # the floor as a command: interpreter start and imports included
    command = (
        f"python3 benchmarks/bench_discharge.py --data units --imports {args.imports} "
        f"--exports {args.exports} --repeat {args.repeat} --warmup {args.warmup}"
        + (f" --simple-fraction {args.simple_fraction}" if fraction < 1 else " --simple-fraction 1")
        + (" --lifo" if args.lifo else "")
    )

    def row(label: str, report: dict[str, Any], reference: float = simple_wall) -> str:
        phases = ", ".join(f"{k} {v:.1f}" for k, v in report["phases"].items())
        walls = " / ".join(f"{wall:.1f}" for wall in report["walls"])
        wall = report["wall_s"]
        return (
            f"| {label} | {wall:.1f} | {walls} | {phases} | {report['peak_rss_mb']:,} | "
            f"{reference / wall:.1f}× | {wall / floor:.1f}× |"
        )

    simple_label = (
        "simple: read_ledger → discharge(ledger, 'fifo') → write_discharge_outputs (full size)"
        if fraction >= 1
        else f"simple (as above), **extrapolated** ×{scale:.0f} from {simple['wall_s']:.1f} s on a "
        f"{fraction:g} fraction"
    )
    lines = [
        f"## Ledger written in other units ({size}; `--data units`)",
        "",
        f"Command: `{command}` (seed {args.seed}). Machine: {os.cpu_count()} cores shared with other jobs "
        f"(load average {os.getloadavg()[0]:.1f} when written), Python {platform.python_version()}, "
        f"Polars {pl.__version__}. All variants on the same generated folder, in the same run; the "
        "output folders of fast, the commands (auto and partitioned) and simple are byte-identical "
        "(checked; with a fraction, simple and the command are compared on the fraction folder). "
        "Wall of `immex discharge` rows = the whole process (interpreter start, imports, input "
        f"fingerprint, Anexo 22 warnings, run.json); 'vs floor' divides by the floor's process wall "
        f"({floor:.1f} s: Python start, Polars and NumPy imports, read the inputs, write an "
        "allocations-sized CSV).",
        "",
        "| variant | wall s (median) | runs (s) | phases (s) | peak MB | vs simple | vs floor |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: |",
        row(
            f"`immex discharge` (FIFO; engine {runs['cli'].get('engine', '?')})",
            runs["cli"],
        ),
        row("`immex discharge --engine partitioned`", runs["cli:partitioned"]),
        row("fast, in process: read_ledger_frames → discharge_frames → write", runs["fast"]),
        row("floor: Polars reads the inputs, writes an allocations-sized CSV (in process)", baseline),
        f"| {simple_label} | {simple_wall:.1f} | | | {simple['peak_rss_mb']:,} | 1.0× | "
        f"{simple_wall / floor:.1f}× |",
    ]
    if "cli:lifo" in runs:
        lifo_simple = runs["simple_lifo"]["wall_s"] * scale
        lines.append(
            row(
                f"`immex discharge --method lifo` (engine {runs['cli:lifo'].get('engine', '?')}; "
                f"vs the simple LIFO path, {lifo_simple:.0f} s)",
                runs["cli:lifo"],
                lifo_simple,
            )
        )
    lines.append("")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    target = args.results.with_name(f"discharge_units_{_size_label(args.imports)}.md")  # one file per size
    target.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def _size_label(lines: int) -> str:
    """200000 -> 200k, 1000000 -> 1m (results file names)."""
    if lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}m"
    return f"{lines // 1000}k" if lines % 1000 == 0 else str(lines)


def _write_results(
    args: argparse.Namespace, runs: dict[str, dict[str, Any]], small_imports: int, small_exports: int
) -> None:
    fast, few, baseline = runs["fast"], runs["fast_few"], runs["baseline"]
    fast_small, simple_small, ledger_fast_small = (
        runs["fast_small"],
        runs["simple_small"],
        runs["ledger_fast_small"],
    )
    scale = (args.imports + args.exports) / (small_imports + small_exports)
    simple_wall = simple_small["wall_s"] * scale
    simple_discharge = simple_small["phases"]["discharge"] * scale

    def size(n_imports: int, n_exports: int) -> str:
        return f"{n_imports:,} × {n_exports:,}"

    def phases(report: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v:.1f}" for k, v in report["phases"].items())

    def row(label: str, at: str, report: dict[str, Any]) -> str:
        runs = " / ".join(f"{wall:.1f}" for wall in report["walls"])
        return (
            f"| {label} | {at} | {report['wall_s']:.1f} | {runs} | {phases(report)} | "
            f"{report['peak_rss_mb']:,} | {report['counts']['allocations']:,} |"
        )

    full, small = size(args.imports, args.exports), size(small_imports, small_exports)
    command = (
        f"python3 benchmarks/bench_discharge.py --imports {args.imports} --exports {args.exports}"
        + (f" --simple-fraction {args.simple_fraction}" if args.simple_fraction != 0.1 else "")
        + (f" --repeat {args.repeat}" if args.repeat != 3 else "")
        + (f" --warmup {args.warmup}" if args.warmup != 1 else "")
    )
    end_to_end = simple_small["wall_s"] / fast_small["wall_s"]
    discharge_only = simple_small["phases"]["discharge"] / max(fast_small["phases"]["discharge"], 0.01)
    lines = [
        "# FIFO discharge benchmark",
        "",
        f"Command: `{command}` (seed {args.seed}; the script generates the data, see its docstring).",
        "",
        f"Machine: {os.cpu_count()} cores shared with other jobs, Python {platform.python_version()}, "
        f"Polars {pl.__version__}, NumPy {np.__version__}. Each variant ran {args.warmup} time(s) "
        f"untimed, then {args.repeat} times, each in a fresh process; the table shows the median run "
        "(all walls in 'runs'); wall seconds; peak memory is the maximum resident set of the variant's own "
        "process. End to end = read and validate the CSV folder, discharge, write allocations.csv, "
        "shortfalls.csv and balances.csv.",
        "",
        "| variant | imports × exports | wall s (median) | runs (s) | phases (s) | peak MB | allocations |",
        "| --- | --- | ---: | --- | --- | ---: | ---: |",
        row("fast, columnar (BOM requirements up to 14 decimals: Int128 path)", full, fast),
        row("fast, columnar (BOM requirements up to 6 decimals: int64 path)", full, few),
        row("baseline: Polars reads the 4 inputs, writes an allocations-sized CSV", full, baseline),
        f"| simple Decimal path, **extrapolated** ×{scale:.0f} from the fraction below | {full} | "
        f"≈ {simple_wall:.0f} | | discharge ≈ {simple_discharge:.0f} | not run | |",
        row("fast, columnar", small, fast_small),
        row("simple: read_ledger → discharge(ledger, 'fifo') → write_discharge_outputs", small, simple_small),
        row("read_ledger → discharge_fast(ledger) → write_discharge_outputs", small, ledger_fast_small),
        "",
        f"- fast vs simple on the same input ({small}): **{end_to_end:.0f}×** end to end, "
        f"{discharge_only:.0f}× on the discharge step alone (goal ≥ 20×).",
        f"- fast vs simple at {full}: **≈ {simple_wall / fast['wall_s']:.0f}×** end to end (simple "
        f"extrapolated linearly ×{scale:.0f} from {small}; it was not run at full size).",
        f"- fast vs the read+write baseline at {full}: **{fast['wall_s'] / baseline['wall_s']:.1f}×** "
        f"(int64 data: {few['wall_s'] / baseline['wall_s']:.1f}×; goal within 3×).",
        f"- 1M × 1M goal (≤ 60 s, ≤ 4 GB): {fast['wall_s']:.1f} s / {fast['peak_rss_mb']:,} MB (Int128), "
        f"{few['wall_s']:.1f} s / {few['peak_rss_mb']:,} MB (int64).",
        f"- On {small} the three output folders (fast, simple, read_ledger → discharge_fast) are "
        "byte-identical (checked by the script).",
        "",
    ]
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


# ---- the larger-than-memory size (--large) -------------------------------------------------------

FLOOR_BATCHED = "floor:batched"
FLOOR_BATCH_ROWS = 4_000_000  # allocation rows the batched floor builds and writes at a time


def floor_rows(exports: pl.DataFrame, imports: pl.DataFrame, start: int, end: int) -> pl.DataFrame:
    """Rows ``start`` to ``end`` of the floor's allocations-sized table: row r takes export line
    r mod n and import line 7r mod m (the ``baseline`` variant's table, a slice at a time)."""
    index = np.arange(start, end, dtype=np.int64)
    e = pl.Series(index % max(exports.height, 1))
    i = pl.Series(index * 7 % max(imports.height, 1))
    return pl.DataFrame(
        {
            "export_pedimento": exports["pedimento"].gather(e),
            "export_line": exports["line"].gather(e),
            "product": exports["product"].gather(e),
            "part": imports["part"].gather(i),
            "import_pedimento": imports["pedimento"].gather(i),
            "import_line": imports["line"].gather(i),
            "qty": imports["qty"].gather(i),
            "late": pl.Series(index % 9 == 0),
        }
    )


def write_floor(
    exports: pl.DataFrame, imports: pl.DataFrame, rows: int, path: Path, batch: int = FLOOR_BATCH_ROWS
) -> None:
    """The floor's allocations-sized CSV, ``batch`` rows at a time (the bytes of one
    ``floor_rows(exports, imports, 0, rows).write_csv(path)``; memory set by the batch)."""
    with path.open("wb") as handle:
        for start in range(0, max(rows, 1), batch):
            frame = floor_rows(exports, imports, start, min(start + batch, rows))
            frame.write_csv(handle, include_header=start == 0)


def _floor_batched(source: Path, target: Path) -> dict[str, Any]:
    """The I/O floor at any size: Polars reads the four input CSVs, then writes as many rows as
    ``rows.json`` says allocations.csv has, in batches."""
    started = time.perf_counter()
    tables = {
        n: pl.read_csv(source / n, infer_schema=False)
        for n in ("parts.csv", "imports.csv", "exports.csv", "bom.csv")
    }
    read = time.perf_counter()
    rows = int(json.loads((target / "rows.json").read_text())["allocations"])
    write_floor(tables["exports.csv"], tables["imports.csv"], rows, target / "allocations.csv")
    done = time.perf_counter()
    return {"read_s": round(read - started, 2), "write_s": round(done - read, 2), "rows": rows}


def _timed(command: list[str], variant: bool = False) -> dict[str, Any]:
    """``command`` once under ``/usr/bin/time -v``: user and sys CPU, wall, peak RSS, load before
    and after; for a ``variant`` of this script also its report (the last stdout line, JSON)."""
    before = " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1]) if variant else {}

    def field(name: str) -> str:
        return done.stderr.split(f"{name}: ", 1)[1].split("\n", 1)[0].strip()

    return {
        **report,
        "user": float(field("User time (seconds)")),
        "sys": float(field("System time (seconds)")),
        "wall": round(wall, 1),
        "peak_mb": int(field("Maximum resident set size (kbytes)")) // 1024,
        "load": f"{before} → {' '.join(Path('/proc/loadavg').read_text(encoding='utf-8').split()[:3])}",
    }


def _main_large(args: argparse.Namespace) -> None:
    """``immex discharge --engine partitioned`` at a size the columnar run does not fit, against the
    floor written in batches and the simple path on ``--simple-fraction`` of the lines (its outputs
    byte-compared there with the command's), each once; the table goes to
    ``results/discharge_units_<size>.md``."""
    if args.workdir is None:
        raise SystemExit(
            "--large needs --workdir (the folder is about 0.2 GB and the outputs 1.4 GB per 1M lines)"
        )
    folder = args.workdir / f"units-{args.imports}x{args.exports}"
    if not (folder / "exports.csv").exists():
        generate_units(folder, args.imports, args.exports, args.seed)
    fraction = min(args.simple_fraction, 1.0)
    small = args.workdir / f"units-{args.imports}x{args.exports}-fraction-{fraction:g}"
    if not (small / "exports.csv").exists():
        generate_units(
            small, max(1, round(args.imports * fraction)), max(1, round(args.exports * fraction)), args.seed
        )
    os.sync()
    immex = immex_command()
    runs: dict[str, dict[str, Any]] = {}
    for name, source in (("command", folder), ("command_small", small)):
        target = args.workdir / f"out-{name}"
        shutil.rmtree(target, ignore_errors=True)
        options = ["--output", str(target), "--engine", "partitioned", "--as-of", AS_OF.isoformat()]
        runs[name] = _timed([immex, "discharge", "--input", str(source), *options])
        run = json.loads((target / "run.json").read_text(encoding="utf-8"))
        runs[name] |= {"allocations": run["counts"]["allocations"], "partitions": run.get("partitions")}
        print(name, runs[name], flush=True)
        if name == "command":
            shutil.rmtree(target)  # about 14 GB at 10M; the floor needs only the count
    floor = args.workdir / "out-floor"
    shutil.rmtree(floor, ignore_errors=True)
    floor.mkdir()
    (floor / "rows.json").write_text(json.dumps({"allocations": runs["command"]["allocations"]}))
    variant = [sys.executable, __file__, "--input"]
    runs["floor"] = _timed(
        [*variant, str(folder), "--output", str(floor), "--variant", FLOOR_BATCHED], variant=True
    )
    print("floor", runs["floor"], flush=True)
    shutil.rmtree(floor)
    simple = args.workdir / "out-simple"
    shutil.rmtree(simple, ignore_errors=True)
    simple.mkdir()
    runs["simple"] = _timed(
        [*variant, str(small), "--output", str(simple), "--variant", "simple"], variant=True
    )
    print("simple", runs["simple"], flush=True)
    if _digest(simple) != _digest(args.workdir / "out-command_small"):
        raise SystemExit("the simple and command outputs differ on the fraction")
    _write_large_results(args, runs, fraction)


def _write_large_results(args: argparse.Namespace, runs: dict[str, dict[str, Any]], fraction: float) -> None:
    command, floor, simple, small = runs["command"], runs["floor"], runs["simple"], runs["command_small"]
    scale = 1 / fraction

    def cpu(run: dict[str, Any]) -> float:
        return float(run["user"] + run["sys"])

    def row(label: str, run: dict[str, Any], times: float = 1.0) -> str:
        return (
            f"| {label} | {run['user'] * times:.1f} + {run['sys'] * times:.1f} | {run['wall'] * times:.1f} "
            f"| {run['peak_mb']:,} | {run['load']} |"
        )

    lines = [
        f"## Ledger written in other units, larger than the columnar run fits "
        f"({args.imports:,} × {args.exports:,}; `--data units`)",
        "",
        f"Command: `python3 benchmarks/bench_discharge.py --data units --large --imports {args.imports} "
        f"--exports {args.exports} --simple-fraction {fraction:g} --workdir DIR` (seed {args.seed}): each "
        "variant once, in its own process, under `/usr/bin/time -v`. Machine: "
        f"{os.cpu_count()} cores shared with other jobs, Python {platform.python_version()}, Polars "
        f"{pl.__version__}. The command is `immex discharge --input DIR --output OUT --engine partitioned "
        f"--as-of {AS_OF.isoformat()}` ({command['allocations']:,} allocations, "
        f"{command['partitions']} partitions). The floor: Polars reads the four input CSVs and writes "
        f"an allocations-sized CSV ({command['allocations']:,} rows) in batches of {FLOOR_BATCH_ROWS:,}. "
        f"The simple Decimal path ran on a {fraction:g} fraction (same generator and seed), its outputs "
        "byte-identical to the command's there, and is **extrapolated** linearly "
        f"×{scale:.0f}. The load is the 1, 5 and 15 min averages before → after each run.",
        "",
        "| variant | user + sys CPU s | wall s | peak RSS MB | load before → after |",
        "| --- | ---: | ---: | ---: | --- |",
        row("`immex discharge --engine partitioned`", command),
        row("floor: Polars reads the inputs, writes an allocations-sized CSV in batches", floor),
        row(f"simple Decimal path, **extrapolated** ×{scale:.0f} (peak: the fraction's)", simple, scale),
        row(f"`immex discharge --engine partitioned` on the {fraction:g} fraction", small),
        "",
        f"- vs simple (goal ≥ 20×): **{simple['wall'] * scale / command['wall']:.1f}×** by wall, "
        f"{cpu(simple) * scale / cpu(command):.1f}× by CPU.",
        f"- vs floor (goal ≤ 3×): **{command['wall'] / floor['wall']:.1f}×** by wall, "
        f"{cpu(command) / cpu(floor):.1f}× by CPU.",
        "",
    ]
    target = args.results.with_name(f"discharge_units_{_size_label(args.imports)}.md")
    target.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
