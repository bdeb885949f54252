"""Origin from the ledger: case building (BOM, lots, certifications, roll-up) and the commands."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from immex.cli import app
from immex.core.problems import InputError
from immex.ledger.model import BomComponent, BomVersion, ImportLine, Ledger, Part
from immex.origin import from_ledger as origin_ledger
from immex.origin import records_service as origin_records
from immex.origin.records import (
    LedgerCase,
    LedgerCaseError,
    LedgerInputs,
    StoredValue,
    SupplierCertification,
    good_value,
    ledger_case,
    stock_on,
    stocks_on,
)
from tests.progress_recorder import Recorder

from .origin_records_helpers import DAY, sample_ledger, store_sample, write

runner = CliRunner()
LABEL_VALUE = {"LABEL": (StoredValue("LABEL", dt.date(2024, 1, 1), D("0.10")),)}


def _cert(part: str, start: dt.date, end: dt.date) -> SupplierCertification:
    return SupplierCertification("Acme", part, start, end, "B", f"{part}-1", "US")


def _case(
    ledger: Ledger | None = None,
    certs: Mapping[str, tuple[SupplierCertification, ...]] | None = None,
    day: dt.date = DAY,
    method: str = "fifo",
) -> LedgerCase:
    ledger = ledger or sample_ledger()
    inputs = LedgerInputs(certs or {}, LABEL_VALUE)
    return ledger_case(ledger, inputs, "MOTOR", day, stock_on(ledger, day, method))


def test_materials_are_the_bom_components_with_fifo_lot_values() -> None:
    built = _case()
    values = {m.id: m.value for m in built.case.materials}
    # HOUSING: the export of 2025-02-25 took 10 of the first lot (500 at 20.00); 490 are left at 20.00
    assert values == {"ROTOR": D("8.0"), "HOUSING": D("20.00"), "SCREW": D("1.00"), "LABEL": D("0.10")}
    assert built.case.good.transaction_value == D("100.00")
    assert str(built.case.good.hs) == "8501.10"


def test_lifo_takes_the_newest_lot_in_stock() -> None:
    values = {m.id: m.value for m in _case(method="lifo").case.materials}
    assert values["HOUSING"] == D("22.00")


def test_a_material_is_originating_only_while_a_certification_covers_the_date() -> None:
    certs = {"HOUSING": (_cert("HOUSING", dt.date(2025, 1, 1), dt.date(2025, 2, 28)),)}
    covered = {m.id: m.originating for m in _case(certs=certs, day=dt.date(2025, 2, 28)).case.materials}
    expired = {m.id: m.originating for m in _case(certs=certs, day=dt.date(2025, 3, 1)).case.materials}
    assert covered["HOUSING"] is True
    assert expired["HOUSING"] is False


def test_country_of_origin_alone_does_not_make_a_material_originating() -> None:
    # HOUSING is from the US, but no supplier certification is on file
    assert {m.id: m.originating for m in _case().case.materials}["HOUSING"] is False


def test_a_self_produced_subassembly_is_an_intermediate_material_with_its_components() -> None:
    rotor = next(m for m in _case().case.materials if m.id == "ROTOR")
    assert rotor.intermediate
    assert {c.id: c.value for c in rotor.components} == {"WIRE": D("2.00"), "MAGNET": D("6.00")}
    assert rotor.value == sum(c.value for c in rotor.components)


def test_a_material_with_no_lot_and_no_stored_value_is_an_input_error() -> None:
    ledger = sample_ledger()
    with pytest.raises(LedgerCaseError, match="material 'LABEL' has no import lot"):
        ledger_case(ledger, LedgerInputs({}, {}), "MOTOR", DAY, stock_on(ledger, DAY))


def test_a_part_without_fraccion_is_an_input_error() -> None:
    ledger = sample_ledger()
    parts = dict(ledger.parts)
    parts["SCREW"] = dataclasses.replace(parts["SCREW"], hs="")
    broken = dataclasses.replace(ledger, parts=parts)
    with pytest.raises(LedgerCaseError, match="part 'SCREW' has no fracción"):
        ledger_case(broken, LedgerInputs({}, LABEL_VALUE), "MOTOR", DAY, stock_on(broken, DAY))


def test_transaction_value_rule_stored_beats_exports_and_nearest_export_date_wins() -> None:
    ledger = sample_ledger()
    plain = LedgerInputs({}, {})
    assert good_value(ledger, plain, "MOTOR", dt.date(2025, 3, 4)).transaction_value == D("100.00")
    assert good_value(ledger, plain, "MOTOR", dt.date(2025, 3, 5)).transaction_value == D("104.00")
    assert good_value(ledger, plain, "MOTOR", dt.date(2025, 1, 1)).transaction_value == D("100.00")
    stored = LedgerInputs({}, {"MOTOR": (StoredValue("MOTOR", dt.date(2025, 1, 1), D("90"), D("80")),)})
    value = good_value(ledger, stored, "MOTOR", DAY)
    assert (value.transaction_value, value.net_cost) == (D("90"), D("80"))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 59), st.integers(1, 50), st.integers(1, 5000)), min_size=1, max_size=6),
    st.integers(1, 400),
)
def test_fifo_value_is_the_oldest_lots_in_stock(lots: list[tuple[int, int, int]], need: int) -> None:
    """Invariant: the FIFO value of a requirement equals taking the oldest lots first."""
    ledger = sample_ledger()
    extra = tuple(
        ImportLine(
            f"2600000000{i:05d}",
            1,
            "SCREW",
            "IN",
            dt.date(2025, 1, 1) + dt.timedelta(days=day),
            D(qty),
            "pc",
            unit_value_usd=D(cents) / 100,
        )
        for i, (day, qty, cents) in enumerate(lots)
    )
    screws_only = dataclasses.replace(ledger, imports=extra, exports=())
    stock = stock_on(screws_only, DAY)
    from immex.origin.records import _material_value  # the valuation step itself

    got = _material_value(stock, LedgerInputs({}, {}), "SCREW", D(need), [], [])
    ordered = sorted(extra, key=lambda lot: lot.fifo_key)
    left, expected = D(need), D(0)
    for lot in ordered:
        take = min(left, lot.qty)
        assert lot.unit_value_usd is not None
        expected += take * lot.unit_value_usd
        left -= take
    if left > 0:
        assert ordered[-1].unit_value_usd is not None
        expected += left * ordered[-1].unit_value_usd
    assert got == expected


def _stored(url: str, tmp_path: Path) -> None:
    store_sample(url)
    origin_records.load_values(
        url, write(tmp_path / "v.csv", "item,valid_from,unit_value_usd\nLABEL,2024-01-01,0.10\n")
    )


def test_qualify_from_the_store_gives_the_contract_output(db_url: str, tmp_path: Path) -> None:
    _stored(db_url, tmp_path)
    q = origin_ledger.qualify_from_ledger(db_url, "MOTOR", DAY)
    out = origin_ledger.qualification_json(q)
    assert set(out) == {
        "originating",
        "criterion",
        "undetermined",
        "rule",
        "alternative",
        "tariff_shift",
        "rvc",
        "de_minimis",
        "explanation",
    }
    assert out["originating"] is True and out["criterion"] == "B" and out["undetermined"] == []
    # VNM = HOUSING 20 + SCREW 1 + LABEL 0.10 (ROTOR rolls up as originating): (100 - 21.1) / 100
    assert q.determination.rvc is None or out["rvc"]["value"] in (None, "78.90")


def test_cli_qualify_bom_and_its_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store_sample(url)
    result = runner.invoke(app, ["origin", "qualify", "--bom", "MOTOR", "--date", "2025-03-01", "--db", url])
    assert result.exit_code == 2
    assert "material 'LABEL' has no import lot" in result.stderr
    origin_records.load_values(
        url, write(tmp_path / "v.csv", "item,valid_from,unit_value_usd\nLABEL,2024-01-01,0.10\n")
    )
    result = runner.invoke(app, ["origin", "qualify", "--bom", "MOTOR", "--date", "2025-03-01", "--db", url])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["criterion"] == "B"
    result = runner.invoke(app, ["origin", "qualify", "--bom", "NOPE", "--date", "2025-03-01", "--db", url])
    assert result.exit_code == 2 and "product 'NOPE' is not a stored part" in result.stderr
    result = runner.invoke(app, ["origin", "qualify", "--bom", "MOTOR", "--db", url])
    assert result.exit_code == 2 and "a date YYYY-MM-DD is required" in result.stderr


def test_batch_splits_the_period_where_a_certification_ends(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    _stored(url, tmp_path)
    origin_records.load_certifications(
        url,
        write(
            tmp_path / "c.csv",
            "supplier,part,valid_from,valid_to,criterion,document_ref\n"
            "Acme,HOUSING,2025-01-01,2025-03-31,B,H1\n",
        ),
    )
    out = tmp_path / "batch.xlsx"
    result = runner.invoke(
        app,
        ["origin", "batch", "--db", url, "--from", "2025-03-01", "--to", "2025-04-30", "--output", str(out)],
    )
    assert result.exit_code == 0, result.stderr
    rows = list(load_workbook(out)["origin"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:6] == ("product", "hs", "description", "from", "to", "verdict")
    assert [(r[3].date().isoformat(), r[4].date().isoformat()) for r in body] == [
        ("2025-03-01", "2025-03-31"),
        ("2025-04-01", "2025-04-30"),
    ]
    assert all(r[5] == "originating" for r in body)
    reason = header.index("headroom")
    # with HOUSING certified the non-originating value is smaller: more headroom in March
    assert float(body[0][reason]) > float(body[1][reason])


def _three_goods() -> Ledger:
    ledger = sample_ledger()
    parts = dict(ledger.parts)
    boms = dict(ledger.boms)
    for name in ("MOTOR2", "MOTOR3"):
        parts[name] = dataclasses.replace(parts["MOTOR"], part=name)
        boms[name] = tuple(dataclasses.replace(v, product=name) for v in ledger.boms["MOTOR"])
    exports = (
        *ledger.exports,
        *(dataclasses.replace(e, product=n) for e in ledger.exports for n in ("MOTOR2", "MOTOR3")),
    )
    return dataclasses.replace(ledger, parts=parts, boms=boms, exports=exports)


def test_batch_in_parallel_gives_the_same_rows_in_the_same_order() -> None:
    ledger = _three_goods()
    inputs = LedgerInputs(
        {"HOUSING": (_cert("HOUSING", dt.date(2025, 1, 1), dt.date(2025, 3, 31)),)}, LABEL_VALUE
    )
    start, end = dt.date(2025, 3, 1), dt.date(2025, 4, 30)
    one = origin_ledger.batch_rows(ledger, inputs, start, end, workers=1)
    two = origin_ledger.batch_rows(ledger, inputs, start, end, workers=2)
    assert one.rows == two.rows
    assert (one.goods, len(one.rows), one.originating) == (3, 6, 6)
    assert [r[0] for r in one.rows] == ["MOTOR", "MOTOR", "MOTOR2", "MOTOR2", "MOTOR3", "MOTOR3"]


def test_a_batch_row_ends_where_the_bom_version_ends() -> None:
    ledger = sample_ledger()
    version = dataclasses.replace(ledger.boms["MOTOR"][0], valid_to=dt.date(2025, 3, 20))
    ended = dataclasses.replace(ledger, boms={**ledger.boms, "MOTOR": (version,)})
    result = origin_ledger.batch_rows(
        ended, LedgerInputs({}, LABEL_VALUE), DAY, dt.date(2025, 4, 30), with_sensitivity=False
    )
    assert [(r[3], r[4]) for r in result.rows] == [(DAY, dt.date(2025, 3, 20))]


def test_a_subassembly_inside_an_intermediate_material_is_not_designated_again() -> None:
    """GN 11(c)(ix)(B): ROTOR (designated) uses CORE, itself self-produced from MAGNET."""
    ledger = sample_ledger()
    parts = {**ledger.parts, "CORE": Part("CORE", "pc", "subassembly", "magnetic core", "8505.19", "MX")}
    core = BomVersion("CORE", dt.date(2024, 1, 1), None, (BomComponent("MAGNET", D(2)),))
    rotor = BomVersion(
        "ROTOR",
        dt.date(2024, 1, 1),
        None,
        (BomComponent("WIRE", D("0.2")), BomComponent("CORE", D(1)), BomComponent("MAGNET", D(1))),
    )
    nested = dataclasses.replace(
        ledger, parts=parts, boms={**ledger.boms, "ROTOR": (rotor,), "CORE": (core,)}
    )
    built = ledger_case(nested, LedgerInputs({}, LABEL_VALUE), "MOTOR", DAY, stock_on(nested, DAY))
    rotor_material = next(m for m in built.case.materials if m.id == "ROTOR")
    # CORE is replaced by its MAGNETs, summed with ROTOR's own MAGNET: 3 x 3.00
    assert {c.id: c.value for c in rotor_material.components} == {"WIRE": D("2.00"), "MAGNET": D("9.00")}
    assert not any(c.intermediate for c in rotor_material.components)


def test_stocks_for_several_days_equal_the_stock_of_each_day() -> None:
    ledger = _three_goods()
    days = [dt.date(2025, 1, 11), dt.date(2025, 2, 25), dt.date(2025, 2, 26), dt.date(2025, 3, 6)]
    together = stocks_on(ledger, days)
    for day in days:
        alone = stock_on(ledger, day)
        assert together[day].lots == alone.lots
    # the 30 motors exported on 2025-02-25 took 30 housings of the first lot
    housing = {lot.pedimento: left for lot, left in together[dt.date(2025, 2, 26)].lots["HOUSING"]}
    assert housing == {"250000000000002": D(470), "250000000000003": D(500)}
    assert together[dt.date(2025, 2, 25)].lots["HOUSING"][0][1] == D(500)


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_progress_counts_every_good_once(workers: int) -> None:
    recorder = Recorder()
    result = origin_ledger.batch_rows(
        _three_goods(),
        LedgerInputs({}, LABEL_VALUE),
        dt.date(2025, 3, 1),
        dt.date(2025, 4, 30),
        progress=recorder,
        workers=workers,
    )
    qualifying = recorder.step("qualifying finished goods")
    assert qualifying.total == qualifying.done == result.goods == 3
    assert recorder.names[-1] == "qualifying finished goods"


def _undetermined_ledger() -> Ledger:
    """CABINET (8537.10) with a non-originating part of 8538.90 whose description does not say whether
    it is a moulded part or a printed circuit assembly (GN 11(o) ch. 85 rule 89), RVC below 50 %."""
    ledger = sample_ledger()
    parts = {
        **ledger.parts,
        "MOTOR": dataclasses.replace(ledger.parts["MOTOR"], hs="8537.10", description="control panel"),
        "HOUSING": dataclasses.replace(ledger.parts["HOUSING"], hs="8538.90", description=""),
    }
    dear = tuple(
        dataclasses.replace(line, unit_value_usd=D("60.00")) if line.part == "HOUSING" else line
        for line in ledger.imports
    )
    return dataclasses.replace(ledger, parts=parts, imports=dear)


def test_batch_reports_an_undetermined_good_with_what_to_decide() -> None:
    result = origin_ledger.batch_rows(
        _undetermined_ledger(),
        LedgerInputs({}, LABEL_VALUE),
        DAY,
        dt.date(2025, 3, 31),
        with_sensitivity=False,
    )
    (row,) = result.rows
    assert (result.originating, result.not_originating, result.undetermined) == (0, 0, 1)
    assert row[5] == "undetermined" and row[6] is None
    assert "'printed circuit assemblies' or 'moulded parts'" in str(row[8])


def test_an_undetermined_good_is_never_certified() -> None:
    ledger = _undetermined_ledger()
    with pytest.raises(InputError) as caught:
        origin_ledger.certify_goods(
            ledger, LedgerInputs({}, LABEL_VALUE), ["MOTOR"], DAY, dt.date(2025, 3, 31), "blanket"
        )
    assert caught.value.problems[0].message.startswith("undetermined from 2025-03-01")
    described = dataclasses.replace(
        ledger,
        parts={
            **ledger.parts,
            "HOUSING": dataclasses.replace(ledger.parts["HOUSING"], description="moulded part"),
        },
    )
    with pytest.raises(InputError) as refused:  # decided now: not originating, still not certified
        origin_ledger.certify_goods(
            described, LedgerInputs({}, LABEL_VALUE), ["MOTOR"], DAY, dt.date(2025, 3, 31), "blanket"
        )
    assert refused.value.problems[0].message.startswith("not originating from 2025-03-01")
