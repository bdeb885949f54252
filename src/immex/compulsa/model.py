"""The compulsa: the Anexo 24 ledger reconciled with the Data Stage, both ways.

Pure functions over plain values, following the project's Data Stage contract
(section "What is compared"). The ledger side is a list of :class:`LedgerRow`
(one row of ``imports.csv`` / ``exports.csv`` with its hs, country and unit
already normalized); the Data Stage side is any objects with the attributes of
:class:`StagePedimento` / :class:`StagePartida` (the Data Stage reader's
``DsPedimento`` / ``DsPartida`` fit). :func:`compare` returns every
:class:`Difference`, sorted as ``differences.csv`` wants them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from immex.core.numbers import round_half_up

Field = Literal["pedimento", "partida", "clave", "date", "hs", "country", "uom", "qty", "value_usd"]
FIELDS: tuple[Field, ...] = (
    "pedimento",
    "partida",
    "clave",
    "date",
    "hs",
    "country",
    "uom",
    "qty",
    "value_usd",
)
_FIELD_ORDER = {name: index for index, name in enumerate(FIELDS)}
Kind = Literal["missing_in_ledger", "missing_in_datastage", "mismatch"]
KINDS: tuple[Kind, ...] = ("missing_in_ledger", "missing_in_datastage", "mismatch")
HEADER = ("pedimento", "line", "field", "ledger", "datastage", "kind")
QTY_PLACES = 3
VALUE_PLACES = 2
VALUE_TOLERANCE_USD = Decimal("1.00")
"""Inclusive: a difference of exactly 1.00 USD is not reported (project contract, not law)."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One row of ``differences.csv``."""

    pedimento: str
    line: int | None
    field: Field
    ledger: str
    datastage: str
    kind: Kind

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (self.pedimento, -1 if self.line is None else self.line, _FIELD_ORDER[self.field])

    def as_row(self) -> tuple[str, str, str, str, str, str]:
        return (
            self.pedimento,
            "" if self.line is None else str(self.line),
            self.field,
            self.ledger,
            self.datastage,
            self.kind,
        )


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One ledger row as the compulsa sees it.

    ``qty`` and ``uom`` are as written; ``uom_code`` is its Apéndice 7 code;
    ``hs`` (digits only) and ``country`` (alpha-3) already include the
    fallback to ``parts.csv``; empty means "no value". Kept small on purpose
    (no source row): a compulsa may hold millions of them.
    """

    pedimento: str
    line: int
    item: str
    clave: str
    cleared_on: dt.date
    qty: Decimal
    uom: str
    uom_code: int
    unit_value_usd: Decimal | None
    country: str
    hs: str


class StagePedimento(Protocol):
    """A Data Stage pedimento (a 501 line)."""

    @property
    def number(self) -> str: ...
    @property
    def clave(self) -> str: ...
    @property
    def fecha_pago(self) -> dt.date: ...


class StagePartida(Protocol):
    """A Data Stage partida (a 551 line)."""

    @property
    def number(self) -> str: ...
    @property
    def secuencia(self) -> int: ...
    @property
    def hs(self) -> str: ...
    @property
    def pais(self) -> str: ...
    @property
    def unidad(self) -> int: ...
    @property
    def cantidad(self) -> Decimal: ...
    @property
    def valor_dolares(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class Conversion:
    """A ``uom_conversions.csv`` row with its ``to_uom`` mapped to Apéndice 7 (None = unmapped)."""

    from_uom: str
    to_code: int | None
    factor: Decimal
    part: str = ""


# --------------------------------------------------------------------------- normalizing


class UnitNames:
    """Ledger unit name → Apéndice 7 code: the override file first, then the rules table."""

    def __init__(self, table: Mapping[str, str], overrides: Mapping[str, int] | None = None) -> None:
        self._table = {name: int(code) for name, code in table.items()}
        self._overrides = {name.strip().lower(): code for name, code in (overrides or {}).items()}
        self._cache: dict[str, int | None] = {}

    def code(self, name: str) -> int | None:
        found = self._cache.get(name, -1)
        if found != -1:
            return found
        key = name.strip().lower()
        result = self._overrides.get(key, self._table.get(key))
        self._cache[name] = result
        return result


class Converter:
    """Finds the factor from a row's unit to a 551 unit: part-specific row, then generic, file order."""

    def __init__(self, conversions: Iterable[Conversion]) -> None:
        self._factors: dict[tuple[str, str, int], Decimal] = {}
        for row in conversions:
            if row.to_code is not None:
                self._factors.setdefault((row.part, row.from_uom, row.to_code), row.factor)

    def factor(self, item: str, uom: str, to_code: int) -> Decimal | None:
        found = self._factors.get((item, uom, to_code))
        if found is None and item:
            found = self._factors.get(("", uom, to_code))
        return found


