"""Tables of the Anexo 24 ledger and of the discharge runs.

Balances are never stored: they are imports minus the active allocation rows
minus adjustments. Allocation rows are append-only; a later run that changes
an export line's discharge writes a reversal of the old rows and new rows,
and reversing a run voids its rows and its reversals at once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from immex.store.base import Base
from immex.store.types import ExactDecimal


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Company(Base):
    __tablename__ = "company"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    rfc: Mapped[str] = mapped_column(String(13), default="")
    immex_program: Mapped[str] = mapped_column(String(40), default="")
    modality: Mapped[str] = mapped_column(String(40), default="")
    program_valid_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    program_valid_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    certification: Mapped[str] = mapped_column(String(10), default="")


class PartRow(Base):
    __tablename__ = "part"
    __table_args__ = (UniqueConstraint("company_id", "part"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    part: Mapped[str] = mapped_column(String(80))
    uom: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(400), default="")
    hs: Mapped[str] = mapped_column(String(20), default="")
    country_of_origin: Mapped[str] = mapped_column(String(3), default="")


class UomConversionRow(Base):
    __tablename__ = "uom_conversion"
    __table_args__ = (UniqueConstraint("company_id", "part", "from_uom", "to_uom"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    part: Mapped[str] = mapped_column(String(80), default="")
    from_uom: Mapped[str] = mapped_column(String(20))
    to_uom: Mapped[str] = mapped_column(String(20))
    factor: Mapped[Decimal] = mapped_column(ExactDecimal())


class BomVersionRow(Base):
    __tablename__ = "bom_version"
    __table_args__ = (UniqueConstraint("company_id", "product", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    product: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class BomComponentRow(Base):
    __tablename__ = "bom_component"
    __table_args__ = (UniqueConstraint("bom_version_id", "component"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bom_version_id: Mapped[int] = mapped_column(ForeignKey("bom_version.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(String(80))
    qty_per: Mapped[Decimal] = mapped_column(ExactDecimal())
    uom: Mapped[str] = mapped_column(String(20), default="")
    qty_per_given: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    merma_pct: Mapped[Decimal] = mapped_column(ExactDecimal())
    desperdicio_pct: Mapped[Decimal] = mapped_column(ExactDecimal())


class PedimentoRow(Base):
    """A pedimento (15-digit number) of the ledger; operation ``import`` or ``export``."""

    __tablename__ = "pedimento"
    __table_args__ = (UniqueConstraint("company_id", "number", "operation"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    number: Mapped[str] = mapped_column(String(15))
    operation: Mapped[str] = mapped_column(String(6))


class ImportLineRow(Base):
    """One part on one partida of a temporary import."""

    __tablename__ = "import_line"
    __table_args__ = (UniqueConstraint("pedimento_id", "line", "part"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    pedimento_id: Mapped[int] = mapped_column(ForeignKey("pedimento.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    part: Mapped[str] = mapped_column(String(80), index=True)
    clave: Mapped[str] = mapped_column(String(4))
    cleared_on: Mapped[dt.date] = mapped_column(Date)
    qty: Mapped[Decimal] = mapped_column(ExactDecimal())
    uom: Mapped[str] = mapped_column(String(20), default="")
    qty_given: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    unit_value_usd: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    country_of_origin: Mapped[str] = mapped_column(String(3), default="")
    hs: Mapped[str] = mapped_column(String(20), default="")


class ExportLineRow(Base):
    """One product on one partida of an export or return, or one A3 regularization (its part)."""

    __tablename__ = "export_line"
    __table_args__ = (UniqueConstraint("pedimento_id", "line", "product"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    pedimento_id: Mapped[int] = mapped_column(ForeignKey("pedimento.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    product: Mapped[str] = mapped_column(String(80), index=True)
    clave: Mapped[str] = mapped_column(String(4))
    cleared_on: Mapped[dt.date] = mapped_column(Date)
    qty: Mapped[Decimal] = mapped_column(ExactDecimal())
    uom: Mapped[str] = mapped_column(String(20), default="")
    qty_given: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    unit_value_usd: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    destination_country: Mapped[str] = mapped_column(String(3), default="")
    hs: Mapped[str] = mapped_column(String(20), default="")
    import_pedimento: Mapped[str] = mapped_column(String(15), default="")
    import_line: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    """A3 regularizations only (clave A3): the partida of ``import_pedimento`` they discharge."""


class DischargeRunRow(Base):
    __tablename__ = "discharge_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[dt.date] = mapped_column(Date)
    input_fingerprint: Mapped[str] = mapped_column(String(64))
    ledger_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class RunReversalRow(Base):
    """Voids a whole run: its rows and its reversals stop counting."""

    __tablename__ = "run_reversal"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("discharge_run.id"), unique=True)
    reversed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    reversed_by: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(Text, default="")


# Allocation rows are append-only and a full 1M x 1M run writes ~22 M of them: 4-byte ids would
# run out after ~98 runs (migration ledger_0005). SQLite's INTEGER PRIMARY KEY is 8 bytes already.
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")


class AllocationRow(Base):
    """Append-only: a quantity of an import line consumed by an export line, or a shortfall.

    A shortfall row has no import line. Its references (``discharge_run``, ``export_line``,
    ``import_line``) carry no foreign-key constraint: the commit checks them as a set
    (``immex.ledger.invariants.dangling_references``; migration ``ledger_0003`` says why).
    """

    __tablename__ = "allocation"
    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    run_id: Mapped[int] = mapped_column(index=True)
    export_line_id: Mapped[int] = mapped_column(index=True)
    part: Mapped[str] = mapped_column(String(80))
    import_line_id: Mapped[int | None] = mapped_column(nullable=True)  # indexed by api_0003 (ledger_0004)
    qty: Mapped[Decimal] = mapped_column(ExactDecimal())
    late: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(Integer)


class AllocationReversalRow(Base):
    """A later run withdrew an allocation row (its export line's discharge changed).

    References checked at commit as the allocation's are (no foreign-key constraint).
    """

    __tablename__ = "allocation_reversal"
    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ROW_ID, index=True)
    run_id: Mapped[int] = mapped_column(index=True)


class AdjustmentRow(Base):
    """A manual change of an import line's balance (destruction, regularization, count)."""

    __tablename__ = "adjustment"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    import_line_id: Mapped[int] = mapped_column(ForeignKey("import_line.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(ExactDecimal())
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


# The stored values of a line that must match when the same line (pedimento, line, item) comes
# in again: a difference is a conflict, never an overwrite (both stored paths compare these).
STORED_LINE_FIELDS = {
    "import": ("clave", "cleared_on", "qty", "unit_value_usd", "country_of_origin", "hs"),
    "export": (
        "clave",
        "cleared_on",
        "qty",
        "unit_value_usd",
        "destination_country",
        "hs",
        "import_pedimento",
        "import_line",
    ),
}
