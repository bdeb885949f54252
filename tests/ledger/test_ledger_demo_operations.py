"""The demo company has every IMMEX movement of the operations contract, each one the reader accepts.

The golden test pins the demo's outputs; this one says what is in its input, rule by rule:
virtual transfers in and out, a change of regime of an insumo (F4) and of a fixed asset (F5),
a regularization (A3) of a lot past its Art. 108 deadline, sub-maquila shipments and waste
disposals, plus the exchange rates and material terms the expiring report is costed with.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from immex.demo import build_demo_folder, operations_summary
from immex.ledger.claves import clave_class
from immex.ledger.model import Ledger
from immex.ledger.movements import read_movements
from immex.ledger.read import read_ledger
from immex.reports.options import add_months

AS_OF = dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ledger]:
    folder = build_demo_folder(tmp_path_factory.mktemp("demo") / "input", AS_OF)
    staged = read_ledger(folder)
    assert staged.problems == [] and staged.ledger is not None
    return folder, staged.ledger


def test_virtual_transfers_in_and_out(demo: tuple[Path, Ledger]) -> None:
    _, ledger = demo
    assert {line.clave for line in ledger.imports} == {"IN", "AF", "V1"}
    outgoing = {line.clave for line in ledger.exports}
    assert {"RT", "V1", "V5"} <= outgoing
    assert all(
        clave_class(e.clave, e.cleared_on) == "return" for e in ledger.exports if e.clave in ("V1", "V5")
    )


def test_a_change_of_regime_of_an_insumo_and_of_a_fixed_asset(demo: tuple[Path, Ledger]) -> None:
    _, ledger = demo
    changes = {e.clave: e for e in ledger.exports if e.clave in ("F4", "F5")}
    assert ledger.parts[changes["F4"].product].kind == "raw"
    assert ledger.parts[changes["F5"].product].kind == "asset"
    assert all(clave_class(e.clave, e.cleared_on) == "change_of_regime" for e in changes.values())


def test_a_regularization_of_a_lot_past_its_deadline(demo: tuple[Path, Ledger]) -> None:
    _, ledger = demo
    (a3,) = ledger.regularizations
    lot = next(i for i in ledger.imports if i.key == a3.lot_key)
    assert a3.clave == "A3" and a3.qty == lot.qty
    assert add_months(lot.cleared_on, 18) < a3.cleared_on <= AS_OF  # raw materials: 18 months


def test_sub_maquila_and_waste_files_read_without_problems(demo: tuple[Path, Ledger]) -> None:
    folder, ledger = demo
    read = read_movements(folder, ledger)
    assert read.problems == []
    shipments = {m.shipment for m in read.movements.submaquila}
    assert shipments == {"SM-0001", "SM-0002"}
    assert {d.disposition for d in read.movements.disposals} == {"destroyed", "donated", "returned"}


def test_cost_inputs_cover_every_imported_part(demo: tuple[Path, Ledger]) -> None:
    folder, ledger = demo
    with (folder / "material_terms.csv").open(encoding="utf-8", newline="") as handle:
        terms = {row["part"] for row in csv.DictReader(handle)}
    assert {line.part for line in ledger.imports} <= terms
    with (folder / "exchange_rates.csv").open(encoding="utf-8", newline="") as handle:
        first = min(dt.date.fromisoformat(row["date"]) for row in csv.DictReader(handle))
    assert first <= min(line.cleared_on for line in ledger.imports)


def test_the_cli_counts_each_operation(demo: tuple[Path, Ledger]) -> None:
    folder, _ = demo
    assert dict(operations_summary(folder.parent)) == {
        "virtual transfers in (V1 pedimentos)": 3,
        "virtual transfers out (V1 / V5 pedimentos)": 11,
        "changes of regime (F4 insumo, F5 asset)": 2,
        "regularizations (A3 lines)": 1,
        "sub-maquila shipments": 2,
        "waste disposals": 3,
    }
