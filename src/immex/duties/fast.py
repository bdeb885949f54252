"""Fast paths beside the simple engines (STYLE §7): same results, plain integers.

- :func:`pedimento_amounts` computes the contract's amounts of one pedimento with integer
  numerator/denominator pairs instead of :class:`fractions.Fraction` (no gcd on every
  step); it is tested equal to :func:`immex.duties.pedimento.compute_pedimento`.
- :func:`art25_by_export` computes T-MEC Art. 2.5 amounts for many exports at once from
  columns (NumPy int64 fixed point: values in centavos, rates in millionths), exact while
  the sums stay below 2**62; it is tested equal to
  :func:`immex.duties.tmec25.compute_tmec25`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from immex.duties.pedimento import DtaInputs, formas_de_pago
from immex.duties.rounding import round_ratio, sum_ratio
from immex.duties.values import DutyRules, PedimentoCase

_r = round_ratio


def customs_values(case: PedimentoCase) -> list[int]:
    """VA_i = R((value_i + INC * value_i / SUM(value)) * TC) on integers."""
    sn, sd = sum_ratio(line.value for line in case.lines)
    inn, ind = sum_ratio(
        (
            case.incrementables.freight,
            case.incrementables.insurance,
            case.incrementables.packing,
            case.incrementables.other,
        )
    )
    tn, td = case.exchange_rate.as_integer_ratio()
    factor_n = (sn * ind + inn * sd) * tn
    factor_d = ind * sn * td
    out = []
    for line in case.lines:
        vn, vd = line.value.as_integer_ratio()
        out.append(_r(vn * factor_n, vd * factor_d))
    return out


@dataclass(frozen=True, slots=True)
class PedimentoAmounts:
    customs_values: list[int]
    igi: list[int]
    cc: list[int]
    iva: list[int]
    dta: int
    igi_forma_pago: int
    iva_forma_pago: int
    dta_forma_pago: int
    by_code: dict[int, int]
    cash: int


def pedimento_amounts(case: PedimentoCase, dta: DtaInputs, rules: DutyRules) -> PedimentoAmounts:
    """The amounts of :func:`compute_pedimento`, with integer arithmetic."""
    fp = rules.catalog.formas_pago
    codes = rules.catalog.contributions
    values = customs_values(case)
    in_base = [line.preference is None or line.preference.program != "TMEC" for line in case.lines]
    base_b = sum(va for va, b in zip(values, in_base, strict=True) if b)
    total_va = sum(values)

    dta_def = 0
    share_by_value = False  # contract rule 6 v2: by value only when the rate set the DTA
    if base_b > 0:
        assert dta.fr_i_rate is not None and dta.fr_iii_quota is not None
        fn, fd = dta.fr_i_rate.as_integer_ratio()
        qn, qd = dta.fr_iii_quota.as_integer_ratio()
        dta_def = _r(max(base_b * fn * qd, qn * fd), fd * qd)
        share_by_value = base_b * fn * qd > qn * fd
    base_n = sum(in_base)
    if case.clave == "A1":
        dta_amount = dta_def
        dta_fp = fp["exento"] if base_b == 0 else fp["efectivo"]
        share_total = dta_amount
    elif case.clave == "IN":
        assert dta.fr_iii_quota is not None
        qn, qd = dta.fr_iii_quota.as_integer_ratio()
        dta_amount = _r(qn, qd)
        dta_fp = fp["efectivo"]
        share_total = dta_def
    else:
        assert dta.fr_ii_rate is not None and dta.fr_iii_quota is not None
        fn, fd = dta.fr_ii_rate.as_integer_ratio()
        qn, qd = dta.fr_iii_quota.as_integer_ratio()
        dta_amount = _r(max(total_va * fn * qd, qn * fd), fd * qd)
        dta_fp = fp["efectivo"]
        share_total = dta_def

    igi_fp, iva_fp = formas_de_pago(case, rules)

    igis: list[int] = []
    ccs: list[int] = []
    ivas: list[int] = []
    for va, line, b in zip(values, case.lines, in_base, strict=True):
        rate = line.preference.rate if line.preference is not None else line.igi_rate
        gn, gd = rate.as_integer_ratio()
        igi = _r(va * gn, gd)
        cc = 0
        if line.cc_rate > 0:
            cn, cd = line.cc_rate.as_integer_ratio()
            cc = _r(va * cn, cd)
        vn, vd = line.iva_rate.as_integer_ratio()
        if base_b > 0 and b and share_by_value:
            iva = _r(((va + igi + cc) * base_b + share_total * va) * vn, base_b * vd)
        elif base_b > 0 and b:
            iva = _r(((va + igi + cc) * base_n + share_total) * vn, base_n * vd)
        else:
            iva = _r((va + igi + cc) * vn, vd)
        igis.append(igi)
        ccs.append(cc)
        ivas.append(iva)

    by_code: dict[int, int] = {
        codes["dta"][0]: dta_amount,
        codes["iva"][0]: sum(ivas),
        codes["igi"][0]: sum(igis),
    }
    if any(line.cc_rate > 0 for line in case.lines):
        by_code[codes["cc"][0]] = sum(ccs)
    cash = (dta_amount if dta_fp == fp["efectivo"] else 0) + sum(ccs)
    cash += sum(igis) if igi_fp == fp["efectivo"] else 0
    cash += sum(ivas) if iva_fp == fp["efectivo"] else 0
    return PedimentoAmounts(
        values, igis, ccs, ivas, dta_amount, igi_fp, iva_fp, dta_fp, dict(sorted(by_code.items())), cash
    )


VALUE_SCALE = 100  # centavos
RATE_SCALE = 1_000_000  # millionths
FX_SCALE = 10_000  # exchange rates with 4 decimals
_LIMIT = 2**62


class NotFixedPoint(ValueError):
    """An input has more decimals than the fixed-point columns hold."""


def to_fixed(values: list[Decimal], scale: int) -> npt.NDArray[np.int64]:
    """Decimals to int64 at ``scale``; raises NotFixedPoint when one is not exact there."""
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        n, d = value.as_integer_ratio()
        q, rem = divmod(n * scale, d)
        if rem:
            raise NotFixedPoint(f"{value} has more decimals than 1/{scale}")
        out[i] = q
    return out


@dataclass(frozen=True, slots=True)
class Art25Columns:
    """Per-export results (one entry per export, in export order)."""

    mexican_igi: npt.NDArray[np.int64]
    foreign_duty_mxn: npt.NDArray[np.int64]  # -1 where no foreign duty was given
    exemption: npt.NDArray[np.int64]
    payable: npt.NDArray[np.int64]


def _round_div(numerator: npt.NDArray[np.int64], denominator: int) -> npt.NDArray[np.int64]:
    q, rem = np.divmod(numerator, denominator)
    return q + (2 * rem > denominator)


def art25_by_export(
    export_index: npt.NDArray[np.int64],
    value_cents: npt.NDArray[np.int64],
    rate_micros: npt.NDArray[np.int64],
    originating: npt.NDArray[np.bool_],
    n_exports: int,
    foreign_cents: npt.NDArray[np.int64],
    foreign_fx: npt.NDArray[np.int64],
) -> Art25Columns:
    """Art. 2.5 for ``n_exports`` exports from allocation columns.

    ``export_index[i]`` says which export allocation i belongs to (any order);
    ``foreign_cents[e]`` is the US/CA duty of export e in centavos of its currency (-1 when
    not given) and ``foreign_fx[e]`` its exchange rate in ten-thousandths. ``same_condition``
    exports are left to the simple engine.
    """
    products = np.where(originating, 0, value_cents * rate_micros)
    largest_group = int(np.bincount(export_index, minlength=n_exports).max()) if n_exports else 0
    if value_cents.size and (
        int(np.abs(value_cents).max()) * int(np.abs(rate_micros).max()) * largest_group >= _LIMIT
    ):
        exact = [0] * n_exports
        for e, v, g, o in zip(
            export_index.tolist(),
            value_cents.tolist(),
            rate_micros.tolist(),
            originating.tolist(),
            strict=True,
        ):
            if not o:
                exact[e] += v * g
        denom = VALUE_SCALE * RATE_SCALE
        mexican = np.array([_r(x, denom) for x in exact], dtype=np.int64)
    else:
        sums = np.zeros(n_exports, dtype=np.int64)
        np.add.at(sums, export_index, products)
        mexican = _round_div(sums, VALUE_SCALE * RATE_SCALE)
    given = foreign_cents >= 0
    foreign = np.where(
        given, _round_div(np.where(given, foreign_cents, 0) * foreign_fx, VALUE_SCALE * FX_SCALE), -1
    )
    exemption = np.where(given & (mexican > 0), np.minimum(mexican, foreign), 0)
    return Art25Columns(mexican, foreign, exemption, mexican - exemption)
