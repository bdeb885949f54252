"""Benchmark of the origin engine's rule table: load + grammar, rule look-up, determination.

Phases, timed separately (one process, warm imports):

1. ``load``    — read the 96 chapter files and parse all 1,089 rules with the grammar
   (cold :func:`immex.origin.rules_data.rule_table`; a single look-up loads only its chapter);
2. ``lookup``  — after the heading index and the trade-direction notes are built (once per
   process), :func:`find_rule` (chapter index) against the reference
   :func:`find_rule_scan` (whole table) on the same random codes; both must agree;
   (the memo of :func:`find_rule` is bypassed here);
3. ``determine`` — :func:`immex.origin.determine` on synthetic cases with the
   packaged rules (no memoisation of look-ups), and with the rule text given in the case.

Run: ``python3 benchmarks/bench_origin_rules.py --lookups 2000 --cases 2000``

Deterministic count (instructions, whatever the machine's load): ``--phase lookup`` loads the
table, builds the indexes and runs only the ``--lookups`` indexed look-ups; the difference of
two callgrind runs (``--lookups 2000`` and ``--lookups 0``) divided by 2000 is the count per
look-up::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$(python3 -c 'import sys; print(sys.executable)')" \
        benchmarks/bench_origin_rules.py --phase lookup --lookups 2000
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import platform
import pstats
import random
import time
from dataclasses import replace
from decimal import Decimal

from immex.origin import Good, HsCode, Material, OriginCase, OriginError, determine, parse_rule
from immex.origin import rules_data as usmca

DAY = dt.date(2025, 7, 1)
MATERIALS = [
    "8503.00",
    "8503.00.35",
    "7226.11",
    "8504.90",
    "8413.50",
    "8537.10",
    "3901.10",
    "7408.11",
    "8544.49",
    "8471.70",
    "7616.99",
    "4011.50",
    "8714.91",
    "9401.90",
    "8473.30",
    "8538.90",
]


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--materials", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--phase", choices=("all", "lookup"), default="all")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    table, load_s = timed(usmca.rule_table)
    chapters = [int(n) for n in usmca.index()["chapters"]]
    # the heading index and the trade-direction notes are built once per chapter and process
    _, index_s = timed(lambda: [(usmca.heading_index(n), usmca.chapter_trade_rules(n)) for n in chapters])
    readable = [e for e in table if e.product is not None]
    codes = sorted({(r.low + "0000")[:6] for e in readable for r in e.scope})
    sample = [HsCode.parse(rng.choice(codes)) for _ in range(args.lookups)]

    def run(fn):  # type: ignore[no-untyped-def]
        out = []
        for code in sample:
            try:
                out.append(fn(code, DAY).id)
            except OriginError:
                out.append(None)
        return out

    fast, fast_s = timed(lambda: run(usmca.find_rule.__wrapped__))
    if args.phase == "lookup":
        print(f"{len(sample)} indexed look-ups in {fast_s:.3f} s")
        return
    slow, slow_s = timed(lambda: run(usmca.find_rule_scan))
    assert fast == slow, "indexed and scanning look-ups disagree"

    goods = [c for c, rid in zip(sample, fast, strict=True) if rid is not None]
    cases = []
    for i in range(args.cases):
        hs = goods[i % len(goods)]
        mats = tuple(
            Material(
                f"m{j}", HsCode.parse(rng.choice(MATERIALS)), Decimal(rng.randint(1, 40)), rng.random() < 0.4
            )
            for j in range(args.materials)
        )
        tv = sum((m.value for m in mats), Decimal(0)) * Decimal("1.6")
        cases.append(OriginCase("USMCA", DAY, Good(hs, tv, tv * Decimal("0.85")), mats))

    def decide_all(items: list[OriginCase]) -> int:
        done = 0
        for c in items:
            try:
                determine(c)
                done += 1
            except OriginError:
                pass
        return done

    decided, table_s = timed(lambda: decide_all(cases))
    rule = parse_rule(
        "A change to heading 85.01 from any other heading; or A change to heading 85.01 from "
        "subheading 8503.00, whether or not there is also a change from any other heading, provided "
        "there is a regional value content of not less than: (a) 60 percent where the transaction "
        "value method is used, or (b) 50 percent where the net cost method is used"
    )
    given = [replace(c, good=replace(c.good, hs=HsCode.parse("8501.10")), rule=rule) for c in cases]
    decided_given, given_s = timed(lambda: decide_all(given))

    def calls_per_case(items: list[OriginCase]) -> float:
        """Python function calls per determination: a count that the machine's load does not change."""
        profile = cProfile.Profile()
        profile.runcall(decide_all, items)
        return pstats.Stats(profile).total_calls / len(items)  # type: ignore[attr-defined,no-any-return]

    table_calls, given_calls = calls_per_case(cases), calls_per_case(given)

    rows = [
        (
            "load + parse rule table (cold)",
            f"{len(table)} rules",
            load_s,
            f"{load_s / len(table) * 1e3:.3f} ms",
        ),
        ("build heading index and trade notes", f"{len(table)} rules", index_s, ""),
        (
            "find_rule_scan (reference, whole table)",
            str(len(sample)),
            slow_s,
            f"{slow_s / len(sample) * 1e6:.0f} µs",
        ),
        (
            "find_rule (heading index, memo bypassed)",
            str(len(sample)),
            fast_s,
            f"{fast_s / len(sample) * 1e6:.0f} µs",
        ),
        (
            f"determine, table rules ({args.materials} materials, memoised look-ups)",
            f"{decided}/{len(cases)}",
            table_s,
            f"{table_s / len(cases) * 1e6:.0f} µs",
        ),
        (
            "determine, rule given in case",
            f"{decided_given}/{len(given)}",
            given_s,
            f"{given_s / len(given) * 1e6:.0f} µs",
        ),
    ]
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print("| phase | items | seconds | per item |")
    print("| --- | ---: | ---: | ---: |")
    for name, items, seconds, per in rows:
        print(f"| {name} | {items} | {seconds:.3f} | {per} |")
    print(
        f"\nfunction calls per determine (cProfile, whatever the load): table rules {table_calls:.0f}, "
        f"rule given in case {given_calls:.0f}"
    )
    print(
        f"\nindexed look-up is {slow_s / fast_s:.0f}x faster than the full scan, same answers on all "
        f"{len(sample)} codes"
    )


if __name__ == "__main__":
    main()
