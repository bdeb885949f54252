"""`immex report ivacredit`: the IVA/IEPS credit of temporary imports, cancelled as lots leave."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import create_engine, insert

from immex.datastage.orm import TABLES
from immex.reports.ivacredit import (
    CreditLot,
    Departure,
    cancelled_share,
    credit_rows,
    month_ends,
    split_credit,
)
from tests.reports.report_ledgers import FIRST_IMPORT, SECOND_IMPORT, harness_store, invoke


def ivacredit(
    store: str, out: Path, start: str = "2025-01-01", end: str = "2025-05-31"
) -> list[dict[str, str]]:
    code, _, err = invoke(
        "report", "ivacredit", "--db", store, "--from", start, "--to", end, "--output", str(out)
    )
    assert code == 0, err
    with out.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_company_without_a_profile_is_told_to_set_one(tmp_path: Path) -> None:
    store = harness_store(tmp_path, certification=None)
    code, _, err = invoke("report", "ivacredit", "--db", store, "--from", "2025-01-01", "--to", "2025-03-31")
    assert code == 2
    assert "the store has no company profile" in err and "--certification A|AA|AAA" in err


def test_a_company_without_certification_gets_a_clear_message(tmp_path: Path) -> None:
    store = harness_store(tmp_path, certification="")
    code, _, err = invoke("report", "ivacredit", "--db", store, "--from", "2025-01-01", "--to", "2025-03-31")
    assert code == 2
    assert "has no IVA/IEPS certification in its profile" in err and "LIVA Art. 28-A" in err


def test_without_a_data_stage_the_credit_is_computed_in_usd_and_cancelled_as_the_wire_leaves(
    tmp_path: Path,
) -> None:
    rows = ivacredit(harness_store(tmp_path), tmp_path / "iva.csv")
    by = {(r["month_end"], r["import_pedimento"]): r for r in rows}
    assert {r["source"] for r in rows} == {"computed_usd"}
    january = by[("2025-01-31", FIRST_IMPORT)]
    assert (january["iva_credit"], january["iva_balance"]) == ("80", "80")  # 16 % of USD 500
    march_first = by[("2025-03-31", FIRST_IMPORT)]  # 1,000 of 1,000 m returned
    assert (march_first["iva_cancelled"], march_first["iva_balance"]) == ("80", "0")
    march_second = by[("2025-03-31", SECOND_IMPORT)]  # 200 of 2,000 m
    assert (march_second["iva_cancelled"], march_second["iva_balance"]) == ("17.6", "158.4")
    april_second = by[("2025-04-30", SECOND_IMPORT)]  # 600 more: 800 of 2,000 m
    assert (april_second["qty_discharged_month"], april_second["iva_cancelled"]) == ("600", "52.8")
    assert ("2025-04-30", FIRST_IMPORT) not in by  # fully cancelled in March: not listed again
    assert by[("2025-05-31", SECOND_IMPORT)]["iva_balance"] == "105.6"


def test_with_the_data_stage_the_credit_is_the_iva_declared_with_forma_de_pago_21(tmp_path: Path) -> None:
    store = harness_store(tmp_path)
    engine = create_engine(store)
    key = {"patente": "3456", "pedimento": "5000001", "seccion_aduanera": "470"}
    with engine.begin() as conn:
        conn.execute(
            insert(TABLES["501"]).values(**key, numero=FIRST_IMPORT, fecha_pago=dt.date(2025, 1, 10))
        )
        contributions = [
            ("3", "21", "1234"),
            ("6", "5", "0"),
            ("3", "0", "99"),
        ]  # IVA credited, IGI, IVA paid
        for linea, (code, forma, amount) in enumerate(contributions, start=1):
            conn.execute(
                insert(TABLES["557"]).values(
                    **key, secuencia_fraccion=1, linea=linea, clave_contribucion=code, forma_pago=forma,
                    importe_pago=amount,
                )
            )  # fmt: skip
    engine.dispose()
    rows = ivacredit(store, tmp_path / "iva.csv", "2025-03-01", "2025-03-31")
    first = next(r for r in rows if r["import_pedimento"] == FIRST_IMPORT)
    assert (first["source"], first["iva_credit"], first["iva_cancelled"], first["iva_balance"]) == (
        "datastage",
        "1234",
        "1234",
        "0",
    )
    second = next(r for r in rows if r["import_pedimento"] == SECOND_IMPORT)
    assert second["source"] == "computed_usd"  # its pedimento is not in the stored Data Stage


def test_month_ends_stop_at_the_last_day_of_the_period() -> None:
    assert month_ends(dt.date(2025, 11, 15), dt.date(2026, 2, 10)) == [
        dt.date(2025, 11, 30),
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 10),
    ]


def test_a_partida_credit_is_split_to_the_cent_and_sums_exactly() -> None:
    assert split_credit(Decimal("100"), [Decimal(1), Decimal(1), Decimal(1)]) == [
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    ]


KEYS = [("250000000000001", 1, "A"), ("250000000000002", 1, "B")]
amounts = st.decimals(min_value=0, max_value=100000, places=2)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3)
days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2025, 12, 31))


@given(
    credits=st.lists(st.tuples(amounts, amounts, quantities), min_size=2, max_size=2),
    moves=st.lists(st.tuples(st.sampled_from([0, 1]), days, quantities), max_size=12),
)
def test_credit_cancelled_never_exceeds_credit_taken_per_partida(
    credits: list[tuple[Decimal, Decimal, Decimal]], moves: list[tuple[int, dt.date, Decimal]]
) -> None:
    lots = [
        CreditLot(KEYS[i], dt.date(2025, 1, 1), qty, iva, ieps, "x")
        for i, (iva, ieps, qty) in enumerate(credits)
    ]
    departures = [Departure(KEYS[i], day, qty) for i, day, qty in moves]  # may even exceed what was imported
    rows = credit_rows(lots, departures, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    for lot in lots:
        mine = [r for r in rows if (r[1], r[2], r[3]) == lot.key]
        iva_cancelled = sum((Decimal(str(r[11])) for r in mine), Decimal(0))
        ieps_cancelled = sum((Decimal(str(r[12])) for r in mine), Decimal(0))
        assert Decimal(0) <= iva_cancelled <= lot.iva
        assert Decimal(0) <= ieps_cancelled <= lot.ieps
        for r in mine:
            assert Decimal(str(r[13])) >= 0 and Decimal(str(r[14])) >= 0
        if mine:
            assert Decimal(str(mine[-1][13])) == lot.iva - iva_cancelled


@given(credit=amounts, left=st.decimals(min_value=0, max_value=5000, places=3), imported=quantities)
def test_cancelled_share_is_between_zero_and_the_credit(
    credit: Decimal, left: Decimal, imported: Decimal
) -> None:
    assert Decimal(0) <= cancelled_share(credit, left, imported) <= credit


def test_a_regularization_cancels_credit_and_a_definitive_export_does_not(tmp_path: Path) -> None:
    rows = ivacredit(
        harness_store(tmp_path, operations=True), tmp_path / "iva.csv", "2025-05-01", "2025-05-31"
    )
    (may,) = [r for r in rows if r["import_pedimento"] == SECOND_IMPORT]
    assert (may["qty_discharged_month"], may["iva_cancelled"]) == ("300", "26.4")  # A3: 300 of 2,000 m of 176
    assert may["iva_balance"] == "79.2"  # 176 x (1 - 1,100 / 2,000)


def test_with_an_exchange_rate_and_a_rate_the_duty_engine_computes_the_credit_in_pesos(
    tmp_path: Path,
) -> None:
    store = harness_store(tmp_path)
    terms = tmp_path / "terms.csv"
    terms.write_text("part,igi_rate,originating\nWIRE,0.05,false\n", encoding="utf-8")
    out = tmp_path / "iva.csv"
    period = ("--from", "2025-03-01", "--to", "2025-03-31")
    code, _, err = invoke(
        "report", "ivacredit", "--db", store, *period, "--output", str(out),
        "--exchange-rate", "20", "--terms", str(terms),
    )  # fmt: skip
    assert code == 0, err
    with out.open(encoding="utf-8") as handle:
        first = next(r for r in csv.DictReader(handle) if r["import_pedimento"] == FIRST_IMPORT)
    credit = Decimal(first["iva_credit"])
    # USD 500 x 20 = MXN 10,000 of value, IGI 5 % = 500, plus the DTA: IVA above 16 % of 10,500
    assert first["source"] == "computed" and credit > Decimal("1680") and credit == credit.to_integral_value()
    assert (first["iva_cancelled"], first["iva_balance"]) == (
        first["iva_credit"],
        "0",
    )  # all returned in March


def test_without_an_exchange_rate_the_estimate_says_what_was_missing(tmp_path: Path) -> None:
    out = tmp_path / "iva.xlsx"
    store = harness_store(tmp_path)
    code, _, err = invoke(
        "report",
        "ivacredit",
        "--db",
        store,
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-31",
        "--output",
        str(out),
    )
    assert code == 0, err
    texts = [str(c) for row in load_workbook(out).worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert "computed_usd: 2 partida(s) sin tipo de cambio" in texts  # the notes in the report's language
    assert "calculado en USD (estimado)" in texts  # the source, in Spanish
    code, _, err = invoke(
        "report", "ivacredit", "--db", store, "--from", "2025-01-01", "--to", "2025-01-31",
        "--output", str(out), "--lang", "en",
    )  # fmt: skip
    assert code == 0, err
    texts = [str(c) for row in load_workbook(out).worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert "computed_usd: 2 line(s) without exchange rate" in texts


def test_the_ieps_of_a_part_s_category_is_computed_and_credited_when_there_is_no_data_stage(
    tmp_path: Path,
) -> None:
    """The wire's material terms name LIEPS Art. 2 fr. I inciso B) (alcohol, 50 %): a made-up
    category for the example. USD 500 x 20 = 10,000; IGI 5 % = 500; DTA 2025 = max(80, 445) = 445;
    IEPS base (LIEPS Art. 14) 10,945 x 50 % = 5,472.50 -> R = 5,472; IVA 16 % of 10,945 + 5,472
    = 16,417 -> 2,626.72 -> 2,627 (without the IEPS it would be 1,751)."""
    store = harness_store(tmp_path)
    terms = tmp_path / "terms.csv"
    terms.write_text("part,igi_rate,originating,ieps_category\nWIRE,0.05,false,B_alcohol\n", encoding="utf-8")
    out = tmp_path / "iva.csv"
    period = ("--from", "2025-03-01", "--to", "2025-03-31")
    code, _, err = invoke(
        "report", "ivacredit", "--db", store, *period, "--output", str(out),
        "--exchange-rate", "20", "--terms", str(terms),
    )  # fmt: skip
    assert code == 0, err
    with out.open(encoding="utf-8") as handle:
        first = next(r for r in csv.DictReader(handle) if r["import_pedimento"] == FIRST_IMPORT)
    assert (first["source"], first["ieps_credit"], first["iva_credit"]) == ("computed", "5472", "2627")
    assert (first["ieps_cancelled"], first["ieps_balance"]) == ("5472", "0")  # all returned in March


def test_an_unknown_ieps_category_in_the_terms_is_an_input_error(tmp_path: Path) -> None:
    store = harness_store(tmp_path)
    terms = tmp_path / "terms.csv"
    terms.write_text("part,igi_rate,originating,ieps_category\nWIRE,0.05,false,cerveza\n", encoding="utf-8")
    code, _, err = invoke(
        "report", "ivacredit", "--db", store, "--from", "2025-03-01", "--to", "2025-03-31",
        "--exchange-rate", "20", "--terms", str(terms),
    )  # fmt: skip
    assert code == 2
    assert "terms.csv,2,ieps_category," in err and "B_alcohol" in err
