"""The summary accumulator: period, counts, sums, from plain values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.datastage.service import summarize_zip
from immex.datastage.summary import SummaryBuilder

from .helpers import small_lines, zip_of


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
