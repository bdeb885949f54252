"""The contract's input folder as Polars columns, validated without one Python object per row.

:func:`read_ledger_frames` is the fast reader of the batch path. It accepts a
folder only when it can prove the folder valid with the checks of
:func:`immex.ledger.read.read_ledger` (the exact per-row validation),
re-done column by column: every cell through the same table declarations
(:func:`immex.ledger.schema.column_accepts`: required files, columns and
values, pedimentos, partidas, dates, decimals, kinds, hs, countries); known
parts; unit conversion of every quantity; duplicate parts, import keys and export keys; BOM rows (valid_to
before valid_from, versions disagreeing on valid_to, a component twice,
overlapping versions); every export has a BOM version on its date or an import
of itself; no BOM cycle. Some checks are stricter than the per-row reader
(ASCII digits only, at most 12 decimals, numbers that fit int64).

When anything fails it returns ``None`` and the caller runs ``read_ledger``,
which lists every problem with file, row and column: the fast reader never
reports problems itself, so the messages stay the same on both paths.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from immex.core.numbers import to_fixed
from immex.core.parse import non_negative_decimal, parse_iso_date, positive_decimal
from immex.core.problems import InputError
from immex.core.tables import (
    BYTE_ORDER_MARKS,
    check_header_width,
    detect_encoding,
    header_width,
    last_line_may_be_cut,
    sniff_delimiter,
)
from immex.ledger.anexo22_frames import may_warn
from immex.ledger.bom import BomCycleError, Explosions, bom_breakpoints
from immex.ledger.claves import clave_class, is_temporary_import
from immex.ledger.model import PART_KINDS, BomComponent, BomVersion, Part, UomConversion
from immex.ledger.read import UnitConverter, source_files
from immex.ledger.schema import DISCHARGE_FILES, LEDGER_TABLES, REGULARIZATIONS, TableSchema, column_accepts

_MAX_PLACES = 12
_MAX_DIGITS = 18  # integer digits + decimals of one written quantity (fits int64)
_MAX_FACTOR_DIGITS = 10  # so that quantity x factor stays within the 28 digits ``read_ledger`` computes


@dataclass(frozen=True)
class LedgerFrames:
    """A valid ledger as columns; quantities are fixed-point integers in the part's base unit.

    ``imports``: pedimento (15 digits), line (Int64), part, cleared_on (Date),
    qty (Int64, ``qty / 10**imports_scale`` base units); ``exports`` the same
    with ``product`` and ``import_pedimento`` (the pedimento a directed discharge
    takes from, 15 digits, or ""); ``parts``: part, kind; ``boms`` as in the domain ledger;
    ``sources``: the input files read (for the input fingerprint);
    ``encodings``: the encoding each file was read in.
    """

    parts: pl.DataFrame
    imports: pl.DataFrame
    exports: pl.DataFrame
    boms: Mapping[str, tuple[BomVersion, ...]]
    imports_scale: int
    exports_scale: int
    sources: tuple[Path, ...] = ()
    encodings: Mapping[str, str] = field(default_factory=dict)
    pedimento_rows: tuple[tuple[str, int, str, str, dt.date], ...] = ()
    not_discharging: tuple[tuple[str, int, str], ...] = ()
    """(file, row, clave) of each export line whose clave does not discharge: filtered out of ``exports``."""
    exploded: Mapping[tuple[str, int], Mapping[str, Decimal]] = field(default_factory=dict)
    """Per-unit leaf needs by (product, BOM period of :func:`export_periods`), as the reader's check
    exploded them: the discharge reuses them instead of exploding each product again."""
    """(file, row, pedimento, clave, date): the first row of each distinct pedimento and clave that
    the Anexo 22 checks may warn about (``anexo22_frames.may_warn``; the others pass)."""


EPOCH = dt.date(1970, 1, 1)  # Polars dates are days since this day
ROW = "__row"  # the row number in the file (header = 1), for the Anexo 22 warnings


class _Invalid(Exception):
    """Something the fast reader cannot prove valid: use the per-row reader."""


def read_ledger_frames(folder: Path, batch_rows: int | None = None) -> LedgerFrames | None:
    """The folder's ledger as columns, or None: then use ``read_ledger`` (it reports the problems).

    With ``batch_rows``, imports.csv and exports.csv (when plain UTF-8) are read and checked
    ``batch_rows`` rows at a time (a Polars streaming scan), so the reader holds one batch of
    text and the checked columns, never the whole files' text: the same frames, bounded work.
    """
    if not folder.is_dir():
        return None
    try:
        return _read(folder) if batch_rows is None else _read_streamed(folder, batch_rows)
    except (_Invalid, pl.exceptions.PolarsError, ValueError, OverflowError):
        return None


def _table(path: Path, schema: TableSchema) -> tuple[pl.DataFrame, str]:
    """All columns as stripped text, missing = empty, blank rows dropped (as ``read_csv_table``).

    The encoding and delimiter are detected as :func:`immex.core.tables.read_csv_table`
    does; a file it would refuse is not accepted here either.
    """
    try:
        check_header_width(path.name, path)
        data = path.read_bytes()
        encoding = detect_encoding(path.name, data)
    except InputError as error:
        raise _Invalid(str(error)) from None
    if encoding != "utf-8":
        data = data.decode(encoding).encode("utf-8")
    delimiter = sniff_delimiter(data.split(b"\n", 1)[0].decode("utf-8"))
    _require(not any(mark in data for mark in _MARKS), f"{path.name}: a byte order mark inside")
    frame = pl.read_csv(
        io.BytesIO(data), infer_schema=False, truncate_ragged_lines=True, separator=delimiter, quote_char='"'
    )
    header = next(csv.reader(io.StringIO(data.split(b"\n", 1)[0].decode("utf-8")), delimiter=delimiter), [])
    _require(not _may_end_mid_row(data, delimiter, header), f"{path.name}: the last row may be cut short")
    known = [name.strip() for name in header if name.strip() in {c.name for c in schema.columns}]
    if len(set(known)) != len(known):  # Polars would rename the second one silently
        raise _Invalid(f"{path.name}: a column name appears twice")
    names = [name.strip() for name in frame.columns]
    if len(set(names)) != len(names):
        raise _Invalid(f"{path.name}: a column name appears twice")
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    frame = frame.with_columns(pl.all().fill_null("").str.strip_chars())
    if frame.width:
        cells = frame.columns
        frame = frame.with_row_index(ROW, offset=2).filter(pl.any_horizontal(pl.col(cells) != ""))
    return frame, "utf-8" if encoding == "utf-8-sig" else encoding


_MARKS = tuple(mark.encode() for mark in BYTE_ORDER_MARKS)  # as they stand in UTF-8 text
_TAIL_BYTES = 1 << 16


def _may_end_mid_row(data: bytes, delimiter: str, header: list[str]) -> bool:
    """The text ends without a line break and its last line may be a row cut short: the per-row
    reader decides (:func:`immex.core.tables.refuse_cut_row`)."""
    if not data or data.endswith((b"\n", b"\r")):
        return False
    start = data.rfind(b"\n") + 1
    if len(data) - start > _TAIL_BYTES:
        return True
    last_line = data[start:].decode("utf-8", errors="replace")
    return last_line_may_be_cut(last_line, delimiter, header_width(header))


def _require(ok: pl.Series | bool, what: str) -> None:
    value = ok if isinstance(ok, bool) else bool(ok.fill_null(False).all())
    if not value:
        raise _Invalid(what)


def _read(folder: Path) -> LedgerFrames:
    paths, problems = source_files(folder, LEDGER_TABLES)
    _require(not problems, "two files stand for one table")
    tables: dict[str, pl.DataFrame] = {}
    encodings: dict[str, str] = {}
    for name, path in paths.items():
        tables[name], encodings[name] = _table(path, LEDGER_TABLES[name])
    _require(tables.keys() >= DISCHARGE_FILES, "a required file is missing")
    _require(
        REGULARIZATIONS.name not in tables, "regularizations.csv: A3 lines are read by the per-row reader"
    )
    for name, frame in tables.items():
        _require(column_accepts(LEDGER_TABLES[name], frame), f"{name}: a column or a cell is refused")
    parts = _parts(tables["parts.csv"])
    units = UnitConverter(parts, _conversions(tables.get("uom_conversions.csv"), parts))
    imports, imports_scale = _import_rows(tables["imports.csv"], parts, units)
    exports, exports_scale, held = _export_rows(tables["exports.csv"], parts, units)
    exports = exports.filter(~held)
    boms = _boms(tables["bom.csv"], parts, units)
    _require(not _asset_in_bom(boms, parts), "bom.csv: a fixed asset in a BOM")
    exploded = _check_exports_explode(exports, set(imports["part"].unique().to_list()), boms)
    frame = pl.DataFrame(
        {"part": list(parts), "kind": [p.kind for p in parts.values()]},
        schema={"part": pl.String, "kind": pl.String},
    )
    pedimentos = _pedimento_rows(paths["imports.csv"].name, tables["imports.csv"])
    pedimentos += _pedimento_rows(paths["exports.csv"].name, tables["exports.csv"])
    held_rows = tables["exports.csv"].filter(held).select(pl.col(ROW).cast(pl.Int64), pl.col("clave"))
    label = paths["exports.csv"].name
    return LedgerFrames(
        frame,
        imports,
        exports,
        boms,
        imports_scale,
        exports_scale,
        tuple(sorted(paths.values())),
        dict(sorted(encodings.items())),
        pedimentos,
        tuple((label, row, clave.upper()) for row, clave in held_rows.iter_rows()),
        exploded,
    )


def _import_rows(
    table: pl.DataFrame, parts: Mapping[str, Part], units: UnitConverter, batched: bool = False
) -> tuple[pl.DataFrame, int]:
    """imports.csv's rows (a whole file or, ``batched``, one batch of it) checked and in base units."""
    _require(_all_lots(table), "imports.csv: a clave that is no temporary import")
    return _lines(table, "part", parts, units, batched)


