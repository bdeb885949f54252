"""LIFO and directed discharge on exact integers give exactly the domain version's results, in order."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from immex.discharge.fast_methods import discharge_fast_method
from immex.discharge.methods import discharge
from immex.discharge.service import run_discharge
from immex.ledger.model import ExportLine, ImportLine, Ledger, Part
from immex.ledger.read import read_ledger
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.ledgers import PEDIMENTOS, ledgers

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = st.sampled_from(("lifo", "directed"))
# Exports name one of the import pedimentos, one that imported nothing, or none (then FIFO).
NAMED = st.sampled_from((*PEDIMENTOS, "209999990000001", "", ""))


@st.composite
def directed_ledgers(draw: st.DrawFn) -> Ledger:
    """Random ledgers whose export lines may name the import pedimento to discharge."""
    ledger = draw(ledgers(max_imports=24, max_exports=12))
    exports = tuple(replace(e, import_pedimento=draw(NAMED)) for e in ledger.exports)
    return replace(ledger, exports=exports)


@SETTINGS
@given(directed_ledgers(), METHODS)
def test_fast_lifo_and_directed_equal_the_domain_on_random_ledgers(ledger: Ledger, method: str) -> None:
    simple, quick = discharge(ledger, method), discharge_fast_method(ledger, method)
    assert quick.allocations == simple.allocations
    assert quick.shortfalls == simple.shortfalls


def _valid_as_folder(ledger: Ledger) -> Ledger:
    """Without what the reader refuses: zero quantities, exports of what has no BOM and was not imported."""
    imported = {lot.part for lot in ledger.imports if lot.qty > 0}

    def made(e: ExportLine) -> bool:
        versions = ledger.boms.get(e.product, ())
        return any(v.valid_from <= e.cleared_on <= (v.valid_to or e.cleared_on) for v in versions)

    return replace(
        ledger,
        imports=tuple(lot for lot in ledger.imports if lot.qty > 0),
        exports=tuple(e for e in ledger.exports if e.qty > 0 and (e.product in imported or made(e))),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(directed_ledgers(), METHODS)
def test_with_pounds_grams_and_boxes_the_fast_methods_equal_the_domain(ledger: Ledger, method: str) -> None:
    """Quantities read from CSV in other units (8-decimal factors) through several BOM levels."""
    ledger = _valid_as_folder(ledger)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_folder_in_units(ledger, folder)
        staged = read_ledger(folder)
    assume(staged.ledger is not None)
    assert staged.ledger is not None
    named = {e.key: e.import_pedimento for e in ledger.exports}
    converted = replace(
        staged.ledger,
        exports=tuple(replace(e, import_pedimento=named[e.key]) for e in staged.ledger.exports),
    )
    simple, quick = discharge(converted, method), discharge_fast_method(converted, method)
    assert quick == simple


DAY = dt.date(2025, 1, 1)


def _one_part(lots: list[tuple[str, int, int, str]], exports: list[tuple[int, str, str]]) -> Ledger:
    """Part A only: lots (pedimento, day, qty... as text), exports (day, qty, named pedimento)."""
    return Ledger(
        {"A": Part("A", "PZA", "raw"), "E-raw": Part("E-raw", "PZA", "raw")},  # E-raw: its own box
        tuple(
            ImportLine(ped, line, "A", "IN", DAY + dt.timedelta(day), Decimal(qty))
            for ped, line, day, qty in lots
        ),
        tuple(
            ExportLine(
                "259999990000001",
                i + 1,
                "A",
                "RT",
                DAY + dt.timedelta(day),
                Decimal(qty),
                import_pedimento=named,
            )
            for i, (day, qty, named) in enumerate(exports)
        ),
        {},
    )


P1, P2 = "251111110000001", "252222220000002"


def _taken(ledger: Ledger, method: str) -> list[tuple[int, str, int, Decimal]]:
    result = discharge_fast_method(ledger, method)
    assert result == discharge(ledger, method)
    return [(a.export_line, a.import_pedimento, a.import_line, a.qty) for a in result.allocations]


def test_lifo_takes_the_newest_lot_cleared_by_the_export_date_first() -> None:
    # The lot of day 20 is not cleared by the export of day 10, so day 5's comes first.
    ledger = _one_part(
        [(P1, 1, 0, "10"), (P1, 2, 5, "10"), (P2, 1, 20, "10")], [(10, "15", ""), (20, "8", "")]
    )
    assert _taken(ledger, "lifo") == [(1, P1, 2, Decimal(10)), (1, P1, 1, Decimal(5)), (2, P2, 1, Decimal(8))]


def test_directed_takes_only_the_named_pedimento_and_fifo_when_none_is_named() -> None:
    ledger = _one_part(
        [(P1, 1, 0, "10"), (P2, 1, 1, "10.5")],
        [(3, "12", P2), (4, "4", ""), (5, "1", "209999990000001")],
    )
    assert _taken(ledger, "directed") == [(1, P2, 1, Decimal("10.5")), (2, P1, 1, Decimal(4))]
    shortfalls = discharge_fast_method(ledger, "directed").shortfalls
    assert [(s.export_line, s.qty_missing) for s in shortfalls] == [(1, Decimal("1.5")), (3, Decimal(1))]


@pytest.mark.parametrize("method", ["lifo", "directed"])
def test_immex_discharge_runs_the_method_on_the_vectorized_engine(tmp_path: Path, method: str) -> None:
    ledger = _one_part([(P1, 1, 0, "10"), (P2, 1, 5, "10")], [(10, "15", "")])
    folder = tmp_path / "in"
    folder.mkdir()
    write_folder_in_units(ledger, folder)
    run_discharge(folder, tmp_path / "out", method, DAY)
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["method"] == method
    assert run["engine"] == "columnar"  # the columnar reader and engine (fast_lifo, fast_directed)
    lines = (tmp_path / "out" / "allocations.csv").read_text(encoding="utf-8").splitlines()
    first = P2 if method == "lifo" else P1  # directed with no pedimento named is FIFO
    assert lines[1].split(",")[4] == first


def test_an_unknown_method_has_no_fast_engine() -> None:
    with pytest.raises(ValueError, match="no fast engine"):
        discharge_fast_method(_one_part([], []), "hifo")
