"""The shipped LIGIE table: the LIGIE 2020 catalog, the LIGIE 2022 nomenclature from
2022-12-12 and the TIGIE rates from 2026-03-30 (rules/duties/tariff/releases.yaml).

Expected values are read in the source file (aduanex_maestra_tigie_import.csv, SHA-256
d829c989…, described in docs/duties.md "Tariff data sources"): 8544.42.99 at 5.0 for its
five NICOs, 8703.23.99.00 at 50.0, 8708.99.99 with ``Ex.``, 0402.10.99.00 with 0.0 and
the note ``AMX (10%+0.36 Dls por Kg de azúcar)``; 0201.20.99 is a LIGIE 2020 fracción that
the LIGIE 2022 replaced by 0201.20.91.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from immex.cli import app as root_app
from immex.cli.duties import app
from immex.duties import tariff_service as svc
from immex.duties.tariff import NicoNeeded, NoAdValoremRate, TariffRow, igi_rate_on
from immex.duties.tariff_shipped import (
    cited_sources,
    load_releases,
    read_release_csv,
    write_release_csv,
)
from immex.rules import RulesError
from tests.ledger.ledger_files import bom, exp, imp, part, write_ledger
from tests.shared_data import shared_data_file

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "src" / "immex" / "rules" / "duties" / "tariff" / "ligie2022.csv"
D = dt.date
RATES_SINCE = D(2026, 3, 30)
LIGIE_2022 = D(2022, 12, 12)
runner = CliRunner()
NONE = Path("no-such-data-dir")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "regenerate_tigie_tariff", ROOT / "scripts" / "regenerate_tigie_tariff.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TIGIE_CSV = shared_data_file("IMMEX_TIGIE_CSV", "aduanex_maestra_tigie_import.csv")


@pytest.mark.skipif(TIGIE_CSV is None, reason="set IMMEX_TIGIE_CSV to aduanex_maestra_tigie_import.csv")
def test_regeneration_reproduces_the_committed_table(tmp_path: Path) -> None:
    assert _script().main([str(TIGIE_CSV), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "ligie2022.csv").read_bytes() == TABLE.read_bytes()


def test_regeneration_refuses_another_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "tigie.csv"
    other.write_text(TABLE.read_text(encoding="utf-8")[:2000], encoding="utf-8")
    assert _script().main([str(other), "--out", str(tmp_path / "out")]) == 2
    assert "is not the TIGIE file this table comes from" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_committed_table_is_sorted_and_written_canonically() -> None:
    text = TABLE.read_text(encoding="utf-8")
    rows = read_release_csv(text, "ligie2022.csv", RATES_SINCE, "s", rates=True)
    assert len(rows) == 11507 and len({r.fraccion for r in rows}) == 8134
    assert sum(1 for r in rows if r.igi_text) == 50
    assert write_release_csv(rows) == text


def test_releases_are_cited_and_in_order() -> None:
    releases = load_releases()
    assert [(r.file, r.since, r.rates) for r in releases] == [
        ("ligie.csv", None, False),
        ("ligie2022.csv", LIGIE_2022, False),
        ("ligie2022.csv", RATES_SINCE, True),
    ]
    sources = cited_sources()
    assert "DOF 07-06-2022" in sources[str(releases[1].source)]["reference"]
    assert "d829c989951e3bc6" in sources[str(releases[2].source)]["reference"]


def test_8544_42_99_has_its_ad_valorem_rate_from_2026_03_30() -> None:
    answer = svc.tariff_show("8544.42.99", D(2026, 6, 1), NONE)
    assert [(r.nico, r.igi_rate, r.since, r.until, r.source) for r in answer.rows] == [
        (nico, Decimal("0.05"), RATES_SINCE, None, "tigie-2026-03-30")
        for nico in ("01", "02", "03", "04", "99")
    ]
    shown = runner.invoke(
        app, ["tariff", "show", "8544.42.99", "--date", "2026-06-01", "--data-dir", str(NONE)]
    )
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.count("IGI 0.05") == 5


def test_every_nico_has_a_rate_or_the_text_of_its_duty_on_a_vouched_date() -> None:
    rows = [r for r in svc.tariff_rows(NONE) if r.covers(D(2026, 6, 1))]
    assert len(rows) == 11507
    assert sum(1 for r in rows if r.igi_rate is not None) == 11457
    assert all((r.igi_rate is None) == bool(r.igi_text) for r in rows)
    index = svc.tariff_index(NONE)
    assert igi_rate_on(index, "87032399", "00", D(2026, 6, 1)) == Decimal("0.5")
    assert igi_rate_on(index, "87089999", "07", D(2026, 6, 1)) == 0  # Ex.


def test_rates_are_not_applied_before_the_date_the_data_vouches_for() -> None:
    index = svc.tariff_index(NONE)
    for day in (D(2026, 3, 29), D(2025, 6, 1), LIGIE_2022):
        [row] = svc.tariff_show("8703.23.99.00", day, NONE).rows
        assert (row.igi_rate, row.igi_text, row.since) == (None, "", LIGIE_2022)
        assert igi_rate_on(index, "87032399", "00", day) is None
    shown = runner.invoke(
        app,
        ["tariff", "show", "8703.23.99", "--date", "2025-06-01", "--data-dir", str(NONE), "--format", "json"],
    )
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)[0]["igi_rate"] is None


def test_mixed_duty_is_text_and_its_zero_is_not_a_rate() -> None:
    [row] = svc.tariff_show("0402.10.99", D(2026, 6, 1), NONE).rows
    assert (row.igi_rate, row.igi_text) == (None, "AMX (10%+0.36 Dls por Kg de azúcar)")
    with pytest.raises(NoAdValoremRate, match="AMX"):
        igi_rate_on(svc.tariff_index(NONE), "04021099", "00", D(2026, 6, 1))
    shown = runner.invoke(
        app, ["tariff", "show", "0402.10.99.00", "--date", "2026-06-01", "--data-dir", str(NONE)]
    )
    assert "no ad valorem rate (import duty: AMX (10%+0.36 Dls por Kg de azúcar))" in shown.stdout


def test_ligie_2022_nomenclature_replaces_the_2020_one_on_2022_12_12() -> None:
    def codes(fraccion: str, day: D) -> list[str]:
        return [r.nico for r in svc.tariff_show(fraccion, day, NONE).rows]

    assert codes("0201.20.99", D(2022, 12, 11)) == ["00"]
    assert codes("0201.20.99", LIGIE_2022) == []
    assert codes("0201.20.91", D(2022, 12, 11)) == []
    assert codes("0201.20.91", LIGIE_2022) == ["00"]
    old = [r for r in svc.tariff_rows(NONE) if r.source == "sat-cce-satcfdi-26.10.1"]
    assert old and {r.until for r in old} == {D(2022, 12, 11)}


def test_a_fraccion_without_nico_takes_the_rate_its_nicos_share() -> None:
    index = svc.tariff_index(NONE)
    assert igi_rate_on(index, "85444299", None, D(2026, 6, 1)) == Decimal("0.05")
    mixed = [
        TariffRow("01019099", nico, "x", "Pza", rate, RATES_SINCE, None, "s")
        for nico, rate in (("01", Decimal("0.1")), ("99", Decimal("0.2")))
    ]
    with pytest.raises(NicoNeeded, match="give the NICO"):
        igi_rate_on(mixed, "01019099", None, D(2026, 6, 1))


def test_release_file_errors_are_rules_errors() -> None:
    header = "fraccion,nico,description,unit,igi_rate,igi_text\n"
    for body, message in (
        ("8504409,00,x,Kg,0.1,\n", "8 digits"),
        ("85044099,00,x,Kg,,\n", "exactly one"),
        ("85044099,00,x,Kg,0.1,AMX\n", "exactly one"),
        ("85044099,00,x,Kg,-1,\n", ">= 0"),
        ("85044099,00,x,Kg,0.1,\n85044099,00,y,Kg,0.1,\n", "repeats"),
    ):
        with pytest.raises(RulesError, match=message):
            read_release_csv(header + body, "r.csv", RATES_SINCE, "s", rates=True)


def test_tmec25_from_the_store_takes_the_shipped_rate_of_a_part_without_terms(
    tmp_path: Path, db_url: str
) -> None:
    folder = write_ledger(
        tmp_path / "ledger",
        [part("H1", hs="8544429999"), part("FG", kind="finished")],
        [imp("26 47 3456 6000001", 1, "H1", "100", "2026-04-06", unit_value_usd="2.00", hs="8544429999")],
        [
            exp(
                "26 47 3456 6000101",
                1,
                "FG",
                "10",
                "2026-05-11",
                unit_value_usd="50",
                destination_country="USA",
            )
        ],
        [bom("FG", "H1", "2")],
    )
    done = runner.invoke(
        root_app,
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
    assert done.exit_code == 0, done.output
    fx = tmp_path / "fx.csv"
    fx.write_text("date,exchange_rate\n2026-04-01,17.00\n", encoding="utf-8")
    result = runner.invoke(
        root_app,
        ["duties", "tmec25", "--db", db_url, "--fx", str(fx), "--data-dir", str(tmp_path / "no-data")],
    )
    assert result.exit_code == 0, result.stderr
    [export] = json.loads(result.stdout)["exports"]
    # 20 H1 consumed × 2.00 USD × 17.00 = 680 MXN at the shipped 5 % of 8544.42.99.99 on
    # its import date 2026-04-06: M = R(34) = 34, paid on the return (no US evidence).
    assert (export["mexican_igi"], export["payable"], export["identificador"]["complemento"]) == (
        34,
        34,
        "9a",
    )


def test_every_row_of_the_shipped_table_cites_a_listed_source() -> None:
    rows = svc.tariff_rows(NONE)
    assert {r.source for r in rows} == {
        "sat-cce-satcfdi-26.10.1",
        "ligie2022-nomenclature-tigie-2026-03-30",
        "tigie-2026-03-30",
    }
    assert {r.source for r in rows} <= set(cited_sources())
    # Rates only from the release that carries them, and only from the date it vouches for.
    rated = [r for r in rows if r.igi_rate is not None or r.igi_text]
    assert {(r.source, r.since, r.until) for r in rated} == {("tigie-2026-03-30", RATES_SINCE, None)}
