"""The compulsa against the stored ledger (``--db``), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.cli import datastage_compulsa
from immex.ledger import service as ledger_service
from immex.ledger.read import read_ledger
from immex.store.db import open_database

from .compulsa_helpers import (
    Par,
    Ped,
    Stage,
    import_row,
    read_differences,
    write_csv,
    write_ledger,
    write_stage,
)

PED = Ped()
PAR = Par(PED)


def store(folder: Path, db_url: str) -> None:
    write_csv(folder / "bom.csv", ("product", "component", "qty_per", "uom", "valid_from"), [])
    read = read_ledger(folder)
    assert read.ledger is not None, read.problems
    engine = open_database(db_url)
    with Session(engine) as session:
        company = ledger_service.company_id(session)
        _, problems = ledger_service.store_ledger(session, read.ledger, company)
        assert problems == []
        session.commit()
    engine.dispose()


def test_compulsa_against_the_stored_ledger(tmp_path: Path, db_url: str) -> None:
    other = Ped(pedimento="6000002")
    write_stage(tmp_path / "ds.zip", Stage([PED, other], [PAR, Par(other)]))
    parts = [{"part": "P1", "uom": "pcs", "kind": "raw", "hs": "8542.39.01", "country_of_origin": "CN"}]
    write_ledger(
        tmp_path / "ledger",
        [import_row(PAR, uom="pcs", qty="40", hs="", country_of_origin="", unit_value_usd="2.5")],
        parts=parts,
    )
    store(tmp_path / "ledger", db_url)
    app = typer.Typer()
    datastage_compulsa.register(app)
    result = CliRunner().invoke(
        app,
        [
            "compulsa",
            "--datastage",
            str(tmp_path / "ds.zip"),
            "--db",
            db_url,
            "--output",
            str(tmp_path / "out"),
            "--no-reports",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read_differences(tmp_path / "out" / "differences.csv")
    assert [(r["pedimento"], r["line"], r["field"], r["ledger"], r["datastage"]) for r in rows] == [
        (PED.number, "1", "qty", "40.000", "100.000"),
        (PED.number, "1", "value_usd", "100.00", "250.00"),
        (other.number, "", "pedimento", "", ""),
    ]


def test_unknown_company_is_an_input_error(tmp_path: Path, db_url: str) -> None:
    write_stage(tmp_path / "ds.zip", Stage([PED], [PAR]))
    open_database(db_url).dispose()  # an existing store without that company (a missing store is refused)
    app = typer.Typer()
    datastage_compulsa.register(app)
    result = CliRunner().invoke(
        app,
        [
            "compulsa",
            "--datastage",
            str(tmp_path / "ds.zip"),
            "--db",
            db_url,
            "--company",
            "nobody",
            "--output",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    assert "company" in (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8")
