"""The summary accumulator: period, counts, sums, from plain values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.datastage.service import summarize_zip
from immex.datastage.summary import SummaryBuilder

from .helpers import field_of, small_lines, zip_of


def test_period_from_dates_without_resumen_and_from_resumen_with_it() -> None:
    b = SummaryBuilder("x")
    b.pedimento("in", dt.date(2026, 1, 9), "1", "1")
    b.pedimento("RT", dt.date(2025, 12, 30), "2", "2")
    s = b.build()
    assert s.period == (dt.date(2025, 12, 30), dt.date(2026, 1, 9)) and s.period_from == "dates"
    assert dict(s.by_clave) == {"IN": 1, "RT": 1}
    assert dict(s.by_month) == {"2025-12": 1, "2026-01": 1}
    assert (s.imports, s.exports, s.rectifications) == (1, 1, 1)
    b.resumen(dt.date(2025, 12, 1), dt.date(2026, 1, 31))
    assert b.build().period == (dt.date(2025, 12, 1), dt.date(2026, 1, 31))


def test_contributions_by_code_and_level_exact() -> None:
    b = SummaryBuilder("x", names={"6": "IGI/IGE"})
    b.contribution("partida", "6", "100.10")
    b.contribution("partida", "6", "0.20")
    b.contribution("pedimento", "1", "5")
    b.contribution("pedimento", "1", "n/a")
    b.contribution("pedimento", "1", "")
    s = b.build()
    assert [c.code for c in s.contributions] == ["1", "6"]
    six = s.contributions[1]
    assert six.name == "IGI/IGE" and six.lines == 2 and six.total == Decimal("100.30")
    assert s.contributions[0].lines == 3 and s.contributions[0].total == Decimal(5)
    assert s.unreadable_amounts == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=10**9, places=2), max_size=40))
def test_usd_sum_is_exact(values: list[Decimal]) -> None:
    b = SummaryBuilder("x")
    for v in values:
        b.partida(v)
    s = b.build()
    assert s.partidas == len(values)
    assert s.value_usd == sum(values, Decimal(0))
    assert s.as_json()["value_usd"] == f"{sum(values, Decimal(0)):.2f}"


def test_zip_summary_counts_match_the_files(tmp_path: Path) -> None:
    lines = small_lines()
    s = summarize_zip(zip_of(tmp_path, lines))
    assert s.pedimentos == len(lines["501"]) - 1
    assert s.partidas == len(lines["551"]) - 1
    assert s.period_from == "resumen"
    assert sum(c.lines for c in s.contributions) == sum(len(lines[t]) - 1 for t in ("510", "557", "702"))


FORMAS = {
    "0": ("EFECTIVO", "paid"),
    "6": ("PENDIENTE DE PAGO", "pending"),
    "9": ("EXENTO DE PAGO", "not_due"),
    "21": ("CRÉDITO EN IVA E IEPS", "credited"),
}


def test_importe_pago_is_split_by_forma_de_pago_and_only_paid_formas_count_as_paid() -> None:
    """IGI pending under forma 6 and DTA exempt under forma 9 are not paid (issue 14)."""
    b = SummaryBuilder("x", names={"1": "DTA", "6": "IGI/IGE"}, formas=FORMAS)
    b.contribution("partida", "6", "1000", "6")
    b.contribution("partida", "6", "250", "0")
    b.contribution("pedimento", "1", "462", "9")
    b.contribution("pedimento", "1", "38", "00")  # two-digit forma, as some systems write it
    b.contribution("partida", "3", "70", "77")  # a forma not in Apéndice 13
    s = b.build()
    dta, iva, igi = s.contributions
    assert (igi.total, igi.paid, igi.not_paid) == (Decimal(1250), Decimal(250), Decimal(1000))
    assert dict(igi.by_forma) == {"0": Decimal(250), "6": Decimal(1000)}
    assert (dta.total, dta.paid, dta.not_paid) == (Decimal(500), Decimal(38), Decimal(462))
    assert iva.paid == 0
    assert [(f.forma, f.settlement, f.lines, f.amount) for f in s.formas] == [
        ("0", "paid", 2, Decimal(288)),
        ("6", "pending", 1, Decimal(1000)),
        ("9", "not_due", 1, Decimal(462)),
        ("77", "unknown", 1, Decimal(70)),
    ]
    assert s.by_settlement == {
        "paid": Decimal(288),
        "pending": Decimal(1000),
        "not_due": Decimal(462),
        "unknown": Decimal(70),
    }
    document = s.as_json()
    assert document["contributions"][2]["by_forma_pago"] == {"0": "250", "6": "1000"}
    assert document["contributions"][2]["paid"] == "250" and document["by_settlement"]["pending"] == "1000"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["1", "3", "6"]),
            st.sampled_from(["0", "5", "6", "9", "21"]),
            st.integers(0, 10**7),
        ),
        max_size=30,
    )
)
def test_forma_totals_add_up_to_the_contribution_totals(lines: list[tuple[str, str, int]]) -> None:
    b = SummaryBuilder("x", formas=FORMAS)
    for code, forma, amount in lines:
        b.contribution("partida", code, str(amount), forma)
    s = b.build()
    total = sum((c.total for c in s.contributions), Decimal(0))
    assert sum((f.amount for f in s.formas), Decimal(0)) == total
    assert sum((c.paid for c in s.contributions), Decimal(0)) == sum(
        (Decimal(a) for _, f, a in lines if f == "0"), Decimal(0)
    )
    for c in s.contributions:
        assert sum((a for _, a in c.by_forma), Decimal(0)) == c.total


def test_zip_summary_counts_as_paid_only_what_was_paid(tmp_path: Path) -> None:
    """The synthetic IMMEX imports declare IGI under forma 5 and IVA under 21: neither is paid."""
    lines = small_lines()
    s = summarize_zip(zip_of(tmp_path, lines))
    cash = Decimal(0)
    for tipo in ("510", "557", "702"):
        for line in lines[tipo][1:]:
            if field_of(line, tipo, "FormaPago") == "0":
                cash += Decimal(field_of(line, tipo, "ImportePago"))
    assert sum((c.paid for c in s.contributions), Decimal(0)) == cash
    assert s.by_settlement.get("paid", Decimal(0)) == cash
    assert {f.forma for f in s.formas} <= {"0", "5", "21"}
    assert sum(f.lines for f in s.formas) == sum(c.lines for c in s.contributions)
