"""Use cases of the compulsa: reconcile the ledger with a Data Stage, and draft ledger rows from it.

``run_compulsa`` reads and validates the Data Stage ZIP (with the Data Stage
reader, exactly as ``immex datastage import`` does) and the ledger (a folder of
the discharge contract, or the stored ledger), compares them with
:func:`immex.compulsa.model.compare` and writes ``differences.csv`` plus the
XLSX and PDF reports for people. ``to_ledger`` writes the Data Stage pedimentos
the ledger lacks as ``imports.csv`` / ``exports.csv`` rows for review. Invalid
input raises :class:`~immex.core.problems.InputError` with every problem and
writes nothing but what the caller writes for errors.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import multiprocessing
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from immex.compulsa import model as domain
from immex.compulsa.model import Conversion, Converter, Difference, LedgerRow, UnitNames
from immex.core.pedimento import canonical_pedimento
from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, counted
from immex.core.tables import Table, read_csv_table
from immex.datastage import read as ds
from immex.ledger.model import PART_KINDS, ExportLine, ImportLine, Ledger
from immex.ledger.read import load_tables
from immex.rules import anexo22 as catalogs

DIFFERENCES_CSV = "differences.csv"
ERRORS_CSV = "errors.csv"
REPORT_XLSX = "compulsa.xlsx"
REPORT_PDF = "compulsa.pdf"
UOM_OVERRIDE_CSV = "uom_apendice7.csv"
IMPORTS, EXPORTS, PARTS, CONVERSIONS = "imports.csv", "exports.csv", "parts.csv", "uom_conversions.csv"
LEDGER_COLUMNS = {
    IMPORTS: ("pedimento", "line", "clave", "cleared_on", "part", "qty", "uom"),
    EXPORTS: ("pedimento", "line", "clave", "cleared_on", "product", "qty", "uom"),
    PARTS: ("part", "uom", "kind"),
    CONVERSIONS: ("from_uom", "to_uom", "factor"),
    UOM_OVERRIDE_CSV: ("uom", "code"),
}
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --------------------------------------------------------------------------- Data Stage side


@dataclass(frozen=True, slots=True)
class StageData:
    """A valid Data Stage: its pedimentos (501), period and reader for streaming the partidas."""

    read: ds.DataStageRead
    pedimentos: tuple[ds.DsPedimento, ...]
    period: tuple[dt.date, dt.date] | None
    resumen_period: tuple[dt.date, dt.date] | None

    def partidas(self) -> Iterator[ds.DsPartida]:
        return ds.partidas(self.read)


def _resumen_period(read: ds.DataStageRead) -> tuple[dt.date, dt.date] | None:
    starts, ends = [], []
    for record in read.records("Resumen"):
        start = ds.parse_datetime(record["Fecha_Inicial"])
        end = ds.parse_datetime(record["Fecha_Final"])
        if start is not None and end is not None:
            starts.append(start.date())
            ends.append(end.date())
    return (min(starts), max(ends)) if starts else None


def load_stage(path: Path, progress: Progress = QUIET
               ) -> tuple[StageData | None, list[Problem], list[Problem]]:
    """(data, problems, warnings): the Data Stage validated as ``datastage import`` does."""
    read = ds.read_zip(path, progress=progress)
    if not read.ok:
        return None, list(read.problems), list(read.warnings)
    problems = ds.duplicate_numbers(read)
    if problems:
        return None, problems, list(read.warnings)
    pedimentos = tuple(ds.pedimentos(read))
    resumen = _resumen_period(read)
    period = domain.stage_period(pedimentos, resumen)
    return StageData(read, pedimentos, period, resumen), [], list(read.warnings)


# --------------------------------------------------------------------------- ledger side


@dataclass
class LedgerInput:
    """The ledger as the compulsa compares it."""

    index: dict[str, dict[int, tuple[LedgerRow, ...]]]
    """Rows by pedimento, then partida (what :func:`immex.compulsa.model.compare` reads)."""
    row_count: int
    converter: Converter
    description: str
    fingerprint: str = ""


@dataclass
class _Staging:
    problems: list[Problem] = field(default_factory=list)

    def add(self, table: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(Problem(table, row, column, message))


def _cached(parse: Callable[[str], object]) -> Callable[[str], object]:
    memo: dict[str, object] = {}

    def run(text: str) -> object:
        try:
            return memo[text]
        except KeyError:
            try:
                value: object = parse(text)
            except ValueError as exc:
                value = exc
            if len(memo) < 200_000:
                memo[text] = value
            return value

    return run


def _parse_date(text: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date in YYYY-MM-DD form")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real calendar date") from None


def _decimal(text: str, what: str, positive: bool) -> Decimal:
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain decimal number")
    value = Decimal(text)
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{text!r} must be {'greater than' if positive else 'at least'} 0 ({what})")
    return value


def _unit_overrides(table: Table | None, staging: _Staging) -> dict[str, int]:
    overrides: dict[str, int] = {}
    if table is None:
        return overrides
    label = table.label
    first: dict[str, int] = {}
    for number, values in table.rows:
        name = values.get("uom", "").strip()
        code_text = values.get("code", "").strip()
        if not name:
            staging.add(label, number, "uom", "is empty")
        if not code_text:
            staging.add(label, number, "code", "is empty")
            continue
        if not code_text.isdigit() or catalogs.unidades().get(str(int(code_text))) is None:
            staging.add(label, number, "code",
                        f"{code_text!r} is not a unit number of Anexo 22 Apéndice 7 (1-21)")
            continue
        if not name:
            continue
        key, code = name.lower(), int(code_text)
        if key in overrides and overrides[key] != code:
            staging.add(label, number, "uom",
                        f"unit {name!r} is mapped to {overrides[key]} at row {first[key]} and to {code}")
            continue
        overrides.setdefault(key, code)
        first.setdefault(key, number)
    return overrides


@dataclass(frozen=True, slots=True)
class _Part:
    uom: str
    hs: str
    country: str


def _parts(table: Table, staging: _Staging) -> dict[str, _Part]:
    parts: dict[str, _Part] = {}
    for number, values in table.rows:
        ok = True
        name, uom, kind = (values.get(c, "").strip() for c in ("part", "uom", "kind"))
        for column, value in (("part", name), ("uom", uom), ("kind", kind)):
            if not value:
                staging.add(table.label, number, column, "is empty")
                ok = False
        if kind and kind.lower() not in PART_KINDS:
            staging.add(table.label, number, "kind", f"{kind!r} is not one of {', '.join(PART_KINDS)}")
            ok = False
        hs = domain.normalize_hs(values.get("hs", ""))
        if hs is None:
            staging.add(table.label, number, "hs",
                        f"{values.get('hs', '')!r} must be 6, 8 or 10 digits (dots and spaces allowed)")
            ok = False
        country = _country(values.get("country_of_origin", ""), table.label, number, "country_of_origin",
                           staging)
        if country is None:
            ok = False
        if name and name in parts:
            staging.add(table.label, number, "part", f"part {name!r} is listed twice")
            ok = False
        if ok:
            parts[name] = _Part(uom, hs or "", country or "")
    return parts


def _country(text: str, label: str, number: int, column: str, staging: _Staging) -> str | None:
    country = domain.normalize_country(text)
    if country is None:
        cleaned = text.strip()
        if len(cleaned) == 2:
            staging.add(label, number, column, f"{cleaned!r} is not an ISO 3166-1 alpha-2 country code")
        else:
            staging.add(label, number, column, f"{cleaned!r} must be a 2- or 3-letter country code")
    return country


def _conversions(table: Table | None, parts: dict[str, _Part] | None, units: UnitNames,
                 staging: _Staging) -> tuple[list[Conversion], dict[tuple[str, str, str], Decimal]]:
    """Rows for the compulsa (to_uom mapped to Apéndice 7) and raw factors for the base-unit check."""
    rows: list[Conversion] = []
    raw: dict[tuple[str, str, str], Decimal] = {}
    if table is None:
        return rows, raw
    for number, values in table.rows:
        ok = True
        from_uom, to_uom = values.get("from_uom", "").strip(), values.get("to_uom", "").strip()
        part = values.get("part", "").strip()
        for column, value in (("from_uom", from_uom), ("to_uom", to_uom)):
            if not value:
                staging.add(table.label, number, column, "is empty")
                ok = False
        factor: Decimal | None = None
        text = values.get("factor", "").strip()
        if not text:
            staging.add(table.label, number, "factor", "is empty")
            ok = False
        else:
            try:
                factor = _decimal(text, "factor", positive=True)
            except ValueError as exc:
                staging.add(table.label, number, "factor", str(exc))
                ok = False
        if part and parts is not None and part not in parts:
            staging.add(table.label, number, "part", f"unknown part {part!r} (not in parts.csv)")
            ok = False
        if ok and factor is not None:
            rows.append(Conversion(from_uom, units.code(to_uom), factor, part))
            raw.setdefault((part, from_uom, to_uom), factor)
    return rows, raw


@dataclass(frozen=True, slots=True)
class _Sheet:
    """A ledger table as positional rows: the fast path for million-row CSV files."""

    label: str
    header: tuple[str, ...]
    rows: Iterable[tuple[int, list[str]]]


def _sheet_of_table(table: Table) -> _Sheet:
    header = table.header
    return _Sheet(table.label, header,
                  ((number, [values.get(name, "") for name in header]) for number, values in table.rows))


def _csv_rows(path: Path, width: int) -> Iterator[tuple[int, list[str]]]:
    """Rows as ``read_csv_table`` sees them (stripped, padded, blank rows skipped), streamed."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            next(reader, None)
            for number, values in enumerate(reader, start=2):
                cleaned = [v.strip() for v in values]
                if not any(cleaned):
                    continue
                if len(cleaned) < width:
                    cleaned += [""] * (width - len(cleaned))
                yield number, cleaned
        except UnicodeDecodeError:
            raise _NotUtf8(path.name) from None


