"""Landed cost and savings by regime, with a worked example computed by hand.

Rates: IVA 16 % (LIVA Art. 1, rules/duties/iva.yaml); DTA 8 al millar with the 2026
fr. III quota 461.61 (LFD Art. 49, rules/duties/dta.yaml); IGI 10 % and PROSEC 5 % are
the scenario's own; T-MEC Parties from rules/duties/tmec25.yaml.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from immex.cli.duties import app
from immex.duties.landed_case import apply_what_if
from immex.duties.landed_service import landed_json, run_landed
from immex.duties.service import CaseError

runner = CliRunner()

SCENARIO: dict[str, Any] = {
    "date": "2026-06-01",
    "exchange_rate": "20",
    "cost_of_money": "0.10",
    "iva_recovery_days": 73,
    "company": {"immex": True, "certification": "AAA", "prosec_sectors": ["II"]},
    "items": [
        {
            "part": "P-1",
            "fraccion": "8504.40.99",
            "supplier_country": "CHN",
            "unit_value": "10",
            "annual_quantity": "1200",
            "shipments_per_year": 12,
            "igi_rate": "0.10",
            "prosec": {"sector": "II", "rate": "0.05"},
            "exported_share": "1",
            "us_duty_per_unit": "0.5",
        }
    ],
}


def by_regime(out: dict[str, Any], scenario: int = 0) -> dict[str, dict[str, Any]]:
    return {c["regime"]: c for c in out["scenarios"][scenario]["items"]}


def test_worked_example_definitive_prosec_immex() -> None:
    # Per shipment: 100 units, VA = R(100 * 10 * 20) = 20000.
    # definitive: IGI 2000, DTA R(max(160, 461.61)) = 462, IVA R(22462 * 0.16) = 3594,
    #   IVA cost 3594 * 0.10 * 73/365 = 71.88 → 22533.88 per shipment, 270406.56 a year.
    # prosec: IGI 1000, IVA R(21462 * 0.16) = 3434, cost 68.68 → 258368.16; saves 12038.40.
    # immex (AAA: IVA credited, FP 21): DTA 462; Art. 2.5 M = R(20000 * 0.05) = 1000 against
    #   U = R(0.5 * 100 * 20) = 1000 → 0 → 245544.00; saves 24862.56.
    out = landed_json(run_landed(SCENARIO))
    costs = by_regime(out)
    assert costs["definitive"]["landed_cost"] == "270406.56"
    assert (costs["definitive"]["igi"], costs["definitive"]["dta"], costs["definitive"]["iva"]) == (
        24000,
        5544,
        43128,
    )
    assert costs["prosec"]["landed_cost"] == "258368.16"
    assert costs["prosec"]["savings_vs_definitive"] == "12038.40"
    assert costs["immex"]["landed_cost"] == "245544.00"
    assert costs["immex"]["iva_forma_pago"] == 21 and costs["immex"]["iva_cash_cost"] == "0.00"
    assert costs["immex"]["art25_igi"] == 0
    assert costs["immex"]["savings_vs_definitive"] == "24862.56"
    assert costs["tmec"]["available"] is False
    assert out["scenarios"][0]["savings_by_regime"] == {
        "definitive": "0.00",
        "prosec": "12038.40",
        "tmec": "0.00",
        "immex": "24862.56",
    }


def test_immex_pays_art25_when_the_us_duty_is_lower() -> None:
    scenario = copy.deepcopy(SCENARIO)
    scenario["items"][0]["us_duty_per_unit"] = "0"
    costs = by_regime(landed_json(run_landed(scenario)))
    assert costs["immex"]["art25_igi"] == 12000
    assert costs["immex"]["landed_cost"] == "257544.00"


def test_what_if_supplier_country_makes_tmec_available() -> None:
    # T-MEC: IGI 0, DTA exempt (all originating), IVA R(20000 * 0.16) = 3200, cost 64.
    out = landed_json(run_landed(SCENARIO, ["items.P-1.supplier_country=USA"]))
    assert [s["name"] for s in out["scenarios"]] == ["base", "what-if"]
    assert by_regime(out, 0)["tmec"]["available"] is False
    tmec = by_regime(out, 1)["tmec"]
    assert tmec["available"] is True and tmec["dta"] == 0
    assert tmec["landed_cost"] == "240768.00"
    assert tmec["savings_vs_definitive"] == "29638.56"


def test_what_if_volume_and_rate() -> None:
    out = landed_json(run_landed(SCENARIO, ["items.P-1.annual_quantity=2400", "items.P-1.igi_rate=0.20"]))
    base, what_if = by_regime(out, 0), by_regime(out, 1)
    assert what_if["definitive"]["customs_value"] == 2 * base["definitive"]["customs_value"]
    assert what_if["definitive"]["igi"] == 2 * 2 * base["definitive"]["igi"]


def test_ledger_volumes_replace_the_file_quantities() -> None:
    from decimal import Decimal

    out = landed_json(run_landed(SCENARIO, volumes={"P-1": Decimal(2400)}))
    assert by_regime(out)["definitive"]["customs_value"] == 480000


def test_what_if_errors() -> None:
    _, problems = apply_what_if(
        SCENARIO, ["items.X-9.igi_rate=0.1", "novalue", "items.P-1.shipments_per_year=many"]
    )
    assert [p.message.split(":")[0] for p in problems] == [
        "items.X-9.igi_rate",
        "'novalue' is not PATH=VALUE",
        "items.P-1.shipments_per_year",
    ]
    with pytest.raises(CaseError):
        run_landed(SCENARIO, ["items.X-9.igi_rate=0.1"])


def test_scenario_problems_are_collected() -> None:
    bad = copy.deepcopy(SCENARIO)
    bad["exchange_rate"] = 20
    bad["items"][0]["unit_value"] = "-1"
    bad["items"][0]["exported_share"] = "1.5"
    bad["items"].append(dict(bad["items"][0], part="P-1"))
    with pytest.raises(CaseError) as caught:
        run_landed(bad)
    paths = [p.path for p in caught.value.problems]
    assert paths[0] == "exchange_rate"
    assert "items[0].unit_value" in paths and "items[0].exported_share" in paths
    assert "items[1].part" in paths


def test_igi_rate_missing_is_taken_from_the_shipped_tariff_on_a_date_it_vouches_for() -> None:
    # 8504.40.99 (single NICO 00) is at 10.0 in the shipped TIGIE rates from 2026-03-30:
    # the scenario's own 0.10, so the worked example above comes out the same.
    from_tariff = copy.deepcopy(SCENARIO)
    del from_tariff["items"][0]["igi_rate"]
    costs = by_regime(landed_json(run_landed(from_tariff)))
    assert costs["definitive"]["landed_cost"] == "270406.56"
    assert costs["definitive"]["igi"] == 24000


def test_igi_rate_missing_and_not_in_the_tariff_on_that_date_is_an_error() -> None:
    # 2026-03-29: before the date the shipped rates vouch for; the LIGIE 2022 row of that
    # date has no rate, and it is never taken as 0.
    bad = copy.deepcopy(SCENARIO)
    bad["date"] = "2026-03-29"
    del bad["items"][0]["igi_rate"]
    with pytest.raises(CaseError) as caught:
        run_landed(bad)
    [problem] = caught.value.problems
    assert problem.path == "items[0].igi_rate"
    assert "no rate for 8504.40.99 on 2026-03-29" in problem.message
    assert "immex duties tariff update" in problem.message


def test_cli_writes_csv_xlsx_and_charts(tmp_path: Path) -> None:
    case = tmp_path / "s.json"
    case.write_text(json.dumps(SCENARIO), encoding="utf-8")
    for chart in ("s.png", "s.svg"):
        result = runner.invoke(
            app,
            [
                "landed",
                "--input",
                str(case),
                "--csv",
                str(tmp_path / "t.csv"),
                "--xlsx",
                str(tmp_path / "t.xlsx"),
                "--chart",
                str(tmp_path / chart),
                "--set",
                "items.P-1.supplier_country=CAN",
            ],
        )
        assert result.exit_code == 0, result.stderr
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "s.svg").read_text(encoding="utf-8")
    lines = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("scenario,part,regime") and len(lines) == 1 + 8
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["landed cost", "savings by regime"]
    assert book["savings by regime"]["D3"].value == pytest.approx(29638.56)


def test_cli_bad_chart_suffix_and_bad_input(tmp_path: Path) -> None:
    case = tmp_path / "s.json"
    case.write_text(json.dumps(SCENARIO), encoding="utf-8")
    result = runner.invoke(app, ["landed", "--input", str(case), "--chart", "x.gif"])
    assert result.exit_code == 2
    case.write_text(json.dumps({"date": "x"}), encoding="utf-8")
    result = runner.invoke(app, ["landed", "--input", str(case)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines()[0].startswith("date: ")