def _export_rows(
    table: pl.DataFrame, parts: Mapping[str, Part], units: UnitConverter, batched: bool = False
) -> tuple[pl.DataFrame, int, pl.Series]:
    """exports.csv's rows (a whole file or, ``batched``, one batch of it) checked and in base units,
    and which of them do not discharge (A1, BM, BO)."""
    exports, scale = _lines(table, "product", parts, units, batched)
    return exports, scale, _not_discharging(table)


def _all_lots(table: pl.DataFrame) -> bool:
    """Every import row's clave is a temporary import on its date (else the per-row reader says why)."""
    keyed = table.select(
        clave=pl.col("clave").str.to_uppercase(), day=pl.col("cleared_on").str.to_date("%Y-%m-%d")
    )
    return all(is_temporary_import(clave, day) for clave, day in keyed.unique().iter_rows())


def _not_discharging(table: pl.DataFrame) -> pl.Series:
    """True for each export row whose clave does not discharge (A1, BM, BO); any clave of no
    outgoing class (unknown, an import or A3 clave) is left to the per-row reader to report."""
    keyed = table.select(
        clave=pl.col("clave").str.to_uppercase(), day=pl.col("cleared_on").str.to_date("%Y-%m-%d")
    )
    pairs = keyed.unique(maintain_order=True)  # a few (clave, day) pairs for many rows
    kinds = [clave_class(clave, day) for clave, day in pairs.iter_rows()]
    allowed = ("return", "change_of_regime", "not_discharging")
    _require(all(kind in allowed for kind in kinds), "exports.csv: a clave of no outgoing class")
    held = pairs.filter(pl.Series([kind == "not_discharging" for kind in kinds], dtype=pl.Boolean))
    marked = keyed.join(
        held.with_columns(held=pl.lit(True)), on=["clave", "day"], how="left", maintain_order="left"
    )
    return marked["held"].fill_null(False)


