"""Stage and validate the ledger input folder of ``shared/contracts/discharge.md``.

``read_ledger(source)`` reads ``parts.csv``, ``imports.csv``, ``exports.csv``,
``bom.csv`` and ``uom_conversions.csv`` from a folder (or the sheets of the same
names in an ``.xlsx`` workbook), checks all of it and returns either a valid
:class:`~immex.ledger.model.Ledger` or every problem found, each naming the
file, row (header = row 1), column and reason. Nothing here touches a store.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from immex.core.anexo22 import validate_clave, validate_pedimento_number
from immex.core.numbers import parse_decimal
from immex.core.pedimento import canonical_pedimento
from immex.core.problems import Problem
from immex.core.progress import QUIET, Progress, counted
from immex.core.tables import Table, read_csv_table, read_workbook_tables
from immex.discharge.methods import BomCycleError, explode
from immex.ledger.model import (
    PART_KINDS,
    BomComponent,
    BomVersion,
    ExportLine,
    ImportLine,
    Ledger,
    Part,
    PartKind,
    UomConversion,
)

T = TypeVar("T")

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "parts.csv": (("part", "uom", "kind"), ("description", "hs", "country_of_origin")),
    "imports.csv": (("pedimento", "line", "clave", "cleared_on", "part", "qty", "uom"),
                    ("unit_value_usd", "country_of_origin", "hs")),
    "exports.csv": (("pedimento", "line", "clave", "cleared_on", "product", "qty", "uom"),
                    ("unit_value_usd", "destination_country", "hs", "import_pedimento")),
    "bom.csv": (("product", "component", "qty_per", "uom", "valid_from"),
                ("merma_pct", "desperdicio_pct", "valid_to")),
    "uom_conversions.csv": (("from_uom", "to_uom", "factor"), ("part",)),
}
DISCHARGE_FILES = frozenset({"parts.csv", "imports.csv", "exports.csv", "bom.csv"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class LedgerRead:
    """The outcome of staging: a ledger when ``problems`` is empty."""

    ledger: Ledger | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    fingerprint_sources: tuple[Path, ...] = ()


class _RowChecker:
    """Parses the fields of one row, recording a problem for each bad one."""

    def __init__(self, label: str, row: int, values: dict[str, str], problems: list[Problem]) -> None:
        self.label, self.row, self.values, self.problems = label, row, values, problems
        self.ok = True

    def fail(self, column: str, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(self.label, self.row, column, message))

    def text(self, column: str, required: bool = True) -> str:
        value = self.values.get(column, "").strip()
        if required and not value:
            self.fail(column, "is empty")
        return value

    def parsed(self, column: str, parse: Callable[[str], T], required: bool = True) -> T | None:
        value = self.text(column, required)
        if not value:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None


def parse_iso_date(text: str) -> dt.date:
    if not _ISO_DATE.match(text):
        raise ValueError(f"{text!r} is not a date in YYYY-MM-DD form")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real calendar date") from None


def parse_positive_int(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{text!r} is not a positive integer")
    return int(text)


def _decimal_at_least(minimum: Decimal, strict: bool) -> Callable[[str], Decimal]:
    def parse(text: str) -> Decimal:
        value = parse_decimal(text)
        if value < minimum or (strict and value == minimum):
            raise ValueError(f"{text!r} must be {'greater than' if strict else 'at least'} {minimum}")
        return value
    return parse


positive_decimal = _decimal_at_least(Decimal(0), strict=True)
non_negative_decimal = _decimal_at_least(Decimal(0), strict=False)


class UnitConverter:
    """Converts a quantity to its part's base unit: exact unit, part-specific row, then generic row."""

    def __init__(self, parts: dict[str, Part], conversions: Iterable[UomConversion]) -> None:
        self.parts = parts
        self.factors: dict[tuple[str, str, str], Decimal] = {}
        for row in conversions:
            self.factors.setdefault((row.part, row.from_uom, row.to_uom), row.factor)

    def factor(self, part: str, uom: str) -> Decimal | None:
        base = self.parts[part].uom
        if uom == base:
            return Decimal(1)
        return self.factors.get((part, uom, base), self.factors.get(("", uom, base)))


def load_tables(source: Path) -> tuple[dict[str, Table], list[Problem]]:
    """The tables present in a folder of CSV files or an XLSX workbook."""
    if source.is_file() and source.suffix.lower() == ".xlsx":
        return read_workbook_tables(source), []
    if not source.is_dir():
        return {}, [Problem(str(source), None, "", "input is neither a folder nor an .xlsx workbook")]
    tables = {}
    for name in COLUMNS:
        path = source / name
        if path.is_file():
            tables[name] = read_csv_table(path)
    return tables, []


