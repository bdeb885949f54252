"""Stage and validate the ledger input folder (the discharge contract's "Input folder").

``read_ledger(source)`` reads ``parts.csv``, ``imports.csv``, ``exports.csv``,
``bom.csv`` and ``uom_conversions.csv`` from a folder (or the sheets of the same
names in an ``.xlsx`` workbook), checks all of it and returns either a valid
:class:`~immex.ledger.model.Ledger` or every problem found, each naming the
file, row (header = row 1), column and reason. Cells are parsed by the table
declarations of :mod:`immex.ledger.schema`; this module adds the checks that
span rows and tables (known parts, unit conversions, duplicates, BOM versions,
cycles). Nothing here touches a store.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from immex.core.anexo22 import validate_clave, validate_pedimento_number
from immex.core.parse import canonical_pedimento, non_negative_decimal, parse_iso_date, positive_decimal
from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, counted
from immex.core.tables import Table, read_csv_table, read_workbook_tables
from immex.ledger.bom import BomCycleError, Explosions, bom_breakpoints, explode
from immex.ledger.claves import clave_class, import_clave_problem
from immex.ledger.model import (
    BomComponent,
    BomVersion,
    ExportLine,
    ImportLine,
    Ledger,
    Part,
    UomConversion,
)
from immex.ledger.schema import (
    BOM,
    DISCHARGE_FILES,
    EXPORTS,
    IMPORTS,
    LEDGER_TABLES,
    PARTS,
    REGULARIZATIONS,
    UOM_CONVERSIONS,
    ParsedRow,
    TableSchema,
    header_problems,
    parse_rows,
)

__all__ = [
    "COLUMNS",
    "DISCHARGE_FILES",
    "LedgerRead",
    "UnitConverter",
    "find_bom_cycle",
    "load_tables",
    "named_as_read",
    "non_discharging_warnings",
    "non_negative_decimal",
    "parse_iso_date",
    "pedimento_warnings",
    "positive_decimal",
    "read_ledger",
]

# (required columns, optional columns) of each file: what templates and docs list.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    name: (schema.required, tuple(c.name for c in schema.columns if not c.required))
    for name, schema in LEDGER_TABLES.items()
}


@dataclass
class LedgerRead:
    """The outcome of staging: a ledger when ``problems`` is empty."""

    ledger: Ledger | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    fingerprint_sources: tuple[Path, ...] = ()
    encodings: dict[str, str] = field(default_factory=dict)
    partial: Ledger | None = None
    """The rows read without a problem, also when other rows have one: the checks that need
    the discharge (an A3 asking more than its lot has left) run on it, so one pass lists them all."""
    unsure_parts: frozenset[str] | None = frozenset()
    """Parts some refused ``imports.csv`` row names (their lots are not all known); None: any
    part (a ``bom.csv`` row was refused, or an import row whose part cannot be read)."""
    labels: dict[str, str] = field(default_factory=dict)
    """What each table was called in the input (``Imports.csv``, ``book.xlsx:imports``)."""


def unit_key(uom: str) -> str:
    """Units are compared without regard to case: ``kg`` and ``KG`` are one unit."""
    return uom.strip().upper()


class UnitConverter:
    """Converts a quantity to its part's base unit: exact unit, part-specific row, then generic row."""

    def __init__(self, parts: Mapping[str, Part], conversions: Iterable[UomConversion]) -> None:
        self.parts = parts
        self.factors: dict[tuple[str, str, str], Decimal] = {}
        self._memo: dict[tuple[str, str], Decimal | None] = {}
        for row in conversions:
            self.factors.setdefault((row.part, unit_key(row.from_uom), unit_key(row.to_uom)), row.factor)

    def factor(self, part: str, uom: str) -> Decimal | None:
        key = (part, uom)
        if key not in self._memo:  # a million lines have a few thousand (part, unit) pairs
            base, unit = unit_key(self.parts[part].uom), unit_key(uom)
            found = Decimal(1) if unit == base else None
            self._memo[key] = found or self.factors.get(
                (part, unit, base), self.factors.get(("", unit, base))
            )
        return self._memo[key]


