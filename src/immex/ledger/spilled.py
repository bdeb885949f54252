"""The columnar reader with its line files spilled to disk: memory set by the batch, not the ledger.

:func:`read_spilled_ledger` runs the batched reader's checks
(:func:`immex.ledger.frames.stream_line_files`, the same functions as the
whole reader) but keeps no line file in memory. Each checked batch goes to
Parquet files in a spill folder:

- import lines by *part bucket* (contiguous ranges of part names), so a
  partition of parts reads only its buckets;
- export lines as one *sorted run* per batch, in discharge order (date,
  pedimento, line, product), so the discharge merges the runs into one
  ordered stream without sorting the whole file (:mod:`immex.discharge.partitioned`);
- the keys that must be unique across batches ((pedimento, line, part) of
  imports, (pedimento, line, product) of every export row, the
  not-discharging ones included) by bucket: duplicates share a bucket, so
  each bucket is checked alone.

What stays in memory is small and bounded by the catalogs, not the lines:
the parts, BOMs, counts per part and per (product, date), the first row of
each (pedimento, clave) for the Anexo 22 warnings.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from immex.ledger.frames import (
    LedgerFrames,
    StreamedRead,
    _Invalid,
    _largest,
    _require,
    _warnable,
    stream_line_files,
)
from immex.ledger.model import BomVersion

PART_BUCKETS = 128  # import files per batch at most: contiguous ranges of part names
KEY_BUCKETS = 64  # export key files per batch at most (by a hash of the pedimento)
RUN_ROW_GROUP = 16_384  # rows per Parquet row group of a sorted run (what a merge reads at a time)
EXPORT_ORDER = ("cleared_on", "pedimento", "line", "product")  # discharge order (pedimentos as text)
# Spill files live for one run and are read back once or twice: LZ4 writes in about 0.6x the CPU
# of Polars' default zstd (1M x 1M: 2.4 M allocation rows 0.81 s against 1.21 s) for 1.4x the
# bytes; no column statistics (nothing is skipped by them: runs are read by slice).
# IMMEX_SPILL_COMPRESSION overrides (e.g. zstd on slow shared storage for a cluster).
SPILL_COMPRESSION = os.environ.get("IMMEX_SPILL_COMPRESSION", "lz4")


@dataclass(frozen=True)
class SpilledFile:
    """One Parquet file of checked lines; ``qty`` is fixed point at ``scale``."""

    path: Path
    scale: int
    rows: int


@dataclass(frozen=True)
class SpilledLedger:
    """A valid ledger whose import and export lines are Parquet files in ``folder``.

    ``import_files[b]``: the import lines of the parts of bucket ``b`` (part names from
    ``bucket_starts[b]`` up to the next bucket's start); ``export_runs``: one file per batch,
    each sorted by :data:`EXPORT_ORDER`. ``imports_scale`` and ``exports_scale`` are the
    largest scales of the files (each file's quantities are brought to it when read).
    """

    folder: Path
    parts: pl.DataFrame
    boms: Mapping[str, tuple[BomVersion, ...]]
    bucket_starts: tuple[str, ...]
    import_files: tuple[tuple[SpilledFile, ...], ...]
    export_runs: tuple[SpilledFile, ...]
    imports_scale: int
    exports_scale: int
    import_lines: int
    export_lines: int
    imports_per_part: Mapping[str, int]
    sources: tuple[Path, ...] = ()
    encodings: Mapping[str, str] = field(default_factory=dict)
    pedimento_rows: tuple[tuple[str, int, str, str, dt.date], ...] = ()
    not_discharging: tuple[tuple[str, int, str], ...] = ()

    def header(self) -> LedgerFrames:
        """The ledger as :class:`~immex.ledger.frames.LedgerFrames` without its line rows (the
        parts, BOMs, scales, sources, encodings and warnings: what a run reports besides them)."""
        empty = _empty_imports()
        return LedgerFrames(
            self.parts,
            empty,
            empty.rename({"part": "product"}).with_columns(import_pedimento=pl.lit("", dtype=pl.String)),
            self.boms,
            self.imports_scale,
            self.exports_scale,
            self.sources,
            self.encodings,
            self.pedimento_rows,
            self.not_discharging,
        )

    def imports_of(self, parts: list[str]) -> pl.DataFrame:
        """The import lines of ``parts`` (a contiguous range of names, sorted), at ``imports_scale``."""
        if not parts:
            return _empty_imports()
        first = max(0, _bucket_of(self.bucket_starts, parts[0]))
        last = _bucket_of(self.bucket_starts, parts[-1])
        files = [f for bucket in self.import_files[first : last + 1] for f in bucket]
        wanted = list(parts)
        frames = [
            at_scale(
                pl.read_parquet(f.path).filter(pl.col("part").is_in(wanted)), f.scale, self.imports_scale
            )
            for f in files
        ]
        return narrowed(pl.concat(frames, how="vertical_relaxed")) if frames else _empty_imports()


def _empty_imports() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "pedimento": pl.String,
            "line": pl.Int64,
            "part": pl.String,
            "cleared_on": pl.Date,
            "qty": pl.Int64,
        }
    )


def _bucket_of(starts: tuple[str, ...], part: str) -> int:
    """The bucket whose range holds ``part`` (starts are sorted; a name before all: bucket 0)."""
    low, high = 0, len(starts)
    while low < high:
        middle = (low + high) // 2
        if starts[middle] <= part:
            low = middle + 1
        else:
            high = middle
    return max(low - 1, 0)


def at_scale(frame: pl.DataFrame, scale: int, target: int) -> pl.DataFrame:
    """``frame``'s quantities from ``scale`` to ``target`` decimal places (Int128, exact)."""
    shift = target - scale
    if not shift:
        return frame
    _require(_largest(frame["qty"]) * 10**shift < 2**126, "a quantity too long for Int128")
    factor = pl.Series([10**shift], dtype=pl.Int128)
    return frame.with_columns(qty=frame["qty"].cast(pl.Int128) * factor)


def write_spill(frame: pl.DataFrame, path: Path, row_group_size: int | None = None) -> None:
    """``frame`` as a spill file (:data:`SPILL_COMPRESSION`, no statistics)."""
    frame.write_parquet(
        path,
        compression=SPILL_COMPRESSION,  # type: ignore[arg-type]  # checked by Polars
        statistics=False,
        row_group_size=row_group_size,
    )


def narrowed(frame: pl.DataFrame) -> pl.DataFrame:
    """Int128 quantities as Int64 when every one fits (as the whole reader gives them)."""
    if frame["qty"].dtype == pl.Int128 and _largest(frame["qty"]) < 2**62:
        return frame.with_columns(pl.col("qty").cast(pl.Int64))
    return frame


class _SpilledLines:
    """A line file's checked batches written to the spill folder; keys checked per bucket."""

    def __init__(self, folder: Path, item: str) -> None:
        self.folder = folder
        self.item = item
        self.name = "imports" if item == "part" else "exports"
        self.batches = 0
        self.scales: list[int] = []
        self.firsts: dict[int, list[Path]] = {}
        self.key_files: dict[int, list[Path]] = {}
        self.lines = 0

    def begin(self, parts: Collection[str]) -> None:
        del parts

    def _keys(self, keys: pl.DataFrame, bucket: pl.Expr) -> None:
        """Write the batch's keys by bucket (duplicates land in the same bucket)."""
        for (number, *_), rows in keys.with_columns(_b=bucket).partition_by("_b", as_dict=True).items():
            path = self.folder / f"{self.name}-keys-{int(number):04d}-{self.batches:06d}.parquet"
            write_spill(rows.drop("_b"), path)
            self.key_files.setdefault(int(number), []).append(path)

    def check_keys(self) -> None:
        """Each (pedimento, line, item) once in the whole file: one bucket at a time."""
        for files in self.key_files.values():
            keys = pl.read_parquet(files)
            _require(keys.select(pl.struct(pl.all()).is_unique()).to_series(), "a line appears twice")
            for path in files:
                path.unlink()

    def _firsts(self, firsts: pl.DataFrame) -> None:
        """Write the batch's first row of each (pedimento, clave) by a hash of the pedimento."""
        if not firsts.height:
            return
        bucket = pl.col("pedimento").hash(seed=0) % KEY_BUCKETS
        for (number, *_), rows in firsts.with_columns(_b=bucket).partition_by("_b", as_dict=True).items():
            path = self.folder / f"{self.name}-firsts-{int(number):04d}-{self.batches:06d}.parquet"
            write_spill(rows.drop("_b"), path)
            self.firsts.setdefault(int(number), []).append(path)

    def pedimento_rows(self, label: str) -> tuple[tuple[str, int, str, str, dt.date], ...]:
        """The Anexo 22 rows to check (the first row of each (pedimento, clave) that may warn),
        in row order: one pedimento bucket at a time (its files in batch order)."""
        warnable: list[tuple[str, int, str, str, dt.date]] = []
        for files in self.firsts.values():
            firsts = pl.read_parquet(files).unique(
                subset=["pedimento", "clave"], keep="first", maintain_order=True
            )
            warnable += _warnable(label, firsts)
            for path in files:
                path.unlink()
        return tuple(sorted(warnable, key=lambda row: row[1]))


class _SpilledImports(_SpilledLines):
    def __init__(self, folder: Path) -> None:
        super().__init__(folder, "part")
        self.starts: tuple[str, ...] = ()
        self.bucket: dict[str, int] = {}
        self.files: list[list[SpilledFile]] = []
        self.per_part: Counter[str] = Counter()

    def begin(self, parts: Collection[str]) -> None:
        """Cut the part names into contiguous buckets (imports name only these parts)."""
        ordered = sorted(parts)
        size = max(1, -(-len(ordered) // PART_BUCKETS))
        self.starts = tuple(ordered[::size]) or ("",)
        self.bucket = {name: i // size for i, name in enumerate(ordered)}
        self.files = [[] for _ in self.starts]

    def add(
        self, frame: pl.DataFrame, scale: int, firsts: pl.DataFrame, dropped: pl.DataFrame | None = None
    ) -> None:
        del dropped  # every import line is kept
        self.scales.append(scale)
        self._firsts(firsts)
        self.lines += frame.height
        self.per_part.update(dict(frame.group_by("part").len().iter_rows()))
        bucket = pl.col("part").replace_strict(self.bucket, return_dtype=pl.Int64)
        for (number, *_), rows in frame.with_columns(_b=bucket).partition_by("_b", as_dict=True).items():
            path = self.folder / f"imports-{int(number):04d}-{self.batches:06d}.parquet"
            write_spill(rows.drop("_b"), path)
            self.files[int(number)].append(SpilledFile(path, scale, rows.height))
        self._keys(frame.select("pedimento", "line", "part"), bucket // max(1, PART_BUCKETS // KEY_BUCKETS))
        self.batches += 1


class _SpilledExports(_SpilledLines):
    def __init__(self, folder: Path) -> None:
        super().__init__(folder, "product")
        self.runs: list[SpilledFile] = []

    def add(
        self, frame: pl.DataFrame, scale: int, firsts: pl.DataFrame, dropped: pl.DataFrame | None = None
    ) -> None:
        self.scales.append(scale)
        self._firsts(firsts)
        self.lines += frame.height
        if frame.height:
            path = self.folder / f"exports-run-{self.batches:06d}.parquet"
            write_spill(frame.sort(list(EXPORT_ORDER)), path, RUN_ROW_GROUP)
            self.runs.append(SpilledFile(path, scale, frame.height))
        keys = frame.select("pedimento", "line", "product")
        if dropped is not None and dropped.height:
            keys = pl.concat([keys, dropped.select("pedimento", "line", "product")])
        self._keys(keys, pl.col("pedimento").hash(seed=0) % KEY_BUCKETS)
        self.batches += 1


def read_spilled_ledger(folder: Path, batch_rows: int, spill: Path) -> SpilledLedger | None:
    """The folder's ledger with its line files spilled to ``spill`` (an empty folder), or None:
    then use ``read_ledger`` (it reports the problems), as for
    :func:`immex.ledger.frames.read_ledger_frames`."""
    if not folder.is_dir():
        return None
    try:
        return _read(folder, batch_rows, spill)
    except (_Invalid, pl.exceptions.PolarsError, ValueError, OverflowError):
        return None


def _read(folder: Path, batch_rows: int, spill: Path) -> SpilledLedger:
    imports = _SpilledImports(spill)
    exports = _SpilledExports(spill)
    read: StreamedRead = stream_line_files(folder, batch_rows, imports, exports)
    _require(imports.batches > 0 and exports.batches > 0, "a line file without rows")
    imports.check_keys()
    exports.check_keys()
    return SpilledLedger(
        spill,
        read.parts,
        read.boms,
        imports.starts,
        tuple(tuple(files) for files in imports.files),
        tuple(exports.runs),
        max(imports.scales),
        max(exports.scales),
        imports.lines,
        exports.lines,
        dict(imports.per_part),
        read.sources,
        read.encodings,
        read.pedimento_rows,
        read.not_discharging,
    )


def spilled_from_frames(frames: LedgerFrames, spill: Path) -> SpilledLedger:
    """A ledger read whole, written to ``spill`` as :func:`read_spilled_ledger` writes a folder
    (one batch)."""
    imports, exports = _SpilledImports(spill), _SpilledExports(spill)
    imports.begin(frames.parts["part"].to_list())
    no_firsts = pl.DataFrame(schema={"pedimento": pl.String})
    imports.add(frames.imports, frames.imports_scale, no_firsts)
    exports.add(frames.exports, frames.exports_scale, no_firsts)
    for sink in (imports, exports):
        for files in sink.key_files.values():
            for path in files:
                path.unlink()
    return SpilledLedger(
        spill,
        frames.parts,
        frames.boms,
        imports.starts,
        tuple(tuple(files) for files in imports.files),
        tuple(exports.runs),
        frames.imports_scale,
        frames.exports_scale,
        imports.lines,
        exports.lines,
        dict(imports.per_part),
        frames.sources,
        frames.encodings,
        frames.pedimento_rows,
        frames.not_discharging,
    )
