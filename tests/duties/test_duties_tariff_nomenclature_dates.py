"""Which dates the shipped nomenclature can vouch for (issue 14): the LIGIE 2022 list is known only
as the Tarifa in force on 2026-03-30 (``rules/duties/tariff/sources.yaml``, ``vouches_from``), so
between 2022-12-12 and 2026-03-29 a fracción is neither accepted nor reported by the Anexo 22
check ("unverifiable"), and ``tariff show`` says the data cannot vouch for that date.

0201.20.99 is a LIGIE 2020 fracción that the LIGIE 2022 replaced by 0201.20.91 (both in the
shipped data: the SAT catalog for the 2020 Tarifa, the TIGIE file for the 2022 one).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from immex.cli.duties import app
from immex.core import anexo22
from immex.duties import tariff_service as svc
from immex.duties.tariff import TariffRow

D = dt.date
NONE = Path("no-such-data-dir")
runner = CliRunner()


@cache
def shipped_index() -> anexo22.TariffIndex:
    index = anexo22.tariff_index(svc.nomenclature_evidence(svc.tariff_rows(NONE)))
    assert index is not None
    return index


def test_the_2026_list_is_no_evidence_before_2026_03_30() -> None:
    evidence = svc.nomenclature_evidence(svc.tariff_rows(NONE))
    periods = {(since, until) for _, _, since, until in evidence}
    # LIGIE 2020 (SAT catalog) until the LIGIE 2022 began, then the 2026 Tarifa from its date
    assert periods == {(D(2020, 12, 28), D(2022, 12, 11)), (D(2026, 3, 30), None)}


def test_a_fraccion_the_2022_tarifa_replaced_is_judged_only_where_the_data_vouches() -> None:
    index = shipped_index()
    # 2021: the LIGIE 2020 is in force and the data has it: 0201.20.99 is valid, 0201.20.91 is not
    assert anexo22.fraccion_status("02012099", "00", D(2021, 6, 1), index) == ("valid", None)
    status, finding = anexo22.fraccion_status("02012091", "00", D(2021, 6, 1), index)
    assert status == "invalid" and finding is not None and "LIGIE" in finding
    # 2023-2026-03-29: the LIGIE 2022 is in force, but known only as published on 2026-03-30
    for day in (D(2022, 12, 12), D(2023, 6, 1), D(2026, 3, 29)):
        assert anexo22.fraccion_status("02012099", "00", day, index) == ("unverifiable", None)
        assert anexo22.fraccion_status("02012091", "00", day, index) == ("unverifiable", None)
        assert anexo22.validate_fraccion("02012099", "00", day, index) is None
    # from 2026-03-30 the 2026 Tarifa judges: the 2020 code is gone, the 2022 one is there
    status, finding = anexo22.fraccion_status("02012099", "00", D(2026, 3, 30), index)
    assert status == "invalid" and finding is not None and "2026-03-30" in finding
    assert anexo22.fraccion_status("02012091", "00", D(2026, 3, 30), index) == ("valid", None)


@given(st.dates(D(2022, 12, 12), D(2026, 3, 29)), st.from_regex(r"[0-9]{8}", fullmatch=True))
def test_no_finding_for_any_fraccion_on_a_date_the_data_cannot_vouch_for(day: dt.date, code: str) -> None:
    if code in ("00000000", "99999999"):  # the generic codes are judged by their clave only
        return
    assert anexo22.validate_fraccion(code, "", day, shipped_index()) is None


def test_a_release_the_user_loads_vouches_from_its_own_date() -> None:
    # A release the user loads (source not in sources.yaml) is evidence from its own `since`
    user = TariffRow(
        "02012091", "00", "Los demás.", "Kg", Decimal("0.2"), D(2024, 1, 1), None, "DOF 2023-12-15"
    )
    evidence = svc.nomenclature_evidence([*svc.tariff_rows(NONE), user])
    index = anexo22.tariff_index(evidence)
    assert index is not None
    assert anexo22.fraccion_status("02012091", "00", D(2024, 6, 1), index) == ("valid", None)
    assert anexo22.fraccion_status("02012099", "00", D(2024, 6, 1), index)[0] == "invalid"
    assert anexo22.fraccion_status("02012099", "00", D(2023, 6, 1), index)[0] == "unverifiable"


def test_tariff_show_says_when_the_data_cannot_vouch_for_the_date() -> None:
    before = svc.tariff_show("8544.42.99.99", D(2025, 6, 1), NONE)
    assert before.rows and before.rows[0].igi_rate is None
    assert before.unverifiable is not None and "2026-03-30" in before.unverifiable
    assert svc.tariff_show("8544.42.99.99", D(2026, 6, 1), NONE).unverifiable is None
    assert svc.tariff_show("8544.42.99.99", D(2021, 6, 1), NONE).unverifiable is None


def test_cli_does_not_say_no_for_a_fraccion_on_an_unverifiable_date() -> None:
    missing = runner.invoke(
        app, ["tariff", "show", "0201.20.99", "--date", "2024-01-10", "--data-dir", str(NONE)]
    )
    assert missing.exit_code == 1
    assert "cannot vouch for the nomenclature on 2024-01-10" in missing.output
    assert "not in the tariff in force" not in missing.output
    gone = runner.invoke(
        app, ["tariff", "show", "0201.20.99", "--date", "2026-06-01", "--data-dir", str(NONE)]
    )
    assert gone.exit_code == 1 and "not in the tariff in force on 2026-06-01" in gone.output
    shown = runner.invoke(
        app, ["tariff", "show", "8544.42.99", "--date", "2025-06-01", "--data-dir", str(NONE)]
    )
    assert shown.exit_code == 0 and "note: the tariff data cannot vouch" in shown.output
