"""The stored ledger as columns: a validated folder's lines into the store, the store's ledger out.

The columnar twin of :func:`immex.ledger.service.store_ledger` (for the import
and export lines, the big tables) and of :func:`immex.ledger.service.load_ledger`.
Every stored value is the one the per-row path stores, down to the decimal's
exponent (``2.50 LB x 0.45359237`` is stored as ``1.1339809250``); the rows go
in with COPY on PostgreSQL (:func:`immex.store.copy.insert_frame`).

A line whose key is stored with other values is not reported here: the caller
gives up and runs the per-row path, whose messages are the contract's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Integer, cast, select
from sqlalchemy.orm import Session

from immex.ledger.claves import clave_class
from immex.ledger.frames import LedgerFrames
from immex.ledger.model import BomVersion, Part
from immex.ledger.orm import STORED_LINE_FIELDS, AdjustmentRow, ExportLineRow, ImportLineRow, PedimentoRow
from immex.ledger.read import UnitConverter
from immex.store.copy import insert_frame, read_frame

ITEM = {"import": "part", "export": "product"}
_COUNTRY = {"import": "country_of_origin", "export": "destination_country"}


class StoredConflict(Exception):
    """An input line is stored with other values: the per-row path reports it."""


def plain_text(column: pl.Expr) -> pl.Expr:
    """A plain decimal as ``format(Decimal(text), "f")`` writes it: no sign, no leading zeros."""
    body = column.str.strip_prefix("+")
    whole = body.str.split(".").list.get(0, null_on_oob=True).str.strip_chars_start("0")
    fraction = body.str.split(".").list.get(1, null_on_oob=True).fill_null("")
    whole = pl.when(whole == "").then(pl.lit("0")).otherwise(whole)
    return pl.when(fraction == "").then(whole).otherwise(pl.concat_str(whole, pl.lit("."), fraction))


def same_number(column: pl.Expr) -> pl.Expr:
    """Exact decimal text without trailing fractional zeros: equal numbers give equal text."""
    stripped = column.str.strip_chars_end("0").str.strip_chars_end(".")
    return pl.when(column.str.contains(r"\.")).then(stripped).otherwise(column)


def fixed_text(digits: pl.Expr, scale: pl.Expr) -> pl.Expr:
    """Non-negative integer ``digits`` (Int128) at a per-row ``scale`` as decimal text, zeros kept."""
    text = digits.cast(pl.String).str.zfill(scale + 1)
    cut = text.str.len_chars() - scale
    return (
        pl.when(scale > 0)
        .then(pl.concat_str(text.str.slice(0, cut), pl.lit("."), text.str.slice(cut)))
        .otherwise(text)
    )


def line_frame(table: pl.DataFrame, operation: str, units: UnitConverter) -> pl.DataFrame:
    """imports.csv or exports.csv (all text, validated) as the columns the store keeps.

    ``qty`` is the quantity in the part's base unit, the exact product of the
    written quantity and its factor with the exponent Decimal gives it.
    """
    item = ITEM[operation]
    given = plain_text(pl.col("qty"))
    frame = table.select(
        pedimento=pl.col("pedimento").str.replace_all(" ", ""),
        line=pl.col("line").cast(pl.Int64),
        **{item: pl.col(item)},
        clave=pl.col("clave").str.to_uppercase(),
        cleared_on=pl.col("cleared_on").str.to_date("%Y-%m-%d"),
        uom=pl.col("uom"),
        qty_given=given,
        unit_value_usd=_optional(table, "unit_value_usd", plain_text(pl.col("unit_value_usd"))),
        **{
            _COUNTRY[operation]: _optional(table, _COUNTRY[operation], pl.col(_COUNTRY[operation]))
            .str.to_uppercase()
            .fill_null("")
        },
        hs=_optional(table, "hs", pl.col("hs")).fill_null(""),
        **(
            {
                "import_pedimento": _optional(
                    table, "import_pedimento", pl.col("import_pedimento").str.replace_all(" ", "")
                ).fill_null(""),
                "import_line": pl.lit(None, dtype=pl.Int64),
            }
            if operation == "export"
            else {}
        ),
    )
    return frame.with_columns(qty=_base_qty(frame, item, units)).select(_stored_order(operation))


def _optional(table: pl.DataFrame, name: str, value: pl.Expr) -> pl.Expr:
    """The column's value; null where the cell is empty or the column absent (as the per-row reader)."""
    if name not in table.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.when(pl.col(name) == "").then(pl.lit(None, dtype=pl.String)).otherwise(value)


