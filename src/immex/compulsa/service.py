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
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from immex.compulsa import drafts
from immex.compulsa import model as domain
from immex.compulsa.model import Conversion, Converter, Difference, LedgerRow, UnitNames
from immex.core.atomic import atomic_folder, output_error, write_bytes_atomic
from immex.core.fingerprint import files_fingerprint, lines_fingerprint
from immex.core.parse import normalize_country, normalize_hs
from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, counted
from immex.core.tables import Table, read_csv_table
from immex.datastage import read as ds
from immex.datastage.summary import is_anexo24_movement
from immex.ledger import read as ledger_read
from immex.ledger.model import ExportLine, ImportLine, Ledger
from immex.rules import anexo22 as catalogs

DIFFERENCES_CSV = "differences.csv"
ERRORS_CSV = "errors.csv"
REPORT_XLSX = "compulsa.xlsx"
REPORT_PDF = "compulsa.pdf"
UOM_OVERRIDE_CSV = "uom_apendice7.csv"
IMPORTS, EXPORTS, PARTS, CONVERSIONS = "imports.csv", "exports.csv", "parts.csv", "uom_conversions.csv"
REGULARIZATIONS = "regularizations.csv"
ANEXO22_CSV = "anexo22.csv"
COMPULSA_OUTPUTS = (DIFFERENCES_CSV, REPORT_XLSX, REPORT_PDF, ERRORS_CSV)
"""Every file ``compulsa`` writes in its output folder (a folder of only these may be swapped whole)."""
TO_LEDGER_OUTPUTS = (IMPORTS, EXPORTS, "regularizations.csv", "not_drafted.csv", ERRORS_CSV)
ANEXO22_OUTPUTS = (ANEXO22_CSV, ERRORS_CSV)


@contextmanager
def output_folder(output: Path, owned: Collection[str], last: str) -> Iterator[Path]:
    """A folder to write the command's files into; on success it becomes ``output`` whole.

    ``immex.core.atomic.atomic_folder``: a temporary sibling renamed into place,
    or, when ``output`` holds files of the user, the files replaced one by one
    with ``last`` removed first and put back last (a folder without it is visibly
    incomplete). Files of ``owned`` the new result lacks are removed (a stale
    ``errors.csv``). A file-system error (full disk, no permission) leaves
    ``output`` as it was and becomes an OutputError with one line for the user.
    """
    try:
        with atomic_folder(output, owned, last) as folder:
            yield folder
    except OSError as error:
        raise output_error(output, error) from error


def write_errors(output: Path, text: str) -> Path:
    """``output/errors.csv`` replaced whole or not at all; OutputError on a file-system error."""
    path = output / ERRORS_CSV
    try:
        write_bytes_atomic(path, text.encode("utf-8"))
    except OSError as error:
        raise output_error(path, error) from error
    return path


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