def _csv_sheet(path: Path) -> _Sheet:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = tuple(name.strip() for name in next(csv.reader(handle), []))
    return _Sheet(path.name, header, _csv_rows(path, len(header)))


def _ledger_rows(sheet: _Sheet, item_column: str, country_column: str, units: UnitNames,
                 parts: dict[str, _Part] | None, base_factors: dict[tuple[str, str, str], Decimal],
                 staging: _Staging, index: dict[str, dict[int, tuple[LedgerRow, ...]]],
                 first_seen: dict[str, tuple[str, int]]) -> int:
    """Validate one ledger table into ``index``; returns the rows added.

    ``first_seen`` (pedimento → (file, row)) spans both files: a pedimento of
    ``exports.csv`` already seen in ``imports.csv`` is an input error.
    """
    label = sheet.label
    position = {name: index for index, name in reversed(list(enumerate(sheet.header)))}
    i_ped, i_line, i_clave, i_date, i_item, i_qty, i_uom = (
        position[c] for c in ("pedimento", "line", "clave", "cleared_on", item_column, "qty", "uom"))
    i_value, i_hs, i_country = (position.get(c, -1) for c in ("unit_value_usd", "hs", country_column))
    pedimento_of = _cached(canonical_pedimento)
    date_of = _cached(_parse_date)
    hs_of = _cached(domain.normalize_hs)
    country_of = _cached(domain.normalize_country)
    decimals: dict[str, Decimal] = {}
    shared: dict[str, str] = {}  # one object per distinct clave, unit and part name
    added = 0
    add = staging.add
    is_import = item_column == "part"
    decimal_re = _DECIMAL.fullmatch
    for number, values in sheet.rows:
        ok = True
        ped_text = values[i_ped]
        pedimento = pedimento_of(ped_text)
        if not ped_text:
            add(label, number, "pedimento", "is empty")
            ok = False
        elif isinstance(pedimento, ValueError):
            add(label, number, "pedimento", str(pedimento))
            ok = False
        line_text = values[i_line]
        line = 0
        if line_text.isdigit() and line_text.isascii() and int(line_text) > 0:
            line = int(line_text)
        elif not line_text:
            add(label, number, "line", "is empty")
            ok = False
        else:
            add(label, number, "line", f"{line_text!r} is not a positive integer")
            ok = False
        clave = values[i_clave]
        if not clave:
            add(label, number, "clave", "is empty")
            ok = False
        date_text = values[i_date]
        cleared_on = date_of(date_text)
        if not date_text:
            add(label, number, "cleared_on", "is empty")
            ok = False
        elif isinstance(cleared_on, ValueError):
            add(label, number, "cleared_on", str(cleared_on))
            ok = False
        item = values[i_item]
        if not item:
            add(label, number, item_column, "is empty")
            ok = False
        elif parts is not None and item not in parts:
            add(label, number, item_column, f"unknown part {item!r} (not in parts.csv)")
            ok = False
        qty_text = values[i_qty]
        qty = decimals.get(qty_text)
        if qty is None or qty <= 0:
            qty = None
            if not qty_text:
                add(label, number, "qty", "is empty")
                ok = False
            else:
                try:
                    qty = _decimal(qty_text, "qty", positive=True)
                    if len(decimals) < 100_000:
                        decimals[qty_text] = qty
                except ValueError as exc:
                    add(label, number, "qty", str(exc))
                    ok = False
        uom = values[i_uom]
        code = units.code(uom) if uom else None
        if not uom:
            add(label, number, "uom", "is empty")
            ok = False
        elif code is None:
            add(label, number, "uom", f"unit {uom!r} is neither in {UOM_OVERRIDE_CSV} nor in the "
                                      "Anexo 22 Apéndice 7 unit names")
            ok = False
        elif parts is not None and item in parts:
            base = parts[item].uom
            if uom != base and (item, uom, base) not in base_factors and ("", uom, base) not in base_factors:
                add(label, number, "uom", f"no conversion from {uom!r} to {item!r}'s base unit {base!r}")
                ok = False
        value_text = values[i_value] if i_value >= 0 else ""
        value: Decimal | None = None
        if value_text:
            if decimal_re(value_text) and value_text[0] != "-":
                value = Decimal(value_text)
            else:
                try:
                    value = _decimal(value_text, "unit_value_usd", positive=False)
                except ValueError as exc:
                    add(label, number, "unit_value_usd", str(exc))
                    ok = False
        hs_text = values[i_hs] if i_hs >= 0 else ""
        hs = hs_of(hs_text) if hs_text else ""
        if hs is None:
            add(label, number, "hs", f"{hs_text!r} must be 6, 8 or 10 digits (dots and spaces allowed)")
            ok = False
        country_text = values[i_country] if i_country >= 0 else ""
        country = country_of(country_text) if country_text else ""
        if country is None:
            _country(country_text, label, number, country_column, staging)
            ok = False
        if isinstance(pedimento, str):
            first = first_seen.setdefault(pedimento, (label, number))
            if first[0] != label:
                add(label, number, "pedimento", f"pedimento {pedimento} also occurs in {first[0]} (row "
                                                f"{first[1]}); a pedimento is an import or an export")
                ok = False
        if not ok:
            continue
        assert isinstance(pedimento, str)
        lines = index.get(pedimento)
        if lines is None:
            lines = index[pedimento] = {}
        partida = lines.get(line, ())
        if partida and any(r.item == item for r in partida):
            add(label, number, item_column, f"pedimento {pedimento} line {line} lists {item_column} "
                                            f"{item!r} twice")
            continue
        assert isinstance(cleared_on, dt.date)
        assert qty is not None and code is not None and isinstance(hs, str) and isinstance(country, str)
        part = parts.get(item) if parts is not None else None
        if part is not None:
            hs = hs or part.hs
            if is_import:
                country = country or part.country
        row = LedgerRow(pedimento, line, shared.setdefault(item, item), shared.setdefault(clave, clave),
                        cleared_on, qty, shared.setdefault(uom, uom), code, value, country, hs)
        lines[line] = (*partida, row) if partida else (row,)
        added += 1
    return added


