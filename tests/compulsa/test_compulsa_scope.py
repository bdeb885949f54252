"""Compulsa scoped to the Anexo 24: pedimentos that are no Anexo 24 movement are counted, not missing.

A real Data Stage of an IMMEX company also lists its definitive imports (A1) and transits
(T3); the Anexo 24 ledger does not hold them, so they are not "missing in ledger".
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from immex.cli.datastage import app
from immex.compulsa.service import run_compulsa
from immex.datastage.summary import is_anexo24_movement

from .compulsa_helpers import Par, Ped, Stage, import_row, read_differences, write_ledger, write_stage

runner = CliRunner()
DAY = dt.date(2026, 1, 10)
IN = Ped(pedimento="6000001", clave="IN")
A1 = Ped(pedimento="6000002", clave="A1")
T3 = Ped(pedimento="6000003", clave="T3")
A1_EXPORT = Ped(pedimento="6000004", clave="A1", tipo_operacion="2")


def _stage(tmp_path: Path, *peds: Ped) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return write_stage(tmp_path / "ds.zip", Stage(list(peds), [Par(p) for p in peds]))


@pytest.mark.parametrize("clave", ["IN", "AF", "V1", "RT", "H1", "V5", "V2", "F4", "F5", "A3"])
def test_anexo24_claves_are_in_scope(clave: str) -> None:
    assert is_anexo24_movement(clave, DAY)
    assert is_anexo24_movement(f" {clave.lower()} ", DAY)


@pytest.mark.parametrize("clave", ["A1", "BM", "BO", "T3", "F2", "F3", "", "ZZ"])
def test_other_claves_are_out_of_scope(clave: str) -> None:
    assert not is_anexo24_movement(clave, DAY)


def test_definitive_imports_and_transits_are_counted_not_missing(tmp_path: Path) -> None:
    zip_path = _stage(tmp_path, IN, A1, T3, A1_EXPORT)
    folder = write_ledger(tmp_path / "ledger", [import_row(Par(IN))])
    result = run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False)
    assert result.differences == ()
    assert read_differences(tmp_path / "out" / "differences.csv") == []
    assert result.out_of_scope == (("A1", 2), ("T3", 1))
    assert result.out_of_scope_total == 3


def test_scope_all_compares_every_pedimento_as_before(tmp_path: Path) -> None:
    zip_path = _stage(tmp_path, IN, A1, T3)
    folder = write_ledger(tmp_path / "ledger", [import_row(Par(IN))])
    result = run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False, scope="all")
    assert [(d.pedimento, d.field, d.kind) for d in result.differences] == [
        (A1.number, "pedimento", "missing_in_ledger"),
        (T3.number, "pedimento", "missing_in_ledger"),
    ]
    assert result.out_of_scope == ()


def test_a_missing_anexo24_pedimento_is_still_missing(tmp_path: Path) -> None:
    zip_path = _stage(tmp_path, IN, A1)
    folder = write_ledger(tmp_path / "ledger", [], [])
    rows = run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False).differences
    assert [(d.pedimento, d.kind) for d in rows] == [(IN.number, "missing_in_ledger")]


def test_an_out_of_scope_pedimento_the_ledger_holds_is_compared(tmp_path: Path) -> None:
    """The ledger lists an A1 export (not discharging): the compulsa checks it like any other."""
    zip_path = _stage(tmp_path, IN, A1_EXPORT)
    exported = import_row(Par(A1_EXPORT), product="FG", qty="90")
    folder = write_ledger(tmp_path / "ledger", [import_row(Par(IN))], [exported])
    result = run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False)
    assert [(d.pedimento, d.field, d.ledger, d.datastage) for d in result.differences] == [
        (A1_EXPORT.number, "qty", "90.000", "100.000")
    ]
    assert result.out_of_scope == ()


def test_differences_csv_keeps_the_contract_header(tmp_path: Path) -> None:
    zip_path = _stage(tmp_path, IN, A1)
    folder = write_ledger(tmp_path / "ledger", [], [])
    run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False)
    header = (tmp_path / "out" / "differences.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "pedimento,line,field,ledger,datastage,kind"


def test_cli_says_how_many_were_left_out_and_reports_carry_the_scope(tmp_path: Path) -> None:
    _stage(tmp_path, IN, A1, T3)
    write_ledger(tmp_path / "ledger", [import_row(Par(IN))])
    args = ["compulsa", "--datastage", str(tmp_path / "ds.zip"), "--input", str(tmp_path / "ledger")]
    result = runner.invoke(app, [*args, "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.stdout
    assert "out of scope: 2 Data Stage pedimentos are no Anexo 24 movement" in result.stdout
    assert "(A1 1, T3 1)" in result.stdout
    from openpyxl import load_workbook

    summary = load_workbook(tmp_path / "out" / "compulsa.xlsx")["Summary"]
    values = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert "2 Data Stage pedimentos left out" in str(values["Scope"])


def test_cli_rejects_an_unknown_scope(tmp_path: Path) -> None:
    _stage(tmp_path, IN)
    write_ledger(tmp_path / "ledger", [import_row(Par(IN))])
    args = ["compulsa", "--datastage", str(tmp_path / "ds.zip"), "--input", str(tmp_path / "ledger")]
    result = runner.invoke(app, [*args, "--output", str(tmp_path / "out"), "--scope", "some"])
    assert result.exit_code == 2
    assert "--scope must be one of: anexo24, all" in result.stderr
    assert not (tmp_path / "out" / "differences.csv").exists()


A3 = Ped(pedimento="6000005", clave="A3")


def _regularization(folder: Path, a3: Ped, lot: Ped) -> None:
    (folder / "regularizations.csv").write_text(
        "pedimento,line,clave,cleared_on,part,qty,uom,import_pedimento,import_line\n"
        f"{a3.number},1,A3,2026-01-10,P1,100,6,{lot.number},1\n",
        encoding="utf-8",
    )


def test_an_a3_of_regularizations_csv_matches_its_data_stage_pedimento(tmp_path: Path) -> None:
    zip_path = _stage(tmp_path, IN, A3)
    folder = write_ledger(tmp_path / "ledger", [import_row(Par(IN), qty="150")])
    missing = run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False)
    assert [(d.pedimento, d.field, d.kind) for d in missing.differences] == [
        (IN.number, "qty", "mismatch"),
        (A3.number, "pedimento", "missing_in_ledger"),
    ]
    _regularization(folder, A3, IN)
    result = run_compulsa(zip_path, tmp_path / "out", input_dir=folder, reports=False)
    assert [(d.pedimento, d.field) for d in result.differences] == [(IN.number, "qty")]


# --------------------------------------------------------------------------- invariant

CLAVES = ("IN", "AF", "V1", "RT", "F4", "A3", "A1", "T3", "BM", "F2")


@st.composite
def scoped_cases(draw: st.DrawFn) -> tuple[Stage, list[dict[str, str]]]:
    peds = [
        Ped(
            pedimento=f"6{index:06d}",
            clave=draw(st.sampled_from(CLAVES)),
            tipo_operacion=draw(st.sampled_from(("1", "2"))),
        )
        for index in range(draw(st.integers(1, 6)))
    ]
    partidas = [Par(p) for p in peds]
    held = draw(st.lists(st.sampled_from(partidas), unique=True))
    rows = [import_row(par, qty=draw(st.sampled_from((par.cantidad, "7")))) for par in held]
    return Stage(peds, partidas), rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scoped_cases())
def test_the_scope_only_removes_missing_pedimentos_of_no_anexo24_movement(
    case: tuple[Stage, list[dict[str, str]]],
) -> None:
    """differences(anexo24) = differences(all) minus the pedimentos counted out of scope."""
    stage, rows = case
    with tempfile.TemporaryDirectory() as name:
        work = Path(name)
        zip_path = write_stage(work / "ds.zip", stage)
        folder = write_ledger(work / "ledger", rows)
        scoped = run_compulsa(zip_path, work / "a", input_dir=folder, reports=False)
        every = run_compulsa(zip_path, work / "b", input_dir=folder, reports=False, scope="all")
    left_out = [d for d in every.differences if d not in scoped.differences]
    assert set(scoped.differences) <= set(every.differences)
    assert all(d.field == "pedimento" and d.kind == "missing_in_ledger" for d in left_out)
    by_number = {p.number: p for p in stage.pedimentos}
    assert all(not is_anexo24_movement(by_number[d.pedimento].clave, DAY) for d in left_out)
    assert len(left_out) == scoped.out_of_scope_total
