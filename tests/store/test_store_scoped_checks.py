"""A stored run's commit checks only what the run touched and refuses what the whole-ledger check does.

``invariants.check_new_runs`` sums the import lines the run's rows name and groups
the requirements they name, instead of every active row of the company. Every
test here runs both checks on the same uncommitted state (``_both``): the scoped
one must raise exactly when ``check_ledger`` raises, with the same message, and a
refused run leaves the store as it was. On both stores.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import polars as pl
import pytest
from sqlalchemy.orm import Session

from immex.discharge import service, stored_frames
from immex.ledger import invariants
from immex.ledger.orm import AllocationReversalRow
from immex.store import copy
from immex.store.errors import InvariantViolation
from tests.discharge_scale.synth import write_units_folder
from tests.store.test_store_references import _counts, _folder, _stored_run

SCOPED = invariants.check_new_runs


def _outcome(check: Any, session: Session, company: str) -> str | None:
    try:
        check(session, company)
    except InvariantViolation as refused:
        return str(refused)
    return None


def _both(calls: list[str | None]) -> Any:
    """A commit check that runs the whole-ledger and the scoped check and requires the same outcome."""

    def check(session: Session, company: str) -> None:
        whole = _outcome(invariants.check_ledger, session, company)
        scoped = _outcome(SCOPED, session, company)
        assert scoped == whole
        calls.append(scoped)
        if scoped is not None:
            raise InvariantViolation(scoped)

    return check


def _longer(tmp_path: Path) -> Path:
    folder = tmp_path / "longer"
    write_units_folder(folder, 20, 14, seed=3)  # _folder's lines and more export lines
    return folder


def _lot_shared_by_two_lines(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with one allocation of a lot that other export lines use raised past any lot's size."""
    lots = rows.filter(pl.col("import_line_id").is_not_null())
    shared = lots.group_by("import_line_id").agg(pl.col("export_line_id").n_unique().alias("lines"))
    lot = shared.filter(pl.col("lines") > 1)["import_line_id"].min()
    assert lot is not None
    target = pl.int_range(pl.len()) == rows["import_line_id"].eq(lot).arg_true()[0]
    return rows.with_columns(pl.when(target).then(pl.lit("1000000")).otherwise(pl.col("qty")).alias("qty"))


def test_a_first_and_a_later_run_pass_both_checks(tmp_path: Path, db_url: str) -> None:
    calls: list[str | None] = []
    with mock.patch.object(service, "check_new_runs", _both(calls)):
        _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
        _stored_run(_longer(tmp_path), tmp_path / "later", db_url)
    assert calls == [None, None]


def test_a_lot_allocated_beyond_its_quantity_across_two_runs_is_refused(tmp_path: Path, db_url: str) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
    before = _counts(db_url)
    real = stored_frames.wanted_rows
    calls: list[str | None] = []
    with (
        mock.patch.object(service, "wanted_rows", lambda *a: _lot_shared_by_two_lines(real(*a))),
        mock.patch.object(service, "check_new_runs", _both(calls)),
        pytest.raises(InvariantViolation, match="discharged beyond their quantity"),
    ):
        _stored_run(_longer(tmp_path), tmp_path / "refused", db_url)
    assert len(calls) == 1
    assert _counts(db_url) == before


def test_a_requirement_left_active_in_two_runs_is_refused(tmp_path: Path, db_url: str) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
    before = _counts(db_url)
    real = copy.insert_frame

    def no_withdrawals(session: Session, model: Any, frame: pl.DataFrame, *rest: Any) -> None:
        if model is not AllocationReversalRow:  # the changed lines' earlier rows stay active
            real(session, model, frame, *rest)

    real_rows = stored_frames.wanted_rows
    calls: list[str | None] = []
    with (
        mock.patch.object(service, "wanted_rows", lambda *a: _lot_shared_by_two_lines(real_rows(*a))),
        mock.patch.object(service, "insert_frame", no_withdrawals),
        mock.patch.object(service, "check_new_runs", _both(calls)),
        pytest.raises(InvariantViolation, match="allocated twice"),
    ):
        _stored_run(_longer(tmp_path), tmp_path / "refused", db_url)
    assert _counts(db_url) == before