def _fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _ledger_tables(source: Path) -> tuple[dict[str, Table], dict[str, tuple[str, ...]], list[Problem]]:
    """The small tables read whole, and the headers of every table present.

    For a folder, ``imports.csv`` / ``exports.csv`` are not loaded here: they are
    streamed row by row later (they can hold millions of rows).
    """
    if source.is_dir():
        tables: dict[str, Table] = {}
        headers: dict[str, tuple[str, ...]] = {}
        for name in (IMPORTS, EXPORTS, PARTS, CONVERSIONS, UOM_OVERRIDE_CSV):
            path = source / name
            if not path.is_file():
                continue
            try:
                if name in (IMPORTS, EXPORTS):
                    headers[name] = _csv_sheet(path).header
                else:
                    tables[name] = read_csv_table(path)
                    headers[name] = tables[name].header
            except UnicodeDecodeError:
                raise _NotUtf8(name) from None
        return tables, headers, []
    tables, problems = load_tables(source)
    return tables, {name: table.header for name, table in tables.items()}, problems


class _NotUtf8(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def read_ledger_folder(source: Path) -> tuple[LedgerInput | None, list[Problem]]:
    """Stage and validate the compulsa's ledger folder (or XLSX workbook); nothing is stored."""
    try:
        return _read_ledger_folder(source)
    except _NotUtf8 as exc:
        return None, [Problem(exc.name, None, "", "is not UTF-8 text")]


def _read_ledger_folder(source: Path) -> tuple[LedgerInput | None, list[Problem]]:
    tables, headers, problems = _ledger_tables(source)
    if problems:
        return None, problems
    staging = _Staging()
    for name in (IMPORTS, EXPORTS):
        if name not in headers:
            staging.add(name, None, "", "required file is missing")
    for name, columns in LEDGER_COLUMNS.items():
        header = headers.get(name)
        if header is None:
            continue
        label = tables[name].label if name in tables else name
        for column in columns:
            if column not in header:
                staging.add(label, 1, column, "required column is missing")
    if staging.problems:
        return None, staging.problems
    units = UnitNames(catalogs.unit_names(), _unit_overrides(tables.get(UOM_OVERRIDE_CSV), staging))
    parts = _parts(tables[PARTS], staging) if PARTS in tables else None
    conversions, base_factors = _conversions(tables.get(CONVERSIONS), parts, units, staging)
    index: dict[str, dict[int, tuple[LedgerRow, ...]]] = {}
    first_seen: dict[str, tuple[str, int]] = {}
    count = 0
    for name, item_column, country_column in ((IMPORTS, "part", "country_of_origin"),
                                              (EXPORTS, "product", "destination_country")):
        sheet = _csv_sheet(source / name) if source.is_dir() else _sheet_of_table(tables[name])
        count += _ledger_rows(sheet, item_column, country_column, units, parts, base_factors, staging,
                              index, first_seen)
    if staging.problems:
        return None, staging.problems
    used = [source / n for n in headers] if source.is_dir() else [source]
    return LedgerInput(index, count, Converter(conversions), f"folder {source.name}", _fingerprint(used)), []


def ledger_input_from_store(ledger: Ledger, label: str) -> tuple[LedgerInput | None, list[Problem]]:
    """The stored ledger (``immex.ledger.service.load_ledger``) as compulsa rows.

    The stored lines keep the quantity and unit as written (``qty_given``, ``uom``);
    hs, country and unit names are normalized as for a folder, and a value that
    cannot be is a problem named after the stored table.
    """
    staging = _Staging()
    units = UnitNames(catalogs.unit_names())
    rows: list[LedgerRow] = []
    parts = {name: p for name, p in ledger.parts.items()}
    part_hs = {name: domain.normalize_hs(p.hs) or "" for name, p in parts.items()}
    part_country = {name: domain.normalize_country(p.country_of_origin) or "" for name, p in parts.items()}
    lines: list[tuple[str, ImportLine | ExportLine]] = [(IMPORTS, x) for x in ledger.imports]
    lines += [(EXPORTS, x) for x in ledger.exports]
    for file, line in lines:
        is_import = isinstance(line, ImportLine)
        item = line.part if isinstance(line, ImportLine) else line.product
        country_text = line.country_of_origin if isinstance(line, ImportLine) else line.destination_country
        qty = line.qty_given if line.qty_given is not None else line.qty
        code = units.code(line.uom)
        if code is None:
            staging.add(file, line.row, "uom", f"stored unit {line.uom!r} is not an Apéndice 7 unit name")
            continue
        hs = domain.normalize_hs(line.hs)
        if hs is None:
            staging.add(file, line.row, "hs", f"stored hs {line.hs!r} is not 6, 8 or 10 digits")
            continue
        country = domain.normalize_country(country_text)
        if country is None:
            staging.add(file, line.row, "country", f"stored country {country_text!r} is not valid")
            continue
        hs = hs or part_hs.get(item, "")
        if is_import:
            country = country or part_country.get(item, "")
        rows.append(LedgerRow(line.pedimento, line.line, item, line.clave, line.cleared_on,
                              qty, line.uom, code, line.unit_value_usd, country, hs))
    import_numbers = {line.pedimento for line in ledger.imports}
    for line in ledger.exports:
        if line.pedimento in import_numbers:
            staging.add(EXPORTS, line.row, "pedimento",
                        f"pedimento {line.pedimento} is stored both as an import and as an export")
    conversions = [Conversion(c.from_uom, units.code(c.to_uom), c.factor, c.part) for c in ledger.conversions]
    if staging.problems:
        return None, staging.problems
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: (r.pedimento, r.line, r.item)):
        digest.update(f"{row.pedimento}|{row.line}|{row.item}|{row.qty}|{row.uom}|{row.cleared_on}\n".encode())
    return LedgerInput(domain.index_rows(rows), len(rows), Converter(conversions), label,
                       digest.hexdigest()), []


