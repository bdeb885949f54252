"""Sub-maquila shipments and waste disposals: the optional files ``submaquila.csv`` and ``waste.csv``.

Both are read through the same machinery as every other ledger table: a
:class:`~immex.ledger.schema.TableSchema` each (cells parsed by
:mod:`immex.core.parse` and the parsers below), then the checks that span
rows (known part, unit conversion to the part's base unit, a row given
twice, goods received back before they were sent). The check of a disposal
against the waste the exports generated needs the discharge; it lives in
:mod:`immex.discharge.waste`.

The layouts are documented in ``docs/ledger.md`` ("Sub-maquila and waste").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

from stdnum.exceptions import ValidationError
from stdnum.mx import rfc as rfc_number

from immex.core.numbers import EXACT, plain
from immex.core.parse import parse_iso_date, positive_decimal
from immex.core.problems import Problem
from immex.core.tables import Table
from immex.ledger.model import Ledger, Part
from immex.ledger.read import UnitConverter, load_tables
from immex.ledger.schema import Column, ParsedRow, TableSchema, header_problems, parse_rows, text

Direction = Literal["out", "in"]
DIRECTIONS: tuple[Direction, ...] = ("out", "in")
Disposition = Literal["destroyed", "donated", "returned", "definitive"]
DISPOSITIONS: tuple[Disposition, ...] = ("destroyed", "donated", "returned", "definitive")


def direction(value: str) -> Direction:
    lowered = value.lower()
    for known in DIRECTIONS:
        if known == lowered:
            return known
    raise ValueError(f"{value!r} is not out (sent to the sub-maquiladora) or in (received back)")


def disposition(value: str) -> Disposition:
    lowered = value.lower()
    for known in DISPOSITIONS:
        if known == lowered:
            return known
    raise ValueError(f"{value!r} is not one of {', '.join(DISPOSITIONS)}")


def parse_rfc(value: str) -> str:
    """An RFC (12 characters for a company, 13 for a person) with a valid check digit, compacted."""
    try:
        return str(rfc_number.validate(value, validate_check_digits=True))
    except ValidationError as error:
        raise ValueError(f"RFC {value!r} is not valid: {error}") from None


SUBMAQUILA = TableSchema(
    "submaquila.csv",
    (
        Column("shipment"),
        Column("direction", direction),
        Column("date", parse_iso_date),
        Column("part"),
        Column("qty", positive_decimal),
        Column("uom"),
        Column("submaquilador_rfc", parse_rfc),
    ),
)
WASTE = TableSchema(
    "waste.csv",
    (
        Column("date", parse_iso_date),
        Column("part"),
        Column("qty", positive_decimal),
        Column("uom"),
        Column("disposition", disposition),
        Column("document", text, required=False),
    ),
)
MOVEMENT_TABLES: dict[str, TableSchema] = {schema.name: schema for schema in (SUBMAQUILA, WASTE)}


@dataclass(frozen=True, slots=True)
class SubmaquilaMove:
    """Goods of ``part`` sent to (``out``) or received back from (``in``) a sub-maquiladora."""

    shipment: str
    direction: Direction
    date: dt.date
    part: str
    qty: Decimal
    uom: str
    qty_given: Decimal
    submaquilador_rfc: str
    row: int = 0

    @property
    def key(self) -> tuple[str, str, dt.date, str]:
        return (self.shipment, self.direction, self.date, self.part)


@dataclass(frozen=True, slots=True)
class Disposal:
    """Waste of ``part`` disposed of on ``date`` (destroyed, donated, returned, made definitive)."""

    date: dt.date
    part: str
    qty: Decimal
    uom: str
    qty_given: Decimal
    disposition: Disposition
    document: str = ""
    row: int = 0

    @property
    def key(self) -> tuple[dt.date, str, str, str]:
        return (self.date, self.part, self.disposition, self.document)


@dataclass(frozen=True, slots=True)
class Movements:
    """The movements of one input folder (or of a store); ``waste_given``: waste.csv was there."""

    submaquila: tuple[SubmaquilaMove, ...] = ()
    disposals: tuple[Disposal, ...] = ()
    waste_given: bool = False
    submaquila_given: bool = False


@dataclass
class MovementsRead:
    """The outcome of reading the movement files: ``movements`` is valid when ``problems`` is empty."""

    movements: Movements
    problems: list[Problem] = field(default_factory=list)
    sources: tuple[Path, ...] = ()
    encodings: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    """What each file was called in the input (``book.xlsx:waste`` for a sheet)."""


def read_movements(source: Path, ledger: Ledger | None) -> MovementsRead:
    """Read ``submaquila.csv`` and ``waste.csv`` (or their sheets) at ``source``, if present.

    ``ledger`` gives the parts and unit conversions; without it (the ledger
    itself was invalid) only the cells and rows are checked.
    """
    tables, problems = load_tables(source, MOVEMENT_TABLES)
    if problems:
        return MovementsRead(Movements(), problems)
    labels = {name: table.label for name, table in tables.items()}
    for name, table in tables.items():
        problems += header_problems(MOVEMENT_TABLES[name], table)
    if problems:
        return MovementsRead(Movements(), problems, labels=labels)
    parts = None if ledger is None else ledger.parts
    units = UnitConverter(parts or {}, () if ledger is None else ledger.conversions)
    moves = _submaquila(tables.get(SUBMAQUILA.name), parts, units, problems)
    disposals = _disposals(tables.get(WASTE.name), parts, units, problems)
    movements = Movements(moves, disposals, WASTE.name in tables, SUBMAQUILA.name in tables)
    sources = tuple(sorted(source / t.label for t in tables.values())) if source.is_dir() else ()
    encodings = {name: table.encoding for name, table in sorted(tables.items())}
    return MovementsRead(movements, problems, sources, encodings, labels)


def _base_qty(
    row: ParsedRow,
    label: str,
    parts: Mapping[str, Part] | None,
    units: UnitConverter,
    problems: list[Problem],
) -> Decimal | None:
    """The row's quantity in its part's base unit; a problem for an unknown part or unit."""
    part, uom = row.values["part"], row.values["uom"]
    qty: Decimal | None = row.values["qty"]
    if parts is None or part is None:
        return qty
    if part not in parts:
        problems.append(Problem(label, row.row, "part", f"unknown part {part!r} (not in parts.csv)"))
        return None
    if uom is None:
        return None
    factor = units.factor(part, uom)
    if factor is None:
        base = parts[part].uom
        message = f"no conversion from {uom!r} to {part!r}'s base unit {base!r} (units ignore case)"
        problems.append(Problem(label, row.row, "uom", message))
        return None
    return None if qty is None else EXACT.multiply(qty, factor)


def _submaquila(
    table: Table | None, parts: Mapping[str, Part] | None, units: UnitConverter, problems: list[Problem]
) -> tuple[SubmaquilaMove, ...]:
    if table is None:
        return ()
    moves: dict[tuple[str, str, dt.date, str], SubmaquilaMove] = {}
    refused: set[str] = set()  # shipments with a refused row: their balance would be a false alarm
    for row in parse_rows(SUBMAQUILA, table, problems):
        qty = _base_qty(row, table.label, parts, units, problems)
        if not row.ok or qty is None:
            refused.add(row.text.get("shipment", ""))
            continue
        v = row.values
        move = SubmaquilaMove(
            v["shipment"],
            v["direction"],
            v["date"],
            v["part"],
            qty,
            v["uom"],
            v["qty"],
            v["submaquilador_rfc"],
            row.row,
        )
        if move.key in moves:
            problems.append(_twice(table.label, row.row, "part", move.key, moves[move.key].row))
            continue
        moves[move.key] = move
    ordered = tuple(sorted(moves.values(), key=lambda m: m.row))
    problems += received_before_sent([m for m in ordered if m.shipment not in refused], table.label)
    problems += _one_rfc_per_shipment(ordered, table.label)
    return ordered


def _twice(label: str, row: int, column: str, key: tuple[object, ...], first: int) -> Problem:
    shown = ", ".join(str(k) for k in key if k != "")
    return Problem(label, row, column, f"({shown}) is already on row {first}: write one row with the total")


def received_before_sent(moves: Iterable[SubmaquilaMove], label: str = SUBMAQUILA.name) -> list[Problem]:
    """A problem for each ``in`` row that brings the shipment's part above what was sent by its date.

    Rows of one day count together: goods sent and received back the same day balance.
    """
    by_key: dict[tuple[str, str], list[SubmaquilaMove]] = defaultdict(list)
    for move in moves:
        by_key[(move.shipment, move.part)].append(move)
    problems = []
    for (shipment, part), rows in sorted(by_key.items()):
        rows.sort(key=lambda m: (m.date, m.direction != "out", m.row))
        sent = received = Decimal(0)
        for move in rows:
            if move.direction == "out":
                sent = EXACT.add(sent, move.qty)
                continue
            received = EXACT.add(received, move.qty)
            if received > sent:
                message = (
                    f"shipment {shipment!r} receives {plain(received)} of {part!r} back by {move.date}"
                    f" but sent only {plain(sent)} by then (quantities in the part's base unit)"
                )
                problems.append(Problem(label, move.row or None, "qty", message))
    return problems


def _one_rfc_per_shipment(moves: Iterable[SubmaquilaMove], label: str) -> list[Problem]:
    """A shipment goes to one sub-maquiladora: every row of it names the same RFC."""
    first: dict[str, SubmaquilaMove] = {}
    problems = []
    for move in moves:
        seen = first.setdefault(move.shipment, move)
        if seen.submaquilador_rfc != move.submaquilador_rfc:
            message = (
                f"shipment {move.shipment!r} went to {seen.submaquilador_rfc} (row {seen.row}):"
                " one shipment has one sub-maquiladora"
            )
            problems.append(Problem(label, move.row, "submaquilador_rfc", message))
    return problems


def _disposals(
    table: Table | None, parts: Mapping[str, Part] | None, units: UnitConverter, problems: list[Problem]
) -> tuple[Disposal, ...]:
    if table is None:
        return ()
    disposals: dict[tuple[dt.date, str, str, str], Disposal] = {}
    for row in parse_rows(WASTE, table, problems):
        qty = _base_qty(row, table.label, parts, units, problems)
        if not row.ok or qty is None:
            continue
        v = row.values
        disposal = Disposal(
            v["date"], v["part"], qty, v["uom"], v["qty"], v["disposition"], v["document"] or "", row.row
        )
        if disposal.key in disposals:
            problems.append(_twice(table.label, row.row, "part", disposal.key, disposals[disposal.key].row))
            continue
        disposals[disposal.key] = disposal
    return tuple(disposals.values())