def _asset_in_bom(boms: Mapping[str, tuple[BomVersion, ...]], parts: Mapping[str, Part]) -> bool:
    """A fixed asset as a BOM's product or component (the per-row reader says which row)."""
    assets = {name for name, part in parts.items() if part.kind == "asset"}
    return any(
        product in assets or any(c.component in assets for c in version.components)
        for product, versions in boms.items()
        for version in versions
    )


def _first_of_pairs(table: pl.DataFrame) -> pl.DataFrame:
    """The first row of each (pedimento, clave): row, pedimento, clave, date."""
    return table.select(
        pl.col(ROW).cast(pl.Int64),
        pl.col("pedimento").str.replace_all(" ", ""),
        pl.col("clave").str.to_uppercase(),
        pl.col("cleared_on").str.to_date("%Y-%m-%d"),
    ).unique(subset=["pedimento", "clave"], keep="first", maintain_order=True)


def _pedimento_rows(label: str, table: pl.DataFrame) -> tuple[tuple[str, int, str, str, dt.date], ...]:
    """The first row of each (pedimento, clave): what the Anexo 22 warnings look at."""
    return _warnable(label, _first_of_pairs(table))


def _warnable(label: str, distinct: pl.DataFrame) -> tuple[tuple[str, int, str, str, dt.date], ...]:
    distinct = may_warn(distinct)  # the rows that pass give no warning: not handed to Python
    return tuple((label, row, ped, clave, day) for row, ped, clave, day in distinct.iter_rows())