def load_stage(
    path: Path, progress: Progress = QUIET
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
            staging.add(
                label, number, "code", f"{code_text!r} is not a unit number of Anexo 22 Apéndice 7 (1-21)"
            )
            continue
        if not name:
            continue
        key, code = name.lower(), int(code_text)
        if key in overrides and overrides[key] != code:
            staging.add(
                label,
                number,
                "uom",
                f"unit {name!r} is mapped to {overrides[key]} at row {first[key]} and to {code}",
            )
            continue
        overrides.setdefault(key, code)
        first.setdefault(key, number)
    return overrides


COMPULSA_FILES = (PARTS, IMPORTS, EXPORTS, CONVERSIONS, REGULARIZATIONS)


def read_ledger_folder(source: Path) -> tuple[LedgerInput | None, list[Problem]]:
    """Stage and validate the compulsa's ledger folder (or XLSX workbook); nothing is stored.

    The ledger is read by :func:`immex.ledger.read.read_ledger`, exactly as the
    discharge reads it (``bom.csv`` is not read; ``parts.csv`` and
    ``uom_conversions.csv`` are optional); the compulsa adds its own checks:
    every unit is an Apéndice 7 unit (``uom_apendice7.csv`` may name them) and a
    pedimento is an import or an export, not both.
    """
    staged = ledger_read.read_ledger(
        source, required=(IMPORTS, EXPORTS), files=COMPULSA_FILES, lots_only=False
    )  # a clave that is no temporary import is a difference to report, not an input error
    if staged.problems or staged.ledger is None:
        return None, staged.problems
    staging = _Staging()
    overrides_table: Table | None = None
    if source.is_dir():
        paths, problems = ledger_read.source_files(source, (UOM_OVERRIDE_CSV,))
        staging.problems += problems
        if UOM_OVERRIDE_CSV in paths:
            try:
                overrides_table = read_csv_table(paths[UOM_OVERRIDE_CSV])
            except InputError as error:
                return None, error.problems
    else:
        overrides_table = ledger_read.load_tables(source, (UOM_OVERRIDE_CSV,))[0].get(UOM_OVERRIDE_CSV)
    units = UnitNames(catalogs.unit_names(), _unit_overrides(overrides_table, staging))
    if staging.problems:
        return None, staging.problems
    labels = {IMPORTS: IMPORTS, EXPORTS: EXPORTS, REGULARIZATIONS: REGULARIZATIONS}
    if source.is_file():
        labels = {name: f"{source.name}:{name.removesuffix('.csv')}" for name in labels}
    sources = list(staged.fingerprint_sources) + (
        [] if overrides_table is None or source.is_file() else [source / overrides_table.label]
    )
    return _ledger_input(
        staged.ledger, units, labels, f"folder {source.name}", files_fingerprint(sources), stored=False
    )


def ledger_input_from_store(ledger: Ledger, label: str) -> tuple[LedgerInput | None, list[Problem]]:
    """The stored ledger (``immex.ledger.service.load_ledger``) as compulsa rows.

    The stored lines keep the quantity and unit as written (``qty_given``, ``uom``);
    hs, country and unit names are normalized as for a folder, and a value that
    cannot be is a problem named after the stored table.
    """
    labels = {IMPORTS: IMPORTS, EXPORTS: EXPORTS, REGULARIZATIONS: REGULARIZATIONS}
    input_, problems = _ledger_input(ledger, UnitNames(catalogs.unit_names()), labels, label, "", stored=True)
    if input_ is not None:
        rows = (r for lines in input_.index.values() for partida in lines.values() for r in partida)
        input_.fingerprint = lines_fingerprint(
            f"{r.pedimento}|{r.line}|{r.item}|{r.qty}|{r.uom}|{r.cleared_on}"
            for r in sorted(rows, key=lambda r: (r.pedimento, r.line, r.item))
        )
    return input_, problems


def _ledger_input(
    ledger: Ledger, units: UnitNames, labels: dict[str, str], description: str, fingerprint: str, stored: bool
) -> tuple[LedgerInput | None, list[Problem]]:
    """The ledger's lines as compulsa rows, with the compulsa's own checks."""
    staging = _Staging()
    rows: list[LedgerRow] = []
    part_hs = {name: normalize_hs(p.hs) or "" for name, p in ledger.parts.items()}
    part_country = {name: normalize_country(p.country_of_origin) or "" for name, p in ledger.parts.items()}
    # Every line the Anexo 24 ledger holds: the non-discharging exports (A1, BM, BO) and the
    # A3 regularizations are pedimentos of the Data Stage too.
    lines: list[tuple[str, ImportLine | ExportLine]] = [(labels[IMPORTS], x) for x in ledger.imports]
    exports = sorted([*ledger.exports, *ledger.not_discharging], key=lambda e: e.row)
    lines += [(labels[EXPORTS], x) for x in exports]
    lines += [(labels[REGULARIZATIONS], x) for x in ledger.regularizations]
    for file, line in lines:
        # an A3 is a definitive import: its country is the part's origin, like an import's
        is_import = isinstance(line, ImportLine) or file == labels[REGULARIZATIONS]
        item = line.part if isinstance(line, ImportLine) else line.product
        country_text = line.country_of_origin if isinstance(line, ImportLine) else line.destination_country
        code = units.code(line.uom)
        if code is None:
            staging.add(
                file,
                line.row,
                "uom",
                f"stored unit {line.uom!r} is not an Apéndice 7 unit name"
                if stored
                else f"unit {line.uom!r} is neither in {UOM_OVERRIDE_CSV} nor in the "
                "Anexo 22 Apéndice 7 unit names",
            )
            continue
        hs = normalize_hs(line.hs)
        country = normalize_country(country_text)
        if hs is None or country is None:  # a folder's rows were checked by the schema: only stored ones
            column, value = ("hs", line.hs) if hs is None else ("country", country_text)
            staging.add(file, line.row, column, f"stored {column} {value!r} is not valid")
            continue
        hs = hs or part_hs.get(item, "")
        if is_import:
            country = country or part_country.get(item, "")
        qty = line.qty_given if line.qty_given is not None else line.qty
        rows.append(
            LedgerRow(
                line.pedimento,
                line.line,
                item,
                line.clave,
                line.cleared_on,
                qty,
                line.uom,
                code,
                line.unit_value_usd,
                country,
                hs,
            )
        )
    _pedimentos_on_both_sides(ledger, labels, stored, staging)
    conversions = [Conversion(c.from_uom, units.code(c.to_uom), c.factor, c.part) for c in ledger.conversions]
    if staging.problems:
        return None, staging.problems
    return LedgerInput(
        domain.index_rows(rows), len(rows), Converter(conversions), description, fingerprint
    ), []


def _pedimentos_on_both_sides(
    ledger: Ledger, labels: dict[str, str], stored: bool, staging: _Staging
) -> None:
    """A pedimento is an import or an export: one that is both is an input error (at its export rows)."""
    first_import: dict[str, int] = {}
    for line in ledger.imports:
        first_import.setdefault(line.pedimento, line.row)
    for export in sorted([*ledger.exports, *ledger.not_discharging], key=lambda e: e.row):
        row = first_import.get(export.pedimento)
        if row is None:
            continue
        message = (
            f"pedimento {export.pedimento} is stored both as an import and as an export"
            if stored
            else f"pedimento {export.pedimento} also occurs in {labels[IMPORTS]} (row {row}); "
            "a pedimento is an import or an export"
        )
        staging.add(labels[EXPORTS], export.row, "pedimento", message)


def load_stored_ledger(db_url: str, company: str) -> tuple[LedgerInput | None, list[Problem]]:
    """The stored ledger of ``company`` at ``db_url`` (the ledger store of ``immex.ledger.service``)."""
    from immex.ledger import service as ledger_service
    from immex.store.uow import UnitOfWork

    with UnitOfWork(db_url, company=company) as uow:
        session = uow.session
        try:
            company_id = ledger_service.company_id(session, company, create=False)
        except LookupError as exc:
            return None, [Problem("store", None, "company", str(exc))]
        ledger = ledger_service.load_ledger(session, company_id)
    return ledger_input_from_store(ledger, f"stored ledger of company {company}")


# --------------------------------------------------------------------------- scope

SCOPES = ("anexo24", "all")
"""``anexo24``: only the movements the Anexo 24 ledger holds; ``all``: every Data Stage pedimento."""


def anexo24_scope(ped: domain.StagePedimento) -> bool:
    return is_anexo24_movement(ped.clave, ped.fecha_pago)


def scope_predicate(scope: str) -> domain.InScope | None:
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r} is not one of {SCOPES}")
    return anexo24_scope if scope == "anexo24" else None


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
    scope: str = "anexo24"
    out_of_scope: tuple[tuple[str, int], ...] = ()
    """Data Stage pedimentos that are not Anexo 24 movements (and not in the ledger), by clave."""

    @property
    def out_of_scope_total(self) -> int:
        return sum(count for _, count in self.out_of_scope)


