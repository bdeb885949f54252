"""The operations contract (rules 1-3), rule by rule, on ledgers small enough to check by hand.

Each case runs through ``immex discharge`` on the columnar reader (FIFO without
``--db``), the per-row reader and the stored path (``--db``), which must agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.cli import app
from immex.discharge.service import stored_result
from immex.ledger.service import company_id
from immex.store.db import open_database
from tests.ledger.ledger_files import bom, exp, imp, part, read_csv, write_ledger
from tests.operations.helpers import (
    E1,
    E2,
    I1,
    I2,
    PATHS,
    R1,
    R2,
    digits,
    errors,
    ok,
    path_args,
    reg,
    rows,
    run_json,
    store_counts,
    write_regularizations,
)

# ---- rule 1: what an export line does depends on its clave ----------------------------------


def plant_with_held_lines(tmp_path: Path) -> None:
    """100 kg of copper; a harness export (RT) and three outgoing lines that discharge nothing."""
    write_ledger(
        tmp_path / "in",
        parts=[part("CU"), part("FG", kind="finished"), part("NAT", kind="finished")],
        imports=[imp(I1, 1, "CU", "100", "2025-01-10")],
        exports=[
            exp(E1, 1, "FG", "10", "2025-02-01"),
            exp(E1, 2, "NAT", "5", "2025-02-01", clave="A1"),  # national goods: no BOM, no import
            exp(E2, 1, "FG", "3", "2025-03-01", clave="BM"),  # out for repair, comes back
            exp(E2, 2, "CU", "4", "2025-03-01", clave="BO"),
        ],
        bom=[bom("FG", "CU", "2")],
    )


@pytest.mark.parametrize("path", PATHS)
def test_a1_bm_bo_lines_discharge_nothing_and_are_listed_as_warnings(tmp_path: Path, path: str) -> None:
    plant_with_held_lines(tmp_path)
    out = ok(tmp_path, *path_args(tmp_path, path))
    assert rows(out, "allocations.csv") == [(digits(E1), "1", "FG", "CU", digits(I1), "1", "20", "false")]
    assert rows(out, "shortfalls.csv") == []
    assert rows(out, "balances.csv")[0][3:6] == ("100", "20", "80")
    warned = [(r["file"], r["row"], r["column"], r["message"]) for r in read_csv(out / "warnings.csv")]
    held = [w for w in warned if w[2] == "clave"]
    assert [(w[1], w[3].split()[1]) for w in held] == [("3", "A1"), ("4", "BM"), ("5", "BO")]
    assert all(w[0] == "exports.csv" and "does not discharge" in w[3] for w in held)
    counts = run_json(out)["counts"]
    assert counts["not_discharging"] == 3 and counts["export_lines"] == 1


@pytest.mark.parametrize("path", PATHS)
def test_virtual_transfers_and_changes_of_regime_discharge_and_are_late_like_returns(
    tmp_path: Path, path: str
) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("A")],
        imports=[imp(I1, 1, "A", "10", "2023-01-10")],  # deadline 2024-07-10
        exports=[
            exp(E1, 1, "A", "1", "2024-08-01", clave="RT"),
            exp(E1, 2, "A", "1", "2024-08-01", clave="F4"),
            exp(E1, 3, "A", "1", "2024-08-01", clave="F5"),
            exp(E2, 1, "A", "2", "2024-06-01", clave="V1"),
            exp(E2, 2, "A", "2", "2024-06-01", clave="V5"),
        ],
    )
    out = ok(tmp_path, *path_args(tmp_path, path))
    late = {
        (r["export_pedimento"][-1], r["export_line"]): (r["qty"], r["late"])
        for r in read_csv(out / "allocations.csv")
    }
    assert late == {
        ("2", "1"): ("2", "false"),
        ("2", "2"): ("2", "false"),
        ("1", "1"): ("1", "true"),
        ("1", "2"): ("1", "true"),
        ("1", "3"): ("1", "true"),
    }


@pytest.mark.parametrize("path", PATHS)
def test_a_clave_of_no_class_on_an_export_line_is_an_input_error_naming_it(tmp_path: Path, path: str) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("A")],
        imports=[imp(I1, 1, "A", "10", "2025-01-10")],
        exports=[
            exp(E1, 1, "A", "1", "2025-02-01", clave="ZZ"),
            exp(E1, 2, "A", "1", "2025-02-01", clave="IN"),
            exp(E1, 3, "A", "1", "2025-02-01", clave="A3"),
            exp(E1, 4, "A", "1", "2025-02-01", clave="RT"),
        ],
    )
    found = errors(tmp_path, *path_args(tmp_path, path))
    assert [(f, r, c) for f, r, c, _ in found] == [("exports.csv", str(n), "clave") for n in (2, 3, 4)]
    assert "clave ZZ is not a clave the ledger knows" in found[0][3]
    assert "clave IN is a temporary-import clave" in found[1][3]
    assert found[2][3] == "clave A3 is a regularization: list the line in regularizations.csv"
    assert store_counts(tmp_path / "plant.db")[:2] == (0, 0)  # nothing stored


# ---- rule 2: regularizations (A3) -----------------------------------------------------------


def plant_with_regularizations(tmp_path: Path) -> None:
    """Two copper lots; an A3 and a return on the same day, and an A3 after the lot's deadline.

    On 2025-03-01 the A3 takes 8 of I1 first, so the return (FIFO) finds 2 left in I1
    and takes 3 from I2. On 2026-08-01 I2 is past its deadline (2026-07-10): late.
    """
    write_ledger(
        tmp_path / "in",
        parts=[part("CU")],
        imports=[imp(I1, 1, "CU", "10", "2024-01-10"), imp(I2, 1, "CU", "10", "2025-01-10")],
        exports=[exp(E1, 1, "CU", "5", "2025-03-01")],
    )
    write_regularizations(
        tmp_path / "in",
        [reg(R2, 1, "CU", "2", "2026-08-01", I2, 1), reg(R1, 1, "CU", "8", "2025-03-01", I1, 1)],
    )


@pytest.mark.parametrize("path", ["in-memory", "stored"])
def test_a_regularization_discharges_its_lot_before_the_exports_of_its_date(
    tmp_path: Path, path: str
) -> None:
    plant_with_regularizations(tmp_path)
    out = ok(tmp_path, *path_args(tmp_path, path))
    assert rows(out, "allocations.csv") == [
        (digits(R1), "1", "CU", "CU", digits(I1), "1", "8", "false"),
        (digits(E1), "1", "CU", "CU", digits(I1), "1", "2", "false"),
        (digits(E1), "1", "CU", "CU", digits(I2), "1", "3", "false"),
        (digits(R2), "1", "CU", "CU", digits(I2), "1", "2", "true"),
    ]
    assert [r[3:] for r in rows(out, "balances.csv")] == [
        ("10", "10", "0", "2025-07-10", "10", "discharged"),
        ("10", "5", "5", "2026-07-10", "375", "open"),
    ]
    run = run_json(out)
    assert run["counts"]["regularizations"] == 2
    assert "exact per-part path" in run["why"]


def test_regularizations_on_the_stored_path_are_idempotent_and_reversible(tmp_path: Path) -> None:
    plant_with_regularizations(tmp_path)
    db = path_args(tmp_path, "stored")
    first = run_json(ok(tmp_path, *db))
    stored = store_counts(tmp_path / "plant.db")
    again = run_json(ok(tmp_path, *db, out="again"))
    assert again["reused_existing_run"] and again["run_id"] == first["run_id"]
    assert store_counts(tmp_path / "plant.db") == stored == (2, 3, 4, 1)  # A3s stored as outgoing lines
    reversed_ = CliRunner().invoke(app, ["run", "reverse", str(first["run_id"]), "--reason", "test", *db])
    assert reversed_.exit_code == 0, reversed_.output
    third = ok(tmp_path, *db, out="third")
    assert not run_json(third)["reused_existing_run"]
    assert (third / "allocations.csv").read_bytes() == (tmp_path / "out" / "allocations.csv").read_bytes()


BAD_REGULARIZATIONS = {
    "a line that does not exist": (
        [reg(R1, 1, "CU", "1", "2025-03-01", I1, 9)],
        ("2", "import_line", f"import pedimento {digits(I1)} line 9 is not in imports.csv"),
    ),
    "a line of another part": (
        [reg(R1, 1, "AL", "1", "2025-03-01", I1, 1)],
        ("2", "part", f"import pedimento {digits(I1)} line 1 carries 'CU', not 'AL'"),
    ),
    "more than the line has left then": (
        [reg(R1, 1, "CU", "5", "2025-03-01", I1, 1)],
        (
            "2",
            "qty",
            f"asks 5 of import pedimento {digits(I1)} line 1 ('CU'), which has 3 left on 2025-03-01",
        ),
    ),
    "dated before the import cleared": (
        [reg(R1, 1, "CU", "1", "2023-12-31", I1, 1)],
        (
            "2",
            "cleared_on",
            f"2023-12-31 is before import pedimento {digits(I1)} line 1 cleared (2024-01-10)",
        ),
    ),
    "the same (pedimento, line, part) twice": (
        [reg(R1, 1, "CU", "1", "2025-03-01", I1, 1), reg(R1, 1, "CU", "1", "2025-03-01", I1, 1)],
        ("3", "part", f"pedimento {digits(R1)} line 1 lists part 'CU' twice"),
    ),
    "another clave": (
        [reg(R1, 1, "CU", "1", "2025-03-01", I1, 1, clave="RT")],
        ("2", "clave", "clave RT is not a regularization clave (A3)"),
    ),
}


@pytest.mark.parametrize("path", ["in-memory", "stored"])
@pytest.mark.parametrize("case", sorted(BAD_REGULARIZATIONS))
def test_each_bad_regularization_is_an_input_error_and_nothing_is_stored(
    tmp_path: Path, case: str, path: str
) -> None:
    lines, expected = BAD_REGULARIZATIONS[case]
    write_ledger(
        tmp_path / "in",
        parts=[part("CU"), part("AL")],
        imports=[imp(I1, 1, "CU", "10", "2024-01-10")],
        exports=[exp(E1, 1, "CU", "7", "2025-02-01")],
    )
    args = path_args(tmp_path, path)
    if path == "stored":
        ok(tmp_path, *args, out="before")
    before = store_counts(tmp_path / "plant.db")
    write_regularizations(tmp_path / "in", lines)
    assert errors(tmp_path, *args) == [("regularizations.csv", *expected)]
    assert store_counts(tmp_path / "plant.db") == before


# ---- rule 3: fixed assets -------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("bom_row", "column"), [(bom("FG", "PRESS", "1"), "component"), (bom("PRESS", "A", "1"), "product")]
)
def test_a_fixed_asset_in_a_bom_is_an_input_error(
    tmp_path: Path, path: str, bom_row: dict[str, str], column: str
) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("A"), part("FG", kind="finished"), part("PRESS", kind="asset")],
        imports=[imp(I1, 1, "A", "10", "2025-01-10"), imp(I1, 2, "PRESS", "1", "2025-01-10", clave="AF")],
        exports=[exp(E1, 1, "FG", "1", "2025-02-01")],
        bom=[bom("FG", "A", "1"), bom_row],
    )
    found = errors(tmp_path, *path_args(tmp_path, path))
    assert [(f, r, c) for f, r, c, _ in found] == [("bom.csv", "3", column)]
    assert "'PRESS' is a fixed asset (kind asset)" in found[0][3]
    assert store_counts(tmp_path / "plant.db")[:2] == (0, 0)  # nothing stored


def plant_with_a_press(tmp_path: Path) -> None:
    write_ledger(
        tmp_path / "in",
        parts=[part("PRESS", kind="asset")],
        imports=[
            imp(I1, 1, "PRESS", "1", "2020-01-15", clave="AF"),
            imp(I1, 2, "PRESS", "2", "2020-01-15", clave="AF"),
        ],
        exports=[exp(E1, 1, "PRESS", "1", "2025-02-01")],
    )


@pytest.mark.parametrize("path", PATHS)
def test_an_asset_without_a_known_program_end_has_no_deadline(tmp_path: Path, path: str) -> None:
    plant_with_a_press(tmp_path)
    out = ok(tmp_path, *path_args(tmp_path, path))
    assert rows(out, "allocations.csv") == [
        (digits(E1), "1", "PRESS", "PRESS", digits(I1), "1", "1", "false")
    ]
    assert [r[3:] for r in rows(out, "balances.csv")] == [
        ("1", "1", "0", "", "", "discharged"),
        ("2", "0", "2", "", "", "open"),
    ]


def test_an_asset_is_due_at_the_end_of_the_stored_program(tmp_path: Path) -> None:
    plant_with_a_press(tmp_path)
    db = path_args(tmp_path, "stored")
    profile = ["company", "set", "--name", "Planta", "--rfc", "DMA010101AB7", "--valid-to", "2025-01-31"]
    assert CliRunner().invoke(app, [*profile, *db]).exit_code == 0
    out = ok(tmp_path, *db)
    assert rows(out, "allocations.csv") == [(digits(E1), "1", "PRESS", "PRESS", digits(I1), "1", "1", "true")]
    assert [r[3:] for r in rows(out, "balances.csv")] == [
        ("1", "1", "0", "2025-01-31", "-150", "discharged"),
        ("2", "0", "2", "2025-01-31", "-150", "overdue"),
    ]


def test_the_stored_result_keeps_the_discharge_order_of_regularizations(tmp_path: Path) -> None:
    plant_with_regularizations(tmp_path)
    out = ok(tmp_path, *path_args(tmp_path, "stored"))
    engine = open_database(f"sqlite:///{tmp_path / 'plant.db'}")
    try:
        with Session(engine) as session:
            result = stored_result(session, company_id(session, create=False))
    finally:
        engine.dispose()
    written = [(r[0], r[1], r[4], r[6]) for r in rows(out, "allocations.csv")]
    assert [
        (a.export_pedimento, str(a.export_line), a.import_pedimento, str(a.qty)) for a in result.allocations
    ] == written


def test_held_lines_are_stored_for_the_reports_and_never_allocated(tmp_path: Path) -> None:
    plant_with_held_lines(tmp_path)
    db = path_args(tmp_path, "stored")
    first = run_json(ok(tmp_path, *db))
    assert store_counts(tmp_path / "plant.db") == (1, 4, 1, 1)  # 4 outgoing lines, 1 allocation
    again = run_json(ok(tmp_path, *db, out="again"))
    assert again["reused_existing_run"] and again["counts"]["not_discharging"] == 3
    assert store_counts(tmp_path / "plant.db") == (1, 4, 1, 1)
    assert first["counts"] == again["counts"]


def test_the_partitioned_engine_leaves_held_lines_out_too(tmp_path: Path) -> None:
    plant_with_held_lines(tmp_path)
    columnar = ok(tmp_path)
    partitioned = ok(tmp_path, "--engine", "partitioned", out="partitioned")
    for name in ("allocations.csv", "shortfalls.csv", "balances.csv", "warnings.csv"):
        assert (partitioned / name).read_bytes() == (columnar / name).read_bytes(), name
    assert run_json(partitioned)["counts"]["not_discharging"] == 3