def read_ledger(source: Path, required: Iterable[str] = DISCHARGE_FILES,
                progress: Progress = QUIET) -> LedgerRead:
    """Stage and validate every ledger table found at ``source`` (``progress``: rows validated)."""
    progress.phase(f"reading {source.name}")
    tables, problems = load_tables(source)
    if problems:
        return LedgerRead(None, problems)
    for name in sorted(set(required) - tables.keys()):
        problems.append(Problem(name, None, "", "required file is missing"))
    for name, table in tables.items():
        needed, _ = COLUMNS[name]
        for column in needed:
            if column not in table.header:
                problems.append(Problem(table.label, 1, column, "required column is missing"))
    if problems:
        return LedgerRead(None, problems)
    ledger = _validate(tables, problems, progress)
    sources = tuple(sorted(source / n for n in tables)) if source.is_dir() else (source,)
    progress.phase("checking pedimentos and claves against Anexo 22")
    warnings = [] if problems else anexo22_warnings(ledger, tables)
    return LedgerRead(None if problems else ledger, problems, warnings, fingerprint_sources=sources)


def anexo22_warnings(ledger: Ledger, tables: dict[str, Table]) -> list[Problem]:
    """Pedimento numbers and claves that Anexo 22 does not know: reported, not refused.

    The discharge contract accepts any 15-digit number, so these never stop a run,
    but a broker would reject such a pedimento and an auditor will ask about it.
    """
    lines: list[ImportLine | ExportLine] = [*ledger.imports, *ledger.exports]
    return pedimento_warnings(
        (tables["imports.csv" if isinstance(line, ImportLine) else "exports.csv"].label, line.row,
         line.pedimento, line.clave, line.cleared_on) for line in lines)


def pedimento_warnings(rows: Iterable[tuple[str, int, str, str, dt.date]]) -> list[Problem]:
    """Anexo 22 checks of (file, row, pedimento, clave, date) rows, once per pedimento and clave."""
    warnings: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for label, row, pedimento, clave, day in rows:
        if (pedimento, clave) in seen:
            continue
        seen.add((pedimento, clave))
        for column, message in (("pedimento", validate_pedimento_number(pedimento)),
                                ("clave", validate_clave(clave, day))):
            if message:
                warnings.append(Problem(label, row, column, message))
    return warnings


def _empty(label: str) -> Table:
    return Table(label, (), ())


def _validate(tables: dict[str, Table], problems: list[Problem], progress: Progress = QUIET) -> Ledger:
    progress.phase("validating the input", total=sum(len(t.rows) for t in tables.values()), unit="rows")
    parts = _parts(tables.get("parts.csv"), problems)
    conversions = _conversions(tables.get("uom_conversions.csv", _empty("uom_conversions.csv")), parts,
                               problems)
    # parts, conversions and BOMs are small: counted at once; the lines are counted row by row
    progress.advance(sum(len(tables[n].rows) for n in ("parts.csv", "uom_conversions.csv") if n in tables))
    units = UnitConverter(parts, conversions)
    imports = _imports(tables.get("imports.csv", _empty("imports.csv")), parts, units, problems, progress)
    boms = _boms(tables.get("bom.csv", _empty("bom.csv")), parts, units, problems)
    progress.advance(len(tables["bom.csv"].rows) if "bom.csv" in tables else 0)
    exports = _exports(tables.get("exports.csv", _empty("exports.csv")), parts, units, problems, progress)
    ledger = Ledger(parts, imports, exports, boms, conversions)
    progress.phase("exploding every export through its BOM")
    _check_exports_explode(ledger, tables.get("exports.csv"), tables.get("bom.csv"), problems)
    return ledger


def _parts(table: Table | None, problems: list[Problem]) -> dict[str, Part]:
    parts: dict[str, Part] = {}
    if table is None:
        return parts
    for number, values in table.rows:
        row = _RowChecker(table.label, number, values, problems)
        name, uom, kind = row.text("part"), row.text("uom"), row.text("kind").lower()
        if kind and kind not in PART_KINDS:
            row.fail("kind", f"{kind!r} is not one of {', '.join(PART_KINDS)}")
        if name in parts:
            row.fail("part", f"part {name!r} is listed twice")
        if row.ok:
            parts[name] = Part(name, uom, _kind(kind), values.get("description", ""),
                               values.get("hs", ""), values.get("country_of_origin", "").upper())
    return parts


def _kind(text: str) -> PartKind:
    for kind in PART_KINDS:
        if kind == text:
            return kind
    raise ValueError(text)