def _parts(table: pl.DataFrame) -> dict[str, Part]:
    kinds = pl.col("kind").str.to_lowercase()
    _require(table["part"].n_unique() == table.height, "parts.csv: a part is listed twice")
    parts: dict[str, Part] = {}
    for part, uom, kind in table.select("part", "uom", kinds).iter_rows():
        parts[part] = Part(part, uom, next(k for k in PART_KINDS if k == kind))
    return parts


def _conversions(table: pl.DataFrame | None, parts: Mapping[str, Part]) -> list[UomConversion]:
    rows: list[UomConversion] = []
    if table is None:
        return rows
    has_part = "part" in table.columns
    for values in table.iter_rows(named=True):
        part = values["part"] if has_part else ""
        _require(not part or part in parts, "uom_conversions.csv: an unknown part")
        factor = positive_decimal(values["factor"])
        rows.append(UomConversion(values["from_uom"], values["to_uom"], factor, part))
    return rows


def _largest(column: pl.Series) -> int:
    value: Any = column.max()
    return int(value or 0)


def _fixed(column: pl.Series) -> tuple[pl.Series, int]:
    """Plain positive decimal strings as Int64 at the scale of the longest fraction written."""
    whole = column.str.strip_prefix("+")
    parts = whole.str.split_exact(".", 1).struct.rename_fields(["int", "frac"]).struct.unnest()
    frac = parts["frac"].fill_null("")
    scale = _largest(frac.str.len_chars())
    digits = _largest(parts["int"].str.len_chars())
    _require(scale <= _MAX_PLACES and digits + scale <= _MAX_DIGITS, "a quantity too long for int64")
    integer = parts["int"].replace("", "0").cast(pl.Int64)
    fraction = frac.str.pad_end(scale, "0").replace("", "0").cast(pl.Int64)
    return integer * 10**scale + fraction, scale


def _lines(
    table: pl.DataFrame, item: str, parts: Mapping[str, Part], units: UnitConverter, batched: bool = False
) -> tuple[pl.DataFrame, int]:
    """imports.csv (item ``part``) or exports.csv (item ``product``) checked and in base units.

    ``batched``: a (pedimento, line, item) twice is left to the sink of the batches, which checks
    every batch's keys together (:class:`LineSink`; here too, it cost 0.15 s CPU a 500,000-row batch)."""
    name = "imports.csv" if item == "part" else "exports.csv"
    # every cell was accepted by the schema (``column_accepts``); what is left spans rows
    _require(table.select(pl.col(item).is_in(list(parts))).to_series(), f"{name}: an unknown part")
    frame = table.select(
        pl.col("pedimento").str.replace_all(" ", ""),
        pl.col("line").cast(pl.Int64),
        pl.col(item),
        pl.col("cleared_on").str.to_date("%Y-%m-%d", strict=False),
        pl.col("uom"),
        pl.col("qty"),
        *_named_pedimento(table, item),
    )
    _require(
        frame.select((pl.col("line") > 0) & (pl.col("cleared_on").dt.year() >= 1)).to_series(),
        f"{name}: a partida is not positive or a date is not a real calendar date",
    )
    _require(
        batched or frame.select(pl.struct("pedimento", "line", item).is_unique()).to_series(),
        f"{name}: a (pedimento, line, {item}) appears twice",
    )
    qty, scale = _fixed(frame["qty"])
    _require(qty > 0, f"{name}: a quantity is not positive")
    frame = frame.with_columns(qty=qty)
    pairs = frame.select(item, "uom").unique()
    factors = {}
    for part, uom in pairs.iter_rows():
        factor = units.factor(part, uom)
        _require(factor is not None, f"{name}: no unit conversion for {part!r} from {uom!r}")
        assert factor is not None
        factors[(part, uom)] = factor
    if any(f != 1 for f in factors.values()):
        frame, scale = _convert(frame, item, factors, scale)
    return frame.drop("uom"), scale


