"""Each input table of the ledger folder, declared once.

A :class:`TableSchema` lists its columns; a :class:`Column` says whether it is
required (the header must have it and every row a value) and which parser of
:mod:`immex.core.parse` reads it. Every reader runs these declarations:

- :func:`parse_rows` (the per-row reader in :mod:`immex.ledger.read`): each
  cell through its parser, a :class:`~immex.core.problems.Problem` for each
  bad one;
- :func:`column_accepts` (the columnar reader in :mod:`immex.ledger.frames`):
  the same parser over each distinct value of a column, or for the
  many-valued numeric columns its vectorized twin (tested equal), as an
  acceptance filter;
- the compulsa and the API upload read through :mod:`immex.ledger.read` and
  add only their own checks.

The contract is the discharge contract's "Input folder" (documented in
``docs/ledger.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from immex.core.parse import (
    canonical_pedimento,
    non_negative_decimal,
    parse_country,
    parse_hs,
    parse_iso_date,
    parse_positive_int,
    positive_decimal,
)
from immex.core.problems import Problem
from immex.core.tables import Table
from immex.ledger.model import PART_KINDS, PartKind

Parser = Callable[[str], Any]

# A plain decimal as :func:`immex.core.numbers.parse_decimal` reads it (sign, digits, one point).
PLAIN_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"


def text(value: str) -> str:
    return value


def upper(value: str) -> str:
    return value.upper()


def part_kind(value: str) -> PartKind:
    lowered = value.lower()
    for kind in PART_KINDS:
        if kind == lowered:
            return kind
    raise ValueError(f"{lowered!r} is not one of {', '.join(PART_KINDS)}")


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, whether it is required, and the parser of its cells.

    ``vector`` is set for columns with as many distinct values as rows (the
    quantities): the columnar reader accepts them with that Polars expression
    (``True`` where the parser would accept the text) instead of calling the
    parser once per value. ``tests/ledger/test_ledger_schema.py`` proves the
    two agree.
    """

    name: str
    parse: Parser = text
    required: bool = True
    vector: Callable[[pl.Expr], pl.Expr] | None = None


# The twins below look for a nonzero digit instead of deleting the zeros and points and comparing
# with "" (the same answer on a plain decimal, without a new string per cell), and match a pedimento
# with one pattern: 1M x 1M, 0.4 s CPU less of the reader's 9.


def _positive_plain(column: pl.Expr) -> pl.Expr:
    return column.str.contains(PLAIN_DECIMAL) & ~column.str.starts_with("-") & column.str.contains("[1-9]")


def _non_negative_plain(column: pl.Expr) -> pl.Expr:
    negative = column.str.starts_with("-") & column.str.contains("[1-9]")
    return column.str.contains(PLAIN_DECIMAL) & ~negative


def _positive_int(column: pl.Expr) -> pl.Expr:
    return column.str.contains(r"^[0-9]+$") & column.str.contains("[1-9]")


def _pedimento(column: pl.Expr) -> pl.Expr:
    """15 ASCII digits, spaces allowed (other scripts' digits, which ``\\d`` takes, go row by row)."""
    return column.str.contains(r"^ *(?:[0-9] *){15}$")


