"""The directed discharge on the columnar reader writes exactly the domain engine's files.

Random ledgers whose export lines name an import pedimento (one with lots, one without, or
none: FIFO), written in pounds, grams and boxes (8-decimal factors) through several BOM
levels; ledgers whose parts mix named and unnamed export lines over many lots of few
pedimentos; the Int128 tier; the partitioned engine; A3 regularizations (the per-row path).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import tempfile
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.discharge import fast
from immex.discharge.fast import discharge_frames, write_discharge_frames
from immex.discharge.fast_directed import consumption
from immex.discharge.methods import balances, discharge
from immex.discharge.outputs import write_discharge_outputs
from immex.discharge.partitioned import discharge_partitioned
from immex.discharge.service import run_discharge
from immex.ledger.frames import read_ledger_frames
from immex.ledger.model import BomComponent, BomVersion, ExportLine, ImportLine, Ledger, Part
from immex.ledger.read import read_ledger
from tests.discharge_fast.folders import write_folder_in_units
from tests.discharge_fast.ledgers import PEDIMENTOS, START, decimals
from tests.discharge_fast.test_discharge_fast_methods import directed_ledgers
from tests.discharge_scale.synth import write_units_folder

AS_OF = dt.date(2025, 6, 30)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _spaced(number: str) -> str:
    return f"{number[:2]} {number[2:4]} {number[4:8]} {number[8:]}"


def name_pedimentos(folder: Path, named: list[str]) -> None:
    """Add exports.csv's ``import_pedimento`` column (row by row; every other one written spaced)."""
    path = folder / "exports.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0].append("import_pedimento")
    for i, (row, number) in enumerate(zip(rows[1:], named, strict=True)):
        row.append(_spaced(number) if number and i % 2 else number)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _write(ledger: Ledger, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_folder_in_units(ledger, folder)
    name_pedimentos(folder, [e.import_pedimento for e in ledger.exports])


def _same_as_domain(folder: Path, out: Path) -> bool:
    """The columnar directed files equal the domain's; False when the folder is invalid."""
    staged = read_ledger(folder)
    if staged.problems or staged.ledger is None:
        return False
    frames = read_ledger_frames(folder)
    assert frames is not None, "a valid folder must take the columnar path"
    simple = discharge(staged.ledger, "directed")
    rows = balances(staged.ledger, simple.allocations, AS_OF)
    write_discharge_outputs(out / "simple", simple.allocations, simple.shortfalls, rows)
    write_discharge_frames(out / "fast", discharge_frames(frames, **consumption("directed")), AS_OF)
    for name in FILES:
        assert (out / "fast" / name).read_bytes() == (out / "simple" / name).read_bytes(), name
    return True


@SETTINGS
@given(directed_ledgers())
def test_columnar_directed_equals_the_domain_in_pounds_grams_and_boxes(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _write(ledger, Path(tmp) / "in")
        _same_as_domain(Path(tmp) / "in", Path(tmp))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directed_ledgers())
def test_columnar_directed_on_the_int128_tier(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as tmp, patch.object(fast, "VALUE_SAFE", 1):
        _write(ledger, Path(tmp) / "in")
        _same_as_domain(Path(tmp) / "in", Path(tmp))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directed_ledgers(), st.sampled_from(("lifo", "directed")), st.integers(1, 12), st.integers(1, 4))
def test_partitions_of_parts_give_the_bytes_of_one_run_for_lifo_and_directed(
    ledger: Ledger, method: str, rows: int, bucket: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _write(ledger, Path(tmp) / "in")
        if read_ledger(Path(tmp) / "in").problems:
            return
        frames = read_ledger_frames(Path(tmp) / "in")
        assert frames is not None
        whole = write_discharge_frames(
            Path(tmp) / "one", discharge_frames(frames, **consumption(method)), AS_OF
        )
        parted = discharge_partitioned(frames, Path(tmp) / "parted", AS_OF, rows, bucket, method)
        for name in FILES:
            assert (Path(tmp) / "one" / name).read_bytes() == (Path(tmp) / "parted" / name).read_bytes()
        assert {k: parted[k] for k in whole} == whole


RAW = ("A-raw", "E-raw", "K-raw")
FOREIGN = "209999990000001"  # imported nothing


@st.composite
def mixed_ledgers(draw: st.DrawFn) -> Ledger:
    """Parts whose export lines mix named and unnamed ones: many lots of few pedimentos on few
    dates (ties), returns of a raw part as is and a product of two of them, of about a lot's
    size, naming a pedimento with lots of the part, one with lots of another part only, one
    that imported nothing, or none."""
    parts = {name: Part(name, "PZA", "raw") for name in RAW} | {"D-fin": Part("D-fin", "PZA", "finished")}
    components = (BomComponent("A-raw", Decimal("0.5"), Decimal("2")), BomComponent("E-raw", Decimal(2)))
    boms = {"D-fin": (BomVersion("D-fin", START, None, components),)}
    dates = [START + dt.timedelta(days=d) for d in range(0, 200, 20)]
    imports = draw(
        st.lists(
            st.builds(
                lambda ped, line, part, day, qty: ImportLine(ped, line, part, "IN", day, qty),
                st.sampled_from(PEDIMENTOS[:3]),
                st.integers(1, 6),
                st.sampled_from(RAW[:2] * 3 + RAW[2:]),  # K-raw: the only part of some pedimentos
                st.sampled_from(dates),
                decimals(2, 1, 20),
            ),
            min_size=4,
            max_size=20,
            unique_by=lambda lot: lot.key,
        )
    )
    exports = draw(
        st.lists(
            st.builds(
                lambda ped, line, product, day, qty, named: ExportLine(
                    ped, line, product, "RT", day, qty, import_pedimento=named
                ),
                st.sampled_from(PEDIMENTOS),
                st.integers(1, 9),
                st.sampled_from(("A-raw", "E-raw", "D-fin")),
                st.sampled_from(dates),
                decimals(2, 1, 8),
                st.sampled_from(("", "", *PEDIMENTOS, FOREIGN)),
            ),
            min_size=6,
            max_size=30,
            unique_by=lambda e: e.key,
        )
    )
    return Ledger(parts, tuple(imports), tuple(exports), boms)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_ledgers(), st.integers(1, 12), st.integers(1, 4))
def test_parts_mixing_named_and_unnamed_lines_equal_the_domain_whole_and_partitioned(
    ledger: Ledger, rows: int, bucket: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _write(ledger, Path(tmp) / "in")
        if not _same_as_domain(Path(tmp) / "in", Path(tmp)):
            return
        frames = read_ledger_frames(Path(tmp) / "in")
        assert frames is not None
        discharge_partitioned(frames, Path(tmp) / "parted", AS_OF, rows, bucket, "directed")
        for name in FILES:
            assert (Path(tmp) / "parted" / name).read_bytes() == (Path(tmp) / "simple" / name).read_bytes()


def _units_folder(folder: Path, seed: int) -> None:
    """Two BOM levels, per-part boxes; export lines name an imported pedimento, a foreign one or none."""
    write_units_folder(folder, 120, 90, seed)
    with (folder / "imports.csv").open(encoding="utf-8", newline="") as handle:
        imported = sorted({row["pedimento"].replace(" ", "") for row in csv.DictReader(handle)})
    rng = random.Random(seed)
    choices = [*imported[:6], "209999990000001", "", ""]
    name_pedimentos(folder, [rng.choice(choices) for _ in range(90)])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_bom_levels_and_per_part_boxes(tmp_path: Path, seed: int) -> None:
    _units_folder(tmp_path / "in", seed)
    assert _same_as_domain(tmp_path / "in", tmp_path)


def test_immex_discharge_directed_takes_the_columnar_engine_on_every_engine(tmp_path: Path) -> None:
    _units_folder(tmp_path / "in", 5)
    runs = {}
    for engine in ("auto", "partitioned", "per-row"):
        run_discharge(tmp_path / "in", tmp_path / engine, "directed", AS_OF, engine=engine)
        runs[engine] = json.loads((tmp_path / engine / "run.json").read_text(encoding="utf-8"))
    assert (runs["auto"]["engine"], "why" in runs["auto"]) == ("columnar", False)
    assert runs["partitioned"]["engine"] == "partitioned"
    assert runs["per-row"]["engine"] == "per-row" and runs["per-row"]["why"].startswith("--engine per-row")
    for name in FILES:
        expected = (tmp_path / "per-row" / name).read_bytes()
        assert (tmp_path / "auto" / name).read_bytes() == expected, name
        assert (tmp_path / "partitioned" / name).read_bytes() == expected, name


def test_with_a3_regularizations_directed_runs_per_row_and_equals_the_domain(tmp_path: Path) -> None:
    """regularizations.csv is read by the per-row reader only; run.json says so."""
    folder = tmp_path / "in"
    _units_folder(folder, 7)
    with (folder / "imports.csv").open(encoding="utf-8", newline="") as handle:
        lot = next(csv.DictReader(handle))
    on = (dt.date.fromisoformat(lot["cleared_on"]) + dt.timedelta(days=10)).isoformat()
    with (folder / "regularizations.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        header = ("pedimento", "line", "clave", "cleared_on", "part", "qty", "uom")
        writer.writerow((*header, "import_pedimento", "import_line"))
        writer.writerow(
            ("25 47 3456 5000901", 1, "A3", on, lot["part"], "1", lot["uom"], lot["pedimento"], lot["line"])
        )
    run_discharge(folder, tmp_path / "out", "directed", AS_OF)
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "per-row" and "regularizations.csv" in run["why"]
    assert run["counts"]["regularizations"] == 1
    staged = read_ledger(folder)
    assert staged.ledger is not None
    simple = discharge(staged.ledger, "directed")
    write_discharge_outputs(
        tmp_path / "simple",
        simple.allocations,
        simple.shortfalls,
        balances(staged.ledger, simple.allocations, AS_OF),
    )
    for name in FILES:
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "simple" / name).read_bytes(), name