def source_files(source: Path, names: Iterable[str]) -> tuple[dict[str, Path], list[Problem]]:
    """The files of ``names`` in the folder, matched without regard to case (``Imports.csv`` too)."""
    wanted = {name.lower(): name for name in names}
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(source.iterdir()):
        name = wanted.get(path.name.lower())
        if name is None or not path.is_file():
            continue
        if name in found:
            message = f"{found[name].name} and {path.name} are both {name}: keep one"
            problems.append(Problem(path.name, None, "", message))
        found[name] = path
    return found, problems


def load_tables(source: Path, names: Iterable[str] = LEDGER_TABLES) -> tuple[dict[str, Table], list[Problem]]:
    """The tables present in a folder of CSV files or an XLSX workbook (problems if unreadable)."""
    names = tuple(names)
    try:
        if source.is_file() and source.suffix.lower() == ".xlsx":
            return read_workbook_tables(source, frozenset(names)), []
        if not source.is_dir():
            return {}, [
                Problem(str(source.name), None, "", "input is neither a folder nor an .xlsx workbook")
            ]
        paths, problems = source_files(source, names)
        tables: dict[str, Table] = {}
        for name, path in paths.items():
            try:
                tables[name] = read_csv_table(path)
            except InputError as error:
                problems += error.problems
        return tables, problems
    except InputError as error:
        return {}, error.problems


def _missing(source: Path, name: str) -> Problem:
    if source.suffix.lower() == ".xlsx":
        sheet = name.removesuffix(".csv")
        return Problem(source.name, None, "", f"required sheet {sheet!r} is missing")
    return Problem(name, None, "", "required file is missing")


def read_ledger(
    source: Path,
    required: Iterable[str] = DISCHARGE_FILES,
    progress: Progress = QUIET,
    files: Iterable[str] = LEDGER_TABLES,
    lots_only: bool = True,
) -> LedgerRead:
    """Stage and validate every ledger table found at ``source`` (``progress``: rows validated).

    ``files`` are the tables read (the compulsa does not read ``bom.csv``);
    ``required`` those that must be there. ``lots_only``: an ``imports.csv`` clave that is
    no temporary import is an input error (the discharge); the compulsa reads it as written,
    since a wrong clave in the ledger is one of the differences it reports.
    """
    progress.phase(f"reading {source.name}")
    tables, problems = load_tables(source, files)
    if problems:
        return LedgerRead(None, problems)
    problems += [_missing(source, name) for name in sorted(set(required) - tables.keys())]
    for name, table in tables.items():
        problems += header_problems(LEDGER_TABLES[name], table)
    labels = {name: table.label for name, table in tables.items()}
    if problems:
        return LedgerRead(None, problems, labels=labels)
    ledger, unsure = _validate(tables, problems, progress, lots_only)
    sources = tuple(sorted(source / t.label for t in tables.values())) if source.is_dir() else (source,)
    encodings = {name: table.encoding for name, table in sorted(tables.items())}
    progress.phase("checking pedimentos and claves against Anexo 22")
    warnings = [] if problems else anexo22_warnings(ledger, tables)
    if not problems:
        label = tables[EXPORTS.name].label if EXPORTS.name in tables else EXPORTS.name
        warnings += non_discharging_warnings((label, e.row, e.clave) for e in ledger.not_discharging)
    return LedgerRead(
        None if problems else ledger, problems, warnings, sources, encodings, ledger, unsure, labels
    )


def named_as_read(problems: Iterable[Problem], labels: Mapping[str, str]) -> list[Problem]:
    """``problems`` with each table's contract name (``regularizations.csv``) replaced by what
    the input called it (``book.xlsx:regularizations``): the discharge and the store name
    tables by their contract names, the user looks for their sheet."""
    return [dataclasses.replace(p, file=labels.get(p.file, p.file)) for p in problems]