def _named_pedimento(table: pl.DataFrame, item: str) -> list[pl.Expr]:
    """exports.csv: the import pedimento a line names for the directed discharge ("" when none)."""
    if item != "product":
        return []
    if "import_pedimento" not in table.columns:
        return [pl.lit("", dtype=pl.String).alias("import_pedimento")]
    return [pl.col("import_pedimento").str.replace_all(" ", "")]


def _convert(
    frame: pl.DataFrame, item: str, factors: Mapping[tuple[str, str], Decimal], scale: int
) -> tuple[pl.DataFrame, int]:
    """Quantities times their unit factor, still exact integers (at a larger scale).

    A written quantity has at most 18 digits and a factor at most 10, so every
    product is below 10**28: Int64 when the largest fits, else Int128 (exact in
    both; the discharge picks its own width from the values).
    """
    keys = list(factors)
    _require(all(len(factors[k].as_tuple().digits) <= _MAX_FACTOR_DIGITS for k in keys), "a long factor")
    ints, factor_scale = to_fixed([factors[k] for k in keys])
    table = pl.DataFrame(
        {item: [k[0] for k in keys], "uom": [k[1] for k in keys], "factor": ints},
        schema={item: pl.String, "uom": pl.String, "factor": pl.Int128},
    )
    joined = frame.join(table, on=[item, "uom"], how="left", maintain_order="left")
    qty = joined["qty"].cast(pl.Int128) * joined["factor"]
    largest = _largest(qty)
    if largest < 2**62:
        qty = qty.cast(pl.Int64)
    return joined.with_columns(qty=qty).drop("factor"), scale + factor_scale


def _boms(
    table: pl.DataFrame, parts: Mapping[str, Part], units: UnitConverter
) -> dict[str, tuple[BomVersion, ...]]:
    """bom.csv is small: checked row by row with the per-row reader's parsers."""
    grouped: dict[tuple[str, dt.date], list[tuple[dt.date | None, BomComponent]]] = defaultdict(list)
    for values in table.iter_rows(named=True):
        product, component, uom = values["product"], values["component"], values["uom"]
        _require(product in parts and component in parts, "bom.csv: unknown part")
        given = positive_decimal(values["qty_per"])
        factor = units.factor(component, uom)
        _require(factor is not None, "bom.csv: no unit conversion")
        assert factor is not None
        valid_from = parse_iso_date(values["valid_from"])
        valid_to = parse_iso_date(values["valid_to"]) if values.get("valid_to") else None
        merma = non_negative_decimal(values["merma_pct"]) if values.get("merma_pct") else Decimal(0)
        desperdicio = (
            non_negative_decimal(values["desperdicio_pct"]) if values.get("desperdicio_pct") else Decimal(0)
        )
        _require(valid_to is None or valid_to >= valid_from, "bom.csv: valid_to before valid_from")
        grouped[(product, valid_from)].append(
            (valid_to, BomComponent(component, given * factor, merma, desperdicio, uom, given))
        )
    versions: dict[str, list[BomVersion]] = defaultdict(list)
    for (product, valid_from), rows in grouped.items():
        ends = {valid_to for valid_to, _ in rows}
        names = [c.component for _, c in rows]
        _require(len(ends) == 1 and len(set(names)) == len(names), "bom.csv: a version is inconsistent")
        versions[product].append(BomVersion(product, valid_from, ends.pop(), tuple(c for _, c in rows)))
    for product_versions in versions.values():
        product_versions.sort(key=lambda v: v.valid_from)
        for before, after in itertools.pairwise(product_versions):
            _require(
                before.valid_to is not None and before.valid_to < after.valid_from,
                "bom.csv: overlapping versions",
            )
    return {product: tuple(vs) for product, vs in versions.items()}