# --------------------------------------------------------------------------- formatting


def fmt_qty(value: Decimal) -> str:
    return format(round_half_up(value, QTY_PLACES), "f")


def fmt_value(value: Decimal) -> str:
    return format(round_half_up(value, VALUE_PLACES), "f")


def _joined(values: Iterable[str]) -> str:
    return ";".join(sorted(set(values)))


# --------------------------------------------------------------------------- comparing

LedgerIndex = Mapping[str, Mapping[int, Sequence[LedgerRow]]]


def index_rows(rows: Iterable[LedgerRow]) -> dict[str, dict[int, tuple[LedgerRow, ...]]]:
    """Ledger rows grouped by pedimento, then partida (``line``), in input order."""
    index: dict[str, dict[int, tuple[LedgerRow, ...]]] = {}
    for row in rows:
        add_row(index, row)
    return index


def add_row(index: dict[str, dict[int, tuple[LedgerRow, ...]]], row: LedgerRow) -> None:
    """Add one row to an index (tuples, not lists: a million one-row partidas cost less)."""
    lines = index.get(row.pedimento)
    if lines is None:
        lines = index[row.pedimento] = {}
    found = lines.get(row.line)
    lines[row.line] = (row,) if found is None else (*found, row)


def stage_period(
    pedimentos: Iterable[StagePedimento], resumen: tuple[dt.date, dt.date] | None
) -> tuple[dt.date, dt.date] | None:
    """The Resumen period, or the first to the last Data Stage date; None for an empty Data Stage."""
    if resumen is not None:
        return resumen
    dates = [p.fecha_pago for p in pedimentos]
    return (min(dates), max(dates)) if dates else None


InScope = Callable[[StagePedimento], bool]
"""Whether a Data Stage pedimento is a movement the Anexo 24 ledger must hold (by its clave)."""


