"""Tables of the origin records: supplier certifications, solicitations, stored values, certificates.

Issued certifications of origin are kept with the date until which their
records must be retained (USMCA Art. 5.8); rows are never updated in place
except a solicitation's status.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from immex.store.base import Base
from immex.store.types import ExactDecimal


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SupplierCertificationRow(Base):
    """A supplier's (blanket) certification of origin for one part."""

    __tablename__ = "origin_supplier_certification"
    __table_args__ = (UniqueConstraint("company_id", "supplier", "part", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(200))
    part: Mapped[str] = mapped_column(String(80), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    criterion: Mapped[str] = mapped_column(String(1))
    document_ref: Mapped[str] = mapped_column(String(200))
    supplier_country: Mapped[str] = mapped_column(String(2), default="")
    certifier_type: Mapped[str] = mapped_column(String(10), default="")
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class SolicitationRow(Base):
    """A request sent to a supplier for a certification, with its current status."""

    __tablename__ = "origin_solicitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(200), default="")
    part: Mapped[str] = mapped_column(String(80), index=True)
    requested_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    status_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class StoredValueRow(Base):
    """A value the analyst keeps for origin work: a material's unit value or a good's values.

    Used when the ledger has no lot for a material, and for a good's transaction
    value / net cost (it wins over the export lines).
    """

    __tablename__ = "origin_stored_value"
    __table_args__ = (UniqueConstraint("company_id", "item", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    item: Mapped[str] = mapped_column(String(80), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    unit_value_usd: Mapped[Decimal] = mapped_column(ExactDecimal())
    net_cost_usd: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class CertificateRow(Base):
    """A certification of origin the company issued, kept until ``retention_until``."""

    __tablename__ = "origin_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    period_from: Mapped[dt.date] = mapped_column(Date)
    period_to: Mapped[dt.date] = mapped_column(Date)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    certifier_type: Mapped[str] = mapped_column(String(10))
    criterion: Mapped[str] = mapped_column(String(1))
    hs: Mapped[str] = mapped_column(String(20))
    retention_until: Mapped[dt.date] = mapped_column(Date)
    document: Mapped[dict[str, object]] = mapped_column(JSON)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