@dataclass(frozen=True, slots=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


PEDIMENTO = Column("pedimento", canonical_pedimento, vector=_pedimento)
LINE = Column("line", parse_positive_int, vector=_positive_int)
CLAVE = Column("clave", upper)
CLEARED_ON = Column("cleared_on", parse_iso_date)
QTY = Column("qty", positive_decimal, vector=_positive_plain)
UOM = Column("uom")
UNIT_VALUE = Column("unit_value_usd", non_negative_decimal, required=False, vector=_non_negative_plain)
HS = Column("hs", parse_hs, required=False)

PARTS = TableSchema(
    "parts.csv",
    (
        Column("part"),
        UOM,
        Column("kind", part_kind),
        Column("description", required=False),
        HS,
        Column("country_of_origin", parse_country, required=False),
    ),
)
IMPORTS = TableSchema(
    "imports.csv",
    (
        PEDIMENTO,
        LINE,
        CLAVE,
        CLEARED_ON,
        Column("part"),
        QTY,
        UOM,
        UNIT_VALUE,
        Column("country_of_origin", parse_country, required=False),
        HS,
    ),
)
EXPORTS = TableSchema(
    "exports.csv",
    (
        PEDIMENTO,
        LINE,
        CLAVE,
        CLEARED_ON,
        Column("product"),
        QTY,
        UOM,
        UNIT_VALUE,
        Column("destination_country", parse_country, required=False),
        HS,
        Column("import_pedimento", canonical_pedimento, required=False, vector=_pedimento),
    ),
)
BOM = TableSchema(
    "bom.csv",
    (
        Column("product"),
        Column("component"),
        Column("qty_per", positive_decimal, vector=_positive_plain),
        UOM,
        Column("valid_from", parse_iso_date),
        Column("merma_pct", non_negative_decimal, required=False),
        Column("desperdicio_pct", non_negative_decimal, required=False),
        Column("valid_to", parse_iso_date, required=False),
    ),
)
UOM_CONVERSIONS = TableSchema(
    "uom_conversions.csv",
    (
        Column("from_uom"),
        Column("to_uom"),
        Column("factor", positive_decimal),
        Column("part", required=False),
    ),
)

# Optional file of the operations contract (rule 2): A3 regularizations of named import lines.
REGULARIZATIONS = TableSchema(
    "regularizations.csv",
    (
        PEDIMENTO,
        LINE,
        CLAVE,
        CLEARED_ON,
        Column("part"),
        QTY,
        UOM,
        Column("import_pedimento", canonical_pedimento),
        Column("import_line", parse_positive_int, vector=_positive_int),
    ),
)

LEDGER_TABLES: dict[str, TableSchema] = {
    schema.name: schema for schema in (PARTS, IMPORTS, EXPORTS, BOM, UOM_CONVERSIONS, REGULARIZATIONS)
}
DISCHARGE_FILES = frozenset({"parts.csv", "imports.csv", "exports.csv", "bom.csv"})


def header_problems(schema: TableSchema, table: Table) -> list[Problem]:
    """A problem for each required column the header lacks, and for a column named twice."""
    if not any(table.header):
        return [
            Problem(table.label, 1, "", "the file is empty: it needs its header row (see `immex template`)")
        ]
    problems = [
        Problem(table.label, 1, name, _missing_column(name, table.header))
        for name in schema.required
        if name not in table.header
    ]
    named = [name for name in table.header if name]
    problems += [
        Problem(table.label, 1, name, "column appears twice in the header")
        for name in sorted({n for n in named if named.count(n) > 1})
        if any(c.name == name for c in schema.columns)
    ]
    return problems


def _missing_column(name: str, header: tuple[str, ...]) -> str:
    """Name the header cell that was meant, when only its case or spaces differ."""
    meant = [written for written in header if written.strip().casefold() == name.casefold()]
    if meant:
        hint = f"the header has {meant[0]!r}; column names are written exactly {name!r}"
        return f"required column is missing: {hint}"
    return "required column is missing"


class _Memo:
    """A parser with its answers kept: dates, units, claves and part names repeat a lot."""

    __slots__ = ("answers", "parse")

    def __init__(self, parse: Parser) -> None:
        self.parse = parse
        self.answers: dict[str, tuple[bool, Any]] = {}

    def __call__(self, cell: str) -> tuple[bool, Any]:
        answer = self.answers.get(cell)
        if answer is None:
            try:
                answer = (True, self.parse(cell))
            except ValueError as exc:
                answer = (False, str(exc))
            if len(self.answers) < 200_000:
                self.answers[cell] = answer
        return answer


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One data row: its number, the parsed values (None = empty optional or bad), and the text."""

    row: int
    values: dict[str, Any]
    text: Mapping[str, str]
    ok: bool


def parse_rows(schema: TableSchema, table: Table, problems: list[Problem]) -> Iterable[ParsedRow]:
    """Every row of ``table`` parsed by ``schema``; each bad or missing cell adds a problem."""
    columns = [(c.name, c.required, _Memo(c.parse)) for c in schema.columns]
    label = table.label
    for number, cells in table.rows:
        if _repeats_header(cells):
            message = "repeats the header row (two files pasted into one?): delete this row"
            problems.append(Problem(label, number, "", message))
            yield ParsedRow(number, dict.fromkeys(c.name for c in schema.columns), cells, False)
            continue
        values: dict[str, Any] = {}
        ok = True
        for name, required, parse in columns:
            cell = cells.get(name, "")
            if not cell:
                if required:
                    problems.append(Problem(label, number, name, "is empty"))
                    ok = False
                values[name] = None
                continue
            good, value = parse(cell)
            if good:
                values[name] = value
            else:
                problems.append(Problem(label, number, name, value))
                values[name] = None
                ok = False
        yield ParsedRow(number, values, cells, ok)


def _repeats_header(cells: Mapping[str, str]) -> bool:
    """Every named cell holds its own column name (any case): the header again, not data."""
    named = [(name, cell) for name, cell in cells.items() if name]
    return bool(named) and all(cell.strip().lower() == name.strip().lower() for name, cell in named)


def column_accepts(schema: TableSchema, frame: pl.DataFrame) -> bool:
    """True when every cell of ``frame`` (all text, stripped, blanks as "") passes its parser.

    Never says True where :func:`parse_rows` would report a problem (the
    property test of ``tests/ledger/test_ledger_schema.py``).
    """
    for column in schema.columns:
        if column.name not in frame.columns:
            if column.required:
                return False
            continue
        cells = pl.col(column.name)
        empty_ok = pl.lit(not column.required)
        if column.vector is not None:
            accepted = pl.when(cells == "").then(empty_ok).otherwise(column.vector(cells))
            if not frame.select(accepted.all()).item():
                return False
            continue
        if column.required and frame.select((cells == "").any()).item():
            return False
        for cell in frame.get_column(column.name).unique().to_list():
            if cell == "":
                continue
            try:
                column.parse(cell)
            except ValueError:
                return False
    return True
