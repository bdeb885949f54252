"""Reading and validating a realistic ledger folder: the per-row reader, the columnar reader, a floor.

The folder is written the way plants write it: quantities in the unit of the
pedimento (KG, LB with factor 0.45359237, G, boxes of 12 or of a part's own
size), three to four decimals, two BOM levels of eight components with merma
and desperdicio, and accented descriptions. Three readers run on the same
folder, each in its own fresh process (CPU seconds as well as wall, since the
machine may be shared):

- ``per-row``: ``immex.ledger.read.read_ledger`` (every problem with file, row,
  column; the reader of ``--db``, of LIFO/directed and of error messages);
- ``columnar``: ``immex.ledger.frames.read_ledger_frames`` (the fast path's
  acceptance filter over the same schema);
- ``csv floor``: Python's ``csv`` module reading every row of every file, nothing
  checked (what any per-row reader must at least spend).

    python3 benchmarks/bench_ledger_read.py --lines 200000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).parent

READERS = {
    "per-row": "from immex.ledger.read import read_ledger as read\nok = not read(folder).problems",
    "columnar": "from immex.ledger.frames import read_ledger_frames as read\nok = read(folder) is not None",
    "csv floor": (
        "import csv\nok = all(sum(1 for _ in csv.reader(p.open(encoding='utf-8'))) > 0 "
        "for p in folder.glob('*.csv'))"
    ),
}
PROBE = """
import resource, sys, time
from pathlib import Path
folder = Path(sys.argv[1])
wall, cpu = time.perf_counter(), time.process_time()
{body}
print(ok, time.perf_counter() - wall, time.process_time() - cpu,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _write(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def generate(folder: Path, lines: int, seed: int = 7) -> None:
    """``lines`` import lines and as many export lines, in realistic units."""
    rnd = random.Random(seed)
    raws = [f"R{i:05d}" for i in range(2000)]
    subs, fins = [f"S{i:04d}" for i in range(300)], [f"F{i:04d}" for i in range(200)]
    base = {p: "KG" if i % 2 else "PCS" for i, p in enumerate(raws)}
    _write(
        folder / "parts.csv",
        ["part", "uom", "kind", "description", "hs", "country_of_origin"],
        [[p, base[p], "raw", "Válvula de acero", "84818099", "CN"] for p in raws]
        + [[p, "PCS", "subassembly", "Subensamble", "", ""] for p in subs]
        + [[p, "PCS", "finished", "Arnés", "85443099", ""] for p in fins],
    )
    conversions: list[list[object]] = [
        ["LB", "KG", "0.45359237", ""],
        ["G", "KG", "0.001", ""],
        ["BOX", "PCS", "12", ""],
    ]
    conversions += [["BOX", "PCS", rnd.choice([24, 50, 100]), p] for p in raws[::7] if base[p] == "PCS"]
    _write(folder / "uom_conversions.csv", ["from_uom", "to_uom", "factor", "part"], conversions)
    bom: list[list[object]] = []
    for product, pool in [(s, raws) for s in subs] + [(f, subs) for f in fins]:
        for component in rnd.sample(pool, 8):
            bom.append(
                [
                    product,
                    component,
                    f"{rnd.uniform(0.01, 3):.4f}",
                    base.get(component, "PCS"),
                    "2020-01-01",
                    f"{rnd.uniform(0, 3):.2f}",
                    f"{rnd.uniform(0, 2):.2f}",
                ]
            )
    _write(
        folder / "bom.csv",
        ["product", "component", "qty_per", "uom", "valid_from", "merma_pct", "desperdicio_pct"],
        bom,
    )
    start = dt.date(2024, 1, 1)
    imports: list[list[object]] = []
    for i in range(lines):
        part = rnd.choice(raws)
        unit = rnd.choice(["KG", "LB", "G"]) if base[part] == "KG" else rnd.choice(["PCS", "BOX"])
        qty = f"{rnd.uniform(10, 5000):.3f}" if unit != "BOX" else str(rnd.randint(1, 40))
        day = start + dt.timedelta(days=i * 600 // lines)
        imports.append(
            [
                f"24 47 3456 {4000000 + i // 10:07d}",
                i % 10 + 1,
                "IN",
                day.isoformat(),
                part,
                qty,
                unit,
                f"{rnd.uniform(0.1, 30):.4f}",
                "CN",
            ]
        )
    _write(
        folder / "imports.csv",
        [
            "pedimento",
            "line",
            "clave",
            "cleared_on",
            "part",
            "qty",
            "uom",
            "unit_value_usd",
            "country_of_origin",
        ],
        imports,
    )
    exports = [
        [
            f"24 47 3456 {6000000 + i // 10:07d}",
            i % 10 + 1,
            "RT",
            (start + dt.timedelta(days=30 + i * 600 // lines)).isoformat(),
            rnd.choice(fins),
            rnd.randint(1, 3),
            "PCS",
            "55.00",
            "US",
        ]
        for i in range(lines)
    ]
    _write(
        folder / "exports.csv",
        [
            "pedimento",
            "line",
            "clave",
            "cleared_on",
            "product",
            "qty",
            "uom",
            "unit_value_usd",
            "destination_country",
        ],
        exports,
    )


def measure(folder: Path, body: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body), str(folder)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0] == "True", "the reader refused the generated folder"
    return {"wall_s": float(out[1]), "cpu_s": float(out[2]), "peak_mb": float(out[3])}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=200_000, help="import lines (and as many export lines)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder, args.lines)
        runs = {name: measure(folder, body) for name, body in READERS.items()}
    print(json.dumps(runs, indent=2))
    floor = runs["csv floor"]["cpu_s"]
    rows = [
        f"| {name} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['cpu_s'] / floor:.1f}× | {r['peak_mb']:.0f} |"
        for name, r in runs.items()
    ]
    (HERE / "results" / "ledger_read.md").write_text(
        "\n".join(
            [
                "# Reading and validating the ledger folder",
                "",
                f"`python3 benchmarks/bench_ledger_read.py --lines {args.lines}` ({args.lines:,} import and "
                "as many export lines in KG/LB/G/boxes, two BOM levels; each reader in a fresh process; "
                "every reader accepted the folder).",
                "",
                "| reader | wall s | CPU s | CPU vs csv floor | peak MB |",
                "| --- | ---: | ---: | ---: | ---: |",
                *rows,
                "",
            ]
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
