"""Templates, XLSX intake, reports (balances, aging, expiring, trace both ways), company profile, demo."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.cli import app
from immex.core.problems import InputError
from immex.demo import build_demo_folder
from immex.ledger.company import CompanyProfile, set_company
from immex.ledger.read import COLUMNS, read_ledger
from immex.ledger.templates import TABLES
from immex.store.db import open_database
from tests.ledger.ledger_files import bom, exp, imp, part, read_csv, write_ledger
from tests.reports.report_ledgers import xlsx_table

I1, I2 = "25 47 3456 5000001", "25 47 3456 5000002"
E1 = "25 47 3456 6000001"
runner = CliRunner()


def small(tmp_path: Path) -> Path:
    return write_ledger(
        tmp_path / "in",
        [part("FG", kind="finished"), part("A"), part("B")],
        [
            imp(I1, 1, "A", "10", "2025-01-01", unit_value_usd="2"),
            imp(I2, 1, "A", "10", "2025-06-01"),
            imp(I2, 2, "B", "1", "2025-06-01"),
        ],
        [exp(E1, 1, "FG", "4", "2025-07-01", destination_country="US")],
        [bom("FG", "A", "3"), bom("FG", "B", "1")],
    )


def test_template_writes_every_file_with_documented_columns(tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", "--output", str(tmp_path / "t")])
    assert result.exit_code == 0
    for name, (required, optional) in COLUMNS.items():
        with (tmp_path / "t" / name).open() as handle:
            assert next(csv.reader(handle)) == [*required, *optional]
    book = load_workbook(tmp_path / "t" / "ledger-template.xlsx")
    assert book.sheetnames == [n.removesuffix(".csv") for n in TABLES]  # the ledger's, then movements
    assert list(COLUMNS) == list(TABLES)[: len(COLUMNS)]
    assert book["imports"]["A1"].comment is not None
    assert "cleared_on" in (tmp_path / "t" / "COLUMNS.md").read_text()


def test_xlsx_workbook_gives_the_same_ledger_as_the_csv_folder(tmp_path: Path) -> None:
    folder = small(tmp_path)
    book = Workbook()
    book.remove(book.active)
    for name in ("parts.csv", "imports.csv", "exports.csv", "bom.csv"):
        sheet = book.create_sheet(name.removesuffix(".csv"))
        with (folder / name).open() as handle:
            for i, row in enumerate(csv.reader(handle)):
                # Excel users type numbers and dates as such: the reader must cope.
                values: list[object] = list(row)
                if i and name == "imports.csv":
                    values[5] = int(row[5])
                    values[3] = dt.datetime.fromisoformat(row[3])
                sheet.append(values)
    book.save(tmp_path / "ledger.xlsx")
    from_csv, from_xlsx = read_ledger(folder), read_ledger(tmp_path / "ledger.xlsx")
    assert from_xlsx.problems == []
    assert from_csv.ledger is not None and from_xlsx.ledger is not None
    assert [(i.key, i.qty, i.cleared_on) for i in from_xlsx.ledger.imports] == [
        (i.key, i.qty, i.cleared_on) for i in from_csv.ledger.imports
    ]


def test_xlsx_problems_name_the_sheet(tmp_path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, (required, _) in COLUMNS.items():
        if name != "uom_conversions.csv":
            book.create_sheet(name.removesuffix(".csv")).append(list(required))
    book["parts"].append(["A", "pcs", "robot"])
    book.save(tmp_path / "bad.xlsx")
    staged = read_ledger(tmp_path / "bad.xlsx")
    assert [(p.file, p.row, p.column) for p in staged.problems] == [("bad.xlsx:parts", 2, "kind")]


def test_reports_from_an_input_folder(tmp_path: Path) -> None:
    folder = small(tmp_path)
    out = tmp_path / "aging.csv"
    args = ["--input", str(folder), "--as-of", "2026-06-15"]
    assert runner.invoke(app, ["report", "aging", *args, "--output", str(out)]).exit_code == 0
    aging = read_csv(out)
    # Only lots with something left: I2 line 1 (10 - 2 consumed), 379 days old, 169 days to its deadline.
    assert [
        (
            r["import_pedimento"],
            r["qty_remaining"],
            r["status"],
            r["age_bucket"],
            r["days_left"],
            r["value_remaining_usd"],
        )
        for r in aging
    ] == [("254734565000002", "8", "open", "366-545", "169", "")]
    expiring = tmp_path / "expiring.xlsx"
    assert (
        runner.invoke(app, ["report", "expiring", "--days", "30", *args, "--output", str(expiring)]).exit_code
        == 0
    )
    rows = xlsx_table(expiring)  # the table under the signed header block
    assert rows[0][0] == "Pedimento de importación" and len(rows) == 1  # deadline 2026-12-01 is 169 days away
    assert (
        runner.invoke(
            app, ["report", "expiring", "--days", "200", *args, "--output", str(expiring)]
        ).exit_code
        == 0
    )
    rows = xlsx_table(expiring)
    # what_to_do is in Spanish by default (the report catalog's sentences)
    assert [r[2] for r in rows[1:]] == ["A"] and "antes del 2026-12-01" in str(rows[1][9])


def test_trace_both_ways(tmp_path: Path) -> None:
    folder = small(tmp_path)
    out = tmp_path / "trace.csv"
    result = runner.invoke(app, ["report", "trace-export", E1, "--input", str(folder), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert [(r["part"], r["import_pedimento"], r["qty"]) for r in read_csv(out)] == [
        ("A", "254734565000001", "10"),
        ("A", "254734565000002", "2"),
        ("B", "254734565000002", "1"),
        ("B", "SHORTFALL", "3"),
    ]
    result = runner.invoke(
        app, ["report", "trace-import", I2, "--line", "1", "--input", str(folder), "--output", str(out)]
    )
    assert result.exit_code == 0
    assert [(r["export_pedimento"], r["qty"], r["destination_country"]) for r in read_csv(out)] == [
        ("254734566000001", "2", "US")
    ]
    missing = runner.invoke(app, ["report", "trace-import", "25 47 3456 5999999", "--input", str(folder)])
    assert missing.exit_code == 2 and "not in the ledger" in missing.stderr


def test_company_rfc_is_validated(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    with Session(engine) as session:
        with pytest.raises(InputError) as error:
            set_company(session, CompanyProfile("X", "DMA010101AB8", modality="mining"))
        assert {p.column for p in error.value.problems} == {"rfc", "modality"}
        assert set_company(session, CompanyProfile("X", "DMA010101AB7")) > 0
    engine.dispose()


def test_demo_folder_is_valid_and_has_expiring_lots_and_shortfalls(tmp_path: Path) -> None:
    folder = build_demo_folder(tmp_path / "demo", dt.date(2026, 11, 23))
    staged = read_ledger(folder)
    assert staged.problems == [] and staged.ledger is not None
    assert len(staged.ledger.parts) > 300
    assert any(len(v) > 1 for v in staged.ledger.boms.values())
    assert any(c.merma_pct > 0 for v in staged.ledger.boms.values() for ver in v for c in ver.components)
    result = runner.invoke(
        app, ["discharge", "--input", str(folder), "--output", str(tmp_path / "out"), "--as-of", "2026-11-23"]
    )
    assert result.exit_code == 0
    statuses = {r["status"] for r in read_csv(tmp_path / "out" / "balances.csv")}
    assert {"expiring", "overdue", "open", "discharged"} <= statuses
    assert read_csv(tmp_path / "out" / "shortfalls.csv")


def test_demo_command_stores_discharges_and_reports(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--dir", str(tmp_path / "d"), "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "demo.db").exists()
    for name in ("aging.xlsx", "expiring.xlsx", "balances.xlsx", "shortfalls.xlsx"):
        assert (tmp_path / "d" / "reports" / name).stat().st_size > 0
    again = runner.invoke(app, ["report", "runs", "--db", f"sqlite:///{tmp_path / 'd' / 'demo.db'}"])
    assert again.exit_code == 0 and "fifo" in again.stdout
    shutil.rmtree(tmp_path / "d")


def test_a_malformed_pedimento_argument_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "trace-export", "123", "--input", str(small(tmp_path))])
    assert result.exit_code == 2 and "expected 15" in result.stderr