def anexo22_warnings(ledger: Ledger, tables: Mapping[str, Table]) -> list[Problem]:
    """Pedimento numbers and claves that Anexo 22 does not know: reported, not refused.

    The discharge contract accepts any 15-digit number, so these never stop a run,
    but a broker would reject such a pedimento and an auditor will ask about it.
    """
    exports = sorted([*ledger.exports, *ledger.not_discharging], key=lambda e: e.row)  # as in the file
    lines: list[ImportLine | ExportLine] = [*ledger.imports, *exports]
    return pedimento_warnings(
        (
            tables["imports.csv" if isinstance(line, ImportLine) else "exports.csv"].label,
            line.row,
            line.pedimento,
            line.clave,
            line.cleared_on,
        )
        for line in lines
    )


def non_discharging_warnings(rows: Iterable[tuple[str, int, str]]) -> list[Problem]:
    """One warning per export line (file, row, clave) whose clave does not discharge (A1, BM, BO)."""
    return [
        Problem(
            label, row, "clave", f"clave {clave} does not discharge temporary imports: line not discharged"
        )
        for label, row, clave in rows
    ]


def pedimento_warnings(rows: Iterable[tuple[str, int, str, str, dt.date]]) -> list[Problem]:
    """Anexo 22 checks of (file, row, pedimento, clave, date) rows, once per pedimento and clave."""
    warnings: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for label, row, pedimento, clave, day in rows:
        if (pedimento, clave) in seen:
            continue
        seen.add((pedimento, clave))
        for column, message in (
            ("pedimento", validate_pedimento_number(pedimento)),
            ("clave", validate_clave(clave, day)),
        ):
            if message:
                warnings.append(Problem(label, row, column, message))
    return warnings


def _empty(schema: TableSchema) -> Table:
    return Table(schema.name, (), ())


def _validate(
    tables: dict[str, Table], problems: list[Problem], progress: Progress = QUIET, lots_only: bool = True
) -> tuple[Ledger, frozenset[str] | None]:
    """The ledger of the rows without a problem, and the parts it may lack lots of (see LedgerRead)."""
    progress.phase("validating the input", total=sum(len(t.rows) for t in tables.values()), unit="rows")
    parts = _parts(tables.get("parts.csv"), problems)
    conversions = _conversions(tables.get(UOM_CONVERSIONS.name, _empty(UOM_CONVERSIONS)), parts, problems)
    # parts, conversions and BOMs are small: counted at once; the lines are counted row by row
    progress.advance(sum(len(tables[n].rows) for n in ("parts.csv", "uom_conversions.csv") if n in tables))
    units = UnitConverter(parts or {}, conversions)
    refused: set[str] = set()
    imports_table = tables.get(IMPORTS.name, _empty(IMPORTS))
    imports = _imports(imports_table, parts, units, problems, progress, refused, lots_only)
    bom_problems = len(problems)
    boms = _boms(tables.get(BOM.name, _empty(BOM)), parts or {}, units, problems)
    progress.advance(len(tables["bom.csv"].rows) if "bom.csv" in tables else 0)
    exports_table = tables.get(EXPORTS.name, _empty(EXPORTS))
    exports = _exports(exports_table, parts, units, problems, progress)
    exports, held = classify_exports(exports, exports_table.label, problems)
    unread = _refused_lines(imports_table, problems)
    regularizations = _regularizations(
        tables.get(REGULARIZATIONS.name), parts, units, imports, problems, unread
    )
    ledger = Ledger(parts or {}, imports, exports, boms, conversions, regularizations, held)
    if BOM.name in tables:
        check_assets(ledger, tables[BOM.name].label, problems)
        progress.phase("exploding every export through its BOM")
        _check_exports_explode(ledger, tables.get(EXPORTS.name), tables[BOM.name], problems)
    bom_label = tables[BOM.name].label if BOM.name in tables else BOM.name
    bom_refused = any(p.file == bom_label for p in problems[bom_problems:])
    return ledger, None if bom_refused or "" in refused else frozenset(refused)