def _base_qty(frame: pl.DataFrame, item: str, units: UnitConverter) -> pl.Series:
    pairs = frame.select(item, "uom").unique()
    keys, ints, scales = [], [], []
    for part, uom in pairs.iter_rows():
        factor = units.factor(part, uom)
        if factor is None:
            raise StoredConflict(f"no unit conversion for {part!r} from {uom!r}")
        digits, scale = _unscaled(factor)
        keys.append((part, uom))
        ints.append(digits)
        scales.append(scale)
    factors = pl.DataFrame(
        {item: [k[0] for k in keys], "uom": [k[1] for k in keys], "f_int": ints, "f_scale": scales},
        schema={item: pl.String, "uom": pl.String, "f_int": pl.Int128, "f_scale": pl.Int64},
    )
    joined = frame.select(item, "uom", "qty_given").join(
        factors, on=[item, "uom"], how="left", maintain_order="left"
    )
    fraction = pl.col("qty_given").str.split(".").list.get(1, null_on_oob=True).fill_null("")
    written = pl.col("qty_given").str.replace(".", "", literal=True).cast(pl.Int128)
    return joined.select(
        fixed_text(written * pl.col("f_int"), fraction.str.len_chars().cast(pl.Int64) + pl.col("f_scale"))
    ).to_series()