def _check_exports_explode(
    exports: pl.DataFrame, imported: set[str], boms: Mapping[str, tuple[BomVersion, ...]]
) -> dict[tuple[str, int], dict[str, Decimal]]:
    """Each export has a BOM on its date or an import of itself; no BOM cycle (once per BOM period).

    Returns the per-unit explosion of each (product, period) checked.
    """
    explosions = Explosions(boms)  # subassemblies exploded once for every product above them
    keyed = exports.select("product", "cleared_on", period=export_periods(exports["cleared_on"], boms))
    exploded: dict[tuple[str, int], dict[str, Decimal]] = {}
    for product, day, period in keyed.unique(subset=["product", "period"]).iter_rows():
        _require(
            explosions.ledger.bom_on(product, day) is not None or product in imported,
            "exports.csv: a product has no BOM on its date and no import",
        )
        try:
            exploded[(product, period)] = explosions.per_unit(product, day)
        except BomCycleError as cycle:
            raise _Invalid(str(cycle)) from None
    return exploded


def export_periods(days: pl.Series, boms: Mapping[str, tuple[BomVersion, ...]]) -> npt.NDArray[np.int64]:
    """Index of the BOM period of each date (every product's BOM is fixed within one period)."""
    breaks = np.array([(b - EPOCH).days for b in bom_breakpoints(boms)], dtype=np.int64)
    return np.searchsorted(breaks, days.to_physical().to_numpy().astype(np.int64), side="right")


# ---- the streamed reader (``batch_rows``): the big files a batch at a time ----------------------

_LINE_FILES = ("imports.csv", "exports.csv")
_PROBE_BYTES = 1 << 24  # the UTF-8 check reads the file in pieces of this size


def _read_streamed(folder: Path, batch_rows: int) -> LedgerFrames:
    """:func:`_read` with imports.csv and exports.csv checked ``batch_rows`` rows at a time.

    Every check of :func:`_read` that looks at one row at a time runs per batch (the same
    functions); what spans rows runs on the checked columns: a (pedimento, line, item) twice
    (not-discharging export lines included), the quantities brought to one fixed-point scale,
    the first row of each (pedimento, clave) for the Anexo 22 warnings.
    """
    imports, exports = _Stack("part"), _Stack("product")
    read = stream_line_files(folder, batch_rows, imports, exports)
    import_frame, imports_scale = imports.whole()
    export_frame, exports_scale = exports.whole()
    return LedgerFrames(
        read.parts,
        import_frame,
        export_frame,
        read.boms,
        imports_scale,
        exports_scale,
        read.sources,
        read.encodings,
        read.pedimento_rows,
        read.not_discharging,
    )


class LineSink(Protocol):
    """Where :func:`stream_line_files` puts the checked batches of one line file."""

    def begin(self, parts: Collection[str]) -> None:
        """Called once before the first batch, with the part names of parts.csv."""

    def add(
        self, frame: pl.DataFrame, scale: int, firsts: pl.DataFrame, dropped: pl.DataFrame | None = None
    ) -> None:
        """Take a checked batch; the sink refuses (:class:`_Invalid`, by the end) a (pedimento,
        line, item) of ``frame`` or ``dropped`` twice in the whole file, within a batch too."""

    def pedimento_rows(self, label: str) -> tuple[tuple[str, int, str, str, dt.date], ...]: ...


@dataclass(frozen=True)
class StreamedRead:
    """What :func:`stream_line_files` checked besides the line files' rows (which its sinks hold)."""

    parts: pl.DataFrame
    boms: Mapping[str, tuple[BomVersion, ...]]
    sources: tuple[Path, ...]
    encodings: dict[str, str]
    pedimento_rows: tuple[tuple[str, int, str, str, dt.date], ...]
    not_discharging: tuple[tuple[str, int, str], ...]