def _parts(table: Table | None, problems: list[Problem]) -> dict[str, Part] | None:
    """The parts by name; None when there is no parts table (the compulsa may go without)."""
    if table is None:
        return None
    parts: dict[str, Part] = {}
    for row in parse_rows(PARTS, table, problems):
        name = row.values["part"]
        if name is not None and name in parts:
            problems.append(Problem(table.label, row.row, "part", f"part {name!r} is listed twice"))
            continue
        if row.ok:
            parts[name] = Part(
                name,
                row.values["uom"],
                row.values["kind"],
                row.text.get("description", ""),
                row.text.get("hs", ""),
                row.values["country_of_origin"] or "",
            )
    return parts


def _known(
    row: ParsedRow, column: str, parts: Mapping[str, Part] | None, label: str, problems: list[Problem]
) -> bool:
    name = row.values[column]
    if parts is not None and name is not None and name not in parts:
        problems.append(Problem(label, row.row, column, f"unknown part {name!r} (not in parts.csv)"))
        return False
    return True


def _conversions(
    table: Table, parts: Mapping[str, Part] | None, problems: list[Problem]
) -> tuple[UomConversion, ...]:
    rows = []
    for row in parse_rows(UOM_CONVERSIONS, table, problems):
        part = row.values["part"] or ""
        known = not part or _known(row, "part", parts, table.label, problems)
        if row.ok and known:
            rows.append(
                UomConversion(row.values["from_uom"], row.values["to_uom"], row.values["factor"], part)
            )
    return tuple(rows)


def _base_quantity(
    row: ParsedRow,
    label: str,
    parts: Mapping[str, Part] | None,
    units: UnitConverter,
    item: str | None,
    qty_column: str,
    problems: list[Problem],
) -> Decimal | None:
    """The quantity in its part's base unit (as written when there is no parts table)."""
    given: Decimal | None = row.values[qty_column]
    uom = row.values["uom"]
    if parts is None:
        return given
    if item is None or item not in parts or uom is None:
        return None
    factor = units.factor(item, uom)
    if factor is None:
        base = parts[item].uom
        message = f"no conversion from {uom!r} to {item!r}'s base unit {base!r} (units ignore case)"
        problems.append(Problem(label, row.row, "uom", message))
        return None
    return None if given is None else given * factor


def _lines(
    schema: TableSchema,
    table: Table,
    item_column: str,
    parts: Mapping[str, Part] | None,
    units: UnitConverter,
    problems: list[Problem],
    progress: Progress,
    refused: set[str] | None = None,
) -> Iterable[tuple[ParsedRow, Decimal]]:
    """The rows of imports.csv / exports.csv with no problem, with their base quantity.

    ``(pedimento, line, item)`` must be unique in the file. ``refused`` collects the
    item (as written) of each row left out.
    """
    seen: set[tuple[str, int, str]] = set()
    label = table.label
    for row in counted(parse_rows(schema, table, problems), progress):
        values = row.values
        known = _known(row, item_column, parts, label, problems)
        qty = _base_quantity(row, label, parts, units, values[item_column], "qty", problems)
        if not (row.ok and known and qty is not None):
            if refused is not None:
                refused.add(row.text.get(item_column, "").strip())
            continue
        key = (values["pedimento"], values["line"], values[item_column])
        if key in seen:
            message = f"pedimento {key[0]} line {key[1]} lists {item_column} {key[2]!r} twice"
            problems.append(Problem(label, row.row, item_column, message))
            if refused is not None:
                refused.add(key[2])
            continue
        seen.add(key)
        yield row, qty


def _import_line(row: ParsedRow, qty: Decimal) -> ImportLine:
    v = row.values
    return ImportLine(
        v["pedimento"],
        v["line"],
        v["part"],
        v["clave"],
        v["cleared_on"],
        qty,
        v["uom"],
        v["qty"],
        v["unit_value_usd"],
        v["country_of_origin"] or "",
        row.text.get("hs", ""),  # kept as written; the schema checked it is 6, 8 or 10 digits
        row.row,
    )