def _unscaled(value: Decimal) -> tuple[int, int]:
    """(digits, scale) of a positive Decimal: ``value == digits / 10**scale``, scale >= 0."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int) and not sign
    number = int("".join(map(str, digits)) or "0")
    return (number * 10**exponent, 0) if exponent > 0 else (number, -exponent)


def _stored_order(operation: str) -> list[str]:
    model: Any = ImportLineRow if operation == "import" else ExportLineRow
    return ["pedimento"] + [
        c.key for c in model.__table__.columns if c.key not in ("id", "company_id", "pedimento_id")
    ]


# ---- intake ---------------------------------------------------------------------------------------


def store_line_frame(session: Session, company: int, operation: str, lines: pl.DataFrame) -> int:
    """Insert the lines not stored yet (in the frame's order); raise StoredConflict on a contradiction.

    Returns how many were inserted.
    """
    item = ITEM[operation]
    ids = _pedimento_ids(session, company, operation, lines["pedimento"].unique())
    stored = _stored_lines(session, company, operation)
    keyed = lines.join(
        stored, on=["pedimento", "line", item], how="left", suffix="_stored", maintain_order="left"
    )
    found = keyed.filter(pl.col("id_stored").is_not_null())
    if found.height and _differ(found, operation).any():
        raise StoredConflict(f"{operation} lines stored with other values")
    new = keyed.filter(pl.col("id_stored").is_null()).select(lines.columns)
    model: Any = ImportLineRow if operation == "import" else ExportLineRow
    rows = new.join(ids, left_on="pedimento", right_on="number", how="left", maintain_order="left")
    insert_frame(
        session,
        model,
        rows.select(
            pl.lit(company, dtype=pl.Int64).alias("company_id"), pl.col("pedimento_id"), *new.columns[1:]
        ),
    )
    return new.height


_NUMBERS = ("qty", "unit_value_usd")


def _differ(found: pl.DataFrame, operation: str) -> pl.Series:
    """True for each input line whose stored twin differs in a field the per-row path compares."""
    tests = []
    for name in STORED_LINE_FIELDS[operation]:
        given, stored = pl.col(name), pl.col(f"{name}_stored")
        if name in _NUMBERS:
            given, stored = same_number(given), same_number(stored)
        tests.append(given.ne_missing(stored))
    return found.select(pl.any_horizontal(tests)).to_series()


def _pedimento_ids(session: Session, company: int, operation: str, numbers: pl.Series) -> pl.DataFrame:
    query = select(PedimentoRow.number, PedimentoRow.id).where(
        PedimentoRow.company_id == company, PedimentoRow.operation == operation
    )
    schema = {"number": pl.String, "pedimento_id": pl.Int64}
    ids = read_frame(session, query, schema)
    missing = numbers.to_frame("number").join(ids, on="number", how="anti").sort("number")
    if missing.height:
        insert_frame(
            session,
            PedimentoRow,
            missing.select(
                pl.lit(company, dtype=pl.Int64).alias("company_id"),
                "number",
                pl.lit(operation).alias("operation"),
            ),
        )
        ids = read_frame(session, query, schema)
    return ids


def _stored_lines(session: Session, company: int, operation: str) -> pl.DataFrame:
    model: Any = ImportLineRow if operation == "import" else ExportLineRow
    item = ITEM[operation]
    compared = STORED_LINE_FIELDS[operation]
    query = (
        select(
            PedimentoRow.number,
            model.line,
            getattr(model, item),
            model.id,
            *(getattr(model, n) for n in compared),
        )
        .join(PedimentoRow, model.pedimento_id == PedimentoRow.id)
        .where(model.company_id == company)
    )
    schema: dict[str, Any] = {
        "pedimento": pl.String,
        "line": pl.Int64,
        item: pl.String,
        "id_stored": pl.Int64,
    }
    for name in compared:
        kind = pl.Date if name == "cleared_on" else pl.Int64 if name == "import_line" else pl.String
        schema[f"{name}_stored"] = kind
    return read_frame(session, query, schema)


# ---- the stored ledger as columns --------------------------------------------------------------------


@dataclass(frozen=True)
class StoredLedger:
    """The company's stored ledger as columns, with the store's line ids.

    ``frames``: what the columnar discharge takes (imports and the export lines that
    discharge); ``import_ids`` and ``export_ids`` map (pedimento, line, part or product)
    to the stored row; ``imports_text`` and ``exports_text`` keep the stored quantity's
    text, for the ledger fingerprint; ``held`` the export lines that do not discharge.
    """

    frames: LedgerFrames
    import_ids: pl.DataFrame
    export_ids: pl.DataFrame
    imports_text: pl.DataFrame
    exports_text: pl.DataFrame
    held: pl.DataFrame
    parts: Mapping[str, Part]


def load_ledger_frames(
    session: Session,
    company: int,
    parts: Mapping[str, Part],
    boms: Mapping[str, tuple[BomVersion, ...]],
    net_adjustments: bool = False,
) -> StoredLedger:
    """The stored import and export lines as columns; raise StoredConflict when one is an A3 line.

    ``parts`` and ``boms`` are the stored ones (small: loaded as domain values).
    ``net_adjustments``: an import line's quantity is what the discharge may use, its
    adjustments subtracted (as :func:`immex.ledger.service.load_imports` does).
    """
    imports = _load_lines(session, company, "import")
    if net_adjustments:
        imports = _netted(session, company, imports)
    exports = _load_lines(session, company, "export")
    kinds = clave_kinds(exports)
    if (kinds == "regularization").any():
        raise StoredConflict("the store holds A3 regularizations (the per-row path handles them)")
    held = exports.filter(kinds == "not_discharging")
    exports = exports.filter(kinds != "not_discharging")
    import_qty, import_scale = fixed_column(imports["qty"])
    export_qty, export_scale = fixed_column(exports["qty"])
    part_frame = pl.DataFrame(
        {"part": list(parts), "kind": [p.kind for p in parts.values()]},
        schema={"part": pl.String, "kind": pl.String},
    )
    frames = LedgerFrames(
        part_frame,
        imports.select("pedimento", "line", "part", "cleared_on", qty=import_qty),
        exports.select("pedimento", "line", "product", "cleared_on", qty=export_qty),
        boms,
        import_scale,
        export_scale,
    )
    return StoredLedger(
        frames,
        imports.select(import_pedimento="pedimento", import_line="line", part="part", import_line_id="id"),
        exports.select(
            export_pedimento="pedimento", export_line="line", product="product", export_line_id="id"
        ),
        imports.select("pedimento", "line", "part", "cleared_on", "qty"),
        exports.select("pedimento", "line", "product", "cleared_on", "qty", "import_pedimento"),
        held.select("pedimento", "line", "product", "clave", "cleared_on", "qty"),
        parts,
    )


def _netted(session: Session, company: int, imports: pl.DataFrame) -> pl.DataFrame:
    """``imports`` with each adjusted line's quantity less its adjustments.

    Adjustments are few (a destruction, a count): summed and subtracted as Decimals,
    in the default context as the per-row loader does, so the text is the same.
    """
    adjusted: dict[int, Decimal] = defaultdict(Decimal)
    query = select(AdjustmentRow.import_line_id, AdjustmentRow.qty).where(AdjustmentRow.company_id == company)
    for line_id, qty in session.execute(query):
        adjusted[line_id] += qty
    if not adjusted:
        return imports
    lines = imports.filter(pl.col("id").is_in(list(adjusted))).select("id", "qty")
    net = pl.DataFrame(
        {"id": lines["id"], "net": [format(Decimal(q) - adjusted[i], "f") for i, q in lines.iter_rows()]},
        schema={"id": pl.Int64, "net": pl.String},
    )
    joined = imports.join(net, on="id", how="left", maintain_order="left")
    return joined.with_columns(qty=pl.coalesce("net", "qty")).drop("net")


def _load_lines(session: Session, company: int, operation: str) -> pl.DataFrame:
    model: Any = ImportLineRow if operation == "import" else ExportLineRow
    item = ITEM[operation]
    extra = (
        (model.clave, model.import_pedimento, cast(model.import_line, Integer))
        if operation == "export"
        else ()
    )
    query = (
        select(
            model.id,
            PedimentoRow.number,
            model.line,
            getattr(model, item),
            model.cleared_on,
            model.qty,
            *extra,
        )
        .join(PedimentoRow, model.pedimento_id == PedimentoRow.id)
        .where(model.company_id == company)
        .order_by(model.id)
    )
    schema: dict[str, Any] = {
        "id": pl.Int64,
        "pedimento": pl.String,
        "line": pl.Int64,
        item: pl.String,
        "cleared_on": pl.Date,
        "qty": pl.String,
    }
    if operation == "export":
        schema |= {"clave": pl.String, "import_pedimento": pl.String, "import_line": pl.Int64}
    return read_frame(session, query, schema)


def clave_kinds(exports: pl.DataFrame) -> pl.Series:
    """The clave class of each stored outgoing line, looked up once per (clave, date)."""
    pairs = exports.select("clave", "cleared_on").unique()
    table = pl.DataFrame(
        {
            "clave": pairs["clave"],
            "cleared_on": pairs["cleared_on"],
            "kind": [clave_class(c, d) or "" for c, d in pairs.iter_rows()],
        },
        schema={"clave": pl.String, "cleared_on": pl.Date, "kind": pl.String},
    )
    joined = exports.select("clave", "cleared_on").join(
        table, on=["clave", "cleared_on"], how="left", maintain_order="left"
    )
    return joined["kind"]


def fixed_column(text: pl.Series) -> tuple[pl.Series, int]:
    """Exact decimal text as fixed-point integers at the longest fraction's scale (Int64 when it fits)."""
    fraction = text.str.split(".").list.get(1, null_on_oob=True).fill_null("")
    scale = int(str(fraction.str.len_chars().max() or 0))
    whole = text.str.split(".").list.get(0)
    values = (whole + fraction.str.pad_end(scale, "0")).cast(pl.Int128)
    largest = values.max()
    if largest is None or int(str(largest)) < 2**62:  # str: Polars types max() loosely
        values = values.cast(pl.Int64)
    return values.rename("qty"), scale
