"""Invariants of the compulsa (hypothesis).

- A ledger drafted from a Data Stage with ``to-ledger`` (part numbers filled in,
  plus a ``parts.csv``) reconciles with that Data Stage: no differences.
- Differences planted in an exact ledger are each found exactly once, and
  nothing else is reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.compulsa import model as domain
from immex.compulsa.model import Converter, Difference, LedgerRow
from immex.compulsa.service import run_compulsa, to_ledger

from .compulsa_helpers import Par, Ped, Stage, read_differences, write_stage

FRACCIONES = (("85423901", "00"), ("73181504", "99"), ("39269099", "99"), ("847989", ""), ("90318099", "01"))
COUNTRIES = ("CHN", "USA", "DEU", "KOR", "TWN", "JPN")
UNITS = ("1", "6", "8", "12", "14", "19")


@st.composite
def stages(draw: st.DrawFn) -> Stage:
    count = draw(st.integers(1, 4))
    pedimentos, partidas = [], []
    for index in range(count):
        day = draw(st.integers(1, 28))
        export = draw(st.booleans())
        ped = Ped(
            pedimento=f"6{index:06d}",
            seccion=draw(st.sampled_from(("070", "240", "400"))),
            tipo_operacion="2" if export else "1",
            clave="RT" if export else "IN",
            fecha_pago_real=f"2026-01-{day:02d} 11:00:00",
            fecha_pago=draw(st.sampled_from((None, f"2026-01-{max(1, day - 1):02d}"))),
        )
        pedimentos.append(ped)
        for secuencia in draw(st.lists(st.integers(1, 30), min_size=0, max_size=4, unique=True)):
            fraccion, nico = draw(st.sampled_from(FRACCIONES))
            qty = draw(st.decimals(Decimal("0.001"), Decimal("99999"), places=3))
            value = draw(st.decimals(Decimal("0"), Decimal("999999"), places=2))
            partidas.append(
                Par(
                    ped,
                    secuencia=secuencia,
                    fraccion=fraccion,
                    nico=nico,
                    pais=draw(st.sampled_from(COUNTRIES)),
                    unidad=draw(st.sampled_from(UNITS)),
                    cantidad=format(qty, "f"),
                    valor=format(value, "f"),
                )
            )
    resumen = draw(st.sampled_from((("2026-01-01", "2026-01-31"), None)))
    return Stage(pedimentos, partidas, resumen)


def _fill(draft: Path, ledger: Path) -> None:
    ledger.mkdir()
    parts: dict[str, str] = {}
    for name, column in (("imports.csv", "part"), ("exports.csv", "product")):
        with (draft / name).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = list(reader.fieldnames or ())
        for row in rows:
            assert row[column] == "" and column in row["to_fill"]
            row[column] = f"{row['hs']}-{row['uom']}"
            parts[row[column]] = row["uom"]
        with (ledger / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    (ledger / "parts.csv").write_text(
        "part,uom,kind\n" + "".join(f"{part},{uom},raw\n" for part, uom in sorted(parts.items())),
        encoding="utf-8",
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stages())
def test_ledger_drafted_by_to_ledger_reconciles_with_its_data_stage(stage: Stage) -> None:
    with tempfile.TemporaryDirectory() as name:
        work = Path(name)
        zip_path = write_stage(work / "ds.zip", stage)
        drafted = to_ledger(zip_path, work / "draft")
        assert drafted.imports + drafted.exports == len(stage.partidas)
        _fill(work / "draft", work / "ledger")
        run_compulsa(zip_path, work / "out", input_dir=work / "ledger", reports=False)
        differences = read_differences(work / "out" / "differences.csv")
        # A pedimento with no partidas drafts no rows, so it is reported missing: nothing else.
        empty = {p.number for p in stage.pedimentos} - {q.ped.number for q in stage.partidas}
        assert [(d["pedimento"], d["field"], d["kind"]) for d in differences] == [
            (number, "pedimento", "missing_in_ledger") for number in sorted(empty)
        ]


# --------------------------------------------------------------------------- planted differences


@dataclass(frozen=True)
class SPed:
    number: str
    clave: str
    fecha_pago: dt.date


@dataclass(frozen=True)
class SPar:
    number: str
    secuencia: int
    hs: str
    pais: str
    unidad: int
    cantidad: Decimal
    valor_dolares: Decimal


DAY = dt.date(2026, 1, 15)
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
PLANTS = (
    "pedimento_missing_in_ledger",
    "pedimento_missing_in_datastage",
    "partida_missing_in_ledger",
    "partida_missing_in_datastage",
    "clave",
    "date",
    "hs",
    "country",
    "uom",
    "qty",
    "value_usd",
)


def exact_world(pedimentos: int, partidas: int) -> tuple[list[SPed], list[SPar], list[LedgerRow]]:
    peds = [SPed(f"26073921600{i:04d}", "IN", DAY) for i in range(pedimentos)]
    pars, rows = [], []
    for ped in peds:
        for line in range(1, partidas + 1):
            par = SPar(ped.number, line, "8542390100", "CHN", 6, Decimal("10.000"), Decimal("25.00"))
            pars.append(par)
            rows.append(
                LedgerRow(
                    ped.number,
                    line,
                    f"P{line}",
                    "IN",
                    DAY,
                    Decimal(10),
                    "pcs",
                    6,
                    Decimal("2.5"),
                    "CHN",
                    "85423901",
                )
            )
    return peds, pars, rows


def plant(  # noqa: C901
    kind: str,
    target: str,
    peds: list[SPed],
    pars: list[SPar],
    rows: list[LedgerRow],
) -> tuple[list[SPed], list[SPar], list[LedgerRow], Difference]:
    """Apply one planted change to pedimento ``target`` (line 1); return the difference it must give."""

    def on(row: LedgerRow, line: int | None = 1) -> bool:
        return row.pedimento == target and (line is None or row.line == line)

    def change(line: int | None = 1, **values: object) -> list[LedgerRow]:
        return [replace(r, **values) if on(r, line) else r for r in rows]  # type: ignore[arg-type]

    if kind == "pedimento_missing_in_ledger":
        return (
            peds,
            pars,
            [r for r in rows if r.pedimento != target],
            Difference(target, None, "pedimento", "", "", "missing_in_ledger"),
        )
    if kind == "pedimento_missing_in_datastage":
        return (
            [p for p in peds if p.number != target],
            [p for p in pars if p.number != target],
            rows,
            Difference(target, None, "pedimento", "", "", "missing_in_datastage"),
        )
    if kind == "partida_missing_in_ledger":
        return (
            peds,
            pars,
            [r for r in rows if not on(r)],
            Difference(target, 1, "partida", "", "", "missing_in_ledger"),
        )
    if kind == "partida_missing_in_datastage":
        return (
            peds,
            [p for p in pars if not (p.number == target and p.secuencia == 1)],
            rows,
            Difference(target, 1, "partida", "", "", "missing_in_datastage"),
        )
    if kind == "clave":
        return peds, pars, change(None, clave="AF"), Difference(target, None, "clave", "AF", "IN", "mismatch")
    if kind == "date":
        return (
            peds,
            pars,
            change(None, cleared_on=DAY - dt.timedelta(days=2)),
            Difference(target, None, "date", "2026-01-13", "2026-01-15", "mismatch"),
        )
    if kind == "hs":
        return (
            peds,
            pars,
            change(hs="85423199"),
            Difference(target, 1, "hs", "85423199", "8542390100", "mismatch"),
        )
    if kind == "country":
        return peds, pars, change(country="USA"), Difference(target, 1, "country", "USA", "CHN", "mismatch")
    if kind == "uom":
        return (
            peds,
            pars,
            change(uom="kg", uom_code=1, unit_value_usd=None),
            Difference(target, 1, "uom", "1", "6", "mismatch"),
        )
    if kind == "qty":
        return (
            peds,
            pars,
            change(qty=Decimal("10.0006"), unit_value_usd=None),
            Difference(target, 1, "qty", "10.001", "10.000", "mismatch"),
        )
    assert kind == "value_usd"
    return (
        peds,
        pars,
        change(unit_value_usd=Decimal("2.6001")),
        Difference(target, 1, "value_usd", "26.00", "25.00", "mismatch"),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(PLANTS), unique=True, min_size=0, max_size=len(PLANTS)),
    st.integers(2, 3),
    st.randoms(use_true_random=False),
)
def test_each_planted_difference_is_found_exactly_once(kinds: list[str], partidas: int, rng: object) -> None:
    peds, pars, rows = exact_world(len(PLANTS), partidas)
    targets = [p.number for p in peds]
    rng.shuffle(targets)  # type: ignore[attr-defined]
    expected = []
    for kind, target in zip(kinds, targets, strict=False):
        peds, pars, rows, difference = plant(kind, target, peds, pars, rows)
        expected.append(difference)
    found = domain.compare(peds, pars, domain.index_rows(rows), Converter(()), PERIOD)
    assert found == sorted(expected, key=lambda d: d.sort_key)


def test_exact_world_has_no_difference() -> None:
    peds, pars, rows = exact_world(3, 2)
    assert domain.compare(peds, pars, domain.index_rows(rows), Converter(()), PERIOD) == []


# --------------------------------------------------------------------------- fast path = specification

money = st.decimals(Decimal("0"), Decimal("5000"), places=3)


@settings(max_examples=300, deadline=None)
@given(
    hs=st.sampled_from(("", "8542", "85423901", "8542390100", "85423101")),
    country=st.sampled_from(("", "CHN", "USA")),
    code=st.sampled_from((6, 1, 12)),
    qty=money,
    unit_value=st.one_of(st.none(), money),
    stage_qty=money,
    stage_value=st.decimals(Decimal("0"), Decimal("99999"), places=2),
    factor=st.one_of(st.none(), st.decimals(Decimal("0.001"), Decimal("50"), places=3)),
)
def test_one_row_fast_path_equals_the_general_comparison(
    hs: str,
    country: str,
    code: int,
    qty: Decimal,
    unit_value: Decimal | None,
    stage_qty: Decimal,
    stage_value: Decimal,
    factor: Decimal | None,
) -> None:
    partida = SPar("260739216000001", 1, "8542390100", "CHN", 6, stage_qty, stage_value)
    row = LedgerRow("260739216000001", 1, "P", "IN", DAY, qty, "u", code, unit_value, country, hs)
    conversions = [] if factor is None else [domain.Conversion("u", 6, factor)]
    converter = Converter(conversions)
    assert list(domain.compare_partida(partida, (row,), converter)) == domain.compare_rows(
        partida, (row,), converter
    )