def _export_line(row: ParsedRow, qty: Decimal) -> ExportLine:
    v = row.values
    return ExportLine(
        v["pedimento"],
        v["line"],
        v["product"],
        v["clave"],
        v["cleared_on"],
        qty,
        v["uom"],
        v["qty"],
        v["unit_value_usd"],
        v["destination_country"] or "",
        row.text.get("hs", ""),
        v["import_pedimento"] or "",
        row.row,
    )


def _imports(
    table: Table,
    parts: Mapping[str, Part] | None,
    units: UnitConverter,
    problems: list[Problem],
    progress: Progress = QUIET,
    refused: set[str] | None = None,
    lots_only: bool = True,
) -> tuple[ImportLine, ...]:
    lots = []
    for row, qty in _lines(IMPORTS, table, "part", parts, units, problems, progress, refused):
        line = _import_line(row, qty)
        message = import_clave_problem(line.clave, line.cleared_on) if lots_only else None
        if message is None:
            lots.append(line)
            continue
        problems.append(Problem(table.label, row.row, "clave", message))
        if refused is not None:
            refused.add(line.part)
    return tuple(lots)


def _exports(
    table: Table,
    parts: Mapping[str, Part] | None,
    units: UnitConverter,
    problems: list[Problem],
    progress: Progress = QUIET,
) -> tuple[ExportLine, ...]:
    lines = _lines(EXPORTS, table, "product", parts, units, problems, progress)
    return tuple(_export_line(row, qty) for row, qty in lines)


def classify_exports(
    exports: Iterable[ExportLine], label: str, problems: list[Problem]
) -> tuple[tuple[ExportLine, ...], tuple[ExportLine, ...]]:
    """(lines that discharge, lines whose clave does not); a clave of no outgoing class is a problem.

    The classes are rule data (:mod:`immex.ledger.claves`), looked up on each line's date.
    """
    discharging: list[ExportLine] = []
    held: list[ExportLine] = []
    for export in exports:
        kind = clave_class(export.clave, export.cleared_on)
        if kind in ("return", "change_of_regime"):
            discharging.append(export)
        elif kind == "not_discharging":
            held.append(export)
        else:
            problems.append(Problem(label, export.row, "clave", _clave_message(export.clave, kind)))
    return tuple(discharging), tuple(held)


def _clave_message(clave: str, kind: str | None) -> str:
    if kind == "regularization":
        return f"clave {clave} is a regularization: list the line in regularizations.csv"
    what = "a temporary-import clave" if kind == "import" else "not a clave the ledger knows on that date"
    return (
        f"clave {clave} is {what}: an export line needs a return (RT, H1, V1, V5 ...), "
        "change-of-regime (F4, F5) or not-discharging (A1, BM, BO) clave"
    )


def _refused_lines(table: Table, problems: Iterable[Problem]) -> set[tuple[str, int]]:
    """(pedimento, line) of each imports.csv row refused with a problem, where both can be read."""
    rows = {p.row for p in problems if p.file == table.label}
    found = set()
    for number, cells in table.rows:
        if number in rows:
            try:
                found.add((canonical_pedimento(cells.get("pedimento", "")), int(cells.get("line", ""))))
            except ValueError:
                continue  # that row's own problems say what is wrong with it
    return found


def _regularizations(
    table: Table | None,
    parts: Mapping[str, Part] | None,
    units: UnitConverter,
    imports: Iterable[ImportLine],
    problems: list[Problem],
    unread: Collection[tuple[str, int]] = (),
) -> tuple[ExportLine, ...]:
    """regularizations.csv: A3 lines, each naming an import line of its part cleared on or before it.

    Whether the line still has the quantity on that day depends on the discharge
    before it: the discharge checks that (:func:`immex.discharge.methods.discharge`).
    """
    if table is None:
        return ()
    lots = {lot.key: lot for lot in imports}
    parts_of: dict[tuple[str, int], set[str]] = defaultdict(set)
    for pedimento, line, part in lots:
        parts_of[(pedimento, line)].add(part)
    found = []
    for row, qty in _lines(REGULARIZATIONS, table, "part", parts, units, problems, QUIET):
        v = row.values
        regularization = ExportLine(
            v["pedimento"], v["line"], v["part"], v["clave"], v["cleared_on"], qty, v["uom"], v["qty"],
            import_pedimento=v["import_pedimento"], row=row.row, import_line=v["import_line"],
        )  # fmt: skip
        problem = _regularization_problem(regularization, lots, parts_of)
        if problem is not None and (regularization.import_pedimento, regularization.import_line) in unread:
            continue  # its lot's row was refused: that row's problem is listed; the A3 is checked once fixed
        if problem is not None:
            problems.append(Problem(table.label, row.row, *problem))
            continue
        found.append(regularization)
    return tuple(found)


