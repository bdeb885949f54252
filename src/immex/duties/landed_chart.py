"""Landed-cost tables (CSV, XLSX) and the chart of yearly savings by regime (PNG/SVG).

These are reports for people: text from the data (part numbers, reasons) never
becomes a formula (``immex.core.table_files``), and each file appears whole or
not at all (``immex.core.atomic``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from immex.core.atomic import atomic_file, write_bytes_atomic
from immex.core.table_files import spreadsheet_text, xlsx_cell
from immex.duties.landed import REGIMES, RegimeCost
from immex.duties.rounding import fixed2

COLUMNS = (
    "scenario",
    "part",
    "regime",
    "available",
    "reason",
    "annual_quantity",
    "shipments",
    "customs_value",
    "igi",
    "cc",
    "dta",
    "iva",
    "iva_forma_pago",
    "iva_cash_cost",
    "art25_igi",
    "change_of_regime_igi",
    "landed_cost",
    "landed_cost_per_unit",
    "savings_vs_definitive",
)


def rows(costs: Sequence[RegimeCost], scenario: str) -> list[list[str | int | None]]:
    out: list[list[str | int | None]] = []
    for c in costs:
        out.append(
            [
                scenario,
                c.part,
                c.regime,
                "yes" if c.available else "no",
                c.reason,
                format(c.annual_quantity, "f"),
                c.shipments,
                c.customs_value,
                c.igi,
                c.cc,
                c.dta,
                c.iva,
                c.iva_forma_pago,
                fixed2(c.iva_cash_cost),
                c.art25_igi,
                c.change_of_regime_igi,
                fixed2(c.landed_cost) if c.available else "",
                fixed2(c.per_unit) if c.available else "",
                "" if c.savings_vs_definitive is None else fixed2(c.savings_vs_definitive),
            ]
        )
    return out


def to_csv(tables: Sequence[tuple[str, Sequence[RegimeCost]]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for scenario, costs in tables:
        writer.writerows([spreadsheet_text(v) for v in row] for row in rows(costs, scenario))
    return buffer.getvalue()


def write_csv(tables: Sequence[tuple[str, Sequence[RegimeCost]]], path: Path) -> None:
    write_bytes_atomic(path, to_csv(tables).encode("utf-8"))


def write_xlsx(
    tables: Sequence[tuple[str, Sequence[RegimeCost]]],
    savings: Sequence[tuple[str, dict[str, Fraction]]],
    path: Path,
) -> None:
    """One sheet with every item × regime, one with the yearly savings by regime."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "landed cost"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    numeric = {
        "customs_value",
        "igi",
        "cc",
        "dta",
        "iva",
        "art25_igi",
        "change_of_regime_igi",
        "iva_cash_cost",
        "landed_cost",
        "landed_cost_per_unit",
        "savings_vs_definitive",
    }
    for scenario, costs in tables:
        for row in rows(costs, scenario):
            sheet.append(
                [
                    xlsx_cell(
                        sheet,
                        float(value) if COLUMNS[i] in numeric and isinstance(value, str) and value else value,
                    )
                    for i, value in enumerate(row)
                ]
            )
    summary = book.create_sheet("savings by regime")
    summary.append(["scenario", *REGIMES])
    for scenario, totals in savings:
        summary.append([xlsx_cell(summary, scenario), *(float(round(totals[r], 2)) for r in REGIMES)])
    with atomic_file(path) as temporary:
        book.save(temporary)


def savings_chart(
    savings: Sequence[tuple[str, dict[str, Fraction]]],
    path: Path,
    title: str = "Yearly savings against definitive import (MXN)",
) -> None:
    """Bars of savings by regime, one group per scenario (base, what-if). PNG or SVG by
    the file suffix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    regimes = [r for r in REGIMES if r != "definitive"]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / max(len(savings), 1)
    for index, (scenario, totals) in enumerate(savings):
        xs = [i + index * width for i in range(len(regimes))]
        bars = ax.bar(xs, [float(totals[r]) for r in regimes], width, label=scenario)
        ax.bar_label(bars, labels=[f"{float(totals[r]):,.0f}" for r in regimes], fontsize=7)
    ax.set_xticks([i + width * (len(savings) - 1) / 2 for i in range(len(regimes))], regimes)
    ax.set_ylabel("MXN per year")
    ax.set_title(title)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.legend()
    fig.tight_layout()
    with atomic_file(path) as temporary:
        fig.savefig(temporary, format=path.suffix.lstrip(".").lower() or "png")
    plt.close(fig)
