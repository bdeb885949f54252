"""Benchmark of the duty engine: a year of pedimentos and Art. 2.5 for many allocations.

    python3 benchmarks/bench_duties.py [--partidas 100000] [--allocations 1000000]

1. Contributions of 10,000 pedimentos × 10 partidas (100,000 partidas): the fast
   integer engine on all of them, the simple Fraction engine (the specification) on a
   sample, and a check that both give the same amounts on that sample.
2. T-MEC Art. 2.5 for 1,000,000 allocations (50,000 exports × 20 materials): the
   NumPy fixed-point engine on all of them, the simple engine on a sample, same check.
Synthetic data, seeded: the same run gives the same numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import time
from decimal import Decimal

import numpy as np

from immex.duties.fast import art25_by_export, pedimento_amounts
from immex.duties.pedimento import compute_pedimento, resolve_dta
from immex.duties.rules_data import duty_rules
from immex.duties.tmec25 import compute_tmec25
from immex.duties.values import (
    Company,
    ExportOperation,
    ForeignDuty,
    Incrementables,
    Material,
    PedimentoCase,
    PedimentoLine,
    Preference,
    Tmec25Case,
)

RATES = [Decimal(x) for x in ("0", "0.05", "0.10", "0.15", "0.20", "0.35")]


def make_pedimentos(n_partidas: int, per_pedimento: int, rng: random.Random) -> list[PedimentoCase]:
    cases = []
    for p in range(n_partidas // per_pedimento):
        clave = ("A1", "IN", "AF")[p % 3]
        lines = []
        for j in range(per_pedimento):
            pref = None
            roll = rng.random()
            if roll < 0.1:
                pref = Preference("TMEC", Decimal(0), certificate="C")
            elif roll < 0.2:
                pref = Preference("PROSEC", Decimal("0.05"), sector="II")
            lines.append(
                PedimentoLine(
                    j + 1,
                    "8504.40.99",
                    Decimal(rng.randrange(1, 10**7)) / 100,
                    rng.choice(RATES),
                    pref,
                    Decimal(0),
                    Decimal("0.16"),
                )
            )
        cases.append(
            PedimentoCase(
                clave,
                dt.date(2026, 1, 1) + dt.timedelta(days=p % 365),  # type: ignore[arg-type]
                Decimal(rng.randrange(160000, 210000)) / 10000,
                Incrementables(Decimal(rng.randrange(0, 500000)) / 100),
                Decimal("0.16"),
                Company(True, rng.choice([None, "AAA"]), False),
                tuple(lines),
            )
        )
    return cases


def bench_pedimentos(n_partidas: int, sample: int, rng: random.Random) -> list[str]:
    rules = duty_rules()
    cases = make_pedimentos(n_partidas, 10, rng)
    start = time.perf_counter()
    fast = []
    for case in cases:
        dta, _ = resolve_dta(case, rules)
        assert dta is not None
        fast.append(pedimento_amounts(case, dta, rules))
    fast_s = time.perf_counter() - start
    picked = cases[: max(1, sample // 10)]
    start = time.perf_counter()
    simple = []
    for case in picked:
        dta, _ = resolve_dta(case, rules)
        assert dta is not None
        simple.append(compute_pedimento(case, dta, rules))
    simple_s = time.perf_counter() - start
    same = all(
        f.by_code == s.by_code
        and f.cash == s.cash
        and f.customs_values == [ln.customs_value for ln in s.lines]
        for f, s in zip(fast, simple, strict=False)
    )
    sample_lines = len(picked) * 10
    per_line_simple = simple_s / sample_lines
    return [
        f"| pedimento contributions, fast integer engine | {n_partidas:,} partidas "
        f"({len(cases):,} pedimentos) | {fast_s:.2f} s | {fast_s / n_partidas * 1e6:.1f} µs |",
        f"| pedimento contributions, simple Fraction engine (reference) | {sample_lines:,} "
        f"partidas sample | {simple_s:.2f} s (≈ {per_line_simple * n_partidas:.1f} s for "
        f"{n_partidas:,}) | {per_line_simple * 1e6:.1f} µs |",
        f"| same amounts on the sample | | {'yes' if same else 'NO'} | |",
    ]


def bench_art25(n_alloc: int, per_export: int, sample: int, rng: random.Random) -> list[str]:
    rules = duty_rules()
    n_exports = n_alloc // per_export
    nprng = np.random.default_rng(rng.randrange(2**32))
    export_index = np.repeat(np.arange(n_exports, dtype=np.int64), per_export)
    value_cents = nprng.integers(0, 10**9, size=n_alloc, dtype=np.int64)
    rate_micros = nprng.choice(np.array([0, 50_000, 100_000, 150_000, 200_000], dtype=np.int64), size=n_alloc)
    originating = nprng.random(n_alloc) < 0.3
    foreign_cents = np.where(
        nprng.random(n_exports) < 0.2, -1, nprng.integers(0, 10**8, size=n_exports, dtype=np.int64)
    )
    foreign_fx = nprng.integers(160000, 210000, size=n_exports, dtype=np.int64)
    start = time.perf_counter()
    cols = art25_by_export(
        export_index, value_cents, rate_micros, originating, n_exports, foreign_cents, foreign_fx
    )
    fast_s = time.perf_counter() - start

    n_sample = max(1, sample // per_export)
    resolved: dict[str, Decimal | int] = {"days": 60, "dta_v": Decimal("462.86")}
    cases = []
    for e in range(n_sample):
        rows = range(e * per_export, (e + 1) * per_export)
        materials = tuple(
            Material(
                i,
                "x",
                Decimal(int(value_cents[i])) / 100,
                bool(originating[i]),
                Decimal(int(rate_micros[i])) / 10**6,
            )
            for i in rows
        )
        duty = (
            None
            if foreign_cents[e] < 0
            else ForeignDuty(Decimal(int(foreign_cents[e])) / 100, Decimal(int(foreign_fx[e])) / 10**4)
        )
        cases.append(Tmec25Case(ExportOperation(None, dt.date(2026, 3, 1), "RT", "US"), duty, materials))
    start = time.perf_counter()
    results = [compute_tmec25(case, resolved, rules) for case in cases]
    simple_s = time.perf_counter() - start
    same = [r.payable for r in results] == cols.payable[:n_sample].tolist() and [
        r.mexican_igi for r in results
    ] == cols.mexican_igi[:n_sample].tolist()
    per_alloc = simple_s / (n_sample * per_export)
    return [
        f"| T-MEC Art. 2.5, NumPy fixed-point engine | {n_alloc:,} allocations "
        f"({n_exports:,} exports) | {fast_s:.2f} s | {fast_s / n_alloc * 1e6:.2f} µs |",
        f"| T-MEC Art. 2.5, simple Fraction engine (reference) | {n_sample * per_export:,} "
        f"allocations sample | {simple_s:.2f} s (≈ {per_alloc * n_alloc:.1f} s for "
        f"{n_alloc:,}) | {per_alloc * 1e6:.2f} µs |",
        f"| same amounts on the sample | | {'yes' if same else 'NO'} | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partidas", type=int, default=100_000)
    parser.add_argument("--allocations", type=int, default=1_000_000)
    parser.add_argument(
        "--sample", type=int, default=20_000, help="partidas / allocations run through the simple engine"
    )
    args = parser.parse_args()
    rng = random.Random(20261123)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, {platform.system()}"
    )
    print("| what | size | time | per item |")
    print("| --- | --- | --- | --- |")
    for line in bench_pedimentos(args.partidas, args.sample, rng):
        print(line)
    for line in bench_art25(args.allocations, 20, args.sample, rng):
        print(line)


if __name__ == "__main__":
    main()