def _file_sha256(path: Path) -> str:
    """The file's plain SHA-256 (what ``sha256sum`` prints), for the reports' header."""
    if not path.is_file():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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


def _both_sides(
    datastage: Path,
    read_ledger: Callable[[], tuple[LedgerInput | None, list[Problem]]],
    progress: Progress = QUIET,
) -> tuple[tuple[StageData | None, list[Problem], list[Problem]], tuple[LedgerInput | None, list[Problem]]]:
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


def run_compulsa(
    datastage: Path,
    output: Path,
    input_dir: Path | None = None,
    db_url: str | None = None,
    company: str = "default",
    reports: bool = True,
    progress: Progress = QUIET,
    scope: str = "anexo24",
) -> CompulsaResult:
    """Compare, write ``differences.csv`` (and the XLSX/PDF reports); raise InputError on bad input.

    The folder is written whole or not at all (:func:`output_folder`; a disk or
    permission error is an OutputError). On invalid input no output file is
    written and stale outputs of an earlier run in ``output`` are removed, so a
    ``differences.csv`` there is always the result of the last run.
    ``progress``: the reader's bytes, then partidas compared and differences written.
    ``scope``: ``anexo24`` leaves out the Data Stage pedimentos that are no Anexo 24
    movement and that the ledger does not hold (counted in ``out_of_scope``), ``all``
    compares every one.
    """
    if (input_dir is None) == (db_url is None):
        raise ValueError("give exactly one of input_dir or db_url")
    in_scope = scope_predicate(scope)

    def read_ledger() -> tuple[LedgerInput | None, list[Problem]]:
        if input_dir is not None:
            return read_ledger_folder(input_dir)
        assert db_url is not None
        return load_stored_ledger(db_url, company)

    (stage, problems, warnings), (ledger, ledger_problems) = _both_sides(datastage, read_ledger, progress)
    problems += ledger_problems
    if problems or stage is None or ledger is None:
        _clear_outputs(output)
        raise InputError(problems)
    index = ledger.index
    progress.phase("comparing the partidas", total=stage.read.counts.get("551", 0), unit="partidas")
    stream = _CountingStream(counted(stage.partidas(), progress))
    differences = domain.compare(stage.pedimentos, stream, index, ledger.converter, stage.period, in_scope)
    left_out = domain.out_of_scope(stage.pedimentos, index, in_scope) if in_scope is not None else {}
    names = [DIFFERENCES_CSV, REPORT_XLSX, REPORT_PDF] if reports else [DIFFERENCES_CSV]
    # differences.csv goes last: in a folder updated file by file it vouches for the reports beside it.
    with output_folder(output, COMPULSA_OUTPUTS, last=DIFFERENCES_CSV) as folder:
        progress.phase(f"writing {DIFFERENCES_CSV}", total=len(differences), unit="rows")
        write_differences(counted(differences, progress), folder / DIFFERENCES_CSV)
        result = CompulsaResult(
            differences=tuple(differences),
            stage_pedimentos=len(stage.pedimentos),
            stage_partidas=stream.count,
            ledger_pedimentos=len(index),
            ledger_rows=ledger.row_count,
            period=stage.period,
            period_source="Resumen" if stage.resumen_period is not None else "Data Stage dates",
            datastage_name=datastage.name,
            datastage_sha256=_file_sha256(datastage),
            ledger_description=ledger.description,
            ledger_fingerprint=ledger.fingerprint,
            warnings=tuple(warnings),
            written=tuple(output / name for name in names),
            scope=scope,
            out_of_scope=tuple(left_out.items()),
        )
        if reports:
            _write_reports(result, folder, progress)
    return result


