"""What a Data Stage holds, in figures: a pure accumulator fed from a ZIP or from the store.

:class:`SummaryBuilder` takes plain values (one call per pedimento, partida,
contribution line, Resumen line) and :meth:`SummaryBuilder.build` returns a
frozen :class:`DataStageSummary`, whose :meth:`~DataStageSummary.as_json` is the
``immex datastage summary --format json`` document.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from immex.core.numbers import parse_decimal, plain
from immex.ledger import claves

ANEXO24_CLASSES = frozenset({"return", "change_of_regime", "regularization"})


def is_anexo24_movement(clave: str, day: dt.date) -> bool:
    """A temporary import (IN, AF, V1 ...), a return or virtual transfer, a change of regime or an
    A3 on ``day``: a pedimento the Anexo 24 ledger holds (clave classes of ``immex.ledger.claves``).

    A definitive import or export (A1), a temporary export (BM, BO), a transit (T3) or any
    clave the ledger does not know (F2, F3 ...) is not an Anexo 24 movement.
    """
    key = clave.strip().upper()
    return claves.is_temporary_import(key, day) or claves.clave_class(key, day) in ANEXO24_CLASSES


LEVELS = ("pedimento", "partida", "rectificacion")
"""Contribution levels: 510 (pedimento), 557 (partida), 702 (differences of rectifications)."""

PAID = "paid"
"""The settlement (Apéndice 13, ``rules/anexo22/apendice_13_formas_pago.yaml``) of money paid with the
pedimento; every other one (pending, exempt, guaranteed, credited, paid elsewhere …) is not."""
UNKNOWN = "unknown"
"""Settlement of a forma de pago that is not in Apéndice 13 (or blank)."""


@dataclass(frozen=True, slots=True)
class FormaTotal:
    """``ImportePago`` declared under one forma de pago (Apéndice 13), over every contribution."""

    forma: str
    name: str
    settlement: str
    lines: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ContributionTotal:
    code: str
    name: str
    lines: int
    amounts: tuple[tuple[str, Decimal], ...]
    """(level, amount) for each level of :data:`LEVELS`."""
    by_forma: tuple[tuple[str, Decimal], ...] = ()
    """(forma de pago, amount), formas in numeric order."""
    paid: Decimal = Decimal(0)
    """The part declared under a forma whose settlement is :data:`PAID`."""

    @property
    def total(self) -> Decimal:
        return sum((a for _, a in self.amounts), Decimal(0))

    @property
    def not_paid(self) -> Decimal:
        return self.total - self.paid


@dataclass(frozen=True, slots=True)
class DataStageSummary:
    source: str
    period: tuple[dt.date, dt.date] | None
    period_from: str
    """``resumen`` (Fecha_Inicial–Fecha_Final) or ``dates`` (first to last fecha de pago)."""
    pedimentos: int
    imports: int
    exports: int
    rectifications: int
    by_clave: tuple[tuple[str, int], ...]
    by_month: tuple[tuple[str, int], ...]
    partidas: int
    value_usd: Decimal
    contributions: tuple[ContributionTotal, ...]
    unreadable_amounts: int
    """Contribution lines whose ``ImportePago`` is not a plain decimal (left out of the sums)."""
    formas: tuple[FormaTotal, ...] = ()
    """``ImportePago`` by forma de pago, formas in numeric order."""
    anexo24_movements: int = 0
    """Pedimentos whose clave is an Anexo 24 movement (:func:`is_anexo24_movement`)."""
    not_anexo24: tuple[tuple[str, int], ...] = ()
    """The other pedimentos (A1, T3, BM ...), by clave: what the compulsa leaves out."""

    @property
    def by_settlement(self) -> dict[str, Decimal]:
        """Amount per settlement kind (``paid``, ``pending``, ``not_due`` …), over every forma."""
        found: dict[str, Decimal] = {}
        for f in self.formas:
            found[f.settlement] = found.get(f.settlement, Decimal(0)) + f.amount
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "period": None
            if self.period is None
            else {
                "from": self.period[0].isoformat(),
                "to": self.period[1].isoformat(),
                "source": self.period_from,
            },
            "pedimentos": self.pedimentos,
            "imports": self.imports,
            "exports": self.exports,
            "rectifications": self.rectifications,
            "pedimentos_by_clave": dict(self.by_clave),
            "pedimentos_by_month": dict(self.by_month),
            "partidas": self.partidas,
            "value_usd": f"{self.value_usd:.2f}",
            "contributions": [
                {
                    "code": c.code,
                    "name": c.name,
                    "lines": c.lines,
                    **{level: plain(amount) for level, amount in c.amounts},
                    "total": plain(c.total),
                    "paid": plain(c.paid),
                    "not_paid": plain(c.not_paid),
                    "by_forma_pago": {forma: plain(amount) for forma, amount in c.by_forma},
                }
                for c in self.contributions
            ],
            "by_forma_pago": [
                {
                    "forma": f.forma,
                    "name": f.name,
                    "settlement": f.settlement,
                    "lines": f.lines,
                    "amount": plain(f.amount),
                }
                for f in self.formas
            ],
            "by_settlement": {kind: plain(amount) for kind, amount in self.by_settlement.items()},
            "unreadable_amounts": self.unreadable_amounts,
            "anexo24": {
                "movements": self.anexo24_movements,
                "not_movements_by_clave": dict(self.not_anexo24),
            },
        }


def _code_order(code: str) -> tuple[int, int | str]:
    return (0, int(code)) if code.isdigit() else (1, code)


@dataclass(slots=True)
class SummaryBuilder:
    """Feed it, then :meth:`build`. Contribution names come from ``names`` (code → abbreviation), formas
    de pago from ``formas`` (code → (name, settlement)); a forma not there is :data:`UNKNOWN`."""

    source: str
    names: dict[str, str] = field(default_factory=dict)
    formas: dict[str, tuple[str, str]] = field(default_factory=dict)
    _claves: Counter[str] = field(default_factory=Counter)
    _months: Counter[str] = field(default_factory=Counter)
    _first: dt.date | None = None
    _last: dt.date | None = None
    _pedimentos: int = 0
    _imports: int = 0
    _exports: int = 0
    _rectifications: int = 0
    _partidas: int = 0
    _usd: Decimal = Decimal(0)
    _amounts: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    _lines: Counter[str] = field(default_factory=Counter)
    _by_forma: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    _forma_lines: Counter[str] = field(default_factory=Counter)
    _unreadable: int = 0
    _resumen_from: dt.date | None = None
    _resumen_to: dt.date | None = None
    _movements: int = 0
    _not_anexo24: Counter[str] = field(default_factory=Counter)

    def pedimento(self, clave: str, fecha_pago: dt.date, tipo_operacion: str, tipo_pedimento: str) -> None:
        self._pedimentos += 1
        self._claves[clave.upper()] += 1
        self._months[fecha_pago.strftime("%Y-%m")] += 1
        self._imports += tipo_operacion == "1"
        self._exports += tipo_operacion == "2"
        self._rectifications += tipo_pedimento == "2"
        if is_anexo24_movement(clave, fecha_pago):
            self._movements += 1
        else:
            self._not_anexo24[clave.strip().upper() or "(none)"] += 1
        self._first = fecha_pago if self._first is None else min(self._first, fecha_pago)
        self._last = fecha_pago if self._last is None else max(self._last, fecha_pago)

    def partida(self, valor_dolares: Decimal) -> None:
        self._partidas += 1
        self._usd += valor_dolares

    def contribution(self, level: str, code: str, amount: str | Decimal | None, forma: str = "") -> None:
        """One contribution line: its level, Apéndice 12 code, ``ImportePago`` and ``FormaPago``."""
        self._lines[code] += 1
        forma = str(int(forma)) if forma.isascii() and forma.isdigit() else forma.strip()
        self._forma_lines[forma] += 1
        if amount is None or amount == "":
            return
        if isinstance(amount, str):
            try:
                amount = parse_decimal(amount)
            except ValueError:
                self._unreadable += 1
                return
        key = (code, level)
        self._amounts[key] = self._amounts.get(key, Decimal(0)) + amount
        by = (code, forma)
        self._by_forma[by] = self._by_forma.get(by, Decimal(0)) + amount

    def resumen(self, fecha_inicial: dt.date | None, fecha_final: dt.date | None) -> None:
        if fecha_inicial is not None:
            self._resumen_from = (
                fecha_inicial if self._resumen_from is None else min(self._resumen_from, fecha_inicial)
            )
        if fecha_final is not None:
            self._resumen_to = fecha_final if self._resumen_to is None else max(self._resumen_to, fecha_final)

    def build(self) -> DataStageSummary:
        period: tuple[dt.date, dt.date] | None = None
        period_from = ""
        if self._resumen_from is not None and self._resumen_to is not None:
            period, period_from = (self._resumen_from, self._resumen_to), "resumen"
        elif self._first is not None and self._last is not None:
            period, period_from = (self._first, self._last), "dates"
        contributions = tuple(self._contribution(code) for code in sorted(self._lines, key=_code_order))
        formas = tuple(
            FormaTotal(
                forma,
                *self.formas.get(forma, ("", UNKNOWN)),
                self._forma_lines[forma],
                sum((a for (_, f), a in self._by_forma.items() if f == forma), Decimal(0)),
            )
            for forma in sorted(self._forma_lines, key=_code_order)
        )
        return DataStageSummary(
            source=self.source,
            period=period,
            period_from=period_from,
            pedimentos=self._pedimentos,
            imports=self._imports,
            exports=self._exports,
            rectifications=self._rectifications,
            by_clave=tuple(sorted(self._claves.items())),
            by_month=tuple(sorted(self._months.items())),
            partidas=self._partidas,
            value_usd=self._usd,
            contributions=contributions,
            unreadable_amounts=self._unreadable,
            formas=formas,
            anexo24_movements=self._movements,
            not_anexo24=tuple(sorted(self._not_anexo24.items())),
        )

    def _contribution(self, code: str) -> ContributionTotal:
        by_forma = tuple(
            sorted(
                ((f, a) for (c, f), a in self._by_forma.items() if c == code),
                key=lambda item: _code_order(item[0]),
            )
        )
        paid = sum((a for f, a in by_forma if self._settlement(f) == PAID), Decimal(0))
        return ContributionTotal(
            code,
            self.names.get(code, ""),
            self._lines[code],
            tuple((lv, self._amounts.get((code, lv), Decimal(0))) for lv in LEVELS),
            by_forma,
            paid,
        )

    def _settlement(self, forma: str) -> str:
        return self.formas.get(forma, ("", UNKNOWN))[1]
