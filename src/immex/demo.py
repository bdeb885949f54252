"""``immex demo``: a realistic IMMEX company, discharged and reported, in the embedded store.

The data are made up but shaped like a mid-size electronics maquiladora: a few
hundred purchased parts, subassemblies and finished goods with effective-dated
BOMs (merma and desperdicio included), fourteen months of weekly temporary
imports and returns of finished goods, slow movers that age towards their
Art. 108 deadline, and a few parts bought short so the discharge finds
shortfalls. The other IMMEX movements of issue 13 are there too (see
``docs/demo.md``): virtual transfers in (V1) and out (V1, V5), a change of
regime of a slow mover (F4) and of a fixed asset (F5), a regularization (A3) of
an overdue lot, a sub-maquila shipment out and partly back, and waste disposals.
Everything is derived from a seed, so the demo is reproducible.
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
from immex.reports.anexo24 import anexo24_report, outgoing_lines
from immex.reports.annual import annual_exports
from immex.reports.annual_service import build_annual
from immex.reports.ivacredit_service import ivacredit_report
from immex.reports.options import cost_sources
from immex.reports.signing import Signature, Source
from immex.reports.templates import default_template

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
SUBMAQUILADOR_RFC = "SMN050505AB9"  # made up, with a valid check digit
TRANSFER_WEEKS = {7: "V1", 3: "V5"}  # week % 10 → clave of that week's virtual transfer out
VIRTUAL_IMPORT_WEEK = 12  # that week's temporary imports arrive as V1 (virtual transfer in)


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
        # most weeks return finished goods to the US (RT); some transfer them virtually in Mexico
        clave = TRANSFER_WEEKS.get(week % 10, "RT")
        for line, product in enumerate(sorted(rnd.sample(finished, rnd.randint(6, 14))), start=1):
            exports.append(
                {
                    "pedimento": _pedimento(day, 1000 + week, 6),
                    "line": line,
                    "clave": clave,
                    "cleared_on": day,
                    "product": product,
                    "qty": rnd.randint(20, 400),
                    "uom": "pcs",
                    "unit_value_usd": f"{rnd.randint(40, 900)}.00",
                    "destination_country": "US" if clave == "RT" else "MX",
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
    _operations(folder, as_of, parts, imports, exports, Ledger(parts, (), (), boms))
    _cost_inputs(folder, as_of, parts)
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
                        "clave": _import_clave(info.kind, week),
                        "cleared_on": day,
                        "unit_value_usd": f"{rnd.randint(1, 4000) / 100:.2f}",
                        "country_of_origin": info.country_of_origin,
                        "hs": info.hs,
                    }
                )
    return rows


def _import_clave(kind: str, week: int) -> str:
    if kind == "asset":
        return "AF"
    return "V1" if week == VIRTUAL_IMPORT_WEEK else "IN"


OPERATION_COLUMNS = [
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


def _operations(
    folder: Path,
    as_of: dt.date,
    parts: dict[str, Part],
    imports: list[dict[str, object]],
    exports: list[dict[str, object]],
    ledger: Ledger,
) -> None:
    """The movements beyond returns: F4, F5, A3, sub-maquila and waste (files of the operations contract)."""
    slow = sorted(
        (row for row in imports if str(row["part"]) in _slow_movers(parts)),
        key=lambda r: (str(r["cleared_on"]), str(r["pedimento"]), str(r["line"])),
    )
    overdue = next(r for r in slow if _add_months(r["cleared_on"], 18) < as_of - dt.timedelta(days=3))
    in_term = next(
        r for r in slow if r["part"] != overdue["part"] and _add_months(r["cleared_on"], 18) > as_of
    )
    asset = next(r for r in imports if parts[str(r["part"])].kind == "asset")
    changes = [
        _change_of_regime(
            "F4", 9001, in_term, as_of - dt.timedelta(days=20), Decimal(str(in_term["qty"])) // 2
        ),
        _change_of_regime("F5", 9002, asset, as_of - dt.timedelta(days=30), Decimal(1)),
    ]
    _append_csv(
        folder / "exports.csv", OPERATION_COLUMNS, [[row[c] for c in OPERATION_COLUMNS] for row in changes]
    )
    a3_day = as_of - dt.timedelta(days=3)
    _csv(
        folder / "regularizations.csv",
        ["pedimento", "line", "clave", "cleared_on", "part", "qty", "uom", "import_pedimento", "import_line"],
        [
            [
                _pedimento(a3_day, 9003, 6),
                1,
                "A3",
                a3_day,
                overdue["part"],
                overdue["qty"],
                overdue["uom"],
                overdue["pedimento"],
                overdue["line"],
            ]
        ],
    )
    _submaquila(folder, as_of, parts)
    _waste(folder, as_of, parts, exports, ledger)


def _slow_movers(parts: dict[str, Part]) -> set[str]:
    raws = [p for p, v in parts.items() if v.kind == "raw"]
    return set(raws[int(len(raws) * 0.9) :])


def _add_months(day: object, months: int) -> dt.date:
    assert isinstance(day, dt.date)
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def _change_of_regime(
    clave: str, serial: int, lot: dict[str, object], day: dt.date, qty: Decimal
) -> dict[str, object]:
    """An F4 / F5 line: the part itself leaves the temporary regime as is (no BOM)."""
    return {
        "pedimento": _pedimento(day, serial, 6),
        "line": 1,
        "clave": clave,
        "cleared_on": day,
        "product": lot["part"],
        "qty": max(qty, Decimal(1)),
        "uom": lot["uom"],
        "unit_value_usd": lot["unit_value_usd"],
        "destination_country": "MX",
    }


def _submaquila(folder: Path, as_of: dt.date, parts: dict[str, Part]) -> None:
    """Goods sent to a sub-maquiladora: one shipment partly back, one still out."""
    raws = [p for p, v in parts.items() if v.kind == "raw"]
    first, second = raws[0], raws[1]
    out_day, back_day, late_day = (as_of - dt.timedelta(days=d) for d in (70, 55, 12))
    _csv(
        folder / "submaquila.csv",
        ["shipment", "direction", "date", "part", "qty", "uom", "submaquilador_rfc"],
        [
            ["SM-0001", "out", out_day, first, 120, parts[first].uom, SUBMAQUILADOR_RFC],
            ["SM-0001", "in", back_day, first, 90, parts[first].uom, SUBMAQUILADOR_RFC],
            ["SM-0002", "out", late_day, second, 40, parts[second].uom, SUBMAQUILADOR_RFC],
        ],
    )


def _waste(
    folder: Path, as_of: dt.date, parts: dict[str, Part], exports: list[dict[str, object]], ledger: Ledger
) -> None:
    """Disposals of half the desperdicio the first months of exports generated, for three parts.

    Waste of a line = R - R0 (requirement with and without desperdicio) when the line is
    fully allocated, which it is for every part not bought short; the parts chosen are among
    the busy raws whose lots always cover the exports.
    """
    plain = Ledger(
        ledger.parts,
        (),
        (),
        {
            product: tuple(
                BomVersion(
                    v.product,
                    v.valid_from,
                    v.valid_to,
                    tuple(
                        BomComponent(c.component, c.qty_per, c.merma_pct, Decimal(0)) for c in v.components
                    ),
                )
                for v in versions
            )
            for product, versions in ledger.boms.items()
        },
    )
    day = min(e["cleared_on"] for e in exports) + dt.timedelta(weeks=12)  # type: ignore[type-var, operator]
    generated: dict[str, Decimal] = defaultdict(Decimal)
    for row in exports:
        if row["cleared_on"] > day:  # type: ignore[operator]
            continue
        product, qty, when = str(row["product"]), Decimal(str(row["qty"])), row["cleared_on"]
        assert isinstance(when, dt.date)
        base = explode(plain, product, qty, when)
        for part, need in explode(ledger, product, qty, when).items():
            generated[part] += need - base.get(part, Decimal(0))
    chosen = [p for p in sorted(generated) if generated[p] >= 2][:3]
    dispositions = ("destroyed", "donated", "returned")
    _csv(
        folder / "waste.csv",
        ["date", "part", "qty", "uom", "disposition", "document"],
        [
            [
                day,
                part,
                (generated[part] / 2).quantize(Decimal("0.001"), rounding="ROUND_DOWN"),
                parts[part].uom,
                disposition,
                f"ACTA-{index:03d}",
            ]
            for index, (part, disposition) in enumerate(zip(chosen, dispositions, strict=False), start=1)
        ],
    )


def _cost_inputs(folder: Path, as_of: dt.date, parts: dict[str, Part]) -> None:
    """Made-up monthly exchange rates and the company's material terms (IGI rate, T-MEC, PROSEC)
    of every imported part.

    They cost the choices of the expiring report (``immex report expiring --exchange-rates
    --terms``); neither is a ledger file.
    """
    first = _add_months(as_of, -30).replace(day=1)
    months = [_add_months(first, k) for k in range(31)]
    _csv(
        folder / "exchange_rates.csv",
        ["date", "exchange_rate"],
        [
            [month, f"{Decimal('17.20') + Decimal(k % 7) * Decimal('0.15'):.4f}"]
            for k, month in enumerate(months)
        ],
    )
    rows: list[list[object]] = []
    imported = ("raw", "container", "asset")
    for index, (name, part) in enumerate(p for p in parts.items() if p[1].kind in imported):
        originating = part.country_of_origin == "US" and index % 3 == 0
        prosec = ["II", "0"] if index % 5 == 0 and not originating else ["", ""]
        rows.append([name, ("0", "0.05", "0.10", "0.15")[index % 4], str(originating).lower(), *prosec])
    _csv(
        folder / "material_terms.csv",
        ["part", "igi_rate", "originating", "prosec_sector", "prosec_rate"],
        rows,
    )


def _append_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows([["" if v is None else str(v) for v in row] for row in rows])


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
    month_start = as_of.replace(day=1)  # the month's Anexo 24 and IVA credit: a year's would take long
    sources = cost_sources(folder / "exchange_rates.csv", None, folder / "material_terms.csv")
    written = {}
    named: tuple[tuple[str, Callable[[], tuple[reports.Report, Signature]]], ...] = (
        ("aging", lambda: _signed("aging", reports.aging_report(ledger, result, as_of), state, as_of)),
        (
            "expiring",
            lambda: _signed(
                "expiring", reports.expiring_report(ledger, result, as_of, 90, True, sources), state, as_of
            ),
        ),
        (
            "balances",
            lambda: _signed("balances", reports.balances_report(ledger, result, as_of), state, as_of),
        ),
        ("shortfalls", lambda: _signed("shortfalls", reports.shortfalls_report(result), state, as_of)),
        (
            "anexo24",
            lambda: (
                anexo24_report(ledger, result, month_start, as_of, default_template()),
                Signature("anexo24", state.source, period=(month_start, as_of)),
            ),
        ),
        ("annual", lambda: _annual(ledger, state.source, as_of.year)),
        ("ivacredit", lambda: ivacredit_report(url, month_start, as_of)),
    )
    first_export = result.allocations[0].export_pedimento if result.allocations else None
    progress.phase("writing the reports", total=len(named) + bool(first_export), unit="reports")
    for name, build in named:  # built one at a time so the bar moves with each report
        path = workdir / "reports" / f"{name}.xlsx"
        report, signature = build()
        reports.write_report(report, path, signature=signature)
        written[name] = path
        progress.advance()
    if first_export:
        path = workdir / "reports" / "trace-first-export.csv"
        reports.write_report(reports.trace_export_report(ledger, result, first_export), path)
        written["trace"] = path
        progress.advance()
    return outcome, written


def _signed(
    name: str, report: reports.Report, state: reports.State, as_of: dt.date
) -> tuple[reports.Report, Signature]:
    return report, Signature(name, state.source, as_of=as_of)


def _annual(ledger: Ledger, source: Source, year: int) -> tuple[reports.Report, Signature]:
    """The year's export commitment; total sales made up as the exports plus a quarter (sold in Mexico)."""
    exports = annual_exports(outgoing_lines(ledger), year).exports_usd
    outcome = build_annual(ledger, source, year, (exports * Decimal("1.25")).quantize(Decimal("0.01")))
    return outcome.report, outcome.signature


def operations_summary(workdir: Path) -> list[tuple[str, int]]:
    """What the demo company did beyond returns, counted from its input folder (for the CLI)."""
    folder = workdir / "input"

    def rows(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    exports = rows("exports.csv")
    by_clave: dict[str, set[str]] = defaultdict(set)
    for row in exports:
        by_clave[row["clave"]].add(row["pedimento"])
    imports_v1 = {r["pedimento"] for r in rows("imports.csv") if r["clave"] == "V1"}
    return [
        ("virtual transfers in (V1 pedimentos)", len(imports_v1)),
        ("virtual transfers out (V1 / V5 pedimentos)", len(by_clave["V1"] | by_clave["V5"])),
        ("changes of regime (F4 insumo, F5 asset)", len(by_clave["F4"] | by_clave["F5"])),
        ("regularizations (A3 lines)", len(rows("regularizations.csv"))),
        ("sub-maquila shipments", len({r["shipment"] for r in rows("submaquila.csv")})),
        ("waste disposals", len(rows("waste.csv"))),
    ]