def stream_line_files(folder: Path, batch_rows: int, imports: LineSink, exports: LineSink) -> StreamedRead:
    """Check the folder with imports.csv and exports.csv read ``batch_rows`` rows at a time, each
    checked batch handed to its sink (which also checks what spans batches: keys twice, scales).

    Raises :class:`_Invalid` for anything the per-row reader must report."""
    paths, problems = source_files(folder, LEDGER_TABLES)
    _require(not problems, "two files stand for one table")
    _require(paths.keys() >= DISCHARGE_FILES, "a required file is missing")
    _require(
        REGULARIZATIONS.name not in paths, "regularizations.csv: A3 lines are read by the per-row reader"
    )
    tables: dict[str, pl.DataFrame] = {}
    encodings: dict[str, str] = {}
    for name, path in paths.items():
        if name not in _LINE_FILES:
            tables[name], encodings[name] = _table(path, LEDGER_TABLES[name])
            _require(
                column_accepts(LEDGER_TABLES[name], tables[name]), f"{name}: a column or a cell is refused"
            )
    parts = _parts(tables["parts.csv"])
    units = UnitConverter(parts, _conversions(tables.get("uom_conversions.csv"), parts))
    imports.begin(parts)
    exports.begin(parts)
    imported: set[str] = set()
    batches, encodings["imports.csv"] = _batches("imports.csv", paths["imports.csv"], batch_rows)
    for batch in batches:
        _require(
            column_accepts(LEDGER_TABLES["imports.csv"], batch), "imports.csv: a column or a cell is refused"
        )
        rows, scale = _import_rows(batch, parts, units, batched=True)
        imported.update(rows["part"].unique().to_list())
        imports.add(rows, scale, _first_of_pairs(batch))
    held_rows: list[pl.DataFrame] = []
    products_on: list[pl.DataFrame] = []  # the distinct (product, date) pairs: what must explode
    batches, encodings["exports.csv"] = _batches("exports.csv", paths["exports.csv"], batch_rows)
    for batch in batches:
        _require(
            column_accepts(LEDGER_TABLES["exports.csv"], batch), "exports.csv: a column or a cell is refused"
        )
        rows, scale, held = _export_rows(batch, parts, units, batched=True)
        kept = rows.filter(~held)
        products_on.append(kept.select("product", "cleared_on").unique())
        exports.add(kept, scale, _first_of_pairs(batch), rows.filter(held))
        held_rows.append(batch.filter(held).select(pl.col(ROW).cast(pl.Int64), pl.col("clave")))
    boms = _boms(tables["bom.csv"], parts, units)
    _require(not _asset_in_bom(boms, parts), "bom.csv: a fixed asset in a BOM")
    _check_exports_explode(pl.concat(products_on).unique(), imported, boms)
    label = paths["exports.csv"].name
    held_all = pl.concat(held_rows) if held_rows else pl.DataFrame(schema={ROW: pl.Int64, "clave": pl.String})
    return StreamedRead(
        pl.DataFrame(
            {"part": list(parts), "kind": [p.kind for p in parts.values()]},
            schema={"part": pl.String, "kind": pl.String},
        ),
        boms,
        tuple(sorted(paths.values())),
        dict(sorted(encodings.items())),
        imports.pedimento_rows(paths["imports.csv"].name) + exports.pedimento_rows(label),
        tuple((label, row, clave.upper()) for row, clave in held_all.iter_rows()),
    )


class _Stack:
    """The checked batches of one line file, put together as :func:`_lines` gives the whole file."""

    def __init__(self, item: str) -> None:
        self.item = item
        self.frames: list[pl.DataFrame] = []
        self.scales: list[int] = []
        self.firsts: list[pl.DataFrame] = []
        self.keys: list[pl.DataFrame] = []  # keys of rows not kept (not-discharging export lines)

    def begin(self, parts: Collection[str]) -> None:
        del parts  # the whole frames need no part names

    def add(
        self, frame: pl.DataFrame, scale: int, firsts: pl.DataFrame, dropped: pl.DataFrame | None = None
    ) -> None:
        self.frames.append(frame)
        self.scales.append(scale)
        self.firsts.append(firsts)
        if dropped is not None and dropped.height:
            self.keys.append(dropped.select("pedimento", "line", self.item))

    def whole(self) -> tuple[pl.DataFrame, int]:
        """The rows at one scale (the largest of the batches'), each (pedimento, line, item) once."""
        _require(bool(self.frames), "a line file without rows")  # read whole instead (see _batches)
        scale = max(self.scales)
        frames = [self._at(frame, scale - own) for frame, own in zip(self.frames, self.scales, strict=True)]
        whole = pl.concat(frames, how="vertical_relaxed")
        keys = pl.concat([whole.select("pedimento", "line", self.item), *self.keys])
        _require(keys.select(pl.struct(pl.all()).is_unique()).to_series(), "a line appears twice")
        if whole["qty"].dtype == pl.Int128 and _largest(whole["qty"]) < 2**62:
            whole = whole.with_columns(pl.col("qty").cast(pl.Int64))
        return whole, scale

    @staticmethod
    def _at(frame: pl.DataFrame, shift: int) -> pl.DataFrame:
        """``frame``'s quantities ``shift`` decimal places further (Int128, exact; refused if too long)."""
        if not shift:
            return frame
        _require(_largest(frame["qty"]) * 10**shift < 2**126, "a quantity too long for Int128")
        factor = pl.Series([10**shift], dtype=pl.Int128)
        return frame.with_columns(qty=frame["qty"].cast(pl.Int128) * factor)

    def pedimento_rows(self, label: str) -> tuple[tuple[str, int, str, str, dt.date], ...]:
        if not self.firsts:
            return ()
        firsts = pl.concat(self.firsts).unique(
            subset=["pedimento", "clave"], keep="first", maintain_order=True
        )
        return _warnable(label, firsts)