def load_stored_ledger(db_url: str, company: str) -> tuple[LedgerInput | None, list[Problem]]:
    """The stored ledger of ``company`` at ``db_url`` (the ledger store of ``immex.ledger.service``)."""
    from sqlalchemy.orm import Session

    from immex.ledger import service as ledger_service
    from immex.store.db import open_database

    engine = open_database(db_url)
    try:
        with Session(engine) as session:
            try:
                company_id = ledger_service.company_id(session, company, create=False)
            except LookupError as exc:
                return None, [Problem("store", None, "company", str(exc))]
            ledger = ledger_service.load_ledger(session, company_id)
    finally:
        engine.dispose()
    return ledger_input_from_store(ledger, f"stored ledger of company {company}")


# --------------------------------------------------------------------------- use cases


@dataclass(frozen=True, slots=True)
class CompulsaResult:
    """What a compulsa run found and wrote."""

    differences: tuple[Difference, ...]
    stage_pedimentos: int
    stage_partidas: int
    ledger_pedimentos: int
    ledger_rows: int
    period: tuple[dt.date, dt.date] | None
    period_source: str
    datastage_name: str
    datastage_sha256: str
    ledger_description: str
    ledger_fingerprint: str
    warnings: tuple[Problem, ...]
    written: tuple[Path, ...]