def compare(  # noqa: C901
    pedimentos: Sequence[StagePedimento],
    partidas: Iterable[StagePartida],
    ledger: LedgerIndex,
    converter: Converter,
    period: tuple[dt.date, dt.date] | None,
    in_scope: InScope | None = None,
) -> list[Difference]:
    """Every difference between the Data Stage and the ledger, in ``differences.csv`` order.

    ``partidas`` may be a stream (it is read once); ``pedimentos`` must hold
    distinct numbers (two 501 lines with one number are an input error). With
    ``in_scope``, a Data Stage pedimento outside it that the ledger does not hold
    is no difference (see :func:`out_of_scope`); one the ledger holds is compared.
    """
    found: list[Difference] = []
    stage_numbers = {p.number for p in pedimentos}
    for ped in pedimentos:
        rows = ledger.get(ped.number)
        if rows is None:
            if in_scope is None or in_scope(ped):
                found.append(Difference(ped.number, None, "pedimento", "", "", "missing_in_ledger"))
            continue
        found.extend(_pedimento_fields(ped, [r for partida in rows.values() for r in partida]))
    if period is not None:
        start, end = period
    for number, ledger_lines in ledger.items():
        if number in stage_numbers:
            continue
        if period is not None and any(
            start <= r.cleared_on <= end for rs in ledger_lines.values() for r in rs
        ):
            found.append(Difference(number, None, "pedimento", "", "", "missing_in_datastage"))
    seen: dict[str, set[int]] = {}  # Data Stage partida numbers of the pedimentos on both sides
    for partida in partidas:
        rows_by_line = ledger.get(partida.number)
        if rows_by_line is None:
            continue
        lines_seen = seen.get(partida.number)
        if lines_seen is None:
            lines_seen = seen[partida.number] = set()
        lines_seen.add(partida.secuencia)
        partida_rows = rows_by_line.get(partida.secuencia)
        if partida_rows is None:
            found.append(
                Difference(partida.number, partida.secuencia, "partida", "", "", "missing_in_ledger")
            )
            continue
        found.extend(compare_partida(partida, partida_rows, converter))
    for number in stage_numbers:
        lines_of_both = ledger.get(number)
        if lines_of_both is None:
            continue
        lines_seen = seen.get(number, set())
        for line in lines_of_both:
            if line not in lines_seen:
                found.append(Difference(number, line, "partida", "", "", "missing_in_datastage"))
    found.sort(key=lambda d: d.sort_key)
    return found


def out_of_scope(
    pedimentos: Iterable[StagePedimento], ledger: LedgerIndex, in_scope: InScope
) -> dict[str, int]:
    """Data Stage pedimentos left out by ``in_scope`` (not in the ledger either), counted by clave."""
    counts: dict[str, int] = {}
    for ped in pedimentos:
        if ped.number not in ledger and not in_scope(ped):
            clave = ped.clave.strip().upper() or "(none)"
            counts[clave] = counts.get(clave, 0) + 1
    return dict(sorted(counts.items()))


def _pedimento_fields(ped: StagePedimento, rows: Sequence[LedgerRow]) -> Iterator[Difference]:
    stage_clave = ped.clave.strip().upper()
    claves = {r.clave.strip().upper() for r in rows if r.clave.strip()}
    if claves and any(c != stage_clave for c in claves):
        yield Difference(ped.number, None, "clave", _joined(claves), stage_clave, "mismatch")
    dates = {r.cleared_on for r in rows}
    if any(d != ped.fecha_pago for d in dates):
        yield Difference(
            ped.number,
            None,
            "date",
            _joined(d.isoformat() for d in dates),
            ped.fecha_pago.isoformat(),
            "mismatch",
        )


def compare_partida(
    partida: StagePartida, rows: Sequence[LedgerRow], converter: Converter
) -> Sequence[Difference]:
    """The field differences of one partida present on both sides (hs, country, uom/qty, value)."""
    if len(rows) == 1:
        return _compare_one_row(partida, rows[0], converter)
    return compare_rows(partida, rows, converter)


def compare_rows(partida: StagePartida, rows: Sequence[LedgerRow], converter: Converter) -> list[Difference]:
    """The specification of :func:`compare_partida`, for any number of rows."""
    found: list[Difference] = []
    number, line = partida.number, partida.secuencia
    hs_values = {r.hs for r in rows if r.hs}
    if any(not partida.hs.startswith(h) for h in hs_values):
        found.append(Difference(number, line, "hs", _joined(hs_values), partida.hs, "mismatch"))
    countries = {r.country for r in rows if r.country}
    stage_country = partida.pais.strip().upper()
    if any(c != stage_country for c in countries):
        found.append(Difference(number, line, "country", _joined(countries), stage_country, "mismatch"))
    unit = partida.unidad
    total = Decimal(0)
    convertible = True
    for r in rows:
        if r.uom_code == unit:
            total += r.qty
            continue
        factor = converter.factor(r.item, r.uom, unit)
        if factor is None:
            convertible = False
            break
        total += r.qty * factor
    if not convertible:
        codes = ";".join(str(c) for c in sorted({r.uom_code for r in rows}))
        found.append(Difference(number, line, "uom", codes, str(unit), "mismatch"))
    elif round_half_up(total, QTY_PLACES) != partida.cantidad:
        found.append(Difference(number, line, "qty", fmt_qty(total), fmt_qty(partida.cantidad), "mismatch"))
    if all(r.unit_value_usd is not None for r in rows):
        value = sum((r.qty * r.unit_value_usd for r in rows if r.unit_value_usd is not None), Decimal(0))
        if abs(value - partida.valor_dolares) > VALUE_TOLERANCE_USD:
            found.append(
                Difference(
                    number, line, "value_usd", fmt_value(value), fmt_value(partida.valor_dolares), "mismatch"
                )
            )
    return found


