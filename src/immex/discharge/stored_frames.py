"""The stored run on columns: which allocation rows a run adds, and the fingerprint of what it saw.

The columnar twins of the per-row bookkeeping of :mod:`immex.discharge.service`
(``_new_rows``, ``_signature``, ``_ledger_fingerprint``): the same rows, the
same comparison with the active allocations, the same fingerprint text, with
no Python object per allocation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

import polars as pl

from immex.core.fingerprint import lines_fingerprint
from immex.discharge.fast import FramesResult
from immex.ledger.model import BomVersion, Part
from immex.ledger.store_frames import StoredConflict, StoredLedger, same_number

ALLOCATION_COLUMNS = ("export_line_id", "part", "import_line_id", "qty", "late")
CURRENT_SCHEMA = {
    "id": pl.Int64,
    "export_line_id": pl.Int64,
    "part": pl.String,
    "import_line_id": pl.Int64,
    "qty": pl.String,
    "late": pl.Int64,
}


def wanted_rows(stored: StoredLedger, result: FramesResult) -> pl.DataFrame:
    """The run's allocation and shortfall rows with the store's line ids and each export line's ``seq``.

    Within an export line: its allocations in output order, then its shortfalls (as ``_new_rows``).
    """
    export_keys = ["export_pedimento", "export_line", "product"]
    import_keys = ["import_pedimento", "import_line", "part"]
    allocations = result.allocations.select("part", "qty", "late").with_columns(
        export_line_id=_ids(result.allocations, export_keys, stored.export_ids, "export_line_id"),
        import_line_id=_ids(result.allocations, import_keys, stored.import_ids, "import_line_id"),
    )
    shortfalls = result.shortfalls.select(
        "part",
        pl.col("qty_missing").alias("qty"),
        pl.lit(False).alias("late"),
        export_line_id=_ids(result.shortfalls, export_keys, stored.export_ids, "export_line_id"),
        import_line_id=pl.lit(None, dtype=pl.Int64),
    )
    rows = pl.concat([allocations.select(ALLOCATION_COLUMNS), shortfalls.select(ALLOCATION_COLUMNS)])
    return rows.with_columns(seq=pl.int_range(pl.len(), dtype=pl.Int64).over("export_line_id"))


ID_BLOCK = 2_000_000  # rows whose line ids are looked up by one join


def _ids(frame: pl.DataFrame, keys: list[str], ids: pl.DataFrame, name: str) -> pl.Series:
    """The stored id of each row's line, looked up on the key columns alone, a block of rows at a time.

    Joining only the keys keeps the result's other columns from being copied by the
    join; joining a block at a time, the keys' text it copies (18 M rows on a 1 M x 1 M
    ledger) is held for one block, not for all the rows at once.
    """
    found = [
        block.join(ids, on=keys, how="left", maintain_order="left")[name]
        for block in frame.select(keys).iter_slices(ID_BLOCK)
    ]
    return pl.concat(found) if found else pl.Series(name, [], dtype=pl.Int64)


COMPARED = ("export_line_id", "part", "import_line_id", "digits", "exponent", "late")


def compact_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Allocation rows (``id`` kept if present) with their comparison key in integers.

    Equal quantities get equal (``digits``, ``exponent``): the text without trailing
    fractional zeros, read as an Int128 and its number of decimals. The part is a
    Categorical, a shortfall's import line 0. A stored row takes some 40 bytes instead
    of its text (21.9 M active rows on a 1 M x 1 M ledger). Raises StoredConflict
    (the per-row stored path runs) for a quantity wider than Int128.
    """
    qty = same_number(pl.col("qty"))
    fraction = qty.str.split(".").list.get(1, null_on_oob=True).fill_null("")
    compact = frame.select(
        *(["id"] if "id" in frame.columns else []),
        "export_line_id",
        pl.col("part").cast(pl.Categorical),
        pl.col("import_line_id").fill_null(0),
        digits=qty.str.replace(".", "", literal=True).cast(pl.Int128, strict=False),
        exponent=fraction.str.len_chars().cast(pl.Int16),
        late=pl.col("late").cast(pl.Int8),
    )
    if compact["digits"].null_count():
        raise StoredConflict("an allocation quantity wider than 38 digits")
    return compact


