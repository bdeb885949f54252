"""The panel's totals from grouped SQL (``immex.reports.panel``) equal the panel built from the
whole loaded ledger, on both stores.

The reference below is the panel as it was built before (``load_ledger`` + ``stored_result``,
then ``balances``, ``aging_report`` and ``annual_exports`` of the outgoing lines): the
specification. Random small ledgers (hypothesis) with unit values, quantities as written,
containers, a fixed asset and a program end, A3 regularizations and A1/BM/BO lines are
stored, discharged, adjusted, discharged again and reversed; after each step the panel of
two days, with and without total sales, equals the reference.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from immex.api.companies import CompanyRef
from immex.api.store import Store
from immex.core.problems import InputError
from immex.discharge import service as discharge_service
from immex.discharge.methods import Balance, balances
from immex.ledger.model import ExportLine, Ledger
from immex.ledger.orm import Company, DischargeRunRow, RunReversalRow
from immex.ledger.service import add_adjustment, company_id, store_ledger
from immex.reports import service as reports
from immex.reports.anexo24 import outgoing_lines
from immex.reports.annual import annual_exports
from immex.store.db import open_database
from immex.web import data
from immex.web.charts import bars
from tests.discharge_fast.ledgers import START, days, decimals
from tests.operations.test_operations_properties import with_regularizations

_companies = itertools.count(1)


@pytest.fixture()
def store(db_url: str) -> Iterator[Store]:
    open_database(db_url).dispose()
    opened = Store(db_url)
    yield opened
    opened.engine.dispose()


# ---- the reference: the panel from the whole loaded ledger --------------------------------------


def _count_and_qty(rows: list[Balance]) -> tuple[int, Decimal]:
    return len(rows), sum((r.qty_remaining for r in rows), Decimal(0))


def _within(row: Balance, days: int) -> bool:
    return row.qty_remaining > 0 and row.days_left is not None and 0 <= row.days_left <= days


def reference_panel(store: Store, company: CompanyRef, as_of: dt.date, sales: Decimal | None) -> data.Panel:
    ledger, result = data.stored_state(store, company)
    rows = balances(ledger, result.allocations, as_of)
    by_status = [(s, *_count_and_qty([r for r in rows if r.status == s])) for s in data.STATUSES]
    expiring = [(days, *_count_and_qty([r for r in rows if _within(r, days)])) for days in data.HORIZONS]
    aging = reports.aging_report(ledger, result, as_of)
    labels = [label for _, label in reports.AGE_BUCKETS] + [f">{reports.AGE_BUCKETS[-1][0]}"]
    counts = {label: Decimal(sum(1 for r in aging.rows if r[6] == label)) for label in labels}
    value: dict[str, Decimal] = {label: Decimal(0) for label in labels}
    for r in aging.rows:
        if isinstance(r[8], Decimal) and r[6] in value:  # not the lots cleared after the as-of day
            value[str(r[6])] += r[8]
    tones = ["ok", "ok", "warn", "warn", "bad"]
    history = data.runs(store, company).rows
    return data.Panel(
        by_status,
        expiring,
        by_status[0][1],
        bars([(label, counts[label], tones[i]) for i, label in enumerate(labels)]),
        value,
        bars([(str(d), Decimal(n), "warn") for d, n, _ in expiring]),
        len(result.shortfalls),
        sum((s.qty_missing for s in result.shortfalls), Decimal(0)),
        history[0] if history else None,
        len(ledger.imports),
        len(ledger.exports),
        data.commitment(annual_exports(outgoing_lines(ledger), as_of.year), sales),
    )


# ---- random plant ledgers -----------------------------------------------------------------------

unit_values = st.none() | decimals(4, 0, 80)
given_qty = st.none() | decimals(3, 1, 900)
HELD_CLAVES = st.sampled_from(["A1", "BM", "BO"])


@st.composite
def plant_ledgers(draw: st.DrawFn) -> Ledger:
    """Lines with unit values and quantities as written, regularizations, held lines."""
    ledger: Ledger = draw(with_regularizations())
    imports = tuple(
        dataclasses.replace(lot, unit_value_usd=draw(unit_values), qty_given=draw(given_qty))
        for lot in ledger.imports
    )
    exports = tuple(
        dataclasses.replace(e, unit_value_usd=draw(unit_values), qty_given=draw(given_qty))
        for e in ledger.exports
    )
    held = tuple(
        ExportLine(f"25343001700000{i}", 1, "D-fin", draw(HELD_CLAVES), draw(days(1300)), Decimal(2),
                   unit_value_usd=draw(unit_values))
        for i in range(draw(st.integers(0, 3)))
    )  # fmt: skip
    return dataclasses.replace(ledger, imports=imports, exports=exports, not_discharging=held)


# ---- the property -------------------------------------------------------------------------------

DAYS = (START + dt.timedelta(days=500), START + dt.timedelta(days=800))


def _check(store: Store, company: CompanyRef, sales: Decimal) -> None:
    for day, total in itertools.product(DAYS, (None, sales)):
        assert data._panel(store, company, day, total) == reference_panel(store, company, day, total)


def _step(store: Store, work: object) -> None:
    with Session(store.engine) as session, session.begin():
        work(session)  # type: ignore[operator]


def _adjust(session: Session, company: int, ledger: Ledger, amounts: list[Decimal]) -> None:
    for lot, qty in zip(ledger.imports, amounts, strict=False):
        with contextlib.suppress(InputError):  # more than the line holds: refused, as it should be
            add_adjustment(session, company, lot.pedimento, lot.line, lot.part, qty, "count", "test")


def _reverse_latest(session: Session, company: int) -> None:
    latest = session.scalar(
        select(DischargeRunRow.id)
        .where(DischargeRunRow.company_id == company)
        .order_by(DischargeRunRow.id.desc())
    )
    if latest is not None:
        session.add(RunReversalRow(run_id=latest, reversed_by="test", reason="check"))


def _discharge(store: Store, company: int, out: Path) -> bool:
    """Discharge the stored ledger; False when the ledger is refused (an A3 beyond its lot...)."""
    try:
        _step(store, lambda s: discharge_service.discharge_stored(s, company, "fifo", DAYS[1], out))
    except InputError:
        return False
    return True


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ledger=plant_ledgers(),
    amounts=st.lists(st.decimals(min_value=Decimal("-1"), max_value=Decimal(30), places=2), max_size=4),
    sales=decimals(2, 1, 10_000),
)
def test_the_panel_from_sql_equals_the_panel_from_the_loaded_ledger(
    store: Store, tmp_path: Path, ledger: Ledger, amounts: list[Decimal], sales: Decimal
) -> None:
    code = f"panel{next(_companies)}"
    with Session(store.engine) as session, session.begin():
        firm = company_id(session, code)
        _counts, problems = store_ledger(session, ledger, firm)
        assert not problems
        ends = update(Company).where(Company.id == firm).values(program_valid_to=ledger.program_valid_to)
        session.execute(ends)
    company = CompanyRef(firm, code, "")
    _check(store, company, sales)  # stored, not discharged yet
    if not _discharge(store, firm, tmp_path / f"run{firm}"):
        return
    _check(store, company, sales)
    _step(store, lambda s: _adjust(s, firm, ledger, [a for a in amounts if a != 0]))
    _check(store, company, sales)
    if _discharge(store, firm, tmp_path / f"again{firm}"):  # refused: an A3 beyond its adjusted lot
        _check(store, company, sales)
    _step(store, lambda s: _reverse_latest(s, firm))
    _check(store, company, sales)


def test_the_panel_does_not_load_the_ledger(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panel of a stored, discharged ledger never calls the loaders of the whole ledger."""
    ledger = _small_ledger()
    with Session(store.engine) as session, session.begin():
        firm = company_id(session, "whole")
        assert not store_ledger(session, ledger, firm)[1]
    assert _discharge(store, firm, tmp_path / "run")
    company = CompanyRef(firm, "whole", "")
    expected = reference_panel(store, company, DAYS[0], None)

    def refused(*_args: object) -> None:
        raise AssertionError("the panel loaded the whole ledger")

    monkeypatch.setattr(data, "stored_state", refused)
    monkeypatch.setattr(discharge_service, "stored_result", refused)
    found = data._panel(store, company, DAYS[0], None)
    assert found == expected
    assert found.lots == 2 and found.exports == 1 and found.shortfalls == 1


def _small_ledger() -> Ledger:
    """Two lots of A-raw, one export of it that needs more than both hold (one shortfall)."""
    from immex.ledger.model import ImportLine, Part

    lots = (
        ImportLine("243430014000001", 1, "A-raw", "IN", START, Decimal(5), unit_value_usd=Decimal("2.5")),
        ImportLine("243430014000001", 2, "A-raw", "IN", START + dt.timedelta(days=30), Decimal(3)),
    )
    out = ExportLine("253430014000010", 1, "A-raw", "RT", START + dt.timedelta(days=60), Decimal(10))
    return Ledger({"A-raw": Part("A-raw", "PZA", "raw")}, lots, (out,), {})
