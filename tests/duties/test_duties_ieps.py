"""IEPS of an import by category (LIEPS Art. 2 fr. I, base of Art. 14), in the IVA base (LIVA Art. 27).

contracts/duties.md leaves IEPS out of this version: a contract case never carries it and
its output is unchanged (a line rate of 0 computes exactly what it did). The ledger's costs
(immex report expiring / ivacredit, material terms ``ieps_category``) set the rate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from immex.duties.ieps import ieps_rate_on, parse_categories
from immex.duties.pedimento import compute_pedimento, resolve_dta
from immex.duties.rules_data import duty_rules
from immex.duties.values import Company, Incrementables, PedimentoCase, PedimentoLine
from immex.rules import RulesError, read_yaml

D = Decimal


def _compute(value: str, igi: str, ieps: str, clave: str = "IN", day: dt.date = dt.date(2026, 2, 16)) -> Any:
    line = PedimentoLine(1, "22071001", D(value), D(igi), None, D(0), D("0.16"), D(ieps))
    company = Company(immex=clave != "A1", certification="A")
    case = PedimentoCase(clave, day, D("20"), Incrementables(), D("0.16"), company, (line,))  # type: ignore[arg-type]
    dta, problems = resolve_dta(case, duty_rules())
    assert dta is not None, problems
    return compute_pedimento(case, dta, duty_rules())


def test_a_temporary_import_of_alcohol_computes_its_ieps_and_puts_it_in_the_iva_base() -> None:
    """IN of 1,000 USD at 20.00 on 2026-02-16, IGI 10 %, alcohol (inciso B, 50 %).

    VA 20,000; IGI 2,000; DTA a definitive import would pay: max(8 al millar = 160, fr. III
    461.61) → 462, all of it in the one line's IVA base; IEPS base 20,000 + 2,000 + 462 =
    22,462 x 50 % = 11,231; IVA 16 % of 22,462 + 11,231 = 33,693 → 5,390.88 → 5,391.
    Without IEPS the IVA is 16 % of 22,462 = 3,593.92 → 3,594.
    """
    rate, why = ieps_rate_on("B_alcohol", dt.date(2026, 2, 16))
    assert (rate, why) == (D("0.50"), "")
    (line,) = _compute("1000", "0.10", str(rate)).lines
    iva = {row.code: row.amount for row in line.contributions}[3]
    assert (line.customs_value, line.ieps, iva) == (20000, 11231, 5391)
    (plain,) = _compute("1000", "0.10", "0").lines
    assert (plain.ieps, {row.code: row.amount for row in plain.contributions}[3]) == (0, 3594)
    assert [row.code for row in line.contributions] == [6, 3]  # no IEPS row in the contract's output


def test_the_rate_of_a_category_is_the_one_in_force_on_the_date() -> None:
    """Puros y otros tabacos labrados: 160 % through 2025, 200 % from 2026 (LIEPS Art. 2 fr. I C) 2)."""
    assert ieps_rate_on("C2_puros_y_otros_tabacos", dt.date(2025, 12, 31))[0] == D("1.60")
    assert ieps_rate_on("C2_puros_y_otros_tabacos", dt.date(2026, 1, 1))[0] == D("2.00")
    rate, why = ieps_rate_on("B_alcohol", dt.date(2003, 6, 1))
    assert rate is None and "has none for that date" in why
    rate, why = ieps_rate_on("gasolina", dt.date(2026, 1, 1))
    assert rate is None and "is not one of" in why


@given(st.decimals(D("0.01"), D("100000"), places=2), st.sampled_from(["0", "0.05", "0.10"]))
def test_ieps_never_lowers_the_iva_and_a_zero_rate_changes_nothing(value: Decimal, igi: str) -> None:
    with_ieps = _compute(str(value), igi, "0.265").lines[0]
    without = _compute(str(value), igi, "0").lines[0]
    iva = {r.code: r.amount for r in with_ieps.contributions}[3]
    iva0 = {r.code: r.amount for r in without.contributions}[3]
    assert without.ieps == 0 and with_ieps.ieps >= 0 and iva >= iva0
    assert with_ieps.customs_value == without.customs_value


def test_the_rules_file_is_loaded_strictly() -> None:
    data: dict[str, Any] = read_yaml("duties/ieps.yaml")
    assert "B_alcohol" in parse_categories(data)
    entry = data["categories"]["B_alcohol"]
    with pytest.raises(RulesError, match="unknown keys"):
        parse_categories({**data, "categories": {"X": {**entry, "cuota": "1"}}})
    with pytest.raises(RulesError, match="quoted decimal"):
        parse_categories(
            {**data, "categories": {"X": {**entry, "rows": [{**entry["rows"][0], "rate": 0.5}]}}}
        )
    overlap = [{**entry["rows"][0]}, {**entry["rows"][0], "since": "2010-01-01"}]
    with pytest.raises(RulesError, match="overlap"):
        parse_categories({**data, "categories": {"X": {**entry, "rows": overlap}}})