RECORD_BLOCK = 1_000_000  # about this many rows of a run compared, sorted and COPYed at once


def export_line_blocks(wanted: pl.DataFrame, rows: int = RECORD_BLOCK) -> list[pl.Expr]:
    """Filters that split ``wanted`` into blocks of whole export lines, about ``rows`` rows each.

    The blocks are ranges of export line ids in ascending order, so rows written
    block by block, each block sorted by (export line, seq), come in the order a sort
    of the whole frame gives (the same allocation ids). The first block is open below
    and holds the rows whose line was not found (null: refused at the insert, as
    before), the last is open above: together they hold every row of any frame.
    """
    ids = pl.col("export_line_id")
    cuts = wanted["export_line_id"].drop_nulls().sort().gather_every(rows).unique().sort().to_list()[1:]
    lows: list[int | None] = [None, *cuts]
    highs: list[int | None] = [*cuts, None]
    blocks = []
    for low, high in zip(lows, highs, strict=True):
        block = pl.lit(True) if high is None else ids < high
        block = block | ids.is_null() if low is None else block & (ids >= low)
        blocks.append(block)
    return blocks


def changed_export_lines(wanted: pl.DataFrame, current: pl.DataFrame) -> pl.Series:
    """Export line ids whose rows (multisets of part, import line, qty, late) differ from the active ones.

    Both frames are :func:`compact_rows` frames. Exact: each side is grouped by its rows and
    the groups joined. The stored run calls it on one block of whole export lines at a
    time (:func:`export_line_blocks`), which is what bounds its memory.
    """
    key = list(COMPARED)
    joined = (
        wanted.group_by(key)
        .len()
        .join(current.group_by(key).len(), on=key, how="full", coalesce=True, suffix="_now")
    )
    return joined.filter(pl.col("len").ne_missing(pl.col("len_now")))["export_line_id"].unique().sort()


def ledger_fingerprint(stored: StoredLedger, boms: Mapping[str, tuple[BomVersion, ...]]) -> str:
    """``lines_fingerprint(ledger_fingerprint_rows(ledger))`` of the stored ledger, from its columns."""
    return lines_fingerprint(_fingerprint_rows(stored, stored.parts, boms))


def _fingerprint_rows(
    stored: StoredLedger, parts: Mapping[str, Part], boms: Mapping[str, tuple[BomVersion, ...]]
) -> Iterator[str]:
    normal: dict[str, str] = {}

    def norm(text: str) -> str:  # Decimal.normalize() in the default context, as the domain text
        found = normal.get(text)
        if found is None:
            found = normal[text] = str(Decimal(text).normalize())
        return found

    for part in sorted(parts.values(), key=lambda p: p.part):
        yield f"P|{part.part}|{part.uom}|{part.kind}"
    imports = stored.imports_text.sort(["pedimento", "line", "part"])
    for ped, line, part_name, day, qty in imports.iter_rows():
        yield f"I|{ped}|{line}|{part_name}|{day}|{norm(qty)}"
    exports = stored.exports_text.sort(["pedimento", "line", "product"])
    for ped, line, product, day, qty, import_ped in exports.iter_rows():
        yield f"E|{ped}|{line}|{product}|{day}|{norm(qty)}|{import_ped}"
    for ped, line, product, clave, day, qty in stored.held.sort(["pedimento", "line", "product"]).iter_rows():
        yield f"N|{ped}|{line}|{product}|{clave}|{day}|{norm(qty)}"
    for product in sorted(boms):
        for v in boms[product]:
            for c in v.components:
                yield (
                    f"B|{product}|{v.valid_from}|{v.valid_to}|{c.component}|{c.qty_per.normalize()}|"
                    f"{c.merma_pct.normalize()}|{c.desperdicio_pct.normalize()}"
                )
