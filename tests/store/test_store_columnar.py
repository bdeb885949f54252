"""``immex discharge --db`` on columns: the in-memory bytes, and the rows the per-row stored path stores.

The columnar stored path (COPY intake, vectorized discharge of the stored
ledger, COPY of the run's rows, the commit's checks in SQL on PostgreSQL) is
compared on random plant-like folders with the in-memory run (output bytes) and
with the per-row stored path (every stored line, allocation, withdrawal and the
ledger fingerprint), on SQLite and PostgreSQL, for a first input, the same input
again and a larger input after a smaller one.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from immex.core.problems import InputError
from immex.discharge import service
from immex.discharge.service import run_discharge
from immex.ledger.invariants import _overdrawn_in_python, _overdrawn_in_sql, doubled_requirements
from immex.ledger.orm import (
    AdjustmentRow,
    AllocationReversalRow,
    AllocationRow,
    DischargeRunRow,
    ExportLineRow,
    ImportLineRow,
    PedimentoRow,
)
from tests.discharge_scale.synth import write_units_folder

OUTPUTS = ("allocations.csv", "shortfalls.csv", "balances.csv")
NewStore = Callable[[], str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewStore]:
    """A maker of fresh empty store URLs (the examples of one hypothesis test share its fixtures)."""
    made: list[str] = []
    if request.param == "sqlite":
        yield lambda: f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
        return
    server = str(request.getfixturevalue("pg_server_url"))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    base = server.rpartition("/")[0]

    def make() -> str:
        name = f"c_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return f"{base}/{name}"

    try:
        yield make
    finally:
        with admin.connect() as connection:
            for name in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def per_row_stored_path() -> Iterator[None]:
    """The stored path on domain values, as it runs when the columnar one cannot serve."""
    with mock.patch.object(service, "_run_stored_columnar", return_value="forced by the test"):
        yield


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


@contextmanager
def _session(url: str) -> Iterator[Session]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _stored(url: str) -> dict[str, Any]:
    """What the store holds, by natural keys (ids differ between stores): comparable across paths."""
    with _session(url) as s:
        peds = {i: n for i, n in s.execute(select(PedimentoRow.id, PedimentoRow.number))}
        imports = {r.id: (peds[r.pedimento_id], r.line, r.part) for r in s.scalars(select(ImportLineRow))}
        exports = {r.id: (peds[r.pedimento_id], r.line, r.product) for r in s.scalars(select(ExportLineRow))}
        import_rows = sorted(
            (
                imports[r.id],
                r.clave,
                r.cleared_on,
                str(r.qty),
                r.uom,
                str(r.qty_given),
                r.unit_value_usd,
                r.country_of_origin,
                r.hs,
            )
            for r in s.scalars(select(ImportLineRow))
        )
        export_rows = sorted(
            (
                exports[r.id],
                r.clave,
                r.cleared_on,
                str(r.qty),
                r.uom,
                str(r.qty_given),
                r.unit_value_usd,
                r.destination_country,
                r.hs,
                r.import_pedimento,
                r.import_line,
            )
            for r in s.scalars(select(ExportLineRow))
        )
        allocations = sorted(
            (
                r.run_id,
                exports[r.export_line_id],
                r.part,
                imports.get(r.import_line_id or 0, ("", 0, "")),
                r.qty.normalize(),
                r.late,
                r.seq,
            )
            for r in s.scalars(select(AllocationRow))
        )
        withdrawn = sorted(
            (r.run_id, a.run_id, exports[a.export_line_id], a.part, a.seq)
            for r, a in s.execute(
                select(AllocationReversalRow, AllocationRow).join(
                    AllocationRow, AllocationReversalRow.allocation_id == AllocationRow.id
                )
            )
        )
        runs = [
            (r.id, r.method, r.input_fingerprint, r.ledger_fingerprint, r.summary)
            for r in s.scalars(select(DischargeRunRow).order_by(DischargeRunRow.id))
        ]
    return {
        "imports": import_rows,
        "exports": export_rows,
        "allocations": allocations,
        "withdrawn": withdrawn,
        "runs": runs,
    }


def _half_of_the_exports(folder: Path, target: Path) -> None:
    shutil.copytree(folder, target)
    lines = (folder / "exports.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (target / "exports.csv").write_text("".join(lines[: 1 + (len(lines) - 1) // 2]), encoding="utf-8")


@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10**6),
    n_imports=st.integers(30, 80),
    n_exports=st.integers(2, 50),
    method=st.sampled_from(["fifo", "lifo"]),
)
def test_columnar_stored_runs_write_the_in_memory_bytes_and_store_the_per_row_rows(
    tmp_path_factory: pytest.TempPathFactory,
    new_store: NewStore,
    seed: int,
    n_imports: int,
    n_exports: int,
    method: str,
) -> None:
    work = tmp_path_factory.mktemp("columnar")
    full, half = work / "full", work / "half"
    write_units_folder(full, n_imports, n_exports, seed)
    _half_of_the_exports(full, half)
    memory = run_discharge(full, work / "memory", method)
    columnar, per_row = new_store(), new_store()

    first = run_discharge(half, work / "c1", method, db_url=columnar)
    with per_row_stored_path():
        run_discharge(half, work / "p1", method, db_url=per_row)
    assert "on columns" in first.run["why"]
    assert _bytes(work / "c1") == _bytes(work / "p1")

    second = run_discharge(full, work / "c2", method, db_url=columnar)
    with per_row_stored_path():
        checked = run_discharge(full, work / "p2", method, db_url=per_row)
    assert "domain values (forced by the test)" in checked.run["why"]
    assert _bytes(work / "c2") == _bytes(work / "p2") == _bytes(work / "memory")
    assert second.run["totals"] == memory.run["totals"]
    assert second.run["counts"]["allocations"] == memory.run["counts"]["allocations"]

    again = run_discharge(full, work / "c3", method, db_url=columnar)
    assert again.run["reused_existing_run"] and again.run["run_id"] == second.run["run_id"]
    assert _bytes(work / "c3") == _bytes(work / "memory")
    assert _stored(columnar) == _stored(per_row)


def test_a_line_stored_with_other_values_is_the_per_row_error_and_stores_nothing(
    tmp_path: Path, db_url: str
) -> None:
    folder = tmp_path / "in"
    write_units_folder(folder, 20, 10, seed=3)
    run_discharge(folder, tmp_path / "first", db_url=db_url)
    before = _stored(db_url)
    imports = (folder / "imports.csv").read_text(encoding="utf-8").splitlines()
    cells = imports[1].split(",")
    header = imports[0].split(",")
    cells[header.index("qty")] = "1" + cells[header.index("qty")]  # another quantity
    (folder / "imports.csv").write_text("\n".join([imports[0], ",".join(cells), *imports[2:]]) + "\n")
    with pytest.raises(InputError) as refused:
        run_discharge(folder, tmp_path / "second", db_url=db_url)
    [problem] = refused.value.problems
    assert (problem.file, problem.row, problem.column) == ("imports.csv", 2, "qty")
    assert "already stored with a different qty" in problem.message
    assert _stored(db_url) == before


@pytest.mark.postgres
def test_the_overdrawn_lines_of_sql_are_those_of_python(tmp_path: Path, pg_url: str) -> None:
    folder = tmp_path / "in"
    write_units_folder(folder, 30, 25, seed=11)
    run_discharge(folder, tmp_path / "out", db_url=pg_url)
    with _session(pg_url) as s:
        company = s.scalar(select(ImportLineRow.company_id).limit(1))
        assert company is not None
        used = s.execute(
            select(AllocationRow.import_line_id, AllocationRow.qty).where(
                AllocationRow.import_line_id.is_not(None)
            )
        ).all()
        lines = {r.id: r.qty for r in s.scalars(select(ImportLineRow))}
        # adjust away all of some used lines (overdrawn with adjustments) and half of an unused one
        for line_id, _ in used[:3]:
            assert line_id is not None
            s.add(
                AdjustmentRow(
                    company_id=company,
                    import_line_id=line_id,
                    qty=lines[line_id],
                    reason="test",
                    created_by="test",
                )
            )
        unused = sorted(lines.keys() - {line for line, _ in used})
        if unused:
            s.add(
                AdjustmentRow(
                    company_id=company,
                    import_line_id=unused[0],
                    qty=lines[unused[0]] / 2,
                    reason="test",
                    created_by="test",
                )
            )
        s.flush()
        for with_adjustments in (True, False):
            in_sql = _overdrawn_in_sql(s, company, with_adjustments)
            assert in_sql == _overdrawn_in_python(s, company, with_adjustments)
            assert len(in_sql) == (len({line for line, _ in used[:3]}) if with_adjustments else 0)
        first = s.scalars(select(AllocationRow).order_by(AllocationRow.id).limit(1)).one()
        assert doubled_requirements(s, company) == []
        s.add(
            AllocationRow(
                run_id=first.run_id,
                export_line_id=first.export_line_id,
                part=first.part,
                import_line_id=first.import_line_id,
                qty=first.qty,
                late=False,
                seq=99,
            )
        )
        s.flush()
        assert doubled_requirements(s, company) == [(first.export_line_id, first.part)]
        s.rollback()
