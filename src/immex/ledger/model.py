"""The Anexo 24 ledger as plain values: parts, import and export lines, BOM versions.

Quantities are ``Decimal`` in the part's base unit. Each line also keeps the
quantity and unit as written (``qty_given``/``uom``) and its source row, so a
reconciliation can compare what the user wrote and an error can point at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

PartKind = Literal["raw", "subassembly", "finished", "container", "asset"]
PART_KINDS: tuple[PartKind, ...] = ("raw", "subassembly", "finished", "container", "asset")


@dataclass(frozen=True, slots=True)
class Part:
    part: str
    uom: str
    kind: PartKind
    description: str = ""
    hs: str = ""
    country_of_origin: str = ""


@dataclass(frozen=True, slots=True)
class UomConversion:
    """``qty_in_to = qty_in_from * factor``; ``part`` empty = any part."""

    from_uom: str
    to_uom: str
    factor: Decimal
    part: str = ""


@dataclass(frozen=True, slots=True)
class ImportLine:
    """One part on one partida of a temporary-import pedimento."""

    pedimento: str
    line: int
    part: str
    clave: str
    cleared_on: dt.date
    qty: Decimal
    uom: str = ""
    qty_given: Decimal | None = None
    unit_value_usd: Decimal | None = None
    country_of_origin: str = ""
    hs: str = ""
    row: int = 0
    adjusted: Decimal = Decimal(0)
    """Quantity withdrawn by manual adjustments, already netted from ``qty``."""

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.pedimento, self.line, self.part)

    @property
    def fifo_key(self) -> tuple[dt.date, str, int]:
        return (self.cleared_on, self.pedimento, self.line)


@dataclass(frozen=True, slots=True)
class ExportLine:
    """One product on one partida of an export / return pedimento.

    A regularization (A3, ``regularizations.csv``) is an ``ExportLine`` too: its
    ``product`` is the part regularized and ``import_pedimento``/``import_line``
    name the one import line it discharges as is.
    """

    pedimento: str
    line: int
    product: str
    clave: str
    cleared_on: dt.date
    qty: Decimal
    uom: str = ""
    qty_given: Decimal | None = None
    unit_value_usd: Decimal | None = None
    destination_country: str = ""
    hs: str = ""
    import_pedimento: str = ""
    row: int = 0
    import_line: int | None = None
    """Regularizations only: the partida of ``import_pedimento`` discharged."""

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.pedimento, self.line, self.product)

    @property
    def lot_key(self) -> tuple[str, int, str]:
        """Regularizations only: the key of the import line discharged."""
        return (self.import_pedimento, self.import_line or 0, self.product)

    @property
    def order_key(self) -> tuple[dt.date, str, int, str]:
        return (self.cleared_on, self.pedimento, self.line, self.product)


@dataclass(frozen=True, slots=True)
class BomComponent:
    """``qty_per`` component base units per one base unit of the product."""

    component: str
    qty_per: Decimal
    merma_pct: Decimal = Decimal(0)
    desperdicio_pct: Decimal = Decimal(0)
    uom: str = ""
    qty_per_given: Decimal | None = None
    row: int = 0

    @property
    def gross_qty_per(self) -> Decimal:
        """Quantity per product unit including merma and desperdicio."""
        return self.qty_per * (1 + self.merma_pct / 100 + self.desperdicio_pct / 100)


@dataclass(frozen=True, slots=True)
class BomVersion:
    """One version of a product's bill of materials, valid from/through (inclusive)."""

    product: str
    valid_from: dt.date
    valid_to: dt.date | None
    components: tuple[BomComponent, ...]

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Ledger:
    """Everything the discharge needs, validated: see ``immex.ledger.read``."""

    parts: Mapping[str, Part]
    imports: tuple[ImportLine, ...]
    exports: tuple[ExportLine, ...]
    boms: Mapping[str, tuple[BomVersion, ...]] = field(default_factory=dict)
    conversions: tuple[UomConversion, ...] = ()
    regularizations: tuple[ExportLine, ...] = ()
    """A3 lines (``regularizations.csv``): each discharges its named import line as is."""
    not_discharging: tuple[ExportLine, ...] = ()
    """Export lines whose clave does not discharge (A1, BM, BO): kept for the record, never discharged."""
    program_valid_to: dt.date | None = None
    """End of the company's IMMEX program (stored profile): the deadline of ``asset`` lots."""

    def bom_on(self, product: str, day: dt.date) -> BomVersion | None:
        for version in self.boms.get(product, ()):
            if version.covers(day):
                return version
        return None
