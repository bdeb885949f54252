"""Tariff data: shipped LIGIE catalog, official-file updates with effective dates, US HTS."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from immex.cli.duties import app
from immex.core.problems import InputError
from immex.duties import tariff_service as svc
from immex.duties.tariff import (
    TariffRow,
    hts_lookup,
    in_force,
    merge_release,
    parse_hts_general,
    parse_tigie_rate,
    split_fraccion,
)

runner = CliRunner()
D = dt.date


def test_fraccion_forms() -> None:
    assert split_fraccion("8504.40.99") == ("85044099", None)
    assert split_fraccion("8504.40.99.01") == ("85044099", "01")
    assert split_fraccion("8504409901") == ("85044099", "01")
    with pytest.raises(ValueError):
        split_fraccion("8504.40")


def test_tigie_rates_are_percentages_or_exento() -> None:
    assert parse_tigie_rate("15") == Decimal("0.15")
    assert parse_tigie_rate("7.5%") == Decimal("0.075")
    assert parse_tigie_rate("Ex.") == 0
    assert parse_tigie_rate("") is None
    with pytest.raises(ValueError):
        parse_tigie_rate("0.36 USD/kg")


def test_shipped_catalog_has_the_ligie_2020_fracciones_without_rates() -> None:
    rows = svc.tariff_rows(Path("no-such-dir"))
    assert len(rows) > 10000
    found = in_force(rows, "85044099", None, D(2021, 6, 1))
    assert [r.nico for r in found] == ["00"] and found[0].description == "Los demás"
    assert found[0].igi_rate is None and found[0].until == D(2022, 12, 11)
    # From 2022-12-12 the LIGIE 2022 nomenclature, still without a rate before 2026-03-30.
    [later] = in_force(rows, "85044099", None, D(2026, 1, 1))
    assert (later.description, later.unit, later.igi_rate) == ("Los demás.", "Pza", None)
    # Before the LIGIE 2020 entered into force (28-12-2020) the catalog has nothing.
    assert in_force(rows, "85044099", None, D(2020, 12, 27)) == []


def _row(rate: str | None, since: D, desc: str = "Los demás") -> TariffRow:
    return TariffRow("85044099", "99", desc, "6", None if rate is None else Decimal(rate), since, None, "s")


def test_merge_closes_the_old_rate_the_day_before() -> None:
    merged = merge_release([_row("0.15", D(2021, 1, 1))], [_row("0.35", D(2026, 1, 1))], D(2026, 1, 1))
    assert [(r.igi_rate, r.since, r.until) for r in merged] == [
        (Decimal("0.15"), D(2021, 1, 1), D(2025, 12, 31)),
        (Decimal("0.35"), D(2026, 1, 1), None),
    ]
    assert in_force(merged, "85044099", "99", D(2025, 12, 31))[0].igi_rate == Decimal("0.15")
    assert in_force(merged, "85044099", "99", D(2026, 1, 1))[0].igi_rate == Decimal("0.35")


def test_merge_keeps_an_unchanged_row_and_rows_not_in_the_release() -> None:
    other = TariffRow("39269099", "99", "x", "1", Decimal("0.1"), D(2021, 1, 1), None, "s")
    current = [_row("0.15", D(2021, 1, 1)), other]
    merged = merge_release(current, [_row("0.15", D(2026, 1, 1))], D(2026, 1, 1))
    assert sorted(merged, key=lambda r: r.fraccion) == sorted(current, key=lambda r: r.fraccion)


def test_update_from_an_official_csv_then_show(tmp_path: Path) -> None:
    official = tmp_path / "tigie.csv"
    official.write_text(
        "Fracción;NICO;Descripción;UMT;IGI\n8504.40.99;00;Los demás;6;15\n8542.31.01;00;Circuitos;6;Ex.\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "tariff",
            "update",
            "--file",
            str(official),
            "--since",
            "2026-01-01",
            "--source",
            "DOF test",
            "--data-dir",
            str(tmp_path / "d"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    shown = runner.invoke(
        app,
        [
            "tariff",
            "show",
            "8504.40.99",
            "--date",
            "2026-02-01",
            "--data-dir",
            str(tmp_path / "d"),
            "--format",
            "json",
        ],
    )
    rows = json.loads(shown.stdout)
    assert [(r["nico"], r["igi_rate"], r["since"]) for r in rows] == [("00", "0.15", "2026-01-01")]
    before = runner.invoke(
        app,
        [
            "tariff",
            "show",
            "8504.40.99",
            "--date",
            "2025-02-01",
            "--data-dir",
            str(tmp_path / "d"),
            "--format",
            "json",
        ],
    )
    assert json.loads(before.stdout)[0]["igi_rate"] is None
    assert json.loads(before.stdout)[0]["until"] == "2025-12-31"


def test_update_from_xlsx_with_nico_inside_the_fraccion(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["TIGIE 2026"])
    sheet.append(["Fracción arancelaria", "Descripción", "Arancel"])
    sheet.append(["8544.42.99.99", "Los demás", "10"])
    path = tmp_path / "t.xlsx"
    book.save(path)
    rows = svc.read_official_tariff(path, D(2026, 1, 1), "x")
    assert [(r.fraccion, r.nico, r.igi_rate) for r in rows] == [("85444299", "99", Decimal("0.10"))]


def test_official_file_problems_are_all_reported(tmp_path: Path) -> None:
    official = tmp_path / "bad.csv"
    official.write_text(
        "fraccion,descripcion,igi\n85.04,x,15\n8504.40.99,y,2 USD/kg\n8504.40.98,z,5\n8504.40.98,z,5\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        svc.read_official_tariff(official, D(2026, 1, 1), "x")
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (2, "fraccion"),
        (3, "igi_rate"),
        (5, "fraccion"),
    ]


def test_official_file_without_a_rate_column(tmp_path: Path) -> None:
    official = tmp_path / "bad.csv"
    official.write_text("fraccion,descripcion\n8504.40.99,x\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "tariff",
            "update",
            "--file",
            str(official),
            "--since",
            "2026-01-01",
            "--source",
            "s",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2 and "igi_rate" in result.stderr
    assert not (tmp_path / "tariff" / "ligie.csv").exists()


def test_show_unknown_fraccion_and_bad_date(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["tariff", "show", "0000.00.00", "--date", "2026-01-01", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1 and result.stdout == ""
    result = runner.invoke(app, ["tariff", "show", "8504.40.99", "--date", "2026-13-01"])
    assert result.exit_code == 2 and result.stderr.startswith("--date:")


def test_hts_general_rates() -> None:
    assert parse_hts_general("Free") == 0
    assert parse_hts_general("2.5%") == Decimal("0.025")
    assert parse_hts_general("4.4¢/kg") is None
    assert parse_hts_general("1.5% + 10¢/kg") is None


USITC_JSON = [
    {"htsno": "8504", "indent": "0", "description": "Electrical transformers", "general": ""},
    {"htsno": "8504.40", "indent": "1", "description": "Static converters:", "general": ""},
    {
        "htsno": "8504.40.95",
        "indent": "2",
        "description": "Other",
        "general": "1.5%",
        "special": "Free (A,AU,...)",
        "other": "35%",
    },
    {"htsno": "8504.40.95.10", "indent": "3", "description": "Power supplies", "general": ""},
    {"htsno": "8504.40.95.80", "indent": "3", "description": "Other", "general": ""},
    {"htsno": "", "indent": "2", "description": "Heading text", "general": ""},
    {"htsno": "8708.99.81", "indent": "2", "description": "Other parts", "general": "2.5%"},
]


def test_hts_import_from_usitc_json_inherits_the_8_digit_rate(tmp_path: Path) -> None:
    source = tmp_path / "hts.json"
    source.write_text(json.dumps(USITC_JSON), encoding="utf-8")
    table = tmp_path / "us_hts.csv"
    result = runner.invoke(
        app,
        [
            "hts",
            "import",
            "--file",
            str(source),
            "--table",
            str(table),
            "--source",
            "HTS 2026 Rev. 1",
            "--code",
            "8504.40.95.80",
        ],
    )
    assert result.exit_code == 0, result.stderr
    rows = svc.read_hts_table(table)
    assert "870899810" not in {r.hts for r in rows}
    found = hts_lookup(rows, "8504.40.9580")
    assert found is not None and found.general_rate == Decimal("0.015")
    shown = runner.invoke(app, ["hts", "show", "8504409580", "--table", str(table)])
    assert shown.exit_code == 0 and "0.015" in shown.stdout


def test_hts_import_from_usitc_csv(tmp_path: Path) -> None:
    source = tmp_path / "hts.csv"
    source.write_text(
        '"HTS Number","Indent","Description","Unit of Quantity",'
        '"General Rate of Duty","Special Rate of Duty","Column 2 Rate of Duty"\n'
        '"8708.99.81","2","Other","","2.5%","Free (A+,AU)","25%"\n'
        '"8708.99.81.80","3","Other","No.","","",""\n',
        encoding="utf-8",
    )
    table = tmp_path / "t.csv"
    assert svc.hts_import(source, table, "HTS 2026") == 2
    row = hts_lookup(svc.read_hts_table(table), "8708.99.81.80")
    assert row is not None and row.general_rate == Decimal("0.025")


def test_hts_import_bad_file(tmp_path: Path) -> None:
    source = tmp_path / "hts.json"
    source.write_text("{}", encoding="utf-8")
    result = runner.invoke(
        app, ["hts", "import", "--file", str(source), "--table", str(tmp_path / "t.csv"), "--source", "x"]
    )
    assert result.exit_code == 2 and "JSON list" in result.stderr


def test_prosec_list_update_show_and_effective_dates(tmp_path: Path) -> None:
    first = tmp_path / "prosec1.csv"
    first.write_text("Sector,Fracción,Arancel\nII,8504.40.99,5\nXIX,8504.40.99,Ex.\n", encoding="utf-8")
    args = ["tariff", "update", "--kind", "prosec", "--data-dir", str(tmp_path / "d")]
    result = runner.invoke(
        app, [*args, "--file", str(first), "--since", "2025-01-01", "--source", "PROSEC DOF 2024"]
    )
    assert result.exit_code == 0, result.stderr
    second = tmp_path / "prosec2.csv"
    second.write_text("Sector,Fracción,Arancel\nII,8504.40.99,3\n", encoding="utf-8")
    result = runner.invoke(
        app, [*args, "--file", str(second), "--since", "2026-01-01", "--source", "PROSEC DOF 2025"]
    )
    assert result.exit_code == 0, result.stderr
    rows = svc.prosec_rows(tmp_path / "d")
    from immex.duties.tariff import prosec_in_force

    assert [(r.sector, r.rate) for r in prosec_in_force(rows, "85044099", D(2025, 6, 1))] == [
        ("XIX", Decimal(0)),
        ("II", Decimal("0.05")),
    ]
    assert [(r.sector, r.rate) for r in prosec_in_force(rows, "85044099", D(2026, 6, 1), ["II"])] == [
        ("II", Decimal("0.03"))
    ]
    shown = runner.invoke(
        app,
        [
            "tariff",
            "show",
            "8504.40.99",
            "--date",
            "2026-06-01",
            "--data-dir",
            str(tmp_path / "d"),
            "--format",
            "json",
        ],
    )
    assert shown.exit_code == 0
    assert {p["sector"]: p["rate"] for p in json.loads(shown.stdout)[0]["prosec"]} == {
        "II": "0.03",
        "XIX": "0",
    }


def test_landed_takes_the_prosec_rate_of_a_registered_sector(tmp_path: Path) -> None:
    from immex.duties.landed_service import landed_json, run_landed

    official = tmp_path / "p.csv"
    official.write_text("Sector,Fracción,Arancel\nII,8504.40.99,5\n", encoding="utf-8")
    svc.prosec_update(official, D(2026, 1, 1), "PROSEC test", tmp_path)
    scenario: dict[str, Any] = {
        "date": "2026-06-01",
        "exchange_rate": "20",
        "company": {"immex": False, "prosec_sectors": ["II"]},
        "items": [
            {
                "part": "P",
                "fraccion": "8504.40.99",
                "supplier_country": "CHN",
                "unit_value": "10",
                "annual_quantity": "100",
                "shipments_per_year": 1,
                "igi_rate": "0.10",
            }
        ],
    }
    costs = {
        c["regime"]: c for c in landed_json(run_landed(scenario, data_dir=tmp_path))["scenarios"][0]["items"]
    }
    assert costs["prosec"]["available"] is True and costs["prosec"]["igi"] == 1000
    scenario["company"]["prosec_sectors"] = ["XIX"]
    costs = {
        c["regime"]: c for c in landed_json(run_landed(scenario, data_dir=tmp_path))["scenarios"][0]["items"]
    }
    assert costs["prosec"]["available"] is False