_NONE: tuple[Difference, ...] = ()


def _compare_one_row(partida: StagePartida, row: LedgerRow, converter: Converter) -> Sequence[Difference]:
    """:func:`compare_rows` for the common one-row partida (same result, less work)."""
    found: Sequence[Difference] = _NONE
    stage_hs = partida.hs
    if row.hs and not stage_hs.startswith(row.hs):
        found = [Difference(partida.number, partida.secuencia, "hs", row.hs, stage_hs, "mismatch")]
    if row.country:
        stage_country = partida.pais.strip().upper()
        if row.country != stage_country:
            found = [
                *found,
                Difference(
                    partida.number, partida.secuencia, "country", row.country, stage_country, "mismatch"
                ),
            ]
    unit = partida.unidad
    qty: Decimal | None = row.qty
    if row.uom_code != unit:
        factor = converter.factor(row.item, row.uom, unit)
        if factor is None:
            qty = None
            found = [
                *found,
                Difference(
                    partida.number, partida.secuencia, "uom", str(row.uom_code), str(unit), "mismatch"
                ),
            ]
        else:
            qty = row.qty * factor
    if qty is not None and round_half_up(qty, QTY_PLACES) != partida.cantidad:
        found = [
            *found,
            Difference(
                partida.number, partida.secuencia, "qty", fmt_qty(qty), fmt_qty(partida.cantidad), "mismatch"
            ),
        ]
    if row.unit_value_usd is not None:
        value = row.qty * row.unit_value_usd
        if abs(value - partida.valor_dolares) > VALUE_TOLERANCE_USD:
            found = [
                *found,
                Difference(
                    partida.number,
                    partida.secuencia,
                    "value_usd",
                    fmt_value(value),
                    fmt_value(partida.valor_dolares),
                    "mismatch",
                ),
            ]
    return found


def count_by(differences: Iterable[Difference]) -> dict[tuple[str, str], int]:
    """How many differences of each (field, kind)."""
    counts: dict[tuple[str, str], int] = {}
    for d in differences:
        counts[(d.field, d.kind)] = counts.get((d.field, d.kind), 0) + 1
    return counts


# --------------------------------------------------------------------------- drafting ledger rows

UNIT_VALUE_MAX_PLACES = 12


def unit_value_for(total_usd: Decimal, qty: Decimal) -> Decimal | None:
    """A unit value whose product with ``qty`` gives ``total_usd`` to the cent (None when qty is 0).

    Uses the fewest decimals (at least 2) for which ``qty × unit`` rounds back
    to the same cents, so a ledger drafted from the Data Stage reconciles.
    """
    if qty == 0:
        return None
    exact = total_usd / qty
    target = round_half_up(total_usd, VALUE_PLACES)
    for places in range(VALUE_PLACES, UNIT_VALUE_MAX_PLACES + 1):
        unit = round_half_up(exact, places)
        if round_half_up(unit * qty, VALUE_PLACES) == target:
            return unit
    return round_half_up(exact, UNIT_VALUE_MAX_PLACES)
