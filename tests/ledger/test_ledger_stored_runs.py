"""Stored runs: idempotent, incremental, reversible, and the same output on every store."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.cli import app
from immex.discharge.methods import balances
from immex.discharge.service import active_allocations, stored_result
from immex.ledger.model import Ledger
from immex.ledger.orm import AllocationRow, DischargeRunRow, ImportLineRow
from immex.ledger.service import company_id, load_ledger
from immex.store.db import open_database
from tests.ledger.ledger_files import exp, imp, ledger_to_folder, part, read_csv, write_ledger
from tests.ledger.strategies import ledgers

I1, I2 = "25 47 3456 5000001", "25 47 3456 5000002"
E1, E2 = "25 47 3456 6000001", "25 47 3456 6000002"


def discharge(folder: Path, out: Path, db_url: str | None, *extra: str) -> dict[str, object]:
    args = ["discharge", "--input", str(folder), "--output", str(out), "--as-of", "2025-12-31", *extra]
    if db_url:
        args += ["--db", db_url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return dict(json.loads((out / "run.json").read_text()))


def counts(db_url: str) -> tuple[int, int, int]:
    engine = open_database(db_url)
    with Session(engine) as s:
        values = tuple(
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (ImportLineRow, AllocationRow, DischargeRunRow)
        )
    engine.dispose()
    return values  # type: ignore[return-value]


def first_period(tmp_path: Path) -> Path:
    return write_ledger(
        tmp_path / "p1",
        [part("A")],
        [imp(I1, 1, "A", "10", "2025-01-01")],
        [exp(E1, 1, "A", "4", "2025-02-01")],
    )


def test_same_input_twice_changes_nothing(tmp_path: Path, db_url: str) -> None:
    folder = first_period(tmp_path)
    first = discharge(folder, tmp_path / "o1", db_url)
    before = counts(db_url)
    second = discharge(folder, tmp_path / "o2", db_url)
    assert counts(db_url) == before == (1, 1, 1)
    assert second["run_id"] == first["run_id"] and second["reused_existing_run"] is True
    assert (tmp_path / "o1" / "allocations.csv").read_text() == (
        tmp_path / "o2" / "allocations.csv"
    ).read_text()


def test_new_period_keeps_every_earlier_allocation(tmp_path: Path, db_url: str) -> None:
    discharge(first_period(tmp_path), tmp_path / "o1", db_url)
    engine = open_database(db_url)
    with Session(engine) as s:
        earlier = {r.id for r in active_allocations(s, company_id(s))}
    later = write_ledger(
        tmp_path / "p2",
        [part("A")],
        [imp(I1, 1, "A", "10", "2025-01-01"), imp(I2, 1, "A", "10", "2025-03-01")],
        [exp(E1, 1, "A", "4", "2025-02-01"), exp(E2, 1, "A", "9", "2025-04-01")],
    )
    run = discharge(later, tmp_path / "o2", db_url)
    with Session(engine) as s:
        now = {r.id for r in active_allocations(s, company_id(s))}
        assert earlier <= now and len(now) == 3
        assert run["run_id"] == 2
    engine.dispose()
    assert [r["qty"] for r in read_csv(tmp_path / "o2" / "allocations.csv")] == ["4", "6", "3"]


def test_backdated_import_replaces_only_the_changed_export_lines(tmp_path: Path, db_url: str) -> None:
    short = write_ledger(
        tmp_path / "p1",
        [part("A"), part("B")],
        [imp(I1, 1, "A", "1", "2025-01-01"), imp(I1, 2, "B", "5", "2025-01-01")],
        [exp(E1, 1, "A", "3", "2025-02-01"), exp(E1, 2, "B", "5", "2025-02-01")],
    )
    discharge(short, tmp_path / "o1", db_url)
    assert len(read_csv(tmp_path / "o1" / "shortfalls.csv")) == 1
    fixed = write_ledger(
        tmp_path / "p2",
        [part("A"), part("B")],
        [
            imp(I1, 1, "A", "1", "2025-01-01"),
            imp(I1, 2, "B", "5", "2025-01-01"),
            imp(I2, 1, "A", "2", "2025-01-15"),
        ],
        [exp(E1, 1, "A", "3", "2025-02-01"), exp(E1, 2, "B", "5", "2025-02-01")],
    )
    discharge(fixed, tmp_path / "o2", db_url)
    assert read_csv(tmp_path / "o2" / "shortfalls.csv") == []
    engine = open_database(db_url)
    with Session(engine) as s:
        result = stored_result(s, company_id(s))
        runs_of_b = {r.run_id for r in active_allocations(s, company_id(s)) if r.part == "B"}
    engine.dispose()
    assert runs_of_b == {1}  # untouched export line keeps its first-run row
    assert [(a.part, a.qty) for a in result.allocations] == [
        ("A", Decimal(1)),
        ("A", Decimal(2)),
        ("B", Decimal(5)),
    ]
    assert result.shortfalls == ()


def test_reversing_the_latest_run_restores_the_previous_state(tmp_path: Path, db_url: str) -> None:
    discharge(first_period(tmp_path), tmp_path / "o1", db_url)
    later = write_ledger(
        tmp_path / "p2",
        [part("A")],
        [imp(I1, 1, "A", "10", "2025-01-01")],
        [exp(E1, 1, "A", "4", "2025-02-01"), exp(E2, 1, "A", "1", "2025-03-01")],
    )
    discharge(later, tmp_path / "o2", db_url)
    runner = CliRunner()
    refused = runner.invoke(app, ["run", "reverse", "1", "--reason", "test", "--db", db_url])
    assert refused.exit_code == 2 and "run 2 is later" in refused.stderr
    assert (
        runner.invoke(app, ["run", "reverse", "2", "--reason", "wrong export", "--db", db_url]).exit_code == 0
    )
    engine = open_database(db_url)
    with Session(engine) as s:
        result = stored_result(s, company_id(s))
    engine.dispose()
    assert [(a.export_pedimento, a.qty) for a in result.allocations] == [("254734566000001", Decimal(4))]


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(ledgers())
def test_sqlite_and_postgresql_give_the_same_output(pg_server_url: str, ledger: Ledger) -> None:
    base = Path(tempfile.mkdtemp(prefix="immex-same-"))
    folder = ledger_to_folder(ledger, base / "in")
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    pg = f"{pg_server_url.rpartition('/')[0]}/{name}"
    outputs = {}
    for label, url in (("memory", None), ("sqlite", f"sqlite:///{base / 'x.db'}"), ("pg", pg)):
        discharge(folder, base / label, url)
        outputs[label] = [
            (base / label / f).read_text() for f in ("allocations.csv", "shortfalls.csv", "balances.csv")
        ]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
    shutil.rmtree(base, ignore_errors=True)
    assert outputs["memory"] == outputs["sqlite"] == outputs["pg"]


def test_adjustment_withdraws_quantity_from_the_next_run_and_shows_in_balances(
    tmp_path: Path, db_url: str
) -> None:
    folder = write_ledger(
        tmp_path / "p1",
        [part("A")],
        [imp(I1, 1, "A", "10", "2025-01-01"), imp(I2, 1, "A", "10", "2025-01-02")],
        [exp(E1, 1, "A", "12", "2025-02-01")],
    )
    discharge(folder, tmp_path / "o1", db_url)
    runner = CliRunner()
    base = ["adjust", "--pedimento", I1, "--line", "1", "--part", "A", "--db", db_url]
    refused = runner.invoke(app, [*base, "--qty", "11", "--reason", "destroyed"])
    assert refused.exit_code == 2 and "left to adjust" in refused.stderr
    no_reason = runner.invoke(app, [*base, "--qty", "1", "--reason", " "])
    assert no_reason.exit_code == 2 and "reason" in no_reason.stderr
    adjusted = runner.invoke(app, [*base, "--qty", "3", "--reason", "destroyed (acta 12)"])
    assert adjusted.exit_code == 0
    # Lot 1 was wholly discharged: the adjustment re-discharged at once (run 2), never a negative balance.
    assert "run 2 moved 1 export line to other lots" in adjusted.stdout
    run = discharge(folder, tmp_path / "o2", db_url)
    assert run["run_id"] == 2 and run["reused_existing_run"]
    assert [(r["import_pedimento"][-1], r["qty"]) for r in read_csv(tmp_path / "o2" / "allocations.csv")] == [
        ("1", "7"),
        ("2", "5"),
    ]
    engine = open_database(db_url)
    with Session(engine) as s:
        ledger = load_ledger(s, company_id(s))
        rows = balances(ledger, stored_result(s, company_id(s)).allocations, dt.date(2025, 12, 31))
    engine.dispose()
    first = rows[0]
    assert (first.qty_imported, first.qty_adjusted, first.qty_discharged, first.qty_remaining) == tuple(
        Decimal(v) for v in (10, 3, 7, 0)
    )
