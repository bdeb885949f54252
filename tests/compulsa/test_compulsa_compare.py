"""The compulsa rules of the Data Stage contract, one test per rule, through the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from immex.compulsa.service import run_compulsa
from immex.core.problems import InputError

from .compulsa_helpers import Par, Ped, Stage, import_row, read_differences, write_ledger, write_stage

PED = Ped()
PAR = Par(PED, secuencia=1)


def run(
    tmp_path: Path,
    stage: Stage,
    imports: list[dict[str, str]] | None = None,
    exports: list[dict[str, str]] | None = None,
    **ledger: object,
) -> list[dict[str, str]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    zip_path = write_stage(tmp_path / "ds.zip", stage)
    folder = write_ledger(tmp_path / "ledger", imports or [], exports or [], **ledger)  # type: ignore[arg-type]
    run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False)
    return read_differences(tmp_path / "out" / "differences.csv")


def fields(rows: list[dict[str, str]]) -> list[tuple[str, str, str, str, str, str]]:
    return [(r["pedimento"], r["line"], r["field"], r["ledger"], r["datastage"], r["kind"]) for r in rows]


def test_identical_sides_give_only_the_header(tmp_path: Path) -> None:
    assert run(tmp_path, Stage([PED], [PAR]), [import_row(PAR)]) == []
    text = (tmp_path / "out" / "differences.csv").read_text(encoding="utf-8")
    assert text == "pedimento,line,field,ledger,datastage,kind\n"


def test_pedimento_missing_in_ledger_gives_one_row_and_nothing_else(tmp_path: Path) -> None:
    other = Ped(pedimento="6000002")
    rows = run(tmp_path, Stage([PED, other], [PAR, Par(other), Par(other, secuencia=2)]), [import_row(PAR)])
    assert fields(rows) == [(other.number, "", "pedimento", "", "", "missing_in_ledger")]


def test_pedimento_missing_in_datastage_only_when_dated_within_the_period(tmp_path: Path) -> None:
    inside = import_row(PAR, pedimento="260739216000099", cleared_on="2026-01-31")
    outside = import_row(PAR, pedimento="260739216000098", cleared_on="2026-02-01")
    rows = run(tmp_path, Stage([PED], [PAR]), [import_row(PAR), inside, outside])
    assert fields(rows) == [("260739216000099", "", "pedimento", "", "", "missing_in_datastage")]


def test_without_resumen_the_period_is_first_to_last_datastage_date(tmp_path: Path) -> None:
    late = Ped(pedimento="6000002", fecha_pago_real="2026-01-20 09:00:00")
    stage = Stage([PED, late], [PAR, Par(late)], resumen=None)
    before = import_row(PAR, pedimento="260739216000097", cleared_on="2026-01-09")
    within = import_row(PAR, pedimento="260739216000096", cleared_on="2026-01-20")
    rows = run(tmp_path, stage, [import_row(PAR), import_row(Par(late)), before, within])
    assert fields(rows) == [("260739216000096", "", "pedimento", "", "", "missing_in_datastage")]


def test_partida_on_one_side_only(tmp_path: Path) -> None:
    second = Par(PED, secuencia=2)
    rows = run(
        tmp_path, Stage([PED], [PAR, second]), [import_row(PAR), import_row(PAR, line="3", part="X", qty="1")]
    )
    assert fields(rows) == [
        (PED.number, "2", "partida", "", "", "missing_in_ledger"),
        (PED.number, "3", "partida", "", "", "missing_in_datastage"),
    ]


def test_clave_compared_case_insensitively_and_written_upper_case(tmp_path: Path) -> None:
    assert run(tmp_path, Stage([PED], [PAR]), [import_row(PAR, clave="in")]) == []
    rows = run(tmp_path / "b", Stage([PED], [PAR]), [import_row(PAR, clave="af")])
    assert fields(rows) == [(PED.number, "", "clave", "AF", "IN", "mismatch")]


def test_date_is_the_506_type_2_date_not_the_entry_date(tmp_path: Path) -> None:
    ped = Ped(fecha_pago_real="2026-01-12 08:00:00", fecha_pago="2026-01-05", fecha_entrada="2026-01-03")
    par = Par(ped)
    assert run(tmp_path, Stage([ped], [par]), [import_row(par, cleared_on="2026-01-05")]) == []
    rows = run(tmp_path / "b", Stage([ped], [par]), [import_row(par, cleared_on="2026-01-03")])
    assert fields(rows) == [(ped.number, "", "date", "2026-01-03", "2026-01-05", "mismatch")]


def test_date_falls_back_to_fecha_pago_real(tmp_path: Path) -> None:
    rows = run(tmp_path, Stage([PED], [PAR]), [import_row(PAR, cleared_on="2026-01-11")])
    assert fields(rows) == [(PED.number, "", "date", "2026-01-11", "2026-01-10", "mismatch")]


def test_several_ledger_values_are_listed_sorted_and_distinct(tmp_path: Path) -> None:
    rows = run(
        tmp_path,
        Stage([PED], [PAR]),
        [
            import_row(PAR, part="B", qty="60", clave="RT", cleared_on="2026-01-10"),
            import_row(PAR, part="A", qty="40", clave="IN", cleared_on="2026-01-09"),
        ],
    )
    assert fields(rows) == [
        (PED.number, "", "clave", "IN;RT", "IN", "mismatch"),
        (PED.number, "", "date", "2026-01-09;2026-01-10", "2026-01-10", "mismatch"),
    ]


@pytest.mark.parametrize(
    ("ledger_hs", "different"),
    [
        ("8542.39", False),
        ("8542.39.01", False),
        ("8542 39 01 00", False),
        ("85423901.00", False),
        ("8542.31", True),
        ("8542.39.01.01", True),
    ],
)
def test_hs_is_a_prefix_comparison_on_normalized_codes(
    tmp_path: Path, ledger_hs: str, different: bool
) -> None:
    rows = run(tmp_path, Stage([PED], [PAR]), [import_row(PAR, hs=ledger_hs)])
    digits = ledger_hs.replace(".", "").replace(" ", "")
    assert fields(rows) == ([(PED.number, "1", "hs", digits, "8542390100", "mismatch")] if different else [])


def test_hs_and_country_fall_back_to_parts_csv(tmp_path: Path) -> None:
    parts = [{"part": "P1", "uom": "6", "kind": "raw", "hs": "8542.31", "country_of_origin": "us"}]
    rows = run(tmp_path, Stage([PED], [PAR]), [import_row(PAR, hs="", country_of_origin="")], parts=parts)
    assert fields(rows) == [
        (PED.number, "1", "hs", "854231", "8542390100", "mismatch"),
        (PED.number, "1", "country", "USA", "CHN", "mismatch"),
    ]


def test_field_without_any_value_is_not_compared(tmp_path: Path) -> None:
    assert run(tmp_path, Stage([PED], [PAR]), [import_row(PAR, hs="", country_of_origin="")]) == []


def test_country_alpha2_is_converted_to_alpha3(tmp_path: Path) -> None:
    assert run(tmp_path, Stage([PED], [PAR]), [import_row(PAR, country_of_origin="cn")]) == []
    rows = run(tmp_path / "b", Stage([PED], [PAR]), [import_row(PAR, country_of_origin="TW")])
    assert fields(rows) == [(PED.number, "1", "country", "TWN", "CHN", "mismatch")]


def test_export_country_is_destination_country(tmp_path: Path) -> None:
    ped = Ped(tipo_operacion="2", clave="RT")
    par = Par(ped, pais="USA")
    row = import_row(par, destination_country="CA", product="FG")
    rows = run(tmp_path, Stage([ped], [par]), exports=[row])
    assert fields(rows) == [(ped.number, "1", "country", "CAN", "USA", "mismatch")]


def test_unit_names_map_to_apendice_7_and_qty_is_summed(tmp_path: Path) -> None:
    rows = run(
        tmp_path,
        Stage([PED], [PAR]),
        [import_row(PAR, part="A", uom="pcs", qty="40"), import_row(PAR, part="B", uom=" PZA ", qty="60")],
    )
    assert rows == []


def test_uom_conversion_part_specific_row_wins_then_generic(tmp_path: Path) -> None:
    conversions = [
        {"from_uom": "box", "to_uom": "pieza", "factor": "10", "part": ""},
        {"from_uom": "box", "to_uom": "pcs", "factor": "25", "part": "A"},
    ]
    parts = [{"part": "A", "uom": "box", "kind": "raw"}, {"part": "B", "uom": "box", "kind": "raw"}]
    rows = run(
        tmp_path,
        Stage([PED], [PAR]),
        [import_row(PAR, part="A", uom="box", qty="2"), import_row(PAR, part="B", uom="box", qty="5")],
        parts=parts,
        conversions=conversions,
    )
    assert rows == []  # 2 × 25 + 5 × 10 = 100


def test_uom_difference_replaces_qty_comparison(tmp_path: Path) -> None:
    rows = run(
        tmp_path,
        Stage([PED], [PAR]),
        [import_row(PAR, part="A", uom="kg", qty="7"), import_row(PAR, part="B", uom="pcs", qty="3")],
    )
    assert fields(rows) == [(PED.number, "1", "uom", "1;6", "6", "mismatch")]


def test_uom_override_file_wins_over_the_table(tmp_path: Path) -> None:
    rows = run(
        tmp_path, Stage([PED], [PAR]), [import_row(PAR, uom="kit")], overrides=[{"uom": "KIT", "code": "6"}]
    )
    assert rows == []


def test_qty_rounded_half_up_to_three_decimals(tmp_path: Path) -> None:
    assert run(tmp_path, Stage([PED], [PAR]), [import_row(PAR, qty="99.9995")]) == []
    rows = run(tmp_path / "b", Stage([PED], [PAR]), [import_row(PAR, qty="99.9994")])
    assert fields(rows) == [(PED.number, "1", "qty", "99.999", "100.000", "mismatch")]


@pytest.mark.parametrize(
    ("unit_value", "reported"), [("2.51", False), ("2.49", False), ("2.511", True), ("2.4899", True)]
)
def test_value_usd_tolerance_is_inclusive_one_dollar(tmp_path: Path, unit_value: str, reported: bool) -> None:
    rows = run(tmp_path, Stage([PED], [PAR]), [import_row(PAR, unit_value_usd=unit_value)])
    expected = f"{round(float(unit_value) * 100, 2):.2f}"
    assert fields(rows) == (
        [(PED.number, "1", "value_usd", expected, "250.00", "mismatch")] if reported else []
    )


def test_value_usd_only_when_every_row_has_a_unit_value(tmp_path: Path) -> None:
    rows = run(
        tmp_path,
        Stage([PED], [PAR]),
        [import_row(PAR, part="A", qty="50", unit_value_usd="9"), import_row(PAR, part="B", qty="50")],
    )
    assert rows == []


def test_rectification_is_its_own_pedimento(tmp_path: Path) -> None:
    original = Ped(pedimento="6000001")
    rect = Ped(
        pedimento="6000005",
        tipo_pedimento="2",
        fecha_pago_real="2026-01-20 10:00:00",
        fecha_pago="2026-01-10",
    )
    rows = run(tmp_path, Stage([original, rect], [Par(original), Par(rect)]), [import_row(Par(original))])
    assert fields(rows) == [(rect.number, "", "pedimento", "", "", "missing_in_ledger")]


def test_rows_are_ordered_by_pedimento_line_then_field(tmp_path: Path) -> None:
    a = Ped(pedimento="6000001")
    b = Ped(pedimento="6000002")
    stage = Stage([b, a], [Par(b, secuencia=10), Par(b, secuencia=2), Par(a)])
    ledger = [
        import_row(Par(b, secuencia=10), clave="AF", qty="5", country_of_origin="US", unit_value_usd="1"),
        import_row(Par(b, secuencia=2), hs="9999.99"),
        import_row(Par(a), cleared_on="2026-01-02"),
    ]
    rows = run(tmp_path, stage, ledger)
    assert fields(rows) == [
        (a.number, "", "date", "2026-01-02", "2026-01-10", "mismatch"),
        (b.number, "", "clave", "AF;IN", "IN", "mismatch"),
        (b.number, "2", "hs", "999999", "8542390100", "mismatch"),
        (b.number, "10", "country", "USA", "CHN", "mismatch"),
        (b.number, "10", "qty", "5.000", "100.000", "mismatch"),
        (b.number, "10", "value_usd", "5.00", "250.00", "mismatch"),
    ]


def test_output_is_the_same_on_every_run(tmp_path: Path) -> None:
    stage = Stage([PED, Ped(pedimento="6000003")], [PAR, Par(PED, secuencia=2)])
    run(tmp_path, stage, [import_row(PAR, qty="3"), import_row(PAR, line="7", part="Z")])
    first = (tmp_path / "out" / "differences.csv").read_bytes()
    run(tmp_path, stage, [import_row(PAR, qty="3"), import_row(PAR, line="7", part="Z")])
    assert (tmp_path / "out" / "differences.csv").read_bytes() == first
    assert first.count(b"\r") == 0


def test_pedimento_in_imports_and_exports_is_an_input_error(tmp_path: Path) -> None:
    zip_path = write_stage(tmp_path / "ds.zip", Stage([PED], [PAR]))
    export = import_row(PAR, product="FG", line="2", clave="RT")
    folder = write_ledger(tmp_path / "ledger", [import_row(PAR)], [export])
    with pytest.raises(InputError) as caught:
        run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False)
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [("exports.csv", 2, "pedimento")]
    assert not (tmp_path / "out" / "differences.csv").exists()