def _write_reports(result: CompulsaResult, folder: Path, progress: Progress) -> None:
    from immex.compulsa.pdf import write_compulsa_pdf
    from immex.compulsa.xlsx import write_compulsa_xlsx

    progress.phase(f"writing {REPORT_XLSX}")
    write_compulsa_xlsx(result, folder / REPORT_XLSX)
    progress.phase(f"writing {REPORT_PDF}")
    write_compulsa_pdf(result, folder / REPORT_PDF)


def _clear_outputs(output: Path) -> None:
    """Invalid input: no result of an earlier run may stay in ``output`` to be taken for this one's.

    The stale files go in one step (the folder swapped for an empty one, or
    ``differences.csv`` removed first when the folder holds files of the user).
    """
    if output.is_dir() and any((output / name).exists() for name in COMPULSA_OUTPUTS):
        with output_folder(output, COMPULSA_OUTPUTS, last=DIFFERENCES_CSV):
            pass


# --------------------------------------------------------------------------- to-ledger

TO_FILL_COLUMN = drafts.TO_FILL_COLUMN
DESCRIPTION_COLUMN = drafts.DESCRIPTION_COLUMN
NOT_DRAFTED = drafts.NOT_DRAFTED
TO_LEDGER_COLUMNS = drafts.COLUMNS
"""Columns of each file ``to-ledger`` writes (imports, exports, regularizations, not_drafted)."""


@dataclass(frozen=True, slots=True)
class ToLedgerResult:
    """What ``to_ledger`` wrote."""

    pedimentos: int
    imports: int
    exports: int
    already_in_ledger: int
    to_fill: int
    written: tuple[Path, ...]
    regularizations: int = 0
    not_drafted: int = 0
    """Rows of ``not_drafted.csv``: partidas the ledger reader would refuse, pedimentos out of scope."""
    out_of_scope: tuple[tuple[str, int], ...] = ()
    """Pedimentos whose clave is no Anexo 24 movement, by clave (listed in ``not_drafted.csv``)."""


@dataclass
class _DraftCounts:
    rows: dict[str, int] = field(default_factory=lambda: {f: 0 for f in TO_LEDGER_COLUMNS})
    out_of_scope: dict[str, int] = field(default_factory=dict)
    drafted: set[str] = field(default_factory=set)
    to_fill: int = 0


