"""The discharge contract, rule by rule, through the ``immex discharge`` command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from immex.cli import app
from tests.ledger.ledger_files import bom, exp, imp, part, read_csv, write_ledger

I1 = "25 47 3456 5000001"
I2 = "25 47 3456 5000002"
I3 = "25 47 3456 5000003"
E1 = "25 47 3456 6000001"
E2 = "25 47 3456 6000002"


def run(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["discharge", "--input", str(tmp_path / "in"), "--output", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return out


def allocations(out: Path) -> list[tuple[str, ...]]:
    return [tuple(r.values()) for r in read_csv(out / "allocations.csv")]


def test_multilevel_bom_with_merma_and_desperdicio_multiplies_through(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("FG", kind="finished"), part("SUB", kind="subassembly"), part("CU", "kg")],
        imports=[imp(I1, 1, "CU", "100", "2025-01-10", "kg")],
        exports=[exp(E1, 1, "FG", "10", "2025-03-01")],
        bom=[
            bom("FG", "SUB", "2", merma_pct="5"),
            bom("SUB", "CU", "0.25", uom="kg", desperdicio_pct="2", merma_pct="1"),
        ],
    )
    out = run(tmp_path, "--as-of", "2025-06-01")
    # 10 * 2 * 1.05 = 21 SUB; 21 * 0.25 * 1.03 = 5.4075 kg
    assert allocations(out) == [
        ("254734566000001", "1", "FG", "CU", "254734565000001", "1", "5.4075", "false")
    ]


def test_fifo_takes_oldest_lot_cleared_on_or_before_the_export(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("A")],
        imports=[
            imp(I2, 1, "A", "5", "2025-02-01"),
            imp(I1, 1, "A", "5", "2025-01-01"),
            imp(I3, 1, "A", "50", "2025-04-01"),
        ],
        exports=[exp(E1, 1, "A", "7", "2025-03-01")],
    )
    out = run(tmp_path)
    assert [(r["import_pedimento"], r["qty"]) for r in read_csv(out / "allocations.csv")] == [
        ("254734565000001", "5"),
        ("254734565000002", "2"),
    ]


def test_shortfall_is_recorded_and_later_exports_continue(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("A")],
        imports=[imp(I1, 1, "A", "3", "2025-01-01"), imp(I2, 1, "A", "10", "2025-05-01")],
        exports=[exp(E1, 1, "A", "5", "2025-03-01"), exp(E2, 1, "A", "4", "2025-06-01")],
    )
    out = run(tmp_path)
    assert read_csv(out / "shortfalls.csv") == [
        {
            "export_pedimento": "254734566000001",
            "export_line": "1",
            "product": "A",
            "part": "A",
            "qty_missing": "2",
        }
    ]
    assert [
        (r["export_pedimento"], r["import_pedimento"], r["qty"]) for r in read_csv(out / "allocations.csv")
    ] == [("254734566000001", "254734565000001", "3"), ("254734566000002", "254734565000002", "4")]


def test_late_flag_and_month_end_clamping(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("A"), part("BOX", kind="container"), part("PRESS", kind="asset")],
        imports=[
            imp(I1, 1, "A", "10", "2025-08-31"),
            imp(I1, 2, "BOX", "10", "2025-08-31"),
            imp(I1, 3, "PRESS", "1", "2020-01-15", clave="AF"),
        ],
        exports=[
            exp(E1, 1, "A", "1", "2027-02-28"),
            exp(E1, 2, "A", "1", "2027-03-01"),
            exp(E1, 3, "BOX", "1", "2027-03-01"),
        ],
    )
    out = run(tmp_path, "--as-of", "2027-01-15")
    late = {(r["export_line"], r["part"]): r["late"] for r in read_csv(out / "allocations.csv")}
    assert late == {("1", "A"): "false", ("2", "A"): "true", ("3", "BOX"): "false"}
    balances = {r["part"]: r for r in read_csv(out / "balances.csv")}
    assert balances["A"]["deadline"] == "2027-02-28"
    assert balances["A"]["days_left"] == "44"
    assert balances["A"]["status"] == "expiring"
    assert balances["BOX"]["deadline"] == "2027-08-31"
    assert balances["PRESS"] == {**balances["PRESS"], "deadline": "", "days_left": "", "status": "open"}


def test_status_overdue_open_and_discharged(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("A"), part("B")],
        imports=[
            imp(I1, 1, "A", "1", "2024-01-01"),
            imp(I1, 2, "B", "1", "2025-06-01"),
            imp(I2, 1, "A", "1", "2025-06-01"),
        ],
        exports=[exp(E1, 1, "A", "1", "2024-02-01")],
    )
    out = run(tmp_path, "--as-of", "2025-08-01")
    status = {(r["import_pedimento"], r["part"]): r["status"] for r in read_csv(out / "balances.csv")}
    assert status == {
        ("254734565000001", "A"): "discharged",
        ("254734565000001", "B"): "open",
        ("254734565000002", "A"): "open",
    }
    out = run(tmp_path, "--as-of", "2026-12-02")  # 1 day after 2025-06-01 + 18 months
    assert {r["status"] for r in read_csv(out / "balances.csv") if r["qty_remaining"] != "0"} == {"overdue"}


def test_bom_version_is_chosen_by_export_date_and_units_convert(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("FG", kind="finished"), part("WIRE", "m")],
        imports=[imp(I1, 1, "WIRE", "1", "2024-01-01", uom="km")],
        exports=[exp(E1, 1, "FG", "2", "2024-06-30"), exp(E2, 1, "FG", "1", "2024-07-01", uom="dozen")],
        bom=[
            bom("FG", "WIRE", "150", uom="cm", valid_to="2024-06-30"),
            bom("FG", "WIRE", "2", uom="m", valid_from="2024-07-01"),
        ],
        conversions=[
            {"from_uom": "km", "to_uom": "m", "factor": "1000"},
            {"from_uom": "cm", "to_uom": "m", "factor": "0.01"},
            {"from_uom": "dozen", "to_uom": "pcs", "factor": "12", "part": "FG"},
        ],
    )
    out = run(tmp_path)
    assert [r["qty"] for r in read_csv(out / "allocations.csv")] == ["3", "24"]


def test_return_as_is_and_several_parts_sorted_within_an_export_line(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("FG", kind="finished"), part("Z"), part("M")],
        imports=[
            imp(I1, 1, "Z", "10", "2025-01-01"),
            imp(I1, 1, "M", "10", "2025-01-01"),
            imp(I1, 2, "FG", "3", "2025-01-01", clave="IN"),
        ],
        exports=[exp(E1, 2, "FG", "1", "2025-03-01"), exp(E1, 1, "FG", "2", "2025-03-01", clave="RT")],
        bom=[bom("FG", "Z", "1", valid_from="2025-02-01"), bom("FG", "M", "1", valid_from="2025-02-01")],
    )
    out = run(tmp_path)
    assert [(r["export_line"], r["part"]) for r in read_csv(out / "allocations.csv")] == [
        ("1", "M"),
        ("1", "Z"),
        ("2", "M"),
        ("2", "Z"),
    ]


def test_return_as_is_when_no_bom_is_valid_on_the_export_date(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("FG", kind="finished"), part("Z")],
        imports=[imp(I1, 1, "FG", "3", "2025-01-01")],
        exports=[exp(E1, 1, "FG", "2", "2025-01-15")],
        bom=[bom("FG", "Z", "1", valid_from="2025-02-01")],
    )
    out = run(tmp_path)
    assert [(r["part"], r["qty"]) for r in read_csv(out / "allocations.csv")] == [("FG", "2")]


def test_lifo_and_directed_methods(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("A")],
        imports=[
            imp(I1, 1, "A", "5", "2025-01-01"),
            imp(I2, 1, "A", "5", "2025-02-01"),
            imp(I3, 1, "A", "5", "2025-03-01"),
        ],
        exports=[exp(E1, 1, "A", "6", "2025-02-15", import_pedimento=I1), exp(E2, 1, "A", "1", "2025-04-01")],
    )
    lifo = run(tmp_path, "--method", "lifo")
    assert [(r["import_pedimento"][-1], r["qty"]) for r in read_csv(lifo / "allocations.csv")] == [
        ("2", "5"),
        ("1", "1"),
        ("3", "1"),
    ]
    directed = run(tmp_path, "--method", "directed")
    assert [(r["import_pedimento"][-1], r["qty"]) for r in read_csv(directed / "allocations.csv")] == [
        ("1", "5"),
        ("2", "1"),
    ]
    assert read_csv(directed / "shortfalls.csv")[0]["qty_missing"] == "1"


def test_quantities_are_exact_and_never_in_exponent_notation(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("FG", kind="finished"), part("A", "kg")],
        imports=[imp(I1, 1, "A", "1000000", "2025-01-01", "kg")],
        exports=[exp(E1, 1, "FG", "0.000001", "2025-02-01"), exp(E2, 1, "FG", "300000", "2025-02-01")],
        bom=[bom("FG", "A", "0.333333", uom="kg")],
    )
    out = run(tmp_path)
    assert [r["qty"] for r in read_csv(out / "allocations.csv")] == ["0.000000333333", "99999.9"]
    text = (out / "balances.csv").read_text()
    assert "E" not in text.replace("PEDIMENTO", "")
    assert read_csv(out / "balances.csv")[0]["qty_remaining"] == "900000.099999666667"


def test_run_json_records_method_fingerprint_and_counts(tmp_path: Path) -> None:
    import json

    write_ledger(
        tmp_path / "in",
        parts=[part("A")],
        imports=[imp(I1, 1, "A", "5", "2025-01-01")],
        exports=[exp(E1, 1, "A", "6", "2025-02-01")],
    )
    out = run(tmp_path, "--as-of", "2025-03-01")
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["method"] == "fifo" and run_info["as_of"] == "2025-03-01"
    assert len(run_info["input_fingerprint"]) == 64
    assert run_info["counts"]["allocations"] == 1 and run_info["counts"]["shortfalls"] == 1
    assert run_info["totals"] == {"qty_allocated": "5", "qty_missing": "1"}