def _regularization_problem(
    line: ExportLine,
    lots: Mapping[tuple[str, int, str], ImportLine],
    parts_of: Mapping[tuple[str, int], set[str]],
) -> tuple[str, str] | None:
    """(column, message) of what is wrong with one A3 line, or None."""
    kind = clave_class(line.clave, line.cleared_on)
    if kind != "regularization":
        return "clave", f"clave {line.clave} is not a regularization clave (A3)"
    named = f"import pedimento {line.import_pedimento} line {line.import_line}"
    carried = parts_of.get((line.import_pedimento, line.import_line or 0))
    if not carried:
        return "import_line", f"{named} is not in imports.csv"
    lot = lots.get(line.lot_key)
    if lot is None:
        listed = ", ".join(repr(p) for p in sorted(carried))
        return "part", f"{named} carries {listed}, not {line.product!r}"
    if line.cleared_on < lot.cleared_on:
        return "cleared_on", f"{line.cleared_on} is before {named} cleared ({lot.cleared_on})"
    return None


def check_assets(ledger: Ledger, label: str, problems: list[Problem]) -> None:
    """A fixed asset (kind ``asset``) has no BOM of its own and is never a component: only returned as is."""
    kind = {name: part.kind for name, part in ledger.parts.items()}
    for product, versions in sorted(ledger.boms.items()):
        for version in versions:
            if kind.get(product) == "asset":
                message = f"{product!r} is a fixed asset (kind asset): it has no BOM, it is returned as is"
                problems.append(Problem(label, version.components[0].row or None, "product", message))
            for component in version.components:
                if kind.get(component.component) == "asset":
                    message = f"{component.component!r} is a fixed asset (kind asset): never a BOM component"
                    problems.append(Problem(label, component.row or None, "component", message))


_VersionRows = list[tuple[int, dt.date | None, BomComponent]]


def _boms(
    table: Table, parts: Mapping[str, Part], units: UnitConverter, problems: list[Problem]
) -> dict[str, tuple[BomVersion, ...]]:
    grouped: dict[tuple[str, dt.date], _VersionRows] = defaultdict(list)
    label = table.label
    for row in parse_rows(BOM, table, problems):
        v = row.values
        known = _known(row, "product", parts, label, problems) & _known(
            row, "component", parts, label, problems
        )
        qty_per = _base_quantity(row, label, parts, units, v["component"], "qty_per", problems)
        valid_from, valid_to = v["valid_from"], v["valid_to"]
        if valid_from and valid_to and valid_to < valid_from:
            problems.append(
                Problem(label, row.row, "valid_to", f"{valid_to} is before valid_from {valid_from}")
            )
            continue
        if row.ok and known and qty_per is not None:
            component = BomComponent(
                v["component"],
                qty_per,
                v["merma_pct"] or Decimal(0),
                v["desperdicio_pct"] or Decimal(0),
                v["uom"],
                v["qty_per"],
                row.row,
            )
            grouped[(v["product"], valid_from)].append((row.row, valid_to, component))
    versions: dict[str, list[BomVersion]] = defaultdict(list)
    for (product, valid_from), rows in grouped.items():
        version = _one_version(label, product, valid_from, rows, problems)
        if version is not None:
            versions[product].append(version)
    for product, product_versions in versions.items():
        product_versions.sort(key=lambda v: v.valid_from)
        _check_overlaps(label, product, product_versions, grouped, problems)
    return {product: tuple(vs) for product, vs in versions.items()}


