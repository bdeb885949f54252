"""The demo company's expiring report costs its regularizations (issue 13: the law behind the reports).

On 2026-12-07 (the session's date) every overdue lot of the demo entered between January and
June 2025, whose INPC months are in rules/inpc.yaml, and is regularized after the table's last
month (February 2026): CFF Art. 17-A second paragraph gives it the last published index, so
each A3 has an amount, with the INPC months it used. The demo's golden digests (2026-06-30)
pin the same report for another date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from immex.demo import build_demo_folder
from immex.discharge.methods import discharge
from immex.ledger.read import read_ledger
from immex.reports.options import cost_sources
from immex.reports.service import EXPIRING_HEADER, expiring_report

AS_OF = dt.date(2026, 12, 7)
CONTRIBUTIONS = ("igi_mxn", "dta_mxn", "iva_mxn", "ieps_mxn")


def _sum(row: dict[str, object], *columns: str) -> int:
    """The sum of whole-peso amounts (an empty one fails the test: it must be computed)."""
    amounts = [row[column] for column in columns]
    assert all(isinstance(amount, int) for amount in amounts), (columns, amounts, row["cost_missing"])
    return sum(int(str(amount)) for amount in amounts)


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    folder: Path = build_demo_folder(tmp_path_factory.mktemp("demo") / "input", AS_OF)
    staged = read_ledger(folder)
    assert staged.problems == [] and staged.ledger is not None
    sources = cost_sources(folder / "exchange_rates.csv", None, folder / "material_terms.csv")
    report = expiring_report(staged.ledger, discharge(staged.ledger), AS_OF, 90, True, sources)
    return [dict(zip(EXPIRING_HEADER, row, strict=True)) for row in report.rows]


def test_every_overdue_lot_of_the_demo_has_a_regularization_cost(rows: list[dict[str, object]]) -> None:
    overdue = [row for row in rows if row["status"] == "overdue"]
    assert overdue
    for row in overdue:
        assert isinstance(row["regularization_mxn"], int), row["cost_missing"]
        assert row["regularization_mxn"] == _sum(row, *CONTRIBUTIONS, "actualizacion_mxn", "recargos_mxn")
        assert "INPC 2026-02 / INPC 2025-" in str(row["actualizacion_inpc"])
        assert "CFF Art. 17-A segundo párrafo" in str(row["actualizacion_inpc"])  # Spanish by default
        assert "A3 " in str(row["what_to_do"]) and "costo no calculable" not in str(row["what_to_do"])


def test_a_lot_still_open_has_its_change_of_regime_updated(rows: list[dict[str, object]]) -> None:
    """Reglamento de la Ley Aduanera Art. 140 fr. III: the F4/F5 cost is the contributions plus
    their actualización to the as-of date."""
    costed = [row for row in rows if row["status"] != "overdue" and row["change_of_regime_mxn"] is not None]
    assert costed
    for row in costed:
        updated = _sum(row, *CONTRIBUTIONS, "change_of_regime_actualizacion_mxn")
        assert row["change_of_regime_mxn"] == updated
        assert str(row["actualizacion_inpc"]).startswith(("F4: INPC 2026-02", "F5: INPC 2026-02"))
