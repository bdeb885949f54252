"""Invariants of the operations contract on random ledgers (hypothesis).

- the fast engines with regularizations (the exact per-part path for A3 parts,
  :mod:`immex.discharge.regularize`) give exactly the domain engine's rows, or
  the same input errors, for every method, with assets and a program end;
- export lines with a not-discharging clave (A1, BM, BO) never change the
  allocations, shortfalls or balances the discharge writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from immex.cli import app
from immex.core.problems import InputError
from immex.discharge.fast_methods import discharge_fast_method
from immex.discharge.methods import DischargeResult, discharge
from immex.discharge.regularize import discharge_regularized
from immex.ledger.model import ExportLine, ImportLine, Ledger, Part
from tests.discharge_fast.ledgers import START, days, decimals, ledgers
from tests.ledger.ledger_files import exp, ledger_to_folder, write_table

METHODS = ("fifo", "lifo", "directed")
A3_PEDIMENTOS = ("253430015000001", "263430015000002")


@st.composite
def with_regularizations(draw: st.DrawFn) -> Ledger:
    """A random ledger plus an imported, exported fixed asset and A3 lines naming its lots."""
    ledger: Ledger = draw(ledgers())
    asset = Part("Z-press", "PZA", "asset")
    asset_lots = [
        ImportLine(f"24343001400009{i}", 1, asset.part, "AF", draw(days(400)), draw(decimals(0, 1, 3)))
        for i in range(draw(st.integers(0, 2)))
    ]
    asset_exports = [
        ExportLine(f"26343001400009{i}", 1, asset.part, "RT", draw(days(1300)), Decimal(1))
        for i in range(draw(st.integers(0, 2)))
    ]
    lots = [*ledger.imports, *asset_lots]
    regularizations = []
    for n in range(draw(st.integers(1, 4)) if lots else 0):
        lot = draw(st.sampled_from(lots))
        qty = draw(st.sampled_from([lot.qty, lot.qty / 2, Decimal("0.5"), Decimal(1)]))
        if qty <= 0:
            continue
        day = lot.cleared_on + dt.timedelta(days=draw(st.sampled_from([0, 30, 200, 700])))
        line = ExportLine(
            draw(st.sampled_from(A3_PEDIMENTOS)), n + 1, lot.part, "A3", day, qty,
            import_pedimento=lot.pedimento, import_line=lot.line,
        )  # fmt: skip
        regularizations.append(line)
    program_end = draw(st.none() | st.just(START + dt.timedelta(days=700)))
    return dataclasses.replace(
        ledger,
        parts={**ledger.parts, asset.part: asset},
        imports=tuple(lots),
        exports=(*ledger.exports, *asset_exports),
        regularizations=tuple({r.key: r for r in regularizations}.values()),
        program_valid_to=program_end,
    )


def _outcome(run: object) -> DischargeResult | list[object]:
    try:
        return run()  # type: ignore[operator, no-any-return]
    except InputError as error:
        return list(error.problems)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(ledger=with_regularizations())
def test_fast_engines_with_regularizations_equal_the_domain_engine(method: str, ledger: Ledger) -> None:
    domain = _outcome(lambda: discharge(ledger, method))
    fast = _outcome(lambda: discharge_regularized(ledger, method, discharge_fast_method))
    assert fast == domain


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(ledger=with_regularizations())
def test_a_regularization_discharges_its_own_lot_and_nothing_else(ledger: Ledger) -> None:
    try:
        result = discharge(ledger, "fifo")
    except InputError:
        return
    named = {r.key: r for r in ledger.regularizations}
    for allocation in result.allocations:
        key = (allocation.export_pedimento, allocation.export_line, allocation.product)
        if allocation.export_pedimento in A3_PEDIMENTOS and key in named:
            line = named[key]
            assert (allocation.import_pedimento, allocation.import_line) == line.lot_key[:2]
            assert allocation.qty == line.qty and allocation.part == line.product


HELD = st.sampled_from(["A1", "BM", "BO"])


def _readable(ledger: Ledger) -> Ledger:
    """What the reader accepts: positive quantities, and exports with a BOM or an import of themselves."""
    imports = tuple(lot for lot in ledger.imports if lot.qty > 0)
    imported = {lot.part for lot in imports}
    exports = tuple(
        e
        for e in ledger.exports
        if e.qty > 0 and (ledger.bom_on(e.product, e.cleared_on) is not None or e.product in imported)
    )
    return dataclasses.replace(ledger, imports=imports, exports=exports)


def _discharge_files(folder: Path, out: Path, *args: str) -> dict[str, bytes]:
    result = CliRunner().invoke(
        app, ["discharge", "--input", str(folder), "--output", str(out), "--as-of", "2025-06-30", *args]
    )
    assert result.exit_code == 0, result.output
    return {n: (out / n).read_bytes() for n in ("allocations.csv", "shortfalls.csv", "balances.csv")}


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(
    ledger=ledgers(max_imports=10, max_exports=6),
    held=st.lists(st.tuples(HELD, st.integers(0, 2), days(1300)), min_size=1, max_size=4),
    columnar=st.booleans(),
)
def test_not_discharging_claves_never_change_the_discharge(
    ledger: Ledger, held: list[tuple[str, int, dt.date]], columnar: bool
) -> None:
    ledger = _readable(ledger)
    work = Path(tempfile.mkdtemp())
    try:
        args = () if columnar else ("--method", "lifo")  # the columnar reader, or the per-row one
        before = _discharge_files(ledger_to_folder(ledger, work / "a"), work / "out-a", *args)
        folder = ledger_to_folder(ledger, work / "b")
        products = sorted(ledger.parts)
        extra = [
            exp(f"2634300170{i:05d}", 1, products[p * 5 % len(products)], "7", day.isoformat(), "PZA", clave)
            for i, (clave, p, day) in enumerate(held)
        ]
        rows = [
            exp(e.pedimento, e.line, e.product, str(e.qty), e.cleared_on.isoformat(), "PZA")
            for e in ledger.exports
        ]
        write_table(folder, "exports.csv", [*rows, *extra])
        after = _discharge_files(folder, work / "out-b", *args)
        assert after == before
        warned = (work / "out-b" / "warnings.csv").read_text(encoding="utf-8")
        assert all(f"clave {clave} does not discharge" in warned for clave, _, _ in held)
    finally:
        shutil.rmtree(work)
