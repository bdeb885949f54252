"""What to do with each expiring or overdue lot, and what each choice costs (immex.reports.options).

Worked examples a compliance manager can redo by hand: the definitive-import contributions
(IGI, DTA, IVA) with the rates, quotas and exchange rate of the temporary import's date,
recargos month by month (CFF Art. 21), and every cost that cannot be computed left empty
with the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from immex.cli import app
from immex.discharge.methods import DischargeResult, balances
from immex.duties.from_ledger import MaterialTerms
from immex.ledger.model import ImportLine, Ledger, Part
from immex.reports import options
from immex.reports.labels import Lang
from immex.reports.service import EXPIRING_HEADER, expiring_report
from immex.rules import RulesError, read_yaml

D = Decimal
NOTHING_EXPORTED = DischargeResult((), ())
COLUMNS = list(EXPIRING_HEADER)


def _ledger(*lots: ImportLine, kind: str = "raw") -> Ledger:
    parts = {lot.part: Part(lot.part, "pcs", kind, hs="85444999") for lot in lots}  # type: ignore[arg-type]
    return Ledger(parts, lots, ())


def _lot(cleared: dt.date, value: str | None = "10", part: str = "CABLE") -> ImportLine:
    return ImportLine(
        "254734565000001", 1, part, "IN", cleared, D(100), "pcs", D(100), None if value is None else D(value)
    )


def _row(
    ledger: Ledger, as_of: dt.date, sources: options.CostSources, lang: Lang = "es"
) -> dict[str, object]:
    report = expiring_report(ledger, NOTHING_EXPORTED, as_of, 90, True, sources, lang)
    (row,) = report.rows
    return dict(zip(COLUMNS, row, strict=True))


def _sources(rate: str | None = "20", terms: dict[str, MaterialTerms] | None = None) -> options.CostSources:
    fixed = None if rate is None else D(rate)
    return options.default_sources(lambda _p, _d: fixed, terms)


def test_overdue_lot_costs_a_regularization_with_actualizacion_and_recargos() -> None:
    """1,000 USD at 20 MXN, IGI 5 % (material terms), entered 2023-10-02, regularized 2025-06-10.

    Contributions: customs value 20,000; IGI 1,000; DTA 2023 = max(8 al millar = 160, fr. III
    408) = 408; IVA 16 % of 21,408 = 3,425.28 → 3,425; total 4,833.
    Actualización (CFF Art. 17-A): INPC May 2025 (the month before payment) 140.012 ÷ INPC
    Sep 2023 (the month before the goods entered) 130.120 = 1.07602… → 1.0760 (to the
    ten-thousandth); 4,833 × 1.0760 = 5,200.308 → R = 5,200, actualización 367.
    Recargos (CFF Art. 21, on the actualized amount): 21 months (20 and a fraction) at
    0.98 % × 1.5 = 30.87 %; 5,200.308 × 0.3087 = 1,605.34 → 1,605. A3 = 4,833 + 367 + 1,605
    = 6,805.
    """
    terms = {"CABLE": MaterialTerms(D("0.05"), False)}
    row = _row(_ledger(_lot(dt.date(2023, 10, 2))), dt.date(2025, 6, 10), _sources("20", terms))
    assert row["status"] == "overdue"
    assert (row["customs_value_mxn"], row["igi_mxn"], row["dta_mxn"], row["iva_mxn"]) == (
        20000,
        1000,
        408,
        3425,
    )
    assert (row["actualizacion_factor"], row["actualizacion_mxn"]) == (D("1.0760"), 367)
    assert (row["recargos_months"], row["recargos_mxn"], row["regularization_mxn"]) == (21, 1605, 6805)
    assert row["regularization_on"] == dt.date(2025, 6, 10)
    # Once the term has passed neither a return nor a change of regime is open: no amount, not 0.
    assert row["return_mxn"] is None and row["change_of_regime_mxn"] is None
    assert row["change_of_regime_clave"] is None
    assert row["cost_missing"] == ""
    assert "regularizar con clave A3 (A3 6,805 MXN, con actualización y recargos de 21 meses)" in str(
        row["what_to_do"]
    )


def test_a_month_the_inpc_table_lacks_leaves_the_regularization_empty_and_names_it() -> None:
    """Entered 2025-03-01 (the month before, 2025-02, is not in rules/inpc.yaml) and paid
    2026-10-15: the contributions are computed, the A3 is not, and why is said. (2026-09, the
    month before the payment, is later than the table: the last published index would serve.)"""
    terms = {"CABLE": MaterialTerms(D("0.05"), False)}
    row = _row(_ledger(_lot(dt.date(2025, 3, 1))), dt.date(2026, 10, 15), _sources("20", terms))
    assert (row["igi_mxn"], row["dta_mxn"], row["iva_mxn"]) == (1000, 445, 3431)
    assert row["actualizacion_mxn"] is None and row["regularization_mxn"] is None
    assert row["recargos_mxn"] is None and row["actualizacion_inpc"] is None
    assert row["cost_missing"] == (
        "INPC de 2025-02 para la actualización (CFF Art. 17-A; rules/inpc.yaml tiene 24 meses de "
        "2019-04 a 2026-02)"
    )


def test_a_regularization_after_the_last_inpc_uses_the_last_published_index() -> None:
    """Entered 2025-04-02, regularized 2026-10-15. Contributions: IGI 1,000; DTA 2025 445; IVA
    16 % of 21,445 = 3,431.20 → 3,431; total 4,876.
    Actualización: INPC September 2026 is not in the table; CFF Art. 17-A second paragraph: the
    last published index, February 2026 144.307 ÷ March 2025 139.161 = 1.03697… → 1.0369;
    4,876 × 1.0369 = 5,055.92 → 5,056, actualización 180.
    Recargos: 19 months (18 and a fraction): April–December 2025 at 0.98 % × 1.5 (9 months) and
    January–October 2026 at 1.38 % × 1.5 (10 months) = 13.23 % + 20.70 % = 33.93 %;
    5,055.9244 × 0.3393 = 1,715.48 → 1,715. A3 = 4,876 + 180 + 1,715 = 6,771."""
    terms = {"CABLE": MaterialTerms(D("0.05"), False)}
    row = _row(_ledger(_lot(dt.date(2025, 4, 2))), dt.date(2026, 10, 15), _sources("20", terms))
    assert (row["actualizacion_factor"], row["actualizacion_mxn"]) == (D("1.0369"), 180)
    assert (row["recargos_months"], row["recargos_mxn"], row["regularization_mxn"]) == (19, 1715, 6771)
    assert row["actualizacion_inpc"] == (
        "A3: INPC 2026-02 / INPC 2025-03 (2026-02: el último índice publicado en rules/inpc.yaml, "
        "usado por 2026-09, CFF Art. 17-A segundo párrafo)"
    )
    assert row["cost_missing"] == ""


def test_a_change_of_regime_is_updated_from_the_month_of_entry() -> None:
    """Reglamento de la Ley Aduanera Art. 140 fr. III: the contributions of an F4 are updated
    (CFF Art. 17-A) from the month the goods entered to the change. Entered 2025-04-02, costed
    2025-06-10: INPC May 2025 140.012 ÷ March 2025 139.161 = 1.00611… → 1.0061;
    4,876 × 1.0061 = 4,905.74 → 4,906: actualización 30, F4 4,906 (no recargos)."""
    terms = {"CABLE": MaterialTerms(D("0.05"), False)}
    ledger = _ledger(_lot(dt.date(2025, 4, 2)))
    report = expiring_report(ledger, NOTHING_EXPORTED, dt.date(2025, 6, 10), 600, True, _sources("20", terms))
    row = dict(zip(COLUMNS, report.rows[0], strict=True))
    assert row["status"] != "overdue"
    assert (row["change_of_regime_actualizacion_mxn"], row["change_of_regime_mxn"]) == (30, 4906)
    assert str(row["actualizacion_inpc"]).startswith("F4: INPC 2025-05 / INPC 2025-03; A3: INPC 2026-02")
    assert "F4 4,906 MXN" in str(row["what_to_do"])


def test_a_change_of_regime_without_its_inpc_has_no_cost() -> None:
    """Entered 2026-04-15: the month before (March 2026) is not in the table, so neither the F4
    nor the A3 can be updated: both amounts are empty (never the contributions alone)."""
    terms = {"CABLE": MaterialTerms(D("0.05"), False)}
    ledger = _ledger(_lot(dt.date(2026, 4, 15)))
    report = expiring_report(ledger, NOTHING_EXPORTED, dt.date(2026, 12, 7), 600, True, _sources("20", terms))
    row = dict(zip(COLUMNS, report.rows[0], strict=True))
    assert row["iva_mxn"] == 3434 and row["change_of_regime_mxn"] is None
    assert row["change_of_regime_actualizacion_mxn"] is None and row["regularization_mxn"] is None
    assert str(row["cost_missing"]).startswith("F4: INPC de 2026-03 para la actualización")


def test_recargos_of_a_year_without_its_ley_de_ingresos_take_the_last_rate_and_say_so() -> None:
    """Entered 2026-01-05, regularized 2027-07-10: 19 months, the 7 of 2027 at the LIF 2026 rate
    (the LIF 2027 was not found): 19 × 1.38 % × 1.5 = 39.33 %. DTA 2026 462; IVA 16 % of 21,462
    = 3,433.92 → 3,434; total 4,896; factor 144.307 ÷ 143.042 → 1.0088; 4,896 × 1.0088 =
    4,939.08 → actualización 43; recargos 4,939.0848 × 0.3933 = 1,942.54 → 1,943."""
    terms = {"CABLE": MaterialTerms(D("0.05"), False)}
    ledger = _ledger(_lot(dt.date(2026, 1, 5)))
    report = expiring_report(
        ledger, NOTHING_EXPORTED, dt.date(2027, 7, 10), 90, True, _sources("20", terms), "en"
    )
    row = dict(zip(COLUMNS, report.rows[0], strict=True))
    assert (row["actualizacion_mxn"], row["recargos_months"], row["recargos_mxn"]) == (43, 19, 1943)
    assert row["regularization_mxn"] == 4896 + 43 + 1943
    assert any(
        note.startswith("Recargos of months after 2026-12-31 use the last Ley de Ingresos rate known, 1.38 %")
        and "2027: Ley de Ingresos de la Federación 2027 rate not found" in note
        for note in report.notes
    )


def test_a_part_with_an_ieps_category_pays_its_ieps_in_the_regularization() -> None:
    """The example above, the part being alcohol (LIEPS Art. 2 fr. I inciso B, 50 %, a made-up
    category for the example): IEPS 50 % of 20,000 + 1,000 + 408 = 10,704; IVA 16 % of 21,408
    + 10,704 = 32,112 → 5,137.92 → 5,138; contributions 1,000 + 408 + 5,138 + 10,704 = 17,250;
    × 1.0760 = 18,561 → actualización 1,311; recargos 30.87 % of 18,561 = 5,729.78 → 5,730;
    A3 = 24,291."""
    terms = {"CABLE": MaterialTerms(D("0.05"), False, ieps_category="B_alcohol")}
    row = _row(_ledger(_lot(dt.date(2023, 10, 2))), dt.date(2025, 6, 10), _sources("20", terms))
    assert (row["iva_mxn"], row["ieps_mxn"]) == (5138, 10704)
    assert (row["actualizacion_mxn"], row["recargos_mxn"], row["regularization_mxn"]) == (1311, 5730, 24291)


def test_what_to_do_is_in_english_with_lang_en() -> None:
    terms = {"CABLE": MaterialTerms(D("0.05"), False)}
    ledger = _ledger(_lot(dt.date(2023, 10, 2)))
    report = expiring_report(
        ledger, NOTHING_EXPORTED, dt.date(2025, 6, 10), 90, True, _sources("20", terms), "en"
    )
    row = dict(zip(COLUMNS, report.rows[0], strict=True))
    assert str(row["what_to_do"]).startswith(
        "overdue since 2025-04-02: regularize with clave A3 (A3 6,805 MXN, actualización and recargos for "
        "21 months included)"
    )


def test_expiring_lot_costs_a_change_of_regime_at_the_shipped_ligie_rate() -> None:
    """8544.49.99 pays 5 % in the shipped LIGIE on 2026-04-15; 1,000 USD at 18.50.

    customs value 18,500; IGI 925; DTA 2026 = max(148, 461.61) → R = 462; IVA 16 % of 19,887
    = 3,181.92 → 3,182: contributions 4,569. The F4 updates them from the month before the
    goods entered (March 2026), which rules/inpc.yaml does not have, so the F4 and the A3 on
    the day after the deadline (2027-10-16) are not costed: said, not 0 and not 4,569.
    """
    row = _row(_ledger(_lot(dt.date(2026, 4, 15))), dt.date(2027, 9, 1), _sources("18.50"))
    assert row["status"] == "expiring" and row["deadline"] == dt.date(2027, 10, 15)
    assert (row["igi_rate_pct"], row["igi_rate_source"]) == (D("5.00"), "LIGIE")
    assert (row["igi_mxn"], row["dta_mxn"], row["iva_mxn"]) == (925, 462, 3182)
    assert (row["return_mxn"], row["change_of_regime_clave"], row["change_of_regime_mxn"]) == (0, "F4", None)
    assert row["regularization_on"] == dt.date(2027, 10, 16)
    assert row["recargos_mxn"] is None and row["regularization_mxn"] is None
    assert row["cost_missing"] == (
        "F4: INPC de 2026-03 para la actualización (CFF Art. 17-A; rules/inpc.yaml tiene 24 meses "
        "de 2019-04 a 2026-02); INPC de 2026-03 para la actualización (CFF Art. 17-A; "
        "rules/inpc.yaml tiene 24 meses de 2019-04 a 2026-02)"
    )
    assert "cambiar a importación definitiva (F4: costo no calculable)" in str(row["what_to_do"])


def test_what_is_missing_is_said_instead_of_a_zero() -> None:
    no_value = _row(_ledger(_lot(dt.date(2026, 4, 15), value=None)), dt.date(2027, 9, 1), _sources(None))
    assert str(no_value["cost_missing"]).startswith(
        "unit_value_usd (valor unitario en USD) de la partida de importación; tipo de cambio del "
        "2026-04-15 (indique --exchange-rates ARCHIVO o --exchange-rate MXN_POR_USD); F4: INPC de "
        "2026-03 para la actualización"
    )
    for column in ("customs_value_mxn", "igi_mxn", "dta_mxn", "iva_mxn", "change_of_regime_mxn"):
        assert no_value[column] is None
    assert "F4: costo no calculable" in str(no_value["what_to_do"])
    old = _row(_ledger(_lot(dt.date(2025, 6, 2))), dt.date(2026, 11, 1), _sources("20"))
    assert str(old["cost_missing"]).startswith(
        "tasa del IGI de la fracción 85444999 al 2025-06-02 (la tarifa en uso no tiene una para esa fecha"
    )
    assert old["regularization_mxn"] is None and old["igi_mxn"] is None


def test_what_is_missing_is_in_english_with_lang_en() -> None:
    """The reasons of the Spanish default above, word for word as ``--lang en`` writes them."""
    lot = _lot(dt.date(2026, 4, 15), value=None)
    no_value = _row(_ledger(lot), dt.date(2027, 9, 1), _sources(None), "en")
    assert str(no_value["cost_missing"]).startswith(
        "unit_value_usd of the import line; exchange rate of 2026-04-15 (give --exchange-rates FILE or "
        "--exchange-rate MXN_PER_USD); F4: INPC of 2026-03 for the actualización (CFF Art. 17-A; "
        "rules/inpc.yaml has 24 months from 2019-04 to 2026-02)"
    )
    later = _row(_ledger(_lot(dt.date(2025, 4, 2))), dt.date(2026, 10, 15), _sources("20"), "en")
    assert str(later["actualizacion_inpc"]).endswith("used for 2026-09, CFF Art. 17-A second paragraph)")
    terms = {"CABLE": MaterialTerms(D("0.05"), True)}
    tmec = _row(_ledger(_lot(dt.date(2026, 4, 15))), dt.date(2027, 9, 1), _sources("20", terms), "en")
    assert tmec["igi_rate_source"] == "T-MEC (originating, material terms)"


def test_the_notes_are_in_the_report_s_language() -> None:
    ledger = _ledger(_lot(dt.date(2026, 1, 5)))
    day = dt.date(2027, 7, 10)
    spanish = expiring_report(ledger, NOTHING_EXPORTED, day, 90, True, _sources("20")).notes
    english = expiring_report(ledger, NOTHING_EXPORTED, day, 90, True, _sources("20"), "en").notes
    assert spanish[0].startswith("Costos en MXN enteros") and english[0].startswith("Costs in whole MXN")
    assert spanish[1].startswith("Los recargos de los meses posteriores al 2026-12-31")
    assert [n.split(":")[0] for n in spanish[2:]] == ["No incluye", "Datos legales y citas"]


def test_originating_goods_pay_no_igi_and_no_dta_under_t_mec() -> None:
    terms = {"CABLE": MaterialTerms(D("0.05"), True)}
    row = _row(_ledger(_lot(dt.date(2026, 4, 15))), dt.date(2027, 9, 1), _sources("20", terms))
    assert (row["igi_rate_pct"], row["igi_mxn"], row["dta_mxn"], row["iva_mxn"]) == (D(0), 0, 0, 3200)
    assert row["igi_rate_source"] == "T-MEC (originaria, términos del material)"


def test_a_prosec_rate_of_the_material_terms_is_used() -> None:
    terms = {"CABLE": MaterialTerms(D("0.05"), False, "II", D("0"))}
    row = _row(_ledger(_lot(dt.date(2026, 4, 15))), dt.date(2027, 9, 1), _sources("20", terms))
    assert (row["igi_rate_pct"], row["igi_mxn"]) == (D(0), 0)
    assert row["igi_rate_source"] == "PROSEC (términos del material)"


def test_a_fixed_asset_changes_regime_with_f5() -> None:
    lot = _lot(dt.date(2026, 4, 15), part="PRESS")
    balance = balances(_ledger(lot), (), dt.date(2027, 9, 1))[0]
    choice = options.lot_options(lot, balance, "asset", "84771001", dt.date(2027, 9, 1), _sources())
    assert choice.change_of_regime_clave == "F5"


@given(st.dates(dt.date(2018, 1, 1), dt.date(2030, 12, 31)), st.integers(0, 60), st.integers(0, 27))
def test_months_or_fraction_counts_a_started_month_whole(start: dt.date, months: int, extra: int) -> None:
    later = options.add_months(start, months)
    assert options.months_or_fraction(start, later) == months
    if extra and start.day <= 28:
        within = later + dt.timedelta(days=min(extra, 27))
        if within < options.add_months(start, months + 1):
            assert options.months_or_fraction(start, within) == months + 1


def test_the_rules_file_is_loaded_strictly() -> None:
    data = read_yaml(options.RULES_FILE)
    assert options.parse_rules(data).change_of_regime_clave == {"asset": "F5", "other": "F4"}
    with pytest.raises(RulesError, match="unknown keys"):
        options.parse_rules({**data, "surprise": 1})
    broken = {
        **data,
        "options": {**data["options"], "return": {**data["options"]["return"], "reference": " "}},
    }
    with pytest.raises(RulesError, match="reference non-empty"):
        options.parse_rules(broken)
    rates = data["recargos"]["prorroga_monthly_rate"]
    overlapping = {
        **data,
        "recargos": {
            **data["recargos"],
            "prorroga_monthly_rate": [rates[0], {**rates[1], "since": "2025-06-01"}],
        },
    }
    with pytest.raises(RulesError, match="overlap"):
        options.parse_rules(overlapping)


# --------------------------------------------------------------------------- the command


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "parts.csv").write_text("part,uom,kind,hs\nCABLE,pcs,raw,85444999\n", encoding="utf-8")
    (folder / "imports.csv").write_text(
        "pedimento,line,clave,cleared_on,part,qty,uom,unit_value_usd\n"
        "23 47 3456 5000001,1,IN,2023-10-02,CABLE,100,pcs,10\n",
        encoding="utf-8",
    )
    (folder / "exports.csv").write_text("pedimento,line,clave,cleared_on,product,qty,uom\n", encoding="utf-8")
    (folder / "bom.csv").write_text("product,component,qty_per,uom,valid_from\n", encoding="utf-8")
    (folder / "terms.csv").write_text("part,igi_rate,originating\nCABLE,0.05,false\n", encoding="utf-8")
    return folder


def _expiring(folder: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app,
        ["report", "expiring", "--input", str(folder), "--as-of", "2025-06-10", "--days", "30", *extra],
    )
    return result.exit_code, result.stdout, result.stderr


def test_the_command_writes_the_costs(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "expiring.csv"
    code, stdout, _ = _expiring(
        folder, "--exchange-rate", "20", "--terms", str(folder / "terms.csv"), "--output", str(out)
    )
    assert code == 0, stdout
    rows = [r for r in csv.reader(out.open(encoding="utf-8")) if r]
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "import_pedimento")
    found = dict(zip(rows[header_at], rows[header_at + 1], strict=True))
    assert (found["regularization_mxn"], found["actualizacion_mxn"], found["recargos_mxn"]) == (
        "6805",
        "367",
        "1605",
    )
    assert found["cost_missing"] == "" and found["what_to_do"].startswith("vencido desde 2025-04-02")
    code, _, _ = _expiring(
        folder,
        "--exchange-rate",
        "20",
        "--terms",
        str(folder / "terms.csv"),
        "--output",
        str(out),
        "--lang",
        "en",
    )
    rows = [r for r in csv.reader(out.open(encoding="utf-8")) if r]
    assert code == 0 and any(
        r[COLUMNS.index("what_to_do")].startswith("overdue since") for r in rows if len(r) > 10
    )


def test_exchange_rates_by_date_from_a_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "rates.csv").write_text("date,exchange_rate\n2023-09-29,20\n", encoding="utf-8")
    out = tmp_path / "expiring.csv"
    args = ["--exchange-rates", str(folder / "rates.csv"), "--terms", str(folder / "terms.csv")]
    assert _expiring(folder, *args, "--output", str(out))[0] == 0
    assert "6805" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--exchange-rate", "veinte"], "--exchange-rate"),
        (["--exchange-rate", "-3"], "must be > 0"),
        (["--exchange-rate", "20", "--exchange-rates", "x.csv"], "not both"),
    ],
)
def test_a_bad_rate_option_exits_2_with_the_reason(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, stderr = _expiring(_folder(tmp_path), *args)
    assert code == 2 and message in stderr


def test_a_bad_terms_file_exits_2_naming_file_row_and_column(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "terms.csv").write_text("part,igi_rate,originating\nCABLE,cinco,maybe\n", encoding="utf-8")
    code, _, stderr = _expiring(folder, "--terms", str(folder / "terms.csv"))
    assert code == 2
    assert "terms.csv,2,originating," in stderr and "terms.csv,2,igi_rate," in stderr


def test_an_unknown_language_exits_2_naming_lang(tmp_path: Path) -> None:
    code, _, stderr = _expiring(_folder(tmp_path), "--lang", "fr")
    assert code == 2 and ",,lang,'fr' is not a language of the reports" in stderr