def test_a_lot_taken_twice_by_one_requirement_of_a_first_run_is_refused(tmp_path: Path, db_url: str) -> None:
    real = stored_frames.wanted_rows

    def doubled(*args: Any) -> pl.DataFrame:
        rows = real(*args)
        first = rows.filter(pl.col("import_line_id").is_not_null()).head(1)
        return pl.concat([rows, first.with_columns(seq=pl.lit(10**6, dtype=pl.Int64))])

    calls: list[str | None] = []
    with (
        mock.patch.object(service, "wanted_rows", doubled),
        mock.patch.object(service, "check_new_runs", _both(calls)),
        pytest.raises(InvariantViolation, match="allocated twice"),
    ):
        _stored_run(_folder(tmp_path), tmp_path / "refused", db_url)
    assert set(_counts(db_url).values()) == {0}


def test_a_dangling_reference_is_refused_by_both_checks(tmp_path: Path, db_url: str) -> None:
    real = stored_frames.wanted_rows

    def dangling(*args: Any) -> pl.DataFrame:
        rows = real(*args)
        first = pl.int_range(pl.len()) == 0
        return rows.with_columns(
            pl.when(first).then(pl.lit(10**9)).otherwise(pl.col("export_line_id")).alias("export_line_id")
        )

    calls: list[str | None] = []
    with (
        mock.patch.object(service, "wanted_rows", dangling),
        mock.patch.object(service, "check_new_runs", _both(calls)),
        pytest.raises(InvariantViolation, match="not the company's"),
    ):
        _stored_run(_folder(tmp_path), tmp_path / "refused", db_url)
    assert set(_counts(db_url).values()) == {0}


def test_new_lines_that_change_no_discharge_skip_the_checks(tmp_path: Path, db_url: str) -> None:
    folder = _folder(tmp_path)
    first = _stored_run(folder, tmp_path / "first", db_url)
    imports = folder / "imports.csv"
    header, row = imports.read_text(encoding="utf-8").splitlines()[:2]
    cells = dict(zip(header.split(","), row.split(","), strict=True))
    cells.update(pedimento="99" + cells["pedimento"][2:], cleared_on="2099-01-01")  # after every export
    imports.write_text(
        imports.read_text(encoding="utf-8") + ",".join(cells.values()) + "\n", encoding="utf-8"
    )
    before = _counts(db_url)
    with mock.patch.object(invariants, "check_ledger", wraps=invariants.check_ledger) as whole:
        again = _stored_run(folder, tmp_path / "again", db_url)
    assert again["reused_existing_run"] and again["run_id"] == first["run_id"]
    assert _counts(db_url)["import_line"] == before["import_line"] + 1  # stored, with no allocation
    assert whole.call_count == 0


def test_the_per_row_stored_path_refuses_what_the_whole_ledger_check_refuses(
    tmp_path: Path, db_url: str
) -> None:
    real = service._new_rows

    def overdrawn(*args: Any) -> dict[int, list[dict[str, Any]]]:
        grouped = real(*args)
        rows = next(rows for rows in grouped.values() if rows[0]["import_line_id"] is not None)
        rows[0]["qty"] = Decimal(10**6)  # more than any lot holds
        return grouped

    calls: list[str | None] = []
    with (
        mock.patch.object(service, "_run_stored_columnar", return_value="forced by the test"),
        mock.patch.object(service, "check_new_runs", _both(calls)),
    ):
        _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
        before = _counts(db_url)
        with (
            mock.patch.object(service, "_new_rows", overdrawn),
            pytest.raises(InvariantViolation, match="discharged beyond their quantity"),
        ):
            _stored_run(_longer(tmp_path), tmp_path / "refused", db_url)
    assert calls[0] is None and calls[1] is not None
    assert _counts(db_url) == before