def _batches(name: str, path: Path, batch_rows: int) -> tuple[Iterator[pl.DataFrame], str]:
    """The file's rows as :func:`_table` gives them, ``batch_rows`` at a time, and its encoding.

    Only a plain UTF-8 file (no byte order mark) is scanned in batches; any other (Windows-1252,
    UTF-8 with BOM, UTF-16 ...) and a file with no data rows are read whole by :func:`_table`.
    """
    schema = LEDGER_TABLES[name]
    if not _plain_utf8(path):
        return _whole(name, path)
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8").rstrip("\r\n")
    delimiter = sniff_delimiter(header)
    written = [name.strip() for name in next(csv.reader([header], delimiter=delimiter), [])]
    known = [name for name in written if name in {c.name for c in schema.columns}]
    _require(len(set(known)) == len(known), f"{path.name}: a column name appears twice")
    with path.open("rb") as handle:
        handle.seek(max(0, handle.seek(0, 2) - _TAIL_BYTES))
        tail = handle.read()
    _require(not _may_end_mid_row(tail, delimiter, written), f"{path.name}: the last row may be cut short")
    lazy = pl.scan_csv(
        path, infer_schema=False, truncate_ragged_lines=True, separator=delimiter, quote_char='"'
    )
    names = lazy.collect_schema().names()
    stripped = [name.strip() for name in names]
    _require(len(set(stripped)) == len(stripped) and bool(names), f"{path.name}: a column name appears twice")
    lazy = (
        lazy.rename(dict(zip(names, stripped, strict=True)))
        .with_columns(pl.all().fill_null("").str.strip_chars())
        .with_row_index(ROW, offset=2)
        .filter(pl.any_horizontal(pl.col(stripped) != ""))
    )
    return _or_whole(lazy.collect_batches(chunk_size=batch_rows), name, path), "utf-8"


def _whole(name: str, path: Path) -> tuple[Iterator[pl.DataFrame], str]:
    frame, encoding = _table(path, LEDGER_TABLES[name])
    return iter([frame]), encoding


def _or_whole(batches: Iterable[pl.DataFrame], name: str, path: Path) -> Iterator[pl.DataFrame]:
    """The batches; the file read whole when the scan gives none (no data rows: the frame's
    column types then come from :func:`_table`)."""
    given = False
    for batch in batches:
        given = True
        yield batch.with_columns(pl.col(ROW).cast(pl.UInt32))
    if not given:
        yield from _whole(name, path)[0]


def _plain_utf8(path: Path) -> bool:
    """UTF-8 without a byte order mark and without NUL bytes, checked a piece at a time."""
    try:
        check_header_width(path.name, path)
    except InputError as error:
        raise _Invalid(str(error)) from None
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        first = True
        carry = b""  # the end of the previous piece: a mark may straddle two pieces
        while piece := handle.read(_PROBE_BYTES):
            if first and piece.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return False
            first = False
            if b"\0" in piece or any(mark in piece or mark in carry + piece[:8] for mark in _MARKS):
                return False  # read whole: _table refuses it and the per-row reader says why
            carry = piece[-8:]
            try:
                decoder.decode(piece)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
