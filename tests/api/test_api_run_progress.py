"""A run job's progress reaches the discharge of the stored ledger (its steps and its stop)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from immex.api import companies, work
from immex.api.store import Store
from tests.api.ledgers import small_ledger
from tests.progress_recorder import Recorder


def test_a_run_reports_the_discharge_of_the_stored_ledger(db_url: str, tmp_path: Path) -> None:
    """The API's run (``work.discharge_stored``) hands its progress to the columnar discharge of
    the stored ledger: its "discharging" step shows, and a stopping server's check at each step
    (:mod:`immex.api.jobs`) is reached there too. It was given none: the bar stayed on loading."""
    store = Store(db_url)
    try:
        with store.writing() as session:
            companies.create(session, {"rfc": "ACM010101AB0", "name": "Progress"}, "test")
            company = companies.find(session, "ACM010101AB0")
        assert company is not None
        ledger = small_ledger(tmp_path / "ledger")
        work.store_upload(store, company, ledger, ledger, "test")
        recorder = Recorder()
        run = work.discharge_stored(
            store, company, "fifo", dt.date(2025, 12, 31), tmp_path / "run", recorder, "test"
        )
    finally:
        store.close()
    assert run["why"] == "the stored ledger discharged on columns"
    assert "discharging" in recorder.names
    assert recorder.names.index("discharging") > recorder.names.index("loading the stored ledger")
