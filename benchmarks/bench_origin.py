"""Benchmark: qualify many finished goods from the ledger (``immex origin batch`` without the store).

Builds a synthetic ledger in memory (deterministic for a seed): ``--goods`` finished goods,
each with a BOM of ``--materials`` purchased materials drawn from a pool of
``--pool`` parts; every part has three valued import lots; every good has one export
line before the date (its transaction value, and a discharge the valuation must
replay); a share of the parts has a supplier certification covering the date.

Phases, timed separately:

1. ``build``   — making the ledger values (not part of the measurement);
2. ``rules``   — parsing the packaged GN 11(o) rule table (once per process; not measured);
3. ``stock``   — the FIFO discharge of the exports before the date (vectorized engine)
   and the lots left in stock (once per date; every good reuses it);
4. ``qualify`` — for each good: build its case from the ledger (BOM on the date, HS,
   lot values, certifications) and ``determine`` it with the packaged GN 11(o) rules
   (rule look-ups memoised per code and date): in one process, and shared out to
   ``--workers`` forked processes (``batch_rows``, what ``immex origin batch`` runs);
5. ``--sensitivity`` — the batch with the sensitivity of every good, as the command writes it.

Run: ``python benchmarks/bench_origin.py --goods 10000 --materials 50``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import time
from dataclasses import replace
from decimal import Decimal

from immex.ledger.model import BomComponent, BomVersion, ExportLine, ImportLine, Ledger, Part
from immex.origin.from_ledger import batch_rows, qualify_case, stock
from immex.origin.records import LedgerInputs, StoredValue, SupplierCertification
from immex.origin.rules_data import rule_table

DAY = dt.date(2025, 6, 1)
GOOD_HS = [
    "8501.10",
    "8501.20",
    "8501.31",
    "8501.40",
    "8502.11",
    "8504.10",
    "8504.31",
    "8504.40",
    "8507.10",
    "8509.40",
    "8516.10",
    "8516.31",
    "8516.50",
    "8516.60",
    "8517.62",
    "8518.21",
    "8528.52",
    "8531.10",
    "8536.20",
    "8544.42",
    "8414.51",
    "8414.59",
    "8418.10",
    "8421.21",
    "8424.30",
    "8443.32",
    "8450.11",
    "8471.30",
    "8473.30",
    "8481.80",
    "8483.40",
    "8484.10",
    "9018.90",
    "9025.19",
    "9026.10",
    "9028.30",
    "9032.10",
    "9401.20",
    "9403.20",
    "9405.10",
]
MATERIAL_HS = [
    "3926.90",
    "3919.90",
    "4016.93",
    "7318.15",
    "7318.16",
    "7326.90",
    "7408.11",
    "7616.99",
    "8503.00",
    "8504.90",
    "8532.24",
    "8533.21",
    "8536.50",
    "8536.69",
    "8541.10",
    "8541.21",
    "8542.31",
    "8544.42",
    "8547.20",
    "8414.90",
    "8418.99",
    "8473.30",
    "8481.90",
    "8483.90",
    "9032.90",
    "9403.90",
    "9405.99",
    "4821.10",
    "3923.29",
    "8507.90",
]


def build(goods: int, materials: int, pool: int, seed: int) -> tuple[Ledger, LedgerInputs]:
    rng = random.Random(seed)
    parts: dict[str, Part] = {}
    imports: list[ImportLine] = []
    first_value: dict[str, Decimal] = {}
    certs: dict[str, tuple[SupplierCertification, ...]] = {}
    for i in range(pool):
        name = f"M{i:05d}"
        country = rng.choice(("US", "US", "MX", "CN", "CN", "JP", "DE", "CA"))
        parts[name] = Part(name, "pc", "raw", f"material {i}", rng.choice(MATERIAL_HS), country)
        for lot in range(3):
            cleared = DAY - dt.timedelta(days=150 - 40 * lot)
            value = Decimal(rng.randint(5, 2000)) / 100
            first_value.setdefault(name, value)
            imports.append(
                ImportLine(
                    f"25{i:07d}{lot:06d}",
                    1,
                    name,
                    "IN",
                    cleared,
                    Decimal(1_000_000),
                    "pc",
                    unit_value_usd=value,
                    country_of_origin=country,
                )
            )
        if country in ("US", "MX", "CA") and rng.random() < 0.7:
            certs[name] = (
                SupplierCertification(
                    "Supplier",
                    name,
                    DAY - dt.timedelta(days=100),
                    DAY + dt.timedelta(days=200),
                    "B",
                    f"C-{i}",
                    country,
                ),
            )
    boms: dict[str, tuple[BomVersion, ...]] = {}
    exports: list[ExportLine] = []
    names = sorted(parts)
    for g in range(goods):
        product = f"FG{g:05d}"
        parts[product] = Part(product, "pc", "finished", f"finished good {g}", rng.choice(GOOD_HS), "MX")
        chosen = rng.sample(names, materials)
        components = tuple(
            BomComponent(c, Decimal(rng.randint(1, 4)), Decimal(rng.choice((0, 0, 1, 2))))
            for c in sorted(chosen)
        )
        boms[product] = (BomVersion(product, dt.date(2024, 1, 1), None, components),)
        cost = sum((first_value[b.component] * b.gross_qty_per for b in components), Decimal(0))
        price = (cost * Decimal(rng.randint(120, 220)) / 100).quantize(Decimal("0.01"))
        exports.append(
            ExportLine(
                f"26{g:07d}000001",
                1,
                product,
                "RT",
                DAY - dt.timedelta(days=10),
                Decimal(1),
                "pc",
                unit_value_usd=price,
                destination_country="US",
            )
        )
    stored: dict[str, tuple[StoredValue, ...]] = {}
    return Ledger(parts, tuple(imports), tuple(exports), boms), LedgerInputs(certs, stored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goods", type=int, default=10_000)
    parser.add_argument("--materials", type=int, default=50)
    parser.add_argument("--pool", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--method", default="fifo")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sensitivity", action="store_true", help="also time the batch with sensitivity")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ledger, inputs = build(args.goods, args.materials, args.pool, args.seed)
    tr = time.perf_counter()
    rule_table()  # parse the packaged GN 11(o) rules once per process
    rules_seconds = time.perf_counter() - tr
    t1 = time.perf_counter()
    day_stock = stock(ledger, DAY, args.method)
    t2 = time.perf_counter()
    c2 = time.process_time()
    verdicts = {"originating": 0, "not originating": 0}
    criteria: dict[str, int] = {}
    for name in sorted(p for p, part in ledger.parts.items() if part.kind == "finished"):
        d = qualify_case(ledger, inputs, name, DAY, day_stock).determination
        verdicts["originating" if d.originating else "not originating"] += 1
        criteria[d.criterion or "-"] = criteria.get(d.criterion or "-", 0) + 1
    t3 = time.perf_counter()
    cpu = time.process_time() - c2
    timings = [
        ("build ledger in memory (not measured)", tr - t0),
        ("load GN 11(o) rule table, once per process (not measured)", rules_seconds),
        (f"stock on the date: FIFO replay of {len(ledger.exports)} exports (vectorized)", t2 - t1),
        ("**qualify, 1 process** (case from ledger + determine)", t3 - t2),
        ("same, CPU time of that process", cpu),
    ]
    # each measured run starts from the day's stock with an empty memo of material values
    stocks = {DAY: replace(day_stock, memo={})}
    t4 = time.perf_counter()
    plain = batch_rows(
        ledger, inputs, DAY, DAY, args.method, workers=args.workers, with_sensitivity=False, given=stocks
    )
    timings.append(
        (f"**qualify, {args.workers} processes** (batch rows, no sensitivity)", time.perf_counter() - t4)
    )
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if args.workers > 1:
        timings.append(
            ("same, CPU time of the worker processes (sum)", children.ru_utime + children.ru_stime)
        )
    assert plain.originating == verdicts["originating"], "the parallel batch must give the same verdicts"
    if args.sensitivity:
        stocks = {DAY: replace(day_stock, memo={})}
        t5 = time.perf_counter()
        batch_rows(
            ledger, inputs, DAY, DAY, args.method, workers=args.workers, with_sensitivity=True, given=stocks
        )
        timings.append(
            (
                f"batch with sensitivity, {args.workers} processes (immex origin batch)",
                time.perf_counter() - t5,
            )
        )

    print(
        f"machine: {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"goods={args.goods} materials/BOM={args.materials} pool={args.pool} lots={len(ledger.imports)} "
        f"exports={len(ledger.exports)} certified parts={len(inputs.certifications)} method={args.method}"
    )
    print(f"verdicts: {verdicts}; criteria: {dict(sorted(criteria.items()))}")
    print("| phase | seconds | goods/s |")
    print("| --- | --- | --- |")
    for label, seconds in timings:
        rate = "" if "not measured" in label or "stock" in label else f"{args.goods / seconds:.0f}"
        print(f"| {label} | {seconds:.2f} | {rate} |")


if __name__ == "__main__":
    main()