def _one_version(
    label: str, product: str, valid_from: dt.date, rows: _VersionRows, problems: list[Problem]
) -> BomVersion | None:
    ends = {valid_to for _, valid_to, _ in rows}
    if len(ends) > 1:
        problems.extend(
            Problem(
                label, number, "valid_to", f"rows of {product!r} valid from {valid_from} disagree on valid_to"
            )
            for number, _, _ in rows
        )
        return None
    seen: set[str] = set()
    for number, _, component in rows:
        if component.component in seen:
            message = f"{component.component!r} appears twice in {product!r} from {valid_from}"
            problems.append(Problem(label, number, "component", message))
        seen.add(component.component)
    return BomVersion(product, valid_from, ends.pop(), tuple(c for _, _, c in rows))


def _check_overlaps(
    label: str,
    product: str,
    versions: list[BomVersion],
    grouped: dict[tuple[str, dt.date], _VersionRows],
    problems: list[Problem],
) -> None:
    for before, after in itertools.pairwise(versions):
        if before.valid_to is None or before.valid_to >= after.valid_from:
            first_row = grouped[(product, after.valid_from)][0][0]
            problems.append(
                Problem(
                    label,
                    first_row,
                    "valid_from",
                    f"BOM version of {product!r} from {after.valid_from} overlaps "
                    f"the version from {before.valid_from}",
                )
            )


def _check_exports_explode(
    ledger: Ledger, exports: Table | None, bom: Table, problems: list[Problem]
) -> None:
    """Each export needs a BOM on its date or an import of itself; no BOM cycles.

    Explosion depends only on the product and the BOM period of the date, so
    each (product, period) is exploded once, not each export line.
    """
    imported = {line.part for line in ledger.imports}
    bom_rows = {
        (v.product, c.component): c.row for vs in ledger.boms.values() for v in vs for c in v.components
    }
    periods = bom_breakpoints(ledger.boms)
    checked: set[tuple[str, int]] = set()
    reported: set[tuple[str, ...]] = set()
    label = exports.label if exports else "exports.csv"
    for export in ledger.exports:
        if ledger.bom_on(export.product, export.cleared_on) is None and export.product not in imported:
            problems.append(
                Problem(
                    label,
                    export.row,
                    "product",
                    f"{export.product!r} has no BOM version valid on "
                    f"{export.cleared_on} and is not in imports.csv",
                )
            )
            continue
        key = (export.product, bisect.bisect_right(periods, export.cleared_on))
        if key in checked:
            continue
        checked.add(key)
        try:
            explode(ledger, export.product, Decimal(1), export.cleared_on)
        except BomCycleError as cycle:
            if cycle.path in reported:
                continue
            reported.add(cycle.path)
            row = bom_rows.get((cycle.path[-2], cycle.path[-1]))
            problems.append(
                Problem(
                    bom.label, row, "component", f"{cycle} (export {export.pedimento} line {export.line})"
                )
            )
    if not reported:
        _check_unexported_cycles(ledger, bom.label, bom_rows, problems)


def _check_unexported_cycles(
    ledger: Ledger, label: str, bom_rows: dict[tuple[str, str], int], problems: list[Problem]
) -> None:
    """A cycle no export reaches yet is still an error."""
    cycle = find_bom_cycle(ledger.boms)
    if cycle is not None:
        edge_row = bom_rows.get((cycle.path[-2], cycle.path[-1]))
        problems.append(Problem(label, edge_row, "component", str(cycle)))


def find_bom_cycle(boms: Mapping[str, tuple[BomVersion, ...]]) -> BomCycleError | None:
    """The first BOM cycle on any date a version starts (the only dates the BOM graph changes)."""
    explosions = Explosions(boms)  # each (item, BOM period) once: a finished item reaches no cycle
    for day in sorted({v.valid_from for versions in boms.values() for v in versions}):
        for product in sorted(boms):
            if explosions.ledger.bom_on(product, day) is None:
                continue
            try:
                explosions.per_unit(product, day)
            except BomCycleError as cycle:
                return cycle
    return None
