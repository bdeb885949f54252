"""The API's run job and the adjustments' repair on the columnar stored path.

``discharge_stored`` (the API's run job) and ``record_stored_discharge`` (the
re-discharge an adjustment of allocated stock triggers) discharge the stored
ledger on columns, as ``immex discharge --db`` does. Compared on random
plant-like folders with the per-row stored path they fall back to: the same
files, the same stored rows, the same fingerprints, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from immex.discharge import service
from immex.discharge.adjust import record_adjustment
from immex.discharge.service import discharge_stored, run_discharge
from immex.ledger.invariants import check_ledger
from immex.ledger.orm import AllocationRow, Company, ImportLineRow, PedimentoRow
from immex.ledger.service import company_id
from immex.store.uow import UnitOfWork
from tests.discharge_scale.synth import write_units_folder
from tests.store import test_store_columnar as columnar
from tests.store.test_store_columnar import NewStore, _bytes, _session, _stored

new_store = columnar.new_store  # the fixture: fresh stores of one kind for each example

AS_OF = dt.date(2026, 12, 7)


@contextmanager
def per_row_store_discharge() -> Iterator[None]:
    """The stored ledger discharged on domain values, as when the columnar path cannot serve."""
    refused = service._PerRow("forced by the test")
    with mock.patch.object(service, "_discharge_stored_frames", side_effect=refused):
        yield


def _run_job(url: str, method: str, out: Path) -> dict[str, Any]:
    """What the API's run job does in its unit of work (the writer lock, the ledger's checks)."""
    out.mkdir()
    with UnitOfWork(url, write=True, checks=[check_ledger]) as uow:
        company = company_id(uow.session, uow.company)
        return discharge_stored(uow.session, company, method, AS_OF, out)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_imports=st.integers(30, 80), n_exports=st.integers(2, 50))
def test_the_run_job_on_columns_writes_and_stores_what_the_per_row_job_does(
    tmp_path_factory: pytest.TempPathFactory, new_store: NewStore, seed: int, n_imports: int, n_exports: int
) -> None:
    work = tmp_path_factory.mktemp("job")
    folder = work / "in"
    write_units_folder(folder, n_imports, n_exports, seed)
    memory = run_discharge(folder, work / "memory", "lifo", as_of=AS_OF)
    columnar, per_row = new_store(), new_store()
    for url in (columnar, per_row):  # stored by the CLI under FIFO; the job then runs LIFO
        run_discharge(folder, work / f"cli-{url.rpartition('/')[2]}", "fifo", db_url=url, as_of=AS_OF)

    job = _run_job(columnar, "lifo", work / "c")
    with per_row_store_discharge():
        checked = _run_job(per_row, "lifo", work / "p")
    assert job["why"] == "the stored ledger discharged on columns"
    assert checked["why"] == "the stored ledger discharged on domain values (forced by the test)"
    assert _bytes(work / "c") == _bytes(work / "p") == _bytes(work / "memory")
    assert job["totals"] == checked["totals"] == memory.run["totals"]
    assert {k: job["counts"][k] for k in checked["counts"]} == checked["counts"]
    assert _stored(columnar) == _stored(per_row)

    again = _run_job(columnar, "lifo", work / "c-again")
    assert again["reused_existing_run"] and again["run_id"] == job["run_id"]


def _used_lots(url: str) -> list[tuple[str, int, str, str]]:
    """(pedimento, line, part, qty) of the import lines the active discharge uses, in id order."""
    with _session(url) as session:
        used = select(AllocationRow.import_line_id).where(AllocationRow.import_line_id.is_not(None))
        query = (
            select(PedimentoRow.number, ImportLineRow.line, ImportLineRow.part, ImportLineRow.qty)
            .join(PedimentoRow, ImportLineRow.pedimento_id == PedimentoRow.id)
            .where(ImportLineRow.id.in_(used))
            .order_by(ImportLineRow.id)
        )
        return [(n, line, part, str(qty)) for n, line, part, qty in session.execute(query)]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_imports=st.integers(30, 80), n_exports=st.integers(5, 50))
def test_an_adjustment_repairs_on_columns_as_on_domain_values(
    tmp_path_factory: pytest.TempPathFactory, new_store: NewStore, seed: int, n_imports: int, n_exports: int
) -> None:
    work = tmp_path_factory.mktemp("adjust")
    folder = work / "in"
    write_units_folder(folder, n_imports, n_exports, seed)
    columnar, per_row = new_store(), new_store()
    for url in (columnar, per_row):
        run_discharge(folder, work / f"cli-{url.rpartition('/')[2]}", "fifo", db_url=url, as_of=AS_OF)
    lots = _used_lots(columnar)
    if not lots:
        return  # nothing allocated: no adjustment can need a repair
    # withdraw all of the first used lot, then half of the last: each may overdraw it, the repair moves them
    asked = [(lots[0], lots[0][3])] + (
        [(lots[-1], format(Decimal(lots[-1][3]) / 2, "f"))] if len(lots) > 1 else []
    )
    for (pedimento, line, part, _qty), withdrawn in asked:
        outcomes = []
        outcomes.append(record_adjustment(columnar, pedimento, line, part, withdrawn, "count"))
        with per_row_store_discharge():
            outcomes.append(record_adjustment(per_row, pedimento, line, part, withdrawn, "count"))
        done, checked = outcomes
        assert (done.rerun_id is None) == (checked.rerun_id is None)
        assert done.export_lines_moved == checked.export_lines_moved
        assert _stored(columnar) == _stored(per_row)
    assert _stored(columnar)["runs"][-1][2:4] == _stored(per_row)["runs"][-1][2:4]  # both fingerprints


def test_a_columnar_repair_moves_the_discharge_off_the_adjusted_lot(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "in"
    write_units_folder(folder, 40, 30, seed=5)
    run_discharge(folder, tmp_path / "first", db_url=db_url, as_of=AS_OF)
    pedimento, line, part, qty = _used_lots(db_url)[0]
    with mock.patch.object(service, "_record_run", side_effect=AssertionError("the per-row path ran")):
        outcome = record_adjustment(db_url, pedimento, line, part, qty, "destroyed")
    assert outcome.rerun_id is not None and outcome.export_lines_moved > 0
    with _session(db_url) as session:
        lot = session.scalar(
            select(ImportLineRow.id)
            .join(PedimentoRow, ImportLineRow.pedimento_id == PedimentoRow.id)
            .where(PedimentoRow.number == pedimento, ImportLineRow.line == line)
        )
        company = session.scalar(select(Company.id))
        assert company is not None
        active = service.active_allocations(session, company)
    assert lot is not None and all(row.import_line_id != lot for row in active)
