"""`immex report anexo24` and its column templates, on the stored harness example."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.reports.report_ledgers import (
    A1_EXPORT,
    A3_REGULARIZATION,
    FIRST_IMPORT,
    FIRST_RETURN,
    SECOND_IMPORT,
    SECOND_RETURN,
    harness_folder,
    harness_store,
    invoke,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return harness_store(tmp_path_factory.mktemp("anexo24"))


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("IMMEX_CONFIG_DIR", str(folder))
    return folder


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def anexo24(store: str, out: Path, start: str, end: str, *extra: str) -> tuple[int, str, str]:
    return invoke(
        "report", "anexo24", "--db", store, "--from", start, "--to", end, "--output", str(out), *extra
    )


def test_the_first_quarter_holds_both_imports_the_march_return_its_discharges_and_balances(
    store: str, tmp_path: Path
) -> None:
    out = tmp_path / "q1.csv"
    code, stdout, err = anexo24(store, out, "2025-01-01", "2025-03-31")
    assert code == 0, err
    assert "7 rows" in stdout
    found = [(r["movement"], r["pedimento"], r["qty"], r["import_pedimento"]) for r in rows(out)]
    assert found == [
        ("import", FIRST_IMPORT, "1000", ""),
        ("import", SECOND_IMPORT, "2000", ""),
        ("return", FIRST_RETURN, "100", ""),
        ("discharge", FIRST_RETURN, "1000", FIRST_IMPORT),
        ("discharge", FIRST_RETURN, "200", SECOND_IMPORT),
        ("balance", FIRST_IMPORT, "", ""),
        ("balance", SECOND_IMPORT, "", ""),
    ]
    first, second = rows(out)[0], rows(out)[-1]
    assert (
        first["value_usd"] == "500"
        and first["hs"] == "85444204"
        and first["description"] == "Cable calibre 18"
    )
    assert (second["qty_imported"], second["qty_discharged"], second["qty_remaining"]) == (
        "2000",
        "200",
        "1800",
    )


def test_balances_of_a_past_period_ignore_later_discharges(store: str, tmp_path: Path) -> None:
    out = tmp_path / "feb.csv"
    assert anexo24(store, out, "2025-02-01", "2025-02-28")[0] == 0
    balances = {r["pedimento"]: r["qty_remaining"] for r in rows(out) if r["movement"] == "balance"}
    assert balances == {FIRST_IMPORT: "1000", SECOND_IMPORT: "2000"}  # nothing had left by February


def test_a_lot_discharged_before_the_period_is_not_listed_again(store: str, tmp_path: Path) -> None:
    out = tmp_path / "april.csv"
    assert anexo24(store, out, "2025-04-01", "2025-04-30")[0] == 0
    listed = [(r["movement"], r["pedimento"]) for r in rows(out)]
    assert listed == [
        ("return", SECOND_RETURN),
        ("discharge", SECOND_RETURN),
        ("balance", SECOND_IMPORT),
    ]


def test_template_round_trip_save_list_show_use_delete(store: str, tmp_path: Path, config: Path) -> None:
    code, stdout, err = invoke(
        "report", "template", "save", "saldos", "--columns", "pedimento, part", "--columns", "qty_remaining"
    )
    assert code == 0, err
    assert "template saldos saved (3 columns)" in stdout
    saved = json.loads((config / "report-templates.json").read_text(encoding="utf-8"))
    assert saved["templates"]["saldos"]["columns"] == ["pedimento", "part", "qty_remaining"]
    code, stdout, _ = invoke("report", "template", "list")
    assert code == 0
    assert [line.split("\t")[0] for line in stdout.splitlines()] == ["default", "saldos"]
    assert invoke("report", "template", "show", "saldos")[1].split() == ["pedimento", "part", "qty_remaining"]
    out = tmp_path / "saldos.csv"
    assert anexo24(store, out, "2025-01-01", "2025-03-31", "--template", "saldos")[0] == 0
    assert out.read_text(encoding="utf-8").splitlines()[0] == "pedimento,part,qty_remaining"
    assert invoke("report", "template", "delete", "saldos")[0] == 0
    assert [line.split("\t")[0] for line in invoke("report", "template", "list")[1].splitlines()] == [
        "default"
    ]


def test_an_unknown_column_is_an_error_listing_the_valid_ones(config: Path) -> None:
    code, _, err = invoke("report", "template", "save", "mine", "--columns", "pedimento,valor")
    assert code == 2
    assert "unknown column 'valor'; valid columns: movement, date, pedimento" in err
    assert not (config / "report-templates.json").exists()


def test_an_unknown_template_is_an_error_naming_the_known_ones(store: str, tmp_path: Path) -> None:
    code, _, err = anexo24(store, tmp_path / "x.csv", "2025-01-01", "2025-03-31", "--template", "nope")
    assert code == 2
    assert "no template named 'nope'; known templates: default" in err
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("save", "default", "--columns", "part"), "'default' is the built-in template"),
        (("save", "bad name", "--columns", "part"), "use 1-40 letters"),
        (("save", "twice", "--columns", "part,part"), "column(s) named twice: part"),
        (("delete", "default"), "cannot be deleted"),
        (("delete", "ghost"), "no template named 'ghost'"),
    ],
)
def test_template_mistakes_are_input_errors(args: tuple[str, ...], message: str) -> None:
    code, _, err = invoke("report", "template", *args)
    assert code == 2
    assert message in err


def test_a_corrupt_templates_file_is_named(config: Path) -> None:
    config.mkdir()
    (config / "report-templates.json").write_text("{not json", encoding="utf-8")
    code, _, err = invoke("report", "template", "list")
    assert code == 2
    assert "report-templates.json" in err and "is not a templates file immex wrote" in err


def test_a_period_that_ends_before_it_starts_is_an_input_error(store: str, tmp_path: Path) -> None:
    code, _, err = anexo24(store, tmp_path / "x.csv", "2025-03-31", "2025-01-01")
    assert code == 2
    assert "--to 2025-01-01 is before --from 2025-03-31" in err


def test_a_definitive_export_and_a_regularization_appear_with_their_class(tmp_path: Path) -> None:
    folder = harness_folder(tmp_path / "in", operations=True)  # the store keeps no A1 line: read the folder
    out = tmp_path / "may.csv"
    code, _, err = invoke(
        "report",
        "anexo24",
        "--input",
        str(folder),
        "--from",
        "2025-05-01",
        "--to",
        "2025-05-31",
        "--output",
        str(out),
    )
    assert code == 0, err
    listed = [(r["movement"], r["pedimento"], r["clave"], r["qty"], r["import_pedimento"]) for r in rows(out)]
    assert listed == [
        ("not_discharging", A1_EXPORT, "A1", "10", ""),
        ("regularization", A3_REGULARIZATION, "A3", "300", SECOND_IMPORT),
        ("discharge", A3_REGULARIZATION, "A3", "300", SECOND_IMPORT),
        ("balance", SECOND_IMPORT, "IN", "", ""),
    ]
    assert rows(out)[-1]["qty_remaining"] == "900"  # 2,000 - 200 - 600 - 300
