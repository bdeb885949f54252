"""Waste (desperdicio), rule by rule, on ledgers like a compliance manual's worked examples.

Operations contract §5: for each export line and leaf part, waste generated =
``allocated × (R − R0) / R`` (R0: every desperdicio on the BOM path at 0,
merma kept); disposals recorded; pending = generated − disposed per part.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from immex.discharge.waste import decimal_text
from tests.ledger.ledger_files import bom, exp, imp, part, write_ledger
from tests.movements.files import (
    EXPORT,
    EXPORT_2,
    IMPORT,
    discharge,
    disposal,
    harness_ledger,
    read_rows,
    write_rows,
)


def waste(out: Path) -> list[tuple[str, str, str, str]]:
    return [(r["part"], r["generated"], r["disposed"], r["pending"]) for r in read_rows(out / "waste.csv")]


def test_100_harnesses_with_5_percent_desperdicio_generate_10_m_of_cable_waste(tmp_path: Path) -> None:
    # 100 harnesses x 2 m x (1 + 2 % merma + 5 % desperdicio) = 214 m discharged;
    # without the desperdicio 204 m: the 10 m between are waste to dispose of (merma is not).
    harness_ledger(tmp_path / "in")
    code, problems, _ = discharge(tmp_path / "in", tmp_path / "out")
    assert code == 0, problems
    assert waste(tmp_path / "out") == [("CABLE", "10", "0", "10")]


def test_a_shortfall_generates_no_imported_waste(tmp_path: Path) -> None:
    # only 107 m of the 214 m required were imported: 107 x 10/214 = 5 m of waste
    harness_ledger(tmp_path / "in", cable_imported="107")
    code, problems, _ = discharge(tmp_path / "in", tmp_path / "out")
    assert code == 0, problems
    assert waste(tmp_path / "out") == [("CABLE", "5", "0", "5")]
    assert read_rows(tmp_path / "out" / "shortfalls.csv")[0]["qty_missing"] == "107"


def test_a_quotient_that_does_not_terminate_is_written_to_6_decimals_half_even(tmp_path: Path) -> None:
    # 100 m allocated of 214: 100 x 10/214 = 4.6728971962... m
    harness_ledger(tmp_path / "in", cable_imported="100")
    discharge(tmp_path / "in", tmp_path / "out")
    assert waste(tmp_path / "out") == [("CABLE", "4.672897", "0", "4.672897")]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(1, 8), "0.125"),
        (Fraction(2, 3), "0.666667"),
        (Fraction(1, 3), "0.333333"),
        (Fraction(1, 2_000_000), "0.0000005"),  # terminates: exact, not rounded
        (Fraction(5, 10_000_000) + Fraction(1, 3 * 10**12), "0.000001"),
        (Fraction(41, 6 * 10**6), "0.000007"),  # 6.8333... e-6
        (Fraction(7, 2 * 10**6), "0.0000035"),
        (Fraction(-1, 3), "-0.333333"),
        (Fraction(1000), "1000"),
    ],
)
def test_decimal_text(value: Fraction, text: str) -> None:
    assert decimal_text(value) == text


def test_desperdicio_at_two_levels_of_the_bom(tmp_path: Path) -> None:
    # FG = 2 SUB (10 % desperdicio); SUB = 0.5 kg CU (1 % merma, 4 % desperdicio).
    # R = 2 x 1.10 x 0.5 x 1.05 = 1.155 kg per FG; R0 = 2 x 0.5 x 1.01 = 1.01 kg per FG.
    # 20 FG: R = 23.1, R0 = 20.2: 2.9 kg of waste of CU.
    write_ledger(
        tmp_path / "in",
        parts=[part("FG", kind="finished"), part("SUB", kind="subassembly"), part("CU", "kg")],
        imports=[imp(IMPORT, 1, "CU", "500", "2025-01-10", "kg")],
        exports=[exp(EXPORT, 1, "FG", "20", "2025-03-01")],
        bom=[
            bom("FG", "SUB", "2", desperdicio_pct="10"),
            bom("SUB", "CU", "0.5", uom="kg", merma_pct="1", desperdicio_pct="4"),
        ],
    )
    discharge(tmp_path / "in", tmp_path / "out")
    assert waste(tmp_path / "out") == [("CU", "2.9", "0", "2.9")]


def test_a_part_reached_by_two_bom_paths_sums_both_before_the_ratio(tmp_path: Path) -> None:
    # FG = 1 m CABLE (10 % desperdicio) + 1 SUB; SUB = 1 m CABLE (no desperdicio).
    # R = 1.1 + 1 = 2.1 m, R0 = 2 m per FG; 10 FG with 10.5 m imported: 10.5 x 1/21 = 0.5 m.
    write_ledger(
        tmp_path / "in",
        parts=[part("FG", kind="finished"), part("SUB", kind="subassembly"), part("CABLE", "m")],
        imports=[imp(IMPORT, 1, "CABLE", "10.5", "2025-01-10", "m")],
        exports=[exp(EXPORT, 1, "FG", "10", "2025-03-01")],
        bom=[
            bom("FG", "CABLE", "1", uom="m", desperdicio_pct="10"),
            bom("FG", "SUB", "1"),
            bom("SUB", "CABLE", "1", uom="m"),
        ],
    )
    discharge(tmp_path / "in", tmp_path / "out")
    assert waste(tmp_path / "out") == [("CABLE", "0.5", "0", "0.5")]


def test_disposals_count_against_the_waste_and_pending_is_what_is_left(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in")
    write_rows(
        folder,
        "waste.csv",
        [
            disposal("2025-03-10", "CABLE", "4", how="destroyed", document="ACTA-7"),
            disposal("2025-04-01", "CABLE", "10", "ft", how="donated"),  # 3.048 m
        ],
    )
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 0, problems
    assert waste(tmp_path / "out") == [("CABLE", "10", "7.048", "2.952")]


def test_disposing_of_more_than_was_generated_by_then_is_an_input_error(tmp_path: Path) -> None:
    # the 10 m of waste come from the export of 2025-03-01: a disposal of 2025-02-28 has nothing yet
    folder = harness_ledger(tmp_path / "in")
    write_rows(folder, "waste.csv", [disposal("2025-02-28", "CABLE", "1")])
    out = tmp_path / "out"
    code, problems, _ = discharge(folder, out)
    assert code == 2
    assert problems[1][:3] == ["waste.csv", "2", "qty"]
    assert "more than the 0 of waste generated" in problems[1][3]
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv"]  # no output folder put in place


@pytest.mark.parametrize("engine", ["auto", "columnar", "partitioned"])
def test_over_disposal_is_refused_whichever_engine_ran(tmp_path: Path, engine: str) -> None:
    folder = harness_ledger(tmp_path / "in")
    write_rows(
        folder,
        "waste.csv",
        [disposal("2025-03-01", "CABLE", "6"), disposal("2025-03-02", "CABLE", "4.000001", how="donated")],
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "allocations.csv").write_text("the previous run\n")
    code, problems, _ = discharge(folder, out, "--engine", engine)
    assert code == 2
    assert [p[:3] for p in problems[1:]] == [["waste.csv", "3", "qty"]]
    assert (out / "allocations.csv").read_text() == "the previous run\n"  # left as it was
    assert (out / "errors.csv").is_file()


def test_a_disposal_of_a_part_that_generated_no_waste_is_an_input_error(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in")
    write_rows(folder, "waste.csv", [disposal("2025-04-01", "CLIP", "1", "pcs")])
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 2
    assert problems[1][:3] == ["waste.csv", "2", "qty"]


def test_waste_of_later_exports_does_not_cover_an_earlier_disposal(tmp_path: Path) -> None:
    folder = harness_ledger(
        tmp_path / "in",
        exports=[
            exp(EXPORT, 1, "HARNESS", "50", "2025-03-01"),
            exp(EXPORT_2, 1, "HARNESS", "50", "2025-05-01"),
        ],
    )
    write_rows(
        folder, "waste.csv", [disposal("2025-03-15", "CABLE", "5"), disposal("2025-04-15", "CABLE", "1")]
    )
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 2
    assert [p[:3] for p in problems[1:]] == [["waste.csv", "3", "qty"]]
    write_rows(
        folder, "waste.csv", [disposal("2025-03-15", "CABLE", "5"), disposal("2025-05-01", "CABLE", "5")]
    )
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 0, problems
    assert waste(tmp_path / "out") == [("CABLE", "10", "10", "0")]


@pytest.mark.parametrize("clave", ["RT", "F4", "F5", "V1"])
def test_returns_and_changes_of_regime_generate_waste_alike(tmp_path: Path, clave: str) -> None:
    harness_ledger(tmp_path / "in", exports=[exp(EXPORT, 1, "HARNESS", "100", "2025-03-01", clave=clave)])
    code, problems, _ = discharge(tmp_path / "in", tmp_path / "out")
    assert code == 0, problems
    assert waste(tmp_path / "out") == [("CABLE", "10", "0", "10")]


@pytest.mark.parametrize("clave", ["A1", "BM", "BO"])
def test_a_line_that_does_not_discharge_generates_no_waste(tmp_path: Path, clave: str) -> None:
    harness_ledger(tmp_path / "in", exports=[exp(EXPORT, 1, "HARNESS", "100", "2025-03-01", clave=clave)])
    code, problems, _ = discharge(tmp_path / "in", tmp_path / "out")
    assert code == 0, problems
    assert not (tmp_path / "out" / "waste.csv").exists()


def test_a_regularization_as_is_generates_no_waste(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in")
    (folder / "regularizations.csv").write_text(
        "pedimento,line,clave,cleared_on,part,qty,uom,import_pedimento,import_line\n"
        f"25 47 3456 7000001,1,A3,2025-04-01,CABLE,50,m,{IMPORT},1\n",
        encoding="utf-8",
    )
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 0, problems
    assert any(
        r["export_pedimento"] == "254734567000001" for r in read_rows(tmp_path / "out" / "allocations.csv")
    )
    assert waste(tmp_path / "out") == [("CABLE", "10", "0", "10")]  # the export's only


def test_a_return_as_is_generates_no_waste(tmp_path: Path) -> None:
    harness_ledger(tmp_path / "in", exports=[exp(EXPORT, 1, "CABLE", "30", "2025-03-01", "m")])
    code, problems, _ = discharge(tmp_path / "in", tmp_path / "out")
    assert code == 0, problems
    assert not (tmp_path / "out" / "waste.csv").exists()


def test_no_desperdicio_and_no_waste_csv_write_exactly_the_files_of_before(tmp_path: Path) -> None:
    harness_ledger(tmp_path / "in", desperdicio="0")
    code, problems, _ = discharge(tmp_path / "in", tmp_path / "out")
    assert code == 0, problems
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["allocations.csv", "balances.csv", "run.json", "shortfalls.csv"]


def test_a_given_waste_csv_is_answered_even_without_waste(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in", desperdicio="0")
    write_rows(folder, "waste.csv", [])
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 0, problems
    assert (tmp_path / "out" / "waste.csv").read_text() == "part,generated,disposed,pending\n"


def test_waste_does_not_change_the_discharge(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in")
    discharge(folder, tmp_path / "before")
    write_rows(folder, "waste.csv", [disposal("2025-04-01", "CABLE", "3")])
    discharge(folder, tmp_path / "after")
    for name in ("allocations.csv", "shortfalls.csv", "balances.csv"):
        assert (tmp_path / "before" / name).read_bytes() == (tmp_path / "after" / name).read_bytes()


def test_waste_counts_in_run_json(tmp_path: Path) -> None:
    import json

    harness_ledger(tmp_path / "in")
    discharge(tmp_path / "in", tmp_path / "out")
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["counts"]["waste_parts"] == 1
    assert "waste.csv" in run["files"]
    assert Decimal(read_rows(tmp_path / "out" / "waste.csv")[0]["generated"]) == 10
