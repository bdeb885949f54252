"""``immex demo``: a realistic IMMEX company, discharged and reported, in the embedded store.

The data are made up but shaped like a mid-size electronics maquiladora: a few
hundred purchased parts, subassemblies and finished goods with effective-dated
BOMs (merma and desperdicio included), fourteen months of weekly temporary
imports and returns of finished goods, slow movers that age towards their
Art. 108 deadline, and a few parts bought short so the discharge finds
shortfalls. Everything is derived from a seed, so the demo is reproducible.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from immex.core.progress import QUIET, ProgressLike, as_progress
from immex.discharge.methods import explode
from immex.discharge.service import DischargeOutcome, run_discharge
from immex.ledger.company import CompanyProfile, store_company
from immex.ledger.model import BomComponent, BomVersion, Ledger, Part
from immex.reports import service as reports
from immex.reports.signing import Signature

FRACCIONES = (
    "85444999",
    "39269099",
    "73181504",
    "85322499",
    "85411099",
    "76169999",
    "40169399",
    "85369099",
    "85340001",
    "74199999",
    "39239099",
    "48191001",
    "85049099",
    "90318099",
)
SUPPLIER_COUNTRIES = ("CN", "CN", "US", "US", "JP", "KR", "DE", "TW", "MY")
UNITS = ("pcs", "pcs", "pcs", "kg", "m")
AGENCIA = "47"  # aduana of the demo pedimentos (Anexo 22 Apéndice 1: AICM)
PATENTE = "3456"


@dataclass(frozen=True, slots=True)
class DemoSize:
    raws: int = 300
    subassemblies: int = 40
    finished: int = 60
    weeks: int = 60


def _pedimento(day: dt.date, serial: int, first_digit: int) -> str:
    return f"{day.year % 100:02d} {AGENCIA} {PATENTE} {first_digit}{serial:06d}"


def _parts(rnd: random.Random, size: DemoSize) -> dict[str, Part]:
    parts = {}
    for i in range(1, size.raws + 1):
        name = f"R{i:04d}"
        parts[name] = Part(
            name,
            rnd.choice(UNITS),
            "raw",
            f"component {i}",
            rnd.choice(FRACCIONES),
            rnd.choice(SUPPLIER_COUNTRIES),
        )
    for i in range(1, 6):
        parts[f"C{i:03d}"] = Part(f"C{i:03d}", "pcs", "container", "returnable rack", "86090001", "US")
    for i in range(1, 4):
        parts[f"EQ{i:02d}"] = Part(f"EQ{i:02d}", "pcs", "asset", "injection press", "84771001", "DE")
    for i in range(1, size.subassemblies + 1):
        parts[f"S{i:03d}"] = Part(f"S{i:03d}", "pcs", "subassembly", f"harness {i}", "85443002", "MX")
    for i in range(1, size.finished + 1):
        parts[f"F{i:03d}"] = Part(f"F{i:03d}", "pcs", "finished", f"control module {i}", "85371099", "MX")
    return parts


def _components(
    rnd: random.Random, choices: list[str], count: int, parts: dict[str, Part]
) -> tuple[BomComponent, ...]:
    picked = rnd.sample(choices, count)
    return tuple(
        BomComponent(
            name,
            Decimal(rnd.choice(["0.25", "0.5", "1", "2", "4", "0.125"]))
            if parts[name].uom != "pcs"
            else Decimal(rnd.randint(1, 6)),
            Decimal(rnd.choice(["0", "0", "1.5", "2", "3"])),
            Decimal(rnd.choice(["0", "0", "0.5", "1"])),
        )
        for name in sorted(picked)
    )


def _boms(
    rnd: random.Random, parts: dict[str, Part], start: dt.date, switch: dt.date
) -> dict[str, tuple[BomVersion, ...]]:
    raws = [p for p, v in parts.items() if v.kind == "raw"]
    busy_raws = raws[: int(len(raws) * 0.9)]  # the last tenth are slow movers
    subs = [p for p, v in parts.items() if v.kind == "subassembly"]
    boms: dict[str, tuple[BomVersion, ...]] = {}
    for sub in subs:
        boms[sub] = (BomVersion(sub, start, None, _components(rnd, busy_raws, rnd.randint(3, 6), parts)),)
    for index, product in enumerate(p for p, v in parts.items() if v.kind == "finished"):
        first = (
            *_components(rnd, subs, rnd.randint(1, 3), parts),
            *_components(rnd, busy_raws, rnd.randint(2, 5), parts),
        )
        if index % 3:
            boms[product] = (
                BomVersion(product, start, None, tuple(sorted(first, key=lambda c: c.component))),
            )
            continue
        second = (*first[:-1], *_components(rnd, busy_raws, 1, parts))
        boms[product] = (
            BomVersion(
                product, start, switch - dt.timedelta(days=1), tuple(sorted(first, key=lambda c: c.component))
            ),
            BomVersion(
                product,
                switch,
                None,
                tuple(sorted({c.component: c for c in second}.values(), key=lambda c: c.component)),
            ),
        )
    return boms


def build_demo_folder(folder: Path, as_of: dt.date, seed: int = 2026, size: DemoSize = DemoSize()) -> Path:
    """Write the demo company's input folder (the discharge contract's CSV files)."""
    rnd = random.Random(seed)
    start = as_of - dt.timedelta(weeks=size.weeks)
    parts = _parts(rnd, size)
    boms = _boms(rnd, parts, start - dt.timedelta(days=30), start + dt.timedelta(weeks=size.weeks // 2))
    finished = [p for p, v in parts.items() if v.kind == "finished"]
    exports: list[dict[str, Any]] = []
    for week in range(4, size.weeks):
        day = start + dt.timedelta(weeks=week, days=3)
        for line, product in enumerate(sorted(rnd.sample(finished, rnd.randint(6, 14))), start=1):
            exports.append(
                {
                    "pedimento": _pedimento(day, 1000 + week, 6),
                    "line": line,
                    "clave": "RT",
                    "cleared_on": day,
                    "product": product,
                    "qty": rnd.randint(20, 400),
                    "uom": "pcs",
                    "unit_value_usd": f"{rnd.randint(40, 900)}.00",
                    "destination_country": "US",
                }
            )
    ledger = Ledger(parts, (), (), boms)
    need: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for row in exports:
        week = (row["cleared_on"] - start).days // 7
        for part, qty in explode(ledger, row["product"], Decimal(row["qty"]), row["cleared_on"]).items():
            need[(part, week)] += qty
    imports = _imports(rnd, parts, need, start, size)
    _write(folder, parts, boms, imports, exports)
    return folder


def _imports(
    rnd: random.Random,
    parts: dict[str, Part],
    need: dict[tuple[str, int], Decimal],
    start: dt.date,
    size: DemoSize,
) -> list[dict[str, object]]:
    short = {p for p in parts if p.startswith("R") and rnd.random() < 0.06}
    by_week: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for (part, week), qty in need.items():
        factor = Decimal("0.8") if part in short else Decimal(rnd.choice(["1.05", "1.1", "1.2"]))
        by_week[max(0, week - 2)].append((part, (qty * factor).quantize(Decimal(1)) + 1))
    raws = [p for p, v in parts.items() if v.kind == "raw"]
    for part in raws[int(len(raws) * 0.9) :]:  # slow movers bought early, never consumed
        by_week[rnd.randint(-26, 4)].append((part, Decimal(rnd.randint(50, 500))))
    for part in (p for p, v in parts.items() if v.kind in ("container", "asset")):
        by_week[rnd.randint(-40, 0)].append((part, Decimal(rnd.randint(1, 20))))
    rows: list[dict[str, object]] = []
    for week in sorted(by_week):
        day = start + dt.timedelta(weeks=week)
        items = sorted(by_week[week])
        for chunk in range(0, len(items), 40):
            number = _pedimento(day, 5000 + (week + 40) * 10 + chunk // 40, 5)
            for line, (part, qty) in enumerate(items[chunk : chunk + 40], start=1):
                info = parts[part]
                rows.append(
                    {
                        "pedimento": number,
                        "line": line,
                        "part": part,
                        "qty": qty,
                        "uom": info.uom,
                        "clave": "AF" if info.kind == "asset" else "IN",
                        "cleared_on": day,
                        "unit_value_usd": f"{rnd.randint(1, 4000) / 100:.2f}",
                        "country_of_origin": info.country_of_origin,
                        "hs": info.hs,
                    }
                )
    return rows


def _write(
    folder: Path,
    parts: dict[str, Part],
    boms: dict[str, tuple[BomVersion, ...]],
    imports: list[dict[str, object]],
    exports: list[dict[str, object]],
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _csv(
        folder / "parts.csv",
        ["part", "uom", "kind", "description", "hs", "country_of_origin"],
        [[p.part, p.uom, p.kind, p.description, p.hs, p.country_of_origin] for p in parts.values()],
    )
    _csv(
        folder / "bom.csv",
        ["product", "component", "qty_per", "uom", "valid_from", "valid_to", "merma_pct", "desperdicio_pct"],
        [
            [
                v.product,
                c.component,
                c.qty_per,
                parts[c.component].uom,
                v.valid_from,
                v.valid_to or "",
                c.merma_pct,
                c.desperdicio_pct,
            ]
            for versions in boms.values()
            for v in versions
            for c in v.components
        ],
    )
    columns = [
        "pedimento",
        "line",
        "clave",
        "cleared_on",
        "part",
        "qty",
        "uom",
        "unit_value_usd",
        "country_of_origin",
        "hs",
    ]
    _csv(folder / "imports.csv", columns, [[row[c] for c in columns] for row in imports])
    columns = [
        "pedimento",
        "line",
        "clave",
        "cleared_on",
        "product",
        "qty",
        "uom",
        "unit_value_usd",
        "destination_country",
    ]
    _csv(folder / "exports.csv", columns, [[row[c] for c in columns] for row in exports])


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([["" if v is None else str(v) for v in row] for row in rows])


DEMO_COMPANY = CompanyProfile(
    name="Maquiladora Demo del Norte, S.A. de C.V.",
    rfc="DMA010101AB7",
    immex_program="IMMEX 2010-1234",
    modality="industrial",
    program_valid_from=dt.date(2010, 3, 1),
    certification="AA",
)


def run_demo(
    workdir: Path,
    as_of: dt.date,
    progress: ProgressLike = QUIET,
) -> tuple[DischargeOutcome, dict[str, Path]]:
    """Build the demo company in ``workdir/demo.db``, discharge it and write the reports."""
    progress = as_progress(progress)
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "demo.db"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    progress.phase("generating the demo company")
    folder = build_demo_folder(workdir / "input", as_of)
    store_company(url, DEMO_COMPANY)
    outcome = run_discharge(folder, workdir / "discharge", "fifo", as_of, url, progress)
    progress.phase("loading the stored ledger for the reports")
    state = reports.load_sourced(url, None)
    ledger, result = state.ledger, state.result
    written = {}
    named: tuple[tuple[str, Callable[[], reports.Report]], ...] = (
        ("aging", lambda: reports.aging_report(ledger, result, as_of)),
        ("expiring", lambda: reports.expiring_report(ledger, result, as_of, 90)),
        ("balances", lambda: reports.balances_report(ledger, result, as_of)),
        ("shortfalls", lambda: reports.shortfalls_report(result)),
    )
    first_export = result.allocations[0].export_pedimento if result.allocations else None
    progress.phase("writing the reports", total=len(named) + bool(first_export), unit="reports")
    for name, build in named:  # built one at a time so the bar moves with each report
        path = workdir / "reports" / f"{name}.xlsx"
        reports.write_report(build(), path, signature=Signature(name, state.source, as_of=as_of))
        written[name] = path
        progress.advance()
    if first_export:
        path = workdir / "reports" / "trace-first-export.csv"
        reports.write_report(reports.trace_export_report(ledger, result, first_export), path)
        written["trace"] = path
        progress.advance()
    return outcome, written
