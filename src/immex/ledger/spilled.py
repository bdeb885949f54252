"""The columnar reader with its line files spilled to disk: memory set by the batch, not the ledger.

:func:`read_spilled_ledger` runs the batched reader's checks
(:func:`immex.ledger.frames.stream_line_files`, the same functions as the
whole reader) but keeps no line file in memory. Each checked batch goes to
Parquet files in a spill folder:

- import lines, one file per batch ordered by *part bucket* (contiguous
  ranges of part names) with the row where each bucket starts, so a
  partition of parts reads only its buckets' rows;
- export lines as one *sorted run* per batch, in discharge order (date,
  pedimento, line, product), so the discharge merges the runs into one
  ordered stream without sorting the whole file (:mod:`immex.discharge.partitioned`);
- the keys that must be unique across batches, checked as integers
  (:func:`int_keys`): (pedimento, line, part) of imports on the import
  files, a few part buckets at a time (a part's lines share its bucket);
  (pedimento, line, product) of every export row, the not-discharging ones
  included, in key files by a hash of the pedimento (one bucket per
  :data:`KEY_BUCKET_BYTES` of exports.csv), each bucket checked alone.

Every line in a batch is also checked there (the per-batch reader leaves a
key twice to these checks).

What stays in memory is small and bounded by the catalogs, not the lines:
the parts, BOMs, counts per part and per (product, date), the first row of
each (pedimento, clave) for the Anexo 22 warnings.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
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
KEY_BUCKETS = 64  # export key and first-row files per batch at most (by a hash of the pedimento)
# Bytes of a line file per key bucket: the keys of one bucket are checked at once, as integers
# (pedimento, line, part number: 20 bytes a row), so 256 MB of CSV (about 5 M lines) hold ~100 MB.
# One bucket below that: one key file per batch, no hashing (1M x 1M: 0.2 s CPU per batch less).
KEY_BUCKET_BYTES = 256 * 2**20
IMPORT_CHECK_ROWS = 4_000_000  # import lines whose keys are checked at once (whole part buckets)
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
class ImportBatch:
    """One batch of import lines in one Parquet file, by part bucket: the rows of bucket ``b``
    (in their order in the batch) are rows ``starts[b]`` up to ``starts[b + 1]``; ``qty`` is fixed
    point at ``scale``. One file a batch, not one per bucket: 1M x 1M wrote 256 files, 10M 2,560."""

    path: Path
    scale: int
    starts: tuple[int, ...]


@dataclass(frozen=True)
class SpilledLedger:
    """A valid ledger whose import and export lines are Parquet files in ``folder``.

    ``import_files``: one file per batch, the import lines by part bucket (bucket ``b``: part
    names from ``bucket_starts[b]`` up to the next bucket's start); ``export_runs``: one file per batch,
    each sorted by :data:`EXPORT_ORDER`. ``imports_scale`` and ``exports_scale`` are the
    largest scales of the files (each file's quantities are brought to it when read).
    """

    folder: Path
    parts: pl.DataFrame
    boms: Mapping[str, tuple[BomVersion, ...]]
    bucket_starts: tuple[str, ...]
    import_files: tuple[ImportBatch, ...]
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
        by_bucket: list[list[pl.DataFrame]] = [[] for _ in range(first, last + 1)]
        for batch in self.import_files:
            begin, end = batch.starts[first], batch.starts[last + 1]
            if end == begin:
                continue
            rows = pl.scan_parquet(batch.path).slice(begin, end - begin).collect()
            rows = at_scale(rows, batch.scale, self.imports_scale)
            for pieces, (start, stop) in zip(
                by_bucket, itertools.pairwise(batch.starts[first : last + 2]), strict=True
            ):
                pieces.append(rows.slice(start - begin, stop - start))
        frames = [piece for pieces in by_bucket for piece in pieces]  # bucket by bucket, batches in order
        if not frames:
            return _empty_imports()
        lines = pl.concat(frames, how="vertical_relaxed").filter(pl.col("part").is_in(list(parts)))
        return narrowed(lines)


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


def key_buckets(line_bytes: int) -> int:
    """Key and first-row buckets for a line file of ``line_bytes`` bytes (one per
    :data:`KEY_BUCKET_BYTES`, at most :data:`KEY_BUCKETS`)."""
    return min(KEY_BUCKETS, max(1, -(-line_bytes // KEY_BUCKET_BYTES)))


def int_keys(frame: pl.DataFrame, item: str, parts: pl.Enum) -> pl.DataFrame:
    """(pedimento, line, item) as integers, one to one: the pedimento has 15 ASCII digits (the
    schema's check, spaces taken out), the item its rank among the sorted part names."""
    return frame.select(
        pl.col("pedimento").cast(pl.Int64),
        pl.col("line"),
        pl.col(item).cast(parts).to_physical(),
    )


def discharge_order(parts: pl.Enum) -> list[pl.Expr]:
    """:data:`EXPORT_ORDER` on numbers, the same order: 15-digit pedimentos sort as their numbers,
    part names as their rank in the sorted names (1M x 1M: 0.22 s CPU a run instead of 0.35)."""
    return [
        pl.col("cleared_on"),
        pl.col("pedimento").cast(pl.Int64),
        pl.col("line"),
        pl.col("product").cast(parts),
    ]


def _all_unique(keys: pl.DataFrame) -> bool:
    return keys.n_unique() == keys.height


class _SpilledLines:
    """A line file's checked batches written to the spill folder; keys checked per bucket."""

    def __init__(self, folder: Path, item: str, buckets: int = 1) -> None:
        self.folder = folder
        self.item = item
        self.name = "imports" if item == "part" else "exports"
        self.buckets = buckets  # key and first-row files per batch (by a hash of the pedimento)
        self.parts = pl.Enum([])
        self.batches = 0
        self.scales: list[int] = []
        self.firsts: dict[int, list[Path]] = {}
        self.key_files: dict[int, list[Path]] = {}
        self.lines = 0

    def begin(self, parts: Collection[str]) -> None:
        self.parts = pl.Enum(sorted(parts))

    def _by_pedimento(self, frame: pl.DataFrame, kind: str, files: dict[int, list[Path]]) -> None:
        """Write ``frame`` into :attr:`buckets` files by a hash of its pedimento (equal pedimentos
        share a bucket); one bucket: one file, no hashing."""
        if self.buckets == 1:
            groups = {0: frame}
        else:
            bucket = pl.col("pedimento").hash(seed=0) % self.buckets
            split = frame.with_columns(_b=bucket).partition_by("_b", as_dict=True)
            groups = {int(number): rows.drop("_b") for (number, *_), rows in split.items()}
        for number, rows in groups.items():
            path = self.folder / f"{self.name}-{kind}-{number:04d}-{self.batches:06d}.parquet"
            write_spill(rows, path)
            files.setdefault(number, []).append(path)

    def check_keys(self) -> None:
        """Each (pedimento, line, item) once in the whole file: one bucket at a time."""
        for files in self.key_files.values():
            _require(_all_unique(pl.read_parquet(files)), "a line appears twice")
            for path in files:
                path.unlink()

    def _firsts(self, firsts: pl.DataFrame) -> None:
        """Write the batch's first row of each (pedimento, clave) by a hash of the pedimento."""
        if firsts.height:
            self._by_pedimento(firsts, "firsts", self.firsts)

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
    """Import lines by part bucket; their keys are checked on those files (a part's lines are all
    in its bucket), so no key files are written."""

    def __init__(self, folder: Path, buckets: int = 1) -> None:
        super().__init__(folder, "part", buckets)
        self.starts: tuple[str, ...] = ()
        self.bucket: dict[str, int] = {}
        self.files: list[ImportBatch] = []
        self.per_part: Counter[str] = Counter()

    def begin(self, parts: Collection[str]) -> None:
        """Cut the part names into contiguous buckets (imports name only these parts)."""
        super().begin(parts)
        ordered = sorted(parts)
        size = max(1, -(-len(ordered) // PART_BUCKETS))
        self.starts = tuple(ordered[::size]) or ("",)
        self.bucket = {name: i // size for i, name in enumerate(ordered)}

    def add(
        self, frame: pl.DataFrame, scale: int, firsts: pl.DataFrame, dropped: pl.DataFrame | None = None
    ) -> None:
        del dropped  # every import line is kept
        self.scales.append(scale)
        self._firsts(firsts)
        self.lines += frame.height
        self.per_part.update(dict(frame.group_by("part").len().iter_rows()))
        bucket = pl.col("part").replace_strict(self.bucket, return_dtype=pl.Int64)
        rows = frame.with_columns(_b=bucket).sort("_b", maintain_order=True)
        numbers = rows["_b"].to_numpy()
        starts = np.searchsorted(numbers, np.arange(len(self.starts) + 1), side="left")
        path = self.folder / f"imports-{self.batches:06d}.parquet"
        write_spill(rows.drop("_b"), path, RUN_ROW_GROUP)
        self.files.append(ImportBatch(path, scale, tuple(int(start) for start in starts)))
        self.batches += 1

    def check_keys(self) -> None:
        """Each (pedimento, line, part) once in the whole file: whole part buckets at a time, up
        to :data:`IMPORT_CHECK_ROWS` lines."""
        first = 0
        for bucket in range(len(self.starts)):
            if bucket > first and self._rows(first, bucket + 1) > IMPORT_CHECK_ROWS:
                self._check(first, bucket)
                first = bucket
        self._check(first, len(self.starts))

    def _rows(self, first: int, end: int) -> int:
        return sum(batch.starts[end] - batch.starts[first] for batch in self.files)

    def _check(self, first: int, end: int) -> None:
        """The keys of buckets ``first`` up to ``end`` (every batch's rows of them) once each."""
        pieces = [
            pl.scan_parquet(batch.path)
            .select("pedimento", "line", "part")
            .slice(batch.starts[first], batch.starts[end] - batch.starts[first])
            .collect()
            for batch in self.files
        ]
        if pieces:
            keys = int_keys(pl.concat(pieces), "part", self.parts)
            _require(_all_unique(keys), "a line appears twice")


class _SpilledExports(_SpilledLines):
    def __init__(self, folder: Path, buckets: int = 1) -> None:
        super().__init__(folder, "product", buckets)
        self.runs: list[SpilledFile] = []

    def add(
        self, frame: pl.DataFrame, scale: int, firsts: pl.DataFrame, dropped: pl.DataFrame | None = None
    ) -> None:
        self.scales.append(scale)
        self._firsts(firsts)
        self.lines += frame.height
        if frame.height:
            path = self.folder / f"exports-run-{self.batches:06d}.parquet"
            write_spill(frame.sort(discharge_order(self.parts)), path, RUN_ROW_GROUP)
            self.runs.append(SpilledFile(path, scale, frame.height))
        keys = int_keys(frame, "product", self.parts)
        if dropped is not None and dropped.height:
            keys = pl.concat([keys, int_keys(dropped, "product", self.parts)])
        self._by_pedimento(keys, "keys", self.key_files)
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
    imports = _SpilledImports(spill, key_buckets(_file_bytes(folder, "imports.csv")))
    exports = _SpilledExports(spill, key_buckets(_file_bytes(folder, "exports.csv")))
    read: StreamedRead = stream_line_files(folder, batch_rows, imports, exports)
    _require(imports.batches > 0 and exports.batches > 0, "a line file without rows")
    imports.check_keys()
    exports.check_keys()
    return SpilledLedger(
        spill,
        read.parts,
        read.boms,
        imports.starts,
        tuple(imports.files),
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


def _file_bytes(folder: Path, name: str) -> int:
    """Bytes of the folder's file ``name`` (any case; 0 when there is none)."""
    return sum(path.stat().st_size for path in folder.iterdir() if path.name.lower() == name)


def spilled_from_frames(frames: LedgerFrames, spill: Path) -> SpilledLedger:
    """A ledger read whole, written to ``spill`` as :func:`read_spilled_ledger` writes a folder
    (one batch)."""
    imports, exports = _SpilledImports(spill), _SpilledExports(spill)
    imports.begin(frames.parts["part"].to_list())
    exports.begin(frames.parts["part"].to_list())
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
        tuple(imports.files),
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