def _conversions(table: Table, parts: dict[str, Part], problems: list[Problem]) -> tuple[UomConversion, ...]:
    rows = []
    for number, values in table.rows:
        row = _RowChecker(table.label, number, values, problems)
        from_uom, to_uom = row.text("from_uom"), row.text("to_uom")
        factor = row.parsed("factor", positive_decimal)
        part = row.text("part", required=False)
        if part and part not in parts:
            row.fail("part", f"unknown part {part!r} (not in parts.csv)")
        if row.ok and factor is not None:
            rows.append(UomConversion(from_uom, to_uom, factor, part))
    return tuple(rows)


def _quantity(row: _RowChecker, parts: dict[str, Part], units: UnitConverter, part: str,
              qty_column: str, parse: Callable[[str], Decimal]) -> tuple[Decimal | None, Decimal | None]:
    """(quantity in the part's base unit, quantity as written)."""
    given = row.parsed(qty_column, parse)
    uom = row.text("uom")
    if part not in parts or not uom:
        return None, given
    factor = units.factor(part, uom)
    if factor is None:
        row.fail("uom", f"no conversion from {uom!r} to {part!r}'s base unit {parts[part].uom!r}")
        return None, given
    return (None if given is None else given * factor), given


def _known_part(row: _RowChecker, column: str, parts: dict[str, Part]) -> str:
    name = row.text(column)
    if name and name not in parts:
        row.fail(column, f"unknown part {name!r} (not in parts.csv)")
    return name


@dataclass(frozen=True, slots=True)
class _LineFields:
    """The fields every import and export row shares, parsed and checked."""

    row: _RowChecker
    pedimento: str
    line: int
    item: str
    clave: str
    cleared_on: dt.date
    qty: Decimal
    given: Decimal | None
    unit_value_usd: Decimal | None
    directed: str = ""


def _line_rows(table: Table, item_column: str, parts: dict[str, Part], units: UnitConverter,
               problems: list[Problem], progress: Progress = QUIET) -> Iterable[_LineFields]:
    """Parse the columns of imports.csv / exports.csv; yield the rows with no problem.

    ``(pedimento, line, item)`` must be unique in the file.
    """
    seen: set[tuple[str, int, str]] = set()
    for number, values in counted(table.rows, progress):
        row = _RowChecker(table.label, number, values, problems)
        pedimento = row.parsed("pedimento", canonical_pedimento)
        line = row.parsed("line", parse_positive_int)
        clave = row.text("clave").upper()
        cleared_on = row.parsed("cleared_on", parse_iso_date)
        item = _known_part(row, item_column, parts)
        qty, given = _quantity(row, parts, units, item, "qty", positive_decimal)
        value = row.parsed("unit_value_usd", non_negative_decimal, required=False)
        directed = row.parsed("import_pedimento", canonical_pedimento, required=False) or ""
        key = (pedimento or "", line or 0, item)
        if row.ok and key in seen:
            row.fail(item_column, f"pedimento {pedimento} line {line} lists {item_column} {item!r} twice")
        seen.add(key)
        if row.ok and pedimento and line and cleared_on and qty is not None:
            yield _LineFields(row, pedimento, line, item, clave, cleared_on, qty, given, value, directed)


def _imports(table: Table, parts: dict[str, Part], units: UnitConverter,
             problems: list[Problem], progress: Progress = QUIET) -> tuple[ImportLine, ...]:
    return tuple(
        ImportLine(f.pedimento, f.line, f.item, f.clave, f.cleared_on, f.qty, f.row.values.get("uom", ""),
                   f.given, f.unit_value_usd, f.row.values.get("country_of_origin", "").upper(),
                   f.row.values.get("hs", ""), f.row.row)
        for f in _line_rows(table, "part", parts, units, problems, progress))


def _exports(table: Table, parts: dict[str, Part], units: UnitConverter,
             problems: list[Problem], progress: Progress = QUIET) -> tuple[ExportLine, ...]:
    return tuple(
        ExportLine(f.pedimento, f.line, f.item, f.clave, f.cleared_on, f.qty, f.row.values.get("uom", ""),
                   f.given, f.unit_value_usd, f.row.values.get("destination_country", "").upper(),
                   f.row.values.get("hs", ""), f.directed, f.row.row)
        for f in _line_rows(table, "product", parts, units, problems, progress))


