"""`tariff update` with the real shape of an official release: import duties that are not
ad valorem (--non-ad-valorem keep) and complete releases that suppress fracciones (--full).

The duties in these files are made up for the tests (specific "0.36 Dls por kg", mixed
"20% + 0.36 Dls por kg", "Prohibida" are the forms the Tarifa writes them in); they are not
the official rates of these fracciones.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from immex.cli import app as root_app
from immex.cli.duties import app
from immex.core.problems import InputError
from immex.duties import tariff_service as svc
from immex.duties.landed_service import landed_json, run_landed
from immex.duties.service import CaseError
from immex.duties.tariff import (
    NoAdValoremRate,
    ProsecRow,
    TariffRow,
    apply_release,
    igi_rate_on,
    in_force,
    merge_prosec,
)
from tests.duties.test_duties_ledger import stored

runner = CliRunner()
D = dt.date
SINCE = "2026-01-01"

RELEASE = (
    "Fracción;NICO;Descripción;UMT;IGI\n"
    "8504.40.99;00;Los demás;6;15\n"
    "0201.10.01;00;En canales o medias canales;Kg;0.36 Dls por kg\n"
    "9302.00.01;00;Revólveres;Pza;Prohibida\n"
    "1701.99.99;00;Los demás;Kg;20% + 0.36 Dls por kg\n"
)


def _file(tmp_path: Path, text: str = RELEASE, name: str = "tigie.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _update(path: Path, data: Path, *extra: str, since: str = SINCE) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        [
            "tariff",
            "update",
            "--file",
            str(path),
            "--since",
            since,
            "--source",
            "DOF test release",
            "--data-dir",
            str(data),
            *extra,
        ],
    )
    return result.exit_code, result.stdout, result.stderr


# --- non ad valorem duties --------------------------------------------------------------


def test_by_default_a_duty_that_is_not_ad_valorem_rejects_the_file(tmp_path: Path) -> None:
    code, out, err = _update(_file(tmp_path), tmp_path / "d")
    assert code == 2 and out == ""
    lines = err.splitlines()
    # file:row:column, one line per row, pointing at the option that loads them.
    assert [ln.split(": ")[0] for ln in lines] == [
        "tigie.csv:3:igi_rate",
        "tigie.csv:4:igi_rate",
        "tigie.csv:5:igi_rate",
    ]
    assert all("--non-ad-valorem keep" in ln for ln in lines)
    assert "'0.36 Dls por kg'" in lines[0]
    assert not (tmp_path / "d" / "tariff" / "ligie.csv").exists()


def test_keep_loads_the_rows_without_a_rate_and_with_the_duty_text(tmp_path: Path) -> None:
    data = tmp_path / "d"
    code, out, err = _update(_file(tmp_path), data, "--non-ad-valorem", "keep")
    assert code == 0, err
    assert out.startswith("4 rows read (3 without an ad valorem rate, kept with the duty's text);")
    day = D(2026, 2, 1)
    rows = svc.tariff_rows(data)
    assert [(r.igi_rate, r.igi_text) for r in in_force(rows, "02011001", "00", day)] == [
        (None, "0.36 Dls por kg")
    ]
    assert [(r.igi_rate, r.igi_text) for r in in_force(rows, "93020001", "00", day)] == [(None, "Prohibida")]
    assert [(r.igi_rate, r.igi_text) for r in in_force(rows, "17019999", "00", day)] == [
        (None, "20% + 0.36 Dls por kg")
    ]
    # The ad valorem row of the same file keeps its rate and no text.
    assert [(r.igi_rate, r.igi_text) for r in in_force(rows, "85044099", "00", day)] == [
        (Decimal("0.15"), "")
    ]
    header = (data / "tariff" / "ligie.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(svc.TARIFF_COLUMNS_WITH_TEXT)


def test_show_says_there_is_no_ad_valorem_rate_and_gives_the_text(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert _update(_file(tmp_path), data, "--non-ad-valorem", "keep")[0] == 0
    shown = runner.invoke(
        app, ["tariff", "show", "0201.10.01", "--date", "2026-02-01", "--data-dir", str(data)]
    )
    assert shown.exit_code == 0, shown.stderr
    assert "no ad valorem rate (import duty: 0.36 Dls por kg)" in shown.stdout
    assert "IGI" not in shown.stdout.split("\n")[0]
    as_json = runner.invoke(
        app,
        [
            "tariff",
            "show",
            "9302.00.01.00",
            "--date",
            "2026-02-01",
            "--data-dir",
            str(data),
            "--format",
            "json",
        ],
    )
    [row] = json.loads(as_json.stdout)
    assert (row["igi_rate"], row["igi_text"]) == (None, "Prohibida")
    rated = runner.invoke(
        app,
        ["tariff", "show", "8504.40.99", "--date", "2026-02-01", "--data-dir", str(data), "--format", "json"],
    )
    assert [(r["igi_rate"], r["igi_text"]) for r in json.loads(rated.stdout)] == [("0.15", None)]


def test_keep_still_rejects_a_malformed_percentage(tmp_path: Path) -> None:
    """A cell of digits and signs only is a typo in a rate, not a duty written in words."""
    path = _file(
        tmp_path,
        "Fracción;NICO;Descripción;IGI\n8504.40.99;00;x;15,5\n"
        "8504.40.98;00;y;-3\n8504.40.97;00;z;Prohibida\n",
    )
    with pytest.raises(InputError) as caught:
        svc.read_official_tariff(path, D(2026, 1, 1), "s", non_ad_valorem="keep")
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "igi_rate"), (3, "igi_rate")]


def test_a_change_of_the_duty_text_alone_is_a_new_row(tmp_path: Path) -> None:
    old = TariffRow("02011001", "00", "x", "Kg", None, D(2021, 1, 1), None, "s", "0.36 Dls por kg")
    new = TariffRow("02011001", "00", "x", "Kg", None, D(2026, 1, 1), None, "s", "0.40 Dls por kg")
    merged = apply_release([old], [new], D(2026, 1, 1))
    assert (merged.changed, merged.unchanged) == (1, 0)
    assert [(r.igi_text, r.until) for r in merged.rows] == [
        ("0.36 Dls por kg", D(2025, 12, 31)),
        ("0.40 Dls por kg", None),
    ]
    same = apply_release(
        [old],
        [TariffRow("02011001", "00", "x", "Kg", None, D(2026, 1, 1), None, "s", "0.36 Dls por kg")],
        D(2026, 1, 1),
    )
    assert (same.changed, same.unchanged, same.rows) == (0, 1, [old])


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--non-ad-valorem", "maybe"], "--non-ad-valorem"),
        (["--non-ad-valorem", "KEEP"], "--non-ad-valorem"),
        (["--kind", "prosec", "--full"], "--full"),
        (["--kind", "prosec", "--non-ad-valorem", "keep"], "--non-ad-valorem"),
    ],
)
def test_bad_option_values_exit_2_and_write_nothing(tmp_path: Path, args: list[str], option: str) -> None:
    code, out, err = _update(_file(tmp_path), tmp_path / "d", *args)
    assert code == 2 and out == ""
    assert err.startswith(f"{option}: ")
    assert not (tmp_path / "d" / "tariff").exists()


def test_non_ad_valorem_does_not_apply_to_the_satcfdi_catalog(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "tariff",
            "update",
            "--satcfdi-db",
            str(tmp_path / "c.db"),
            "--since",
            SINCE,
            "--source",
            "s",
            "--data-dir",
            str(tmp_path),
            "--non-ad-valorem",
            "keep",
        ],
    )
    assert result.exit_code == 2 and result.stderr.startswith("--non-ad-valorem: ")


def test_the_service_rejects_an_unknown_mode_too(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        svc.read_official_tariff(_file(tmp_path), D(2026, 1, 1), "s", non_ad_valorem="skip")
    assert [p.column for p in caught.value.problems] == ["--non-ad-valorem"]


# --- the table on disk: old files still read --------------------------------------------

OLD_TABLE = (
    "fraccion,nico,description,unit,igi_rate,since,until,source\n"
    "85044099,00,Los demás,6,0.15,2021-01-01,,DOF 2020\n"
    "85044099,01,Otro,6,,2020-12-28,2020-12-31,catalog\n"
)


def test_a_table_written_before_igi_text_existed_still_reads(tmp_path: Path) -> None:
    (tmp_path / "tariff").mkdir()
    (tmp_path / "tariff" / "ligie.csv").write_text(OLD_TABLE, encoding="utf-8")
    rows = svc.tariff_rows(tmp_path)
    assert [(r.nico, r.igi_rate, r.until, r.igi_text) for r in rows] == [
        ("00", Decimal("0.15"), None, ""),
        ("01", None, D(2020, 12, 31), ""),
    ]
    # Written back without texts, it is byte for byte the old format.
    assert svc.write_tariff_csv(rows) == OLD_TABLE


def test_an_old_table_takes_a_release_with_a_kept_duty(tmp_path: Path) -> None:
    (tmp_path / "tariff").mkdir()
    (tmp_path / "tariff" / "ligie.csv").write_text(OLD_TABLE, encoding="utf-8")
    path = _file(tmp_path, "Fracción;NICO;Descripción;UMT;IGI\n8504.40.99;00;Los demás;6;0.36 Dls por kg\n")
    assert _update(path, tmp_path, "--non-ad-valorem", "keep")[0] == 0
    rows = svc.tariff_rows(tmp_path)
    assert [(r.since, r.until, r.igi_rate, r.igi_text) for r in rows if r.nico == "00"] == [
        (D(2021, 1, 1), D(2025, 12, 31), Decimal("0.15"), ""),
        (D(2026, 1, 1), None, None, "0.36 Dls por kg"),
    ]


def test_a_table_row_with_both_a_rate_and_a_text_is_an_error(tmp_path: Path) -> None:
    text = ",".join(svc.TARIFF_COLUMNS_WITH_TEXT) + "\n85044099,00,x,6,0.15,2026-01-01,,s,0.36 Dls por kg\n"
    with pytest.raises(InputError) as caught:
        svc.read_tariff_csv(text, "ligie.csv")
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("ligie.csv", 2, "igi_text")
    with pytest.raises(InputError) as header:
        svc.read_tariff_csv("fraccion,nico,igi_text\n", "ligie.csv")
    assert header.value.problems[0].row == 1


# --- a rate that is needed but not there ------------------------------------------------


def _kept_table(tmp_path: Path) -> Path:
    data = tmp_path / "d"
    assert _update(_file(tmp_path), data, "--non-ad-valorem", "keep")[0] == 0
    return data


def test_the_lookup_raises_with_the_fraccion_date_and_text(tmp_path: Path) -> None:
    rows = svc.tariff_rows(_kept_table(tmp_path))
    with pytest.raises(NoAdValoremRate) as caught:
        igi_rate_on(rows, "02011001", "00", D(2026, 3, 5))
    message = str(caught.value)
    assert "0201.10.01.00" in message and "2026-03-05" in message
    assert "'0.36 Dls por kg'" in message and "DOF test release" in message
    assert igi_rate_on(rows, "85044099", "00", D(2026, 3, 5)) == Decimal("0.15")
    # Before the release the shipped catalog has the fracción without any rate: no error,
    # no rate (and never 0).
    assert igi_rate_on(rows, "02011001", "00", D(2025, 3, 5)) is None


# Dated inside the test release (from 2026-01-01): the shipped TIGIE rates start on
# 2026-03-30, and a release loaded from an earlier date ends the day before them.
LANDED: dict[str, Any] = {
    "date": "2026-03-05",
    "exchange_rate": "20",
    "company": {"immex": False},
    "items": [
        {
            "part": "BEEF",
            "fraccion": "0201.10.01.00",
            "supplier_country": "BRA",
            "unit_value": "10",
            "annual_quantity": "100",
            "shipments_per_year": 1,
        }
    ],
}


def test_landed_needs_the_igi_rate_of_a_specific_duty_given_explicitly(tmp_path: Path) -> None:
    data = _kept_table(tmp_path)
    with pytest.raises(CaseError) as caught:
        run_landed(copy.deepcopy(LANDED), data_dir=data)
    [problem] = caught.value.problems
    assert problem.path == "items[0].igi_rate"
    assert "0201.10.01.00" in problem.message and "2026-03-05" in problem.message
    assert "'0.36 Dls por kg'" in problem.message and "give igi_rate explicitly" in problem.message
    case = tmp_path / "s.json"
    case.write_text(json.dumps(LANDED), encoding="utf-8")
    result = runner.invoke(app, ["landed", "--input", str(case), "--data-dir", str(data)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("items[0].igi_rate: not given, and fracción 0201.10.01.00")
    # Given explicitly, the item is computed: 100 × 10 × 20 = 20000 at 20 % → IGI 4000.
    explicit = copy.deepcopy(LANDED)
    explicit["items"][0]["igi_rate"] = "0.20"
    costs = landed_json(run_landed(explicit, data_dir=data))["scenarios"][0]["items"]
    assert {c["regime"]: c["igi"] for c in costs}["definitive"] == 4000


def test_tmec25_from_the_store_names_the_fraccion_and_asks_for_the_rate(tmp_path: Path, db_url: str) -> None:
    stored(tmp_path, db_url)  # P1 is 8504.40.99.00, imported 2026-01-05
    terms = tmp_path / "terms_p2.csv"  # P1 left to the tariff
    terms.write_text("part,igi_rate,originating\nP2,0.05,true\n", encoding="utf-8")
    args = [
        "duties",
        "tmec25",
        "--db",
        db_url,
        "--fx",
        str(tmp_path / "fx.csv"),
        "--terms",
        str(terms),
        "--us-rates",
        str(tmp_path / "us.csv"),
        "--data-dir",
    ]

    specific = tmp_path / "specific"
    path = _file(
        tmp_path, "Fracción;NICO;Descripción;IGI\n8504.40.99;00;Los demás;0.36 Dls por kg\n", "specific.csv"
    )
    assert _update(path, specific, "--non-ad-valorem", "keep")[0] == 0
    result = runner.invoke(root_app, [*args, str(specific)])
    assert result.exit_code == 2 and result.stdout == ""
    assert (
        "import 264734566000001:1 P1: no IGI rate: fracción 8504.40.99.00 has no ad "
        "valorem rate in the tariff on 2026-01-05: its import duty is '0.36 Dls por kg'" in result.stderr
    )
    assert "give the part's igi_rate explicitly in the material terms (--terms)" in result.stderr

    # The same store with an ad valorem row: the tariff gives P1 its 10 % (as in
    # test_duties_ledger, where the terms give it): 20 × 2.00 × 17.00 × 10 % = 68.
    ad_valorem = tmp_path / "ad_valorem"
    path = _file(tmp_path, "Fracción;NICO;Descripción;IGI\n8504.40.99;00;Los demás;10\n", "ad_valorem.csv")
    assert _update(path, ad_valorem)[0] == 0
    result = runner.invoke(root_app, [*args, str(ad_valorem)])
    assert result.exit_code == 0, result.stderr
    exports = {e["pedimento"]: e for e in json.loads(result.stdout)["exports"]}
    assert exports["264734566000101"]["mexican_igi"] == 68


# --- full releases ----------------------------------------------------------------------


def _r(fraccion: str, nico: str, rate: str, since: D, until: D | None = None, desc: str = "x") -> TariffRow:
    return TariffRow(fraccion, nico, desc, "Kg", Decimal(rate), since, until, "s")


OLD, NEW = D(2021, 1, 1), D(2026, 1, 1)
CURRENT = [
    _r("11111111", "00", "0.10", OLD),  # in the release, same
    _r("22222222", "00", "0.05", OLD),  # in the release, new rate
    _r("33333333", "00", "0.20", OLD),  # not in the release (suppressed)
    _r("44444444", "00", "0.20", OLD, D(2024, 6, 30)),  # closed long ago
    _r("55555555", "00", "0.20", D(2027, 1, 1)),  # starts after the release
    _r("66666666", "00", "0.20", NEW),  # starts on the release day itself
    _r("77777777", "01", "0.10", OLD, desc="uno"),  # NICOs of a fracción the release
    _r("77777777", "99", "0.10", OLD, desc="otros"),  # gives without NICO
]
FULL_RELEASE = [
    _r("11111111", "00", "0.10", NEW),
    _r("22222222", "00", "0.07", NEW),
    _r("88888888", "00", "0.15", NEW),
    _r("77777777", "", "0.12", NEW),
]


def test_a_full_release_closes_what_it_does_not_list_the_day_before() -> None:
    merged = apply_release(CURRENT, FULL_RELEASE, NEW, full=True)
    assert (merged.added, merged.changed, merged.unchanged, merged.closed) == (1, 3, 1, 2)
    day_before = D(2025, 12, 31)
    assert [r.until for r in merged.rows if r.fraccion == "33333333"] == [day_before]
    assert in_force(merged.rows, "33333333", None, NEW) == []
    assert in_force(merged.rows, "33333333", None, day_before)[0].igi_rate == Decimal("0.20")
    # A row that would only have started on the release day is gone; history is kept.
    assert [r for r in merged.rows if r.fraccion == "66666666"] == []
    assert [r for r in merged.rows if r.fraccion in ("44444444", "55555555")] == CURRENT[3:5]
    # The fracción-level row reaches both NICOs: none of them is suppressed.
    assert [(r.nico, r.igi_rate, r.description) for r in in_force(merged.rows, "77777777", None, NEW)] == [
        ("01", Decimal("0.12"), "uno"),
        ("99", Decimal("0.12"), "otros"),
    ]


def test_without_full_the_rows_not_listed_stay_open() -> None:
    merged = apply_release(CURRENT, FULL_RELEASE, NEW)
    assert merged.closed == 0
    assert in_force(merged.rows, "33333333", None, NEW)[0].igi_rate == Decimal("0.20")
    assert in_force(merged.rows, "66666666", None, NEW)[0].since == NEW


def test_full_update_from_the_cli_counts_and_closes(tmp_path: Path) -> None:
    data = tmp_path / "d"
    first = _file(
        tmp_path,
        "Fracción;NICO;Descripción;IGI\n8504.40.99;00;Los demás;15\n8708.99.99;01;x;5\n",
        "first.csv",
    )
    code, out, err = _update(first, data, since="2025-01-01")
    assert code == 0, err
    shipped_open = sum(1 for r in svc.tariff_rows(data) if r.covers(D(2026, 1, 1)))
    # The 2026 Tarifa keeps 8504.40.99.00 (new rate) and drops everything else.
    second = _file(
        tmp_path,
        "Fracción;NICO;Descripción;IGI\n8504.40.99;00;Los demás;10\n9999.99.99;00;Nueva;5\n",
        "second.csv",
    )
    code, out, err = _update(second, data, "--full")
    assert code == 0, err
    assert f"1 added, 1 changed, {shipped_open - 1} closed, 0 unchanged" in out
    assert shipped_open > 10000  # the shipped catalog's rows are in the table
    shown = runner.invoke(
        app, ["tariff", "show", "8708.99.99", "--date", "2026-01-01", "--data-dir", str(data)]
    )
    assert shown.exit_code == 1 and "not in the tariff in force on 2026-01-01" in shown.stderr
    before = svc.tariff_show("8708.99.99.01", D(2025, 12, 31), data)
    assert [(r.igi_rate, r.until) for r in before.rows] == [(Decimal("0.05"), D(2025, 12, 31))]
    assert [r.igi_rate for r in svc.tariff_show("8504.40.99", D(2026, 1, 1), data).rows] == [Decimal("0.10")]


def test_partial_update_reports_counts_and_closes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "d"
    path = _file(tmp_path, "Fracción;NICO;Descripción;IGI\n8504.40.99;00;Los demás;15\n")
    code, out, _ = _update(path, data)
    assert code == 0
    assert out.startswith("1 rows read; 0 added, 1 changed, 0 closed, 0 unchanged; table ")
    code, out, _ = _update(path, data)
    assert "0 added, 0 changed, 0 closed, 1 unchanged" in out
    assert in_force(svc.tariff_rows(data), "87089999", None, D(2026, 6, 1)) != []


def test_a_release_loaded_after_a_later_one_ends_where_the_later_one_starts() -> None:
    """Releases loaded out of order: the earlier one holds only until the later one's day."""
    later = apply_release([], [_r("22222222", "00", "0.07", NEW)], NEW).rows
    merged = apply_release(later, [_r("22222222", "00", "0.05", OLD)], OLD)
    assert [(r.since, r.until, r.igi_rate) for r in merged.rows] == [
        (OLD, NEW - dt.timedelta(days=1), Decimal("0.05")),
        (NEW, None, Decimal("0.07")),
    ]
    assert igi_rate_on(merged.rows, "22222222", "00", NEW) == Decimal("0.07")
    assert igi_rate_on(merged.rows, "22222222", "00", NEW - dt.timedelta(days=1)) == Decimal("0.05")


def test_prosec_releases_loaded_out_of_order_do_not_overlap() -> None:
    later = merge_prosec([], [ProsecRow("II", "85044099", Decimal("0"), NEW, None, "s")], NEW)
    merged = merge_prosec(later, [ProsecRow("II", "85044099", Decimal("0.05"), OLD, None, "s")], OLD)
    assert [(r.since, r.until, r.rate) for r in merged] == [
        (OLD, NEW - dt.timedelta(days=1), Decimal("0.05")),
        (NEW, None, Decimal("0")),
    ]
