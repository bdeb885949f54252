"""Anexo 22 validation: pedimento number structure and the apéndice catalogs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from immex.core import anexo22
from immex.rules import anexo22 as catalogs

DAY = dt.date(2025, 6, 1)


@pytest.mark.parametrize("number", ["244734564000123", "24 47 3456 4000123", "26 07 3921 5000211"])
def test_valid_pedimento_numbers_pass(number: str) -> None:
    assert anexo22.validate_pedimento_number(number) is None


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("24473456400012", "has 14 digits"),
        ("2447345640001234", "has 16 digits"),
        ("2447345640001x3", "must be digits"),
        ("", "must be digits"),
        ("240034564000123", "aduana 00"),
        ("249934564000123", "aduana 99"),
        ("244700004000123", "patente 0000"),
        ("244734564000000", "consecutive 000000"),
    ],
)
def test_invalid_pedimento_numbers_say_why(number: str, fragment: str) -> None:
    message = anexo22.validate_pedimento_number(number)
    assert message is not None and fragment in message


@given(
    st.sampled_from(sorted(catalogs.aduanas().entries)),
    st.integers(1, 9999),
    st.integers(0, 9),
    st.integers(1, 999999),
)
def test_every_well_formed_number_of_a_listed_aduana_is_valid(
    aduana: str, patente: int, year: int, consecutive: int
) -> None:
    number = f"25{aduana}{patente:04d}{year}{consecutive:06d}"
    assert anexo22.validate_pedimento_number(number) is None


def test_clave_is_checked_case_insensitively_against_apendice_2() -> None:
    assert anexo22.validate_clave("IN", DAY) is None
    assert anexo22.validate_clave("rt", DAY) is None
    assert anexo22.validate_clave(" V1 ", DAY) is None
    message = anexo22.validate_clave("ZZ", DAY)
    assert message is not None and "Apéndice 2" in message


def test_clave_outside_the_catalog_validity_is_reported() -> None:
    message = anexo22.validate_clave("IN", dt.date(2005, 1, 1))
    assert message is not None and "not in force on 2005-01-01" in message


def test_catalog_codes_from_anexo22_reference_are_present() -> None:
    for clave in (
        "IN",
        "AF",
        "RT",
        "V1",
        "V5",
        "F4",
        "F5",
        "A1",
        "A3",
        "BM",
        "BO",
        "H1",
        "H8",
        "I1",
        "K1",
        "CT",
        "R1",
        "F2",
        "F3",
    ):
        assert catalogs.claves_pedimento().get(clave) is not None, clave
    assert set(catalogs.unidades().entries) == {str(n) for n in range(1, 23)}
    assert catalogs.formas_pago().get("21") is not None
    assert catalogs.contribuciones().get("23") is not None


def test_units_contributions_payment_forms_identifiers_countries() -> None:
    assert anexo22.validate_unidad("6") is None
    assert anexo22.validate_unidad("06") is None
    assert anexo22.validate_unidad("23") is not None
    assert anexo22.validate_unidad("kg") is not None
    assert anexo22.validate_contribucion("6") is None
    assert anexo22.validate_contribucion("8") is not None
    assert anexo22.validate_forma_pago("0") is None
    assert anexo22.validate_forma_pago("1") is not None
    assert anexo22.validate_identificador("pc") is None
    assert anexo22.validate_identificador("QQ") is not None
    assert anexo22.validate_pais("CHN") is None
    assert anexo22.validate_pais("EMU") is None
    assert anexo22.validate_pais("XXX") is not None
    assert anexo22.validate_pais("CN") is not None


def test_aduana_seccion_and_patente() -> None:
    assert anexo22.validate_aduana_seccion("071") is None
    assert anexo22.validate_aduana_seccion("470") is None
    assert anexo22.validate_aduana_seccion("990") is not None
    assert anexo22.validate_aduana_seccion("07A") is not None
    assert anexo22.validate_patente("3921") is None
    assert anexo22.validate_patente("0") is not None
    assert anexo22.validate_patente("12345") is not None


def test_alpha2_to_alpha3() -> None:
    assert anexo22.alpha2_to_alpha3("cn") == "CHN"
    assert anexo22.alpha2_to_alpha3("US") == "USA"
    assert anexo22.alpha2_to_alpha3("XX") is None
    assert anexo22.alpha2_to_alpha3("USA") is None


def test_unit_names_follow_the_contract_table() -> None:
    names = catalogs.unit_names()
    assert names["kg"] == "1" and names["pcs"] == "6" and names["h87"] == "6"
    assert names["kit"] == "12" and names["doz"] == "19" and names["box"] == "20"
    assert names["botella"] == "21" and names["cabeza"] == "7"
    assert "06" not in names


# --------------------------------------------------------------------------- tariff and Data Stage records

TARIFF = anexo22.tariff_index(
    [
        ("85423901", "00", dt.date(2020, 12, 28), dt.date(2022, 12, 11)),
        ("85423999", "00", dt.date(2022, 12, 12), None),
        ("85423999", "01", dt.date(2022, 12, 12), None),
    ]
)


def test_fraccion_must_be_in_the_tariff_on_the_date() -> None:
    assert anexo22.validate_fraccion("85423901", "00", dt.date(2021, 5, 1), TARIFF) is None
    message = anexo22.validate_fraccion("85423901", "00", dt.date(2023, 1, 1), TARIFF)
    assert message is not None and "not in the tariff" in message and "2023-01-01" in message
    assert anexo22.validate_fraccion("85423999", "01", dt.date(2023, 1, 1), TARIFF) is None
    nico = anexo22.validate_fraccion("85423999", "07", dt.date(2023, 1, 1), TARIFF)
    assert nico is not None and "NICO 07" in nico


def test_current_catalog_codes_of_issue_14_are_present() -> None:
    """Codes a real, accepted Data Stage carries that the 2011-era lists lacked (RGCE 2024 edition)."""
    assert catalogs.aduanas().get("85") is not None  # AIFA
    assert anexo22.validate_aduana_seccion("850") is None
    assert anexo22.validate_pedimento_number("26 85 3921 6000123") is None
    for code in ("SO", "EO", "PO", "GI", "TA", "FC", "DI", "AP"):
        assert anexo22.validate_identificador(code, DAY) is None, code
    assert anexo22.validate_identificador("CA", dt.date(2025, 1, 2)) is not None  # added 2025-04
    assert anexo22.validate_identificador("CA", dt.date(2025, 6, 2)) is None
    assert anexo22.validate_clave("G9", DAY) is None
    assert anexo22.validate_contribucion("33", DAY) is None
    assert anexo22.validate_contribucion("23", DAY) is None
    assert anexo22.validate_pais("CUR") is None and anexo22.validate_unidad("22") is None


def test_every_forma_de_pago_says_what_its_amount_is() -> None:
    settlements = {code: e.settlement for code, e in catalogs.formas_pago().entries.items()}
    assert settlements["0"] == "paid"
    assert settlements["6"] == "pending" and settlements["9"] == "not_due" and settlements["5"] == "not_due"
    assert settlements["21"] == "credited" and settlements["13"] == "paid_elsewhere"
    assert set(settlements.values()) <= set(catalogs.SETTLEMENTS)


def test_an_older_tarifa_without_end_date_never_judges_a_later_date() -> None:
    """The 1,289 false findings: LIGIE 2020 rows (no ``until``) used for 2026 pedimentos."""
    only_2020 = anexo22.tariff_index([("85423901", "00", dt.date(2020, 12, 28), None)])
    assert anexo22.validate_fraccion("85171300", "00", dt.date(2026, 1, 10), only_2020) is None
    assert anexo22.validate_fraccion("99999901", "00", dt.date(2021, 1, 10), only_2020) is not None
    both = anexo22.tariff_index(
        [("85423901", "00", dt.date(2020, 12, 28), None), ("85171300", "00", dt.date(2026, 1, 1), None)]
    )
    assert anexo22.validate_fraccion("85171300", "00", dt.date(2026, 1, 10), both) is None
    gone = anexo22.validate_fraccion("85423901", "00", dt.date(2026, 1, 10), both)
    assert gone is not None and "LIGIE 2022" in gone
    # 2023: LIGIE 2022 in force, but the data only knows it as of 2026: not judged either way
    assert not anexo22.tariff_vouches_for(both, dt.date(2023, 6, 1))
    assert anexo22.validate_fraccion("85423901", "00", dt.date(2023, 6, 1), both) is None


@given(
    st.sampled_from(["85171300", "85444299", "73181599"]),
    st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
)
def test_a_fraccion_of_the_tarifa_in_force_is_never_reported(fraccion: str, day: dt.date) -> None:
    tariff = anexo22.tariff_index(
        [(f, "00", dt.date(2026, 1, 1), None) for f in ("85171300", "85444299", "73181599")]
    )
    assert anexo22.validate_fraccion(fraccion, "00", day, tariff) is None
    assert anexo22.validate_fraccion(fraccion, "", day, tariff) is None


def test_transit_and_global_complementario_generic_fracciones_are_understood() -> None:
    tariff = anexo22.tariff_index([("85171300", "00", dt.date(2022, 12, 12), None)])
    on = dt.date(2026, 1, 10)
    for clave in ("T3", "t6", "T7", "T9"):
        assert anexo22.validate_fraccion("00000000", "00", on, tariff, clave) is None
    assert anexo22.validate_fraccion("99999999", "", on, tariff, "GC") is None
    wrong = anexo22.validate_fraccion("00000000", "00", on, tariff, "IN")
    assert wrong is not None and "T3" in wrong and "clave IN" in wrong
    transit = {
        "Fraccion": "00000000",
        "SubdivisionFraccion": "",
        "UnidadMedidaComercial": "1",
        "UnidadMedidaTarifa": "",
        "PaisOrigenDestino": "USA",
        "ClaveDocumento": "T3",
        "FechaPagoReal": "2026-01-10 10:00:00",
    }
    assert anexo22.check_record("551", transit, tariff) == []


def test_fraccion_not_checked_without_data_or_before_it_or_with_six_digits() -> None:
    assert anexo22.validate_fraccion("99999999", "", dt.date(2019, 1, 1), TARIFF) is None
    assert anexo22.validate_fraccion("99999999", "", dt.date(2023, 1, 1), None) is None
    assert anexo22.validate_fraccion("999999", "", dt.date(2023, 1, 1), TARIFF) is None
    assert anexo22.tariff_index([]) is None


def test_data_stage_records_are_checked_field_by_field() -> None:
    good_501 = {
        "Patente": "3921",
        "Pedimento": "6000001",
        "SeccionAduanera": "070",
        "SeccionAduaneraEntrada": "070",
        "ClaveDocumento": "IN",
        "FechaPagoReal": "2026-01-10 10:00:00",
    }
    assert anexo22.check_record("501", good_501) == []
    bad_501 = {**good_501, "SeccionAduanera": "990", "ClaveDocumento": "ZZ", "Patente": "0"}
    assert [name for name, _ in anexo22.check_record("501", bad_501)] == [
        "Pedimento",
        "SeccionAduanera",
        "Patente",
        "ClaveDocumento",
    ]
    partida = {
        "Fraccion": "85423999",
        "SubdivisionFraccion": "07",
        "UnidadMedidaComercial": "6",
        "UnidadMedidaTarifa": "",
        "PaisOrigenDestino": "CHN",
        "PaisCompradorVendedor": "XXX",
        "FechaPagoReal": "2026-01-10 10:00:00",
    }
    assert [name for name, _ in anexo22.check_record("551", partida, TARIFF)] == [
        "Fraccion",
        "PaisCompradorVendedor",
    ]
    contribution = {"ClaveContribucion": "6", "FormaPago": "1", "FechaPagoReal": "2026-01-10 10:00:00"}
    assert [name for name, _ in anexo22.check_record("557", contribution)] == ["FormaPago"]
    assert anexo22.check_record("507", {"ClaveCaso": "PC", "FechaValidacionPagoR": "2026-01-10"}) == []
    assert anexo22.check_record("554", {"ClaveCaso": "Q9"}) != []
    assert anexo22.check_record("503", {"Anything": "x"}) == []