def _boms(table: Table, parts: dict[str, Part], units: UnitConverter,
          problems: list[Problem]) -> dict[str, tuple[BomVersion, ...]]:
    grouped: dict[tuple[str, dt.date], list[tuple[int, dt.date | None, BomComponent]]] = defaultdict(list)
    for number, values in table.rows:
        row = _RowChecker(table.label, number, values, problems)
        product = _known_part(row, "product", parts)
        component = _known_part(row, "component", parts)
        qty_per, given = _quantity(row, parts, units, component, "qty_per", positive_decimal)
        valid_from = row.parsed("valid_from", parse_iso_date)
        valid_to = row.parsed("valid_to", parse_iso_date, required=False)
        merma = row.parsed("merma_pct", non_negative_decimal, required=False) or Decimal(0)
        desperdicio = row.parsed("desperdicio_pct", non_negative_decimal, required=False) or Decimal(0)
        if valid_from and valid_to and valid_to < valid_from:
            row.fail("valid_to", f"{valid_to} is before valid_from {valid_from}")
        if row.ok and valid_from and qty_per is not None:
            grouped[(product, valid_from)].append(
                (number, valid_to, BomComponent(component, qty_per, merma, desperdicio,
                                                values.get("uom", ""), given, number)))
    versions: dict[str, list[BomVersion]] = defaultdict(list)
    for (product, valid_from), rows in grouped.items():
        version = _one_version(table.label, product, valid_from, rows, problems)
        if version is not None:
            versions[product].append(version)
    for product, product_versions in versions.items():
        product_versions.sort(key=lambda v: v.valid_from)
        _check_overlaps(table.label, product, product_versions, grouped, problems)
    return {product: tuple(vs) for product, vs in versions.items()}


def _one_version(label: str, product: str, valid_from: dt.date,
                 rows: list[tuple[int, dt.date | None, BomComponent]],
                 problems: list[Problem]) -> BomVersion | None:
    ends = {valid_to for _, valid_to, _ in rows}
    if len(ends) > 1:
        problems.extend(Problem(label, number, "valid_to",
                                f"rows of {product!r} valid from {valid_from} disagree on valid_to")
                        for number, _, _ in rows)
        return None
    seen: set[str] = set()
    for number, _, component in rows:
        if component.component in seen:
            message = f"{component.component!r} appears twice in {product!r} from {valid_from}"
            problems.append(Problem(label, number, "component", message))
        seen.add(component.component)
    return BomVersion(product, valid_from, ends.pop(), tuple(c for _, _, c in rows))


def _check_overlaps(label: str, product: str, versions: list[BomVersion],
                    grouped: dict[tuple[str, dt.date], list[tuple[int, dt.date | None, BomComponent]]],
                    problems: list[Problem]) -> None:
    for before, after in itertools.pairwise(versions):
        if before.valid_to is None or before.valid_to >= after.valid_from:
            first_row = grouped[(product, after.valid_from)][0][0]
            problems.append(Problem(label, first_row, "valid_from",
                                    f"BOM version of {product!r} from {after.valid_from} overlaps "
                                    f"the version from {before.valid_from}"))


def _check_exports_explode(ledger: Ledger, exports: Table | None, bom: Table | None,
                           problems: list[Problem]) -> None:
    """Each export needs a BOM on its date or an import of itself; no BOM cycles."""
    imported = {line.part for line in ledger.imports}
    bom_rows = {(v.product, c.component): c.row for vs in ledger.boms.values() for v in vs
                for c in v.components}
    reported: set[tuple[str, ...]] = set()
    for export in ledger.exports:
        label = exports.label if exports else "exports.csv"
        if ledger.bom_on(export.product, export.cleared_on) is None and export.product not in imported:
            problems.append(Problem(label, export.row, "product",
                                    f"{export.product!r} has no BOM version valid on "
                                    f"{export.cleared_on} and is not in imports.csv"))
            continue
        try:
            explode(ledger, export.product, Decimal(1), export.cleared_on)
        except BomCycleError as cycle:
            if cycle.path in reported:
                continue
            reported.add(cycle.path)
            row = bom_rows.get((cycle.path[-2], cycle.path[-1]))
            problems.append(Problem(bom.label if bom else "bom.csv", row, "component",
                                    f"{cycle} (export {export.pedimento} line {export.line})"))
    if not reported:
        _check_unexported_cycles(ledger, bom.label if bom else "bom.csv", bom_rows, problems)


def _check_unexported_cycles(ledger: Ledger, label: str, bom_rows: dict[tuple[str, str], int],
                             problems: list[Problem]) -> None:
    """A cycle no export reaches yet is still an error."""
    cycle = find_bom_cycle(ledger.boms)
    if cycle is not None:
        edge_row = bom_rows.get((cycle.path[-2], cycle.path[-1]))
        problems.append(Problem(label, edge_row, "component", str(cycle)))


def find_bom_cycle(boms: Mapping[str, tuple[BomVersion, ...]]) -> BomCycleError | None:
    """The first BOM cycle on any date a version starts (the only dates the BOM graph changes)."""
    ledger = Ledger({}, (), (), boms)
    for day in sorted({v.valid_from for versions in boms.values() for v in versions}):
        for product in sorted(boms):
            if ledger.bom_on(product, day) is None:
                continue
            try:
                explode(ledger, product, Decimal(1), day)
            except BomCycleError as cycle:
                return cycle
    return None
