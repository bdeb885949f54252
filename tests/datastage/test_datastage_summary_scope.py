"""The summary splits the pedimentos as the compulsa scopes them: Anexo 24 movements and the rest by clave."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from immex.datastage.service import summarize_zip
from immex.datastage.summary import SummaryBuilder

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "examples" / "datastage" / "datastage-2026-01.zip"
DAY = dt.date(2026, 1, 15)


def test_each_pedimento_is_a_movement_or_counted_by_its_clave() -> None:
    builder = SummaryBuilder(source="t")
    pedimentos = (("IN", "1"), ("V1", "2"), ("F4", "1"), ("A3", "1"), ("a1", "1"), ("T3", "1"), ("A1", "2"))
    for clave, tipo in pedimentos:
        builder.pedimento(clave, DAY, tipo, "1")
    summary = builder.build()
    assert summary.anexo24_movements == 4
    assert summary.not_anexo24 == (("A1", 2), ("T3", 1))
    assert summary.as_json()["anexo24"] == {"movements": 4, "not_movements_by_clave": {"A1": 2, "T3": 1}}


def test_the_sample_data_stage_has_two_definitive_imports_and_a_transit() -> None:
    summary = summarize_zip(SAMPLE)
    assert (summary.anexo24_movements, summary.not_anexo24) == (3, (("A1", 2), ("T3", 1)))
    assert summary.anexo24_movements + sum(n for _, n in summary.not_anexo24) == summary.pedimentos