def write_drafts(
    stage: StageData,
    known: set[str],
    writers: dict[str, Callable[[list[str]], object]],
    progress: Progress = QUIET,
    ledger: dict[str, dict[int, tuple[LedgerRow, ...]]] | None = None,
) -> _DraftCounts:
    """Write ledger rows for the Data Stage pedimentos whose number is not in ``known``.

    Rows are streamed in Data Stage (551) order to ``writers[file]`` (see
    :mod:`immex.compulsa.drafts`); pedimentos out of scope and partidas the ledger
    reader would refuse go to ``writers[not_drafted.csv]``.
    """
    counts = _DraftCounts()
    wanted: dict[ds.PedimentoKey, ds.DsPedimento] = {}
    for ped in stage.pedimentos:
        if ped.number in known:
            continue
        if drafts.target_file(ped) is None:
            clave = ped.clave.strip().upper() or "(none)"
            counts.out_of_scope[clave] = counts.out_of_scope.get(clave, 0) + 1
            writers[NOT_DRAFTED](drafts.not_drafted_row(ped, None, drafts.out_of_scope_reason(ped)))
            counts.rows[NOT_DRAFTED] += 1
            continue
        wanted[ped.key] = ped
    descargos = (
        drafts.originals(stage.read)
        if any(drafts.target_file(p) == drafts.REGULARIZATIONS for p in wanted.values())
        else {}
    )
    desc_i = stage.read.index("551", "DescripcionMercancia")
    progress.phase("drafting ledger rows", total=stage.read.counts.get("551", 0), unit="partidas")
    for partida, line in counted(zip(stage.partidas(), stage.read.lines("551"), strict=True), progress):
        found = wanted.get(partida.key)
        if found is None:
            continue
        ped = found
        unit_value = domain.unit_value_for(partida.valor_dolares, partida.cantidad)
        row = drafts.drafts_of(
            ped,
            partida,
            line.values[desc_i],
            "" if unit_value is None else format(unit_value, "f"),
            descargos,
            ledger,
        )
        if row.not_drafted:
            writers[NOT_DRAFTED](drafts.not_drafted_row(ped, partida.secuencia, row.not_drafted))
            counts.rows[NOT_DRAFTED] += 1
            continue
        writers[row.file](list(row.cells))
        counts.rows[row.file] += 1
        counts.to_fill += row.fill_count
        counts.drafted.add(ped.number)
    return counts


def _text_out(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8", newline="")


def to_ledger(
    datastage: Path,
    output: Path,
    input_dir: Path | None = None,
    db_url: str | None = None,
    company: str = "default",
    progress: Progress = QUIET,
) -> ToLedgerResult:
    """Write the Data Stage pedimentos the ledger lacks as ledger rows to review and complete.

    With neither ``input_dir`` nor ``db_url`` every Data Stage pedimento is drafted.
    Only Anexo 24 movements are drafted, each into its file (``imports.csv``,
    ``exports.csv``, ``regularizations.csv``); the rest is listed in
    ``not_drafted.csv``. The ``part`` / ``product`` column is left empty (the Data
    Stage lists fracciones, not part numbers) and the ``to_fill`` column names what
    the user must fill before loading the rows. Rows follow the Data Stage's order.
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
    files = tuple(TO_LEDGER_COLUMNS)
    # imports.csv is removed first and put back last when the folder is updated file by file.
    with output_folder(output, TO_LEDGER_OUTPUTS, last=IMPORTS) as folder, ExitStack() as stack:
        writers = {
            name: csv.writer(stack.enter_context(_text_out(folder / name)), lineterminator="\n")
            for name in files
        }
        for name, writer in writers.items():
            writer.writerow(TO_LEDGER_COLUMNS[name])
        counts = write_drafts(
            stage,
            known,
            {f: w.writerow for f, w in writers.items()},
            progress,
            ledger.index if ledger is not None else None,
        )
    return ToLedgerResult(
        len(counts.drafted),
        counts.rows[IMPORTS],
        counts.rows[EXPORTS],
        len({p.number for p in stage.pedimentos} & known),
        counts.to_fill,
        tuple(output / name for name in files),
        regularizations=counts.rows[REGULARIZATIONS],
        not_drafted=counts.rows[NOT_DRAFTED],
        out_of_scope=tuple(sorted(counts.out_of_scope.items())),
    )


# --------------------------------------------------------------------------- Anexo 22 check


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
    from immex.duties.tariff_service import nomenclature_evidence, tariff_rows

    read = ds.read_zip(datastage, progress=progress)
    if not read.ok:
        raise InputError(read.problems)
    progress.phase("loading the tariff")
    rows = tariff_rows()
    tariff = anexo22.tariff_index(nomenclature_evidence(rows))  # only dates the data vouches for
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
    with (
        output_folder(output, ANEXO22_OUTPUTS, last=ANEXO22_CSV) as folder,
        (folder / ANEXO22_CSV).open("w", encoding="utf-8", newline="") as handle,
    ):
        write_problems(found, handle)
    return Anexo22Result(tuple(found), records, len(rows), output / ANEXO22_CSV)
