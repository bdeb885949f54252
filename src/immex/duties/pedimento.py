"""Contributions of one import pedimento (contract ``immex duties pedimento``).

Order of computation (taxes.md §1): customs value per partida (LA Arts. 64-65),
IGI and C.C. per partida, DTA per pedimento (LFD Art. 49), IVA per partida on
the value plus the contributions (LIVA Art. 27). Everything is exact
(:class:`fractions.Fraction`); amounts are rounded to whole pesos by R only
where the contract says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from immex.duties.rounding import exact, fixed2, payment_round
from immex.duties.values import (
    ContributionRow,
    DutyRules,
    FieldProblem,
    LineResult,
    PedimentoCase,
    PedimentoLine,
    PedimentoResult,
)


@dataclass(frozen=True, slots=True)
class DtaInputs:
    """The LFD Art. 49 values a pedimento needs, already resolved for its date."""

    fr_i_rate: Decimal | None
    fr_ii_rate: Decimal | None
    fr_iii_quota: Decimal | None


def resolve_dta(case: PedimentoCase, rules: DutyRules) -> tuple[DtaInputs | None, list[FieldProblem]]:
    """The rates and quota in force on the case date, or the problem naming what is missing."""
    row = rules.dta.row_on(case.date)
    quota = case.quotas.dta_iii
    if row is not None:
        fr_i, fr_ii = row.fr_i_rate.value, row.fr_ii_rate.value
        if quota is None:
            quota = row.fr_iii_quota.value
    else:
        fr_i = fr_ii = None
    problems: list[FieldProblem] = []
    needs_fr_i = dta_base_value(case) > 0
    needs_quota = case.clave in ("IN", "AF") or needs_fr_i
    where = _table_span(rules)
    if needs_fr_i and fr_i is None:
        problems.append(
            FieldProblem(
                "date",
                f"no LFD Art. 49 fr. I rate in force on {case.date.isoformat()} in the DTA table ({where})",
            )
        )
    if case.clave == "AF" and fr_ii is None:
        problems.append(
            FieldProblem(
                "date",
                f"no LFD Art. 49 fr. II rate in force on {case.date.isoformat()} in the DTA table ({where})",
            )
        )
    if needs_quota and quota is None:
        problems.append(
            FieldProblem(
                "date",
                f"no LFD Art. 49 fr. III quota in force on {case.date.isoformat()} in the DTA "
                f"table ({where}); give it as quotas.dta_iii",
            )
        )
    if problems:
        return None, problems
    return DtaInputs(fr_i, fr_ii, quota), []


def _table_span(rules: DutyRules) -> str:
    spans = [f"{r.since.isoformat()}..{r.until.isoformat() if r.until else ''}" for r in rules.dta.rows]
    return "rows " + ", ".join(spans) if spans else "empty"


def _in_dta_base(line: PedimentoLine) -> bool:
    """T-MEC originating goods are exempt from DTA (T-MEC Art. 2.16; taxes.md §4)."""
    return line.preference is None or line.preference.program != "TMEC"


def _customs_values(case: PedimentoCase) -> list[int]:
    """VA_i = R((value_i + INC * value_i / SUM(value)) * TC) (LA Arts. 64-65, regla de tres)."""
    total = sum((exact(line.value) for line in case.lines), Fraction(0))
    inc = exact(case.incrementables.total())
    rate = exact(case.exchange_rate)
    return [
        payment_round((exact(line.value) + inc * exact(line.value) / total) * rate) for line in case.lines
    ]


def formas_de_pago(case: PedimentoCase, rules: DutyRules) -> tuple[int, int]:
    """The formas de pago (Anexo 22 Apéndice 13) of the IGI and of the IVA of every partida.

    A temporary import (IN, AF) does not pay its IGI; its IVA is a credit for a
    certified company, guaranteed where the company gave a guarantee, else paid.
    The simple and the fast engine both ask this function.
    """
    fp = rules.catalog.formas_pago
    temporary = case.clave in ("IN", "AF")
    igi_fp = fp["temporal_no_sujeta"] if temporary else fp["efectivo"]
    if not temporary:
        iva_fp = fp["efectivo"]
    elif case.company.certification is not None:
        iva_fp = fp["credito_iva_ieps"]
    elif case.company.iva_guarantee:
        iva_fp = fp["garantia_iva_ieps"]
    else:
        iva_fp = fp["efectivo"]
    return igi_fp, iva_fp


def dta_base_value(case: PedimentoCase) -> int:
    """B: the customs value of the lines without a T-MEC preference."""
    values = _customs_values(case)
    return sum(va for va, line in zip(values, case.lines, strict=True) if _in_dta_base(line))


def igi_rate_of(line: PedimentoLine) -> Decimal:
    return line.preference.rate if line.preference is not None else line.igi_rate


def compute_pedimento(case: PedimentoCase, dta: DtaInputs, rules: DutyRules) -> PedimentoResult:
    """The per-partida and per-pedimento contributions of the contract."""
    codes = rules.catalog.contributions
    fp = rules.catalog.formas_pago
    tipos = rules.catalog.tipos_tasa

    values = _customs_values(case)
    base_b = sum(va for va, line in zip(values, case.lines, strict=True) if _in_dta_base(line))
    total_va = sum(values)

    # DTA a definitive import of these goods pays: fr. I with the fr. III minimum.
    dta_def = 0
    def_tipo: int | None = None
    # Rule 6 (v2): the share is by value only when the rate set the DTA; the fr. III
    # minimum is shared in equal parts among the DTA base lines.
    share_by_value = False
    if base_b > 0:
        assert dta.fr_i_rate is not None and dta.fr_iii_quota is not None
        al_millar = base_b * exact(dta.fr_i_rate)
        quota = exact(dta.fr_iii_quota)
        dta_def = payment_round(max(al_millar, quota))
        def_tipo = tipos["al_millar"] if al_millar >= quota else tipos["minima"]
        share_by_value = al_millar > quota
    base_n = sum(1 for line in case.lines if _in_dta_base(line))

    dta_code, dta_abbr = codes["dta"]
    if case.clave == "A1":
        dta_amount = dta_def
        if base_b == 0:
            dta_row = ContributionRow(dta_code, dta_abbr, fixed2(Fraction(0)), "0", 0, fp["exento"], None)
        else:
            rate_text = _plain(dta.fr_i_rate) if def_tipo == tipos["al_millar"] else _plain(dta.fr_iii_quota)
            dta_row = ContributionRow(
                dta_code, dta_abbr, fixed2(Fraction(base_b)), rate_text, dta_amount, fp["efectivo"], def_tipo
            )
        share_total = dta_amount
    elif case.clave == "IN":
        assert dta.fr_iii_quota is not None
        dta_amount = payment_round(exact(dta.fr_iii_quota))
        dta_row = ContributionRow(
            dta_code,
            dta_abbr,
            fixed2(Fraction(total_va)),
            _plain(dta.fr_iii_quota),
            dta_amount,
            fp["efectivo"],
            tipos["cuota_fija"],
        )
        share_total = dta_def
    else:  # AF
        assert dta.fr_ii_rate is not None and dta.fr_iii_quota is not None
        al_millar = total_va * exact(dta.fr_ii_rate)
        quota = exact(dta.fr_iii_quota)
        dta_amount = payment_round(max(al_millar, quota))
        tipo = tipos["al_millar"] if al_millar >= quota else tipos["minima"]
        rate_text = _plain(dta.fr_ii_rate) if tipo == tipos["al_millar"] else _plain(dta.fr_iii_quota)
        dta_row = ContributionRow(
            dta_code, dta_abbr, fixed2(Fraction(total_va)), rate_text, dta_amount, fp["efectivo"], tipo
        )
        share_total = dta_def

    igi_code, igi_abbr = codes["igi"]
    cc_code, cc_abbr = codes["cc"]
    iva_code, iva_abbr = codes["iva"]
    igi_fp, iva_fp = formas_de_pago(case, rules)

    lines: list[LineResult] = []
    for va, line in zip(values, case.lines, strict=True):
        rate = igi_rate_of(line)
        igi = payment_round(va * exact(rate))
        rows = [ContributionRow(igi_code, igi_abbr, fixed2(Fraction(va)), _plain(rate), igi, igi_fp)]
        cc = 0
        if line.cc_rate > 0:
            cc = payment_round(va * exact(line.cc_rate))
            rows.append(
                ContributionRow(
                    cc_code, cc_abbr, fixed2(Fraction(va)), _plain(line.cc_rate), cc, fp["efectivo"]
                )
            )
        share = _dta_share(share_total, va, base_b, base_n, share_by_value, _in_dta_base(line))
        # LIEPS Art. 14: IEPS on the IGI value plus the import contributions except IVA;
        # LIVA Art. 27: the IEPS is then part of the IVA base. 0 for every contract case.
        ieps = payment_round((va + igi + cc + share) * exact(line.ieps_rate)) if line.ieps_rate else 0
        iva_base = va + igi + cc + share + ieps
        iva = payment_round(iva_base * exact(line.iva_rate))
        rows.append(ContributionRow(iva_code, iva_abbr, fixed2(iva_base), _plain(line.iva_rate), iva, iva_fp))
        lines.append(LineResult(line.line, line.fraccion, va, tuple(rows), ieps))

    by_code: dict[int, int] = {}
    cash = 0
    for row in [r for lr in lines for r in lr.contributions] + [dta_row]:
        by_code[row.code] = by_code.get(row.code, 0) + row.amount
        if row.forma_pago == fp["efectivo"]:
            cash += row.amount
    return PedimentoResult(
        case.clave, case.date, tuple(lines), dta_row, total_va, dict(sorted(by_code.items())), cash
    )


def _dta_share(total: int, va: int, base_b: int, base_n: int, by_value: bool, in_base: bool) -> Fraction:
    """D_i of contract rule 6 (version 2), exact: ``X * VA_i / B`` when the fr. I rate set
    the DTA (``B * rate > quota``), else ``X / N`` over the N lines of the DTA base (the
    fr. III minimum is one charge per operation, which the authority's records split in
    equal parts per partida); 0 outside the base or when B = 0."""
    if base_b == 0 or not in_base:
        return Fraction(0)
    return Fraction(total * va, base_b) if by_value else Fraction(total, base_n)


def _plain(value: Decimal | None) -> str:
    """A rate or quota as written (no exponent)."""
    return "" if value is None else format(value, "f")
