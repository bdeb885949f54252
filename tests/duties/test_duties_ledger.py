"""T-MEC Art. 2.5 and landed-cost volumes from the stored ledger and discharge."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from immex.cli import app
from tests.ledger.ledger_files import bom, exp, imp, part, write_ledger

I1 = "26 47 3456 6000001"
E1, E2, E3 = "26 47 3456 6000101", "26 47 3456 6000102", "26 47 3456 6000103"
runner = CliRunner()


def stored(tmp_path: Path, db_url: str) -> None:
    folder = write_ledger(
        tmp_path / "ledger",
        [part("P1", hs="8504409900"), part("P2", hs="7326909900"), part("FG", kind="finished")],
        [
            imp(I1, 1, "P1", "100", "2026-01-05", unit_value_usd="2.00", hs="8504409900"),
            imp(I1, 2, "P2", "50", "2026-01-05", unit_value_usd="4.00", hs="7326909900"),
        ],
        [
            exp(E1, 1, "FG", "10", "2026-03-10", unit_value_usd="50", destination_country="USA"),
            exp(E2, 1, "P1", "5", "2026-03-20", unit_value_usd="2.50", destination_country="USA"),
            exp(E3, 1, "FG", "5", "2026-04-01", unit_value_usd="50", destination_country="DEU"),
        ],
        [bom("FG", "P1", "2"), bom("FG", "P2", "1")],
    )
    result = runner.invoke(
        app,
        [
            "discharge",
            "--input",
            str(folder),
            "--output",
            str(tmp_path / "out"),
            "--as-of",
            "2026-12-31",
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 0, result.output
    (tmp_path / "fx.csv").write_text(
        "date,exchange_rate\n2026-01-05,17.00\n2026-03-01,18.00\n", encoding="utf-8"
    )
    (tmp_path / "terms.csv").write_text(
        "part,igi_rate,originating\nP1,0.10,false\nP2,0.05,true\n", encoding="utf-8"
    )
    (tmp_path / "us.csv").write_text("product,us_rate\nFG,0.025\n", encoding="utf-8")


def test_art25_per_export_from_the_stored_discharge(tmp_path: Path, db_url: str) -> None:
    stored(tmp_path, db_url)
    result = runner.invoke(
        app,
        [
            "duties",
            "tmec25",
            "--db",
            db_url,
            "--fx",
            str(tmp_path / "fx.csv"),
            "--terms",
            str(tmp_path / "terms.csv"),
            "--us-rates",
            str(tmp_path / "us.csv"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    exports = {e["pedimento"]: e for e in body["exports"]}
    # E3 goes to Germany: not an Art. 2.5 export.
    assert set(exports) == {"264734566000101", "264734566000102"}
    e1 = exports["264734566000101"]
    # P1: 20 units × 2.00 USD × 17.00 × 10 % = 68; P2 is originating (excluded).
    # US duty 10 × 50 USD × 2.5 % = 12.50 USD × 18.00 = R(225) → exemption 68.
    assert (e1["mexican_igi"], e1["foreign_duty_mxn"], e1["exemption"], e1["payable"]) == (68, 225, 68, 0)
    assert e1["identificador"] == {"clave": "ST", "complemento": "8"}
    assert e1["due_date"] == "2026-05-09" and e1["dta_complementario"] == 463
    assert sorted((m["part"], m["qty"], m["included"]) for m in e1["materials"]) == [
        ("P1", "20", True),
        ("P2", "10", False),
    ]
    # E2 returns P1 as imported: same condition, not subject.
    e2 = exports["264734566000102"]
    assert e2["applies"] is False and e2["identificador"]["complemento"] == "22"
    assert body["totals"] == {
        "mexican_igi": 68,
        "exemption": 68,
        "payable": 0,
        "dta_complementario": 463,
        "exports": 2,
    }
    assert body["by_month"] == {
        "2026-03": {"mexican_igi": 68, "exemption": 68, "payable": 0, "dta_complementario": 463, "exports": 2}
    }

    runs = runner.invoke(
        app,
        [
            "duties",
            "tmec25",
            "--db",
            db_url,
            "--fx",
            str(tmp_path / "fx.csv"),
            "--terms",
            str(tmp_path / "terms.csv"),
            "--run",
            "999",
        ],
    )
    assert runs.exit_code == 0 and json.loads(runs.stdout)["exports"] == []

    period = runner.invoke(
        app,
        [
            "duties",
            "tmec25",
            "--db",
            db_url,
            "--fx",
            str(tmp_path / "fx.csv"),
            "--terms",
            str(tmp_path / "terms.csv"),
            "--to",
            "2026-03-15",
        ],
    )
    assert period.exit_code == 0, period.stderr
    only = json.loads(period.stdout)["exports"]
    # Without US evidence the IGI is paid on the return pedimento.
    assert [(e["pedimento"], e["payable"], e["identificador"]["complemento"]) for e in only] == [
        ("264734566000101", 68, "9a")
    ]


def test_missing_terms_and_rates_are_reported(tmp_path: Path, db_url: str) -> None:
    stored(tmp_path, db_url)
    (tmp_path / "fx2.csv").write_text("date,exchange_rate\n2026-03-01,18.00\n", encoding="utf-8")
    (tmp_path / "terms2.csv").write_text("part,igi_rate,originating\nP2,0.05,true\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "duties",
            "tmec25",
            "--db",
            db_url,
            "--fx",
            str(tmp_path / "fx2.csv"),
            "--terms",
            str(tmp_path / "terms2.csv"),
        ],
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert "import 264734566000001:1 P1: no IGI rate" in result.stderr
    assert "no exchange rate for the import of 2026-01-05" in result.stderr


def test_input_and_db_are_exclusive(tmp_path: Path) -> None:
    result = runner.invoke(app, ["duties", "tmec25"])
    assert result.exit_code == 2 and result.stderr.startswith("--input:")


def test_landed_volumes_from_the_store(tmp_path: Path, db_url: str) -> None:
    stored(tmp_path, db_url)
    scenario = {
        "date": "2026-06-30",
        "exchange_rate": "18",
        "company": {"immex": True},
        "items": [
            {
                "part": "P1",
                "fraccion": "8504.40.99",
                "supplier_country": "CHN",
                "unit_value": "2.00",
                "annual_quantity": "1",
                "shipments_per_year": 1,
                "igi_rate": "0.10",
            }
        ],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    result = runner.invoke(
        app, ["duties", "landed", "--input", str(path), "--db", db_url, "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    item = json.loads(result.stdout)["scenarios"][0]["items"][0]
    # 100 units imported in the year before 2026-06-30: VA = 100 × 2 × 18 = 3600.
    assert item["annual_quantity"] == "100" and item["customs_value"] == 3600