def _file_sha256(path: Path) -> str:
    return _fingerprint([path]) if path.is_file() else ""


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        if path.is_file():
            path.unlink()


def write_differences(differences: Iterable[Difference], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(domain.HEADER)
        writer.writerows(d.as_row() for d in differences)


class _CountingStream:
    """Counts the partidas streamed through the comparison."""

    def __init__(self, items: Iterator[ds.DsPartida]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[ds.DsPartida]:
        for item in self.items:
            self.count += 1
            yield item


PARALLEL_MIN_ZIP_BYTES = 4 << 20
"""Validate the ZIP in a second process while the ledger is read, for ZIPs at least this big."""


def _both_sides(datastage: Path, read_ledger: Callable[[], tuple[LedgerInput | None, list[Problem]]],
                progress: Progress = QUIET
                ) -> tuple[tuple[StageData | None, list[Problem], list[Problem]],
                           tuple[LedgerInput | None, list[Problem]]]:
    """Load the Data Stage and the ledger; on a large ZIP, validate it in a child process meanwhile."""
    size = datastage.stat().st_size if datastage.is_file() else 0
    if size < PARALLEL_MIN_ZIP_BYTES or "fork" not in multiprocessing.get_all_start_methods():
        stage_side = load_stage(datastage, progress)
        progress.phase("reading the ledger")
        return stage_side, read_ledger()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        # The child cannot draw on our bars: one step of unknown size covers both sides.
        progress.phase(f"validating {datastage.name} (second process) and reading the ledger")
        stage_future = pool.submit(load_stage, datastage)
        ledger_side = read_ledger()
        return stage_future.result(), ledger_side


def run_compulsa(datastage: Path, output: Path, input_dir: Path | None = None, db_url: str | None = None,
                 company: str = "default", reports: bool = True,
                 progress: Progress = QUIET) -> CompulsaResult:
    """Compare, write ``differences.csv`` (and the XLSX/PDF reports); raise InputError on bad input.

    On invalid input no output file is written and stale outputs of an earlier
    run in ``output`` are removed, so a ``differences.csv`` there is always
    the result of the last run. ``progress``: the reader's bytes, then partidas compared
    and differences written.
    """
    if (input_dir is None) == (db_url is None):
        raise ValueError("give exactly one of input_dir or db_url")
    outputs = [output / DIFFERENCES_CSV, output / REPORT_XLSX, output / REPORT_PDF]

    def read_ledger() -> tuple[LedgerInput | None, list[Problem]]:
        if input_dir is not None:
            return read_ledger_folder(input_dir)
        assert db_url is not None
        return load_stored_ledger(db_url, company)

    (stage, problems, warnings), (ledger, ledger_problems) = _both_sides(datastage, read_ledger, progress)
    problems += ledger_problems
    if problems or stage is None or ledger is None:
        _remove(outputs)
        raise InputError(problems)
    index = ledger.index
    progress.phase("comparing the partidas", total=stage.read.counts.get("551", 0), unit="partidas")
    stream = _CountingStream(counted(stage.partidas(), progress))
    differences = domain.compare(stage.pedimentos, stream, index, ledger.converter, stage.period)
    output.mkdir(parents=True, exist_ok=True)
    _remove([output / ERRORS_CSV])
    progress.phase(f"writing {DIFFERENCES_CSV}", total=len(differences), unit="rows")
    write_differences(counted(differences, progress), output / DIFFERENCES_CSV)
    result = CompulsaResult(
        differences=tuple(differences), stage_pedimentos=len(stage.pedimentos),
        stage_partidas=stream.count, ledger_pedimentos=len(index), ledger_rows=ledger.row_count,
        period=stage.period,
        period_source="Resumen" if stage.resumen_period is not None else "Data Stage dates",
        datastage_name=datastage.name, datastage_sha256=_file_sha256(datastage),
        ledger_description=ledger.description, ledger_fingerprint=ledger.fingerprint,
        warnings=tuple(warnings), written=(output / DIFFERENCES_CSV,))
    if not reports:
        return result
    from immex.compulsa.pdf import write_compulsa_pdf
    from immex.compulsa.xlsx import write_compulsa_xlsx

    progress.phase(f"writing {REPORT_XLSX}")
    write_compulsa_xlsx(result, output / REPORT_XLSX)
    progress.phase(f"writing {REPORT_PDF}")
    write_compulsa_pdf(result, output / REPORT_PDF)
    return _with_written(result, tuple(outputs))


def _with_written(result: CompulsaResult, written: tuple[Path, ...]) -> CompulsaResult:
    from dataclasses import replace

    return replace(result, written=written)


# --------------------------------------------------------------------------- to-ledger

TO_FILL_COLUMN = "to_fill"
DESCRIPTION_COLUMN = "datastage_description"
TO_LEDGER_COLUMNS = {
    IMPORTS: ("pedimento", "line", "clave", "cleared_on", "part", "qty", "uom", "unit_value_usd",
              "country_of_origin", "hs", DESCRIPTION_COLUMN, TO_FILL_COLUMN),
    EXPORTS: ("pedimento", "line", "clave", "cleared_on", "product", "qty", "uom", "unit_value_usd",
              "destination_country", "hs", DESCRIPTION_COLUMN, TO_FILL_COLUMN),
}


@dataclass(frozen=True, slots=True)
class ToLedgerResult:
    """What ``to_ledger`` wrote."""

    pedimentos: int
    imports: int
    exports: int
    already_in_ledger: int
    to_fill: int
    written: tuple[Path, ...]


def write_drafts(stage: StageData, known: set[str], writers: dict[str, Callable[[list[str]], object]],
                 progress: Progress = QUIET) -> tuple[dict[str, int], int, int]:
    """Write ledger rows for the Data Stage pedimentos whose number is not in ``known``.

    Rows are streamed in Data Stage (551) order to ``writers[file]``. Returns
    (rows per file, pedimentos drafted, rows needing more than the part number).
    """
    wanted = {p.key: p for p in stage.pedimentos if p.number not in known}
    desc_i = stage.read.index("551", "DescripcionMercancia")
    counts = {IMPORTS: 0, EXPORTS: 0}
    extra_fixes = 0
    progress.phase("drafting ledger rows", total=stage.read.counts.get("551", 0), unit="partidas")
    for partida, line in counted(zip(stage.partidas(), stage.read.lines("551"), strict=True), progress):
        ped = wanted.get(partida.key)
        if ped is None:
            continue
        file = IMPORTS if ped.tipo_operacion == "1" else EXPORTS
        item_column = "part" if file == IMPORTS else "product"
        unit_value = domain.unit_value_for(partida.valor_dolares, partida.cantidad)
        fill = [item_column]
        if partida.cantidad == 0:
            fill.append("qty (0 in the Data Stage; the ledger needs a positive quantity)")
            extra_fixes += 1
        if ped.tipo_pedimento == "2":
            fill.append("check: rectification (TipoPedimento 2) kept as its own pedimento")
        writers[file]([
            ped.number, str(partida.secuencia), ped.clave, ped.fecha_pago.isoformat(), "",
            format(partida.cantidad, "f"), str(partida.unidad),
            "" if unit_value is None else format(unit_value, "f"), partida.pais, partida.hs,
            line.values[desc_i], "; ".join(fill)])
        counts[file] += 1
    return counts, len(wanted), extra_fixes


def to_ledger(datastage: Path, output: Path, input_dir: Path | None = None, db_url: str | None = None,
              company: str = "default", progress: Progress = QUIET) -> ToLedgerResult:
    """Write the Data Stage pedimentos the ledger lacks as ``imports.csv`` / ``exports.csv`` rows.

    With neither ``input_dir`` nor ``db_url`` every Data Stage pedimento is
    drafted. The ``part`` / ``product`` column is left empty: the Data Stage
    lists fracciones, not part numbers; the ``to_fill`` column names what the
    user must fill before loading the rows. Rows follow the Data Stage's order.
    """

    def read_ledger() -> tuple[LedgerInput | None, list[Problem]]:
        if input_dir is not None:
            return read_ledger_folder(input_dir)
        if db_url is not None:
            return load_stored_ledger(db_url, company)
        return None, []

    (stage, problems, _warnings), (ledger, ledger_problems) = _both_sides(datastage, read_ledger, progress)
    problems += ledger_problems
    if problems or stage is None:
        raise InputError(problems)
    known = set(ledger.index) if ledger is not None else set()
    output.mkdir(parents=True, exist_ok=True)
    paths = {file: output / file for file in TO_LEDGER_COLUMNS}
    with paths[IMPORTS].open("w", encoding="utf-8", newline="") as imports_file, \
            paths[EXPORTS].open("w", encoding="utf-8", newline="") as exports_file:
        writers = {IMPORTS: csv.writer(imports_file, lineterminator="\n"),
                   EXPORTS: csv.writer(exports_file, lineterminator="\n")}
        for file, writer in writers.items():
            writer.writerow(TO_LEDGER_COLUMNS[file])
        counts, drafted, extra = write_drafts(stage, known, {f: w.writerow for f, w in writers.items()},
                                              progress)
    return ToLedgerResult(drafted, counts[IMPORTS], counts[EXPORTS],
                          len({p.number for p in stage.pedimentos} & known),
                          counts[IMPORTS] + counts[EXPORTS] + extra, (paths[IMPORTS], paths[EXPORTS]))


# --------------------------------------------------------------------------- Anexo 22 check

ANEXO22_CSV = "anexo22.csv"


@dataclass(frozen=True, slots=True)
class Anexo22Result:
    problems: tuple[Problem, ...]
    records: int
    tariff_rows: int
    written: Path


def anexo22_check(datastage: Path, output: Path, progress: Progress = QUIET) -> Anexo22Result:
    """Check every Data Stage code against the Anexo 22 catalogs and the tariff; write ``anexo22.csv``.

    The findings are results (the Data Stage is the authority's record), not
    input errors; an unreadable or invalid ZIP raises InputError.
    """
    from immex.core import anexo22
    from immex.core.problems import write_problems
    from immex.duties.tariff_service import tariff_rows

    read = ds.read_zip(datastage, progress=progress)
    if not read.ok:
        raise InputError(read.problems)
    progress.phase("loading the tariff")
    rows = tariff_rows()
    tariff = anexo22.tariff_index((r.fraccion, r.nico, r.since, r.until) for r in rows)
    found: list[Problem] = []
    records = 0
    total = sum(read.counts.get(tipo, 0) for tipo in anexo22.RECORD_CHECKS if tipo in read.entries)
    progress.phase("checking codes", total=total, unit="records")
    for tipo in anexo22.RECORD_CHECKS:
        entry = read.entries.get(tipo)
        if entry is None:
            continue
        for record in counted(read.records(tipo), progress):
            records += 1
            for column, message in anexo22.check_record(tipo, record, tariff):
                found.append(Problem(entry.name, int(record["_row"]), column, message))
    output.mkdir(parents=True, exist_ok=True)
    path = output / ANEXO22_CSV
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_problems(found, handle)
    return Anexo22Result(tuple(found), records, len(rows), path)
