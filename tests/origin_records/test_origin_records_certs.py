"""Supplier certifications: load all-or-nothing, blanket limit, solicitation list and tracking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.cli import origin_records as cli_records
from immex.core.problems import InputError
from immex.origin import records_service as records
from immex.origin.orm import SolicitationRow, SupplierCertificationRow
from immex.origin.records import CertificationNeed, SupplierCertification, certification_status
from immex.store.db import open_database

from .origin_records_helpers import store_sample, write

runner = CliRunner()
app = typer.Typer()
cli_records.register(app)
HEADER = "supplier,part,valid_from,valid_to,criterion,document_ref,supplier_country\n"


def _count(url: str) -> int:
    engine = open_database(url)
    with Session(engine) as session:
        n = session.scalar(select(func.count()).select_from(SupplierCertificationRow)) or 0
    engine.dispose()
    return n


def test_load_stores_rows_and_reloading_changes_nothing(db_url: str, tmp_path: Path) -> None:
    store_sample(db_url)
    f = write(
        tmp_path / "c.csv",
        HEADER + "Acme Metals,HOUSING,2025-01-01,2025-12-31,B,ACME-2025-7,US\n"
        "Wire Co,WIRE,2025-01-01,2025-06-30,a,WC-1,US\n",
    )
    first = records.load_certifications(db_url, f)
    again = records.load_certifications(db_url, f)
    assert (first.new, first.unchanged) == (2, 0)
    assert (again.new, again.unchanged) == (0, 2)
    assert _count(db_url) == 2


def test_bad_rows_are_all_reported_and_nothing_is_stored(db_url: str, tmp_path: Path) -> None:
    store_sample(db_url)
    f = write(
        tmp_path / "c.csv",
        HEADER + "Acme,HOUSING,2025-01-01,2025-12-31,B,D1,US\n"  # good row: must not be stored either
        "Acme,NOPE,2025-01-01,2025-06-30,B,D2,US\n"  # unknown part
        "Acme,WIRE,2025-01-01,2026-01-01,B,D3,US\n"  # 12 months + 1 day
        "Acme,WIRE,2025-02-30,2025-06-30,E,,USA\n"  # bad date, criterion, missing ref, country
        "Acme,SCREW,2025-06-01,2025-05-31,B,D5,CN\n",
    )  # ends before it starts
    with pytest.raises(InputError) as caught:
        records.load_certifications(db_url, f)
    got = {(p.row, p.column) for p in caught.value.problems}
    assert {
        (3, "part"),
        (4, "valid_to"),
        (5, "valid_from"),
        (5, "criterion"),
        (5, "document_ref"),
        (5, "supplier_country"),
        (6, "valid_to"),
    } <= got
    assert 2 not in {p.row for p in caught.value.problems}
    assert _count(db_url) == 0


def test_blanket_period_of_exactly_twelve_months_is_accepted(db_url: str, tmp_path: Path) -> None:
    store_sample(db_url)
    f = write(tmp_path / "c.csv", HEADER + "Acme,WIRE,2024-03-01,2025-02-28,B,D1,US\n")
    assert records.load_certifications(db_url, f).new == 1


def test_same_key_with_other_values_is_a_conflict(db_url: str, tmp_path: Path) -> None:
    store_sample(db_url)
    records.load_certifications(
        db_url, write(tmp_path / "a.csv", HEADER + "Acme,WIRE,2025-01-01,2025-06-30,B,D1,US\n")
    )
    with pytest.raises(InputError) as caught:
        records.load_certifications(
            db_url, write(tmp_path / "b.csv", HEADER + "Acme,WIRE,2025-01-01,2025-05-31,B,D1,US\n")
        )
    assert caught.value.problems[0].column == "valid_to"
    assert "already stored" in caught.value.problems[0].message


def test_missing_list_names_missing_expired_and_expiring(db_url: str, tmp_path: Path) -> None:
    store_sample(db_url)
    records.load_certifications(
        db_url,
        write(
            tmp_path / "c.csv",
            HEADER + "Acme,HOUSING,2025-01-01,2025-03-10,B,H1,US\n"
            "Wire Co,WIRE,2024-01-01,2024-12-31,B,W1,US\n",
        ),
    )
    out = tmp_path / "ask.xlsx"
    lines = records.missing_certifications(db_url, dt.date(2025, 3, 1), 30, out)
    by_part = {line.part: line for line in lines}
    # MAGNET and SCREW are Chinese (no certification possible); ROTOR is self-produced.
    assert set(by_part) == {"HOUSING", "WIRE", "LABEL"}
    assert by_part["HOUSING"].status == "expiring" and by_part["HOUSING"].days_left == 9
    assert by_part["WIRE"].status == "expired" and by_part["WIRE"].supplier == "Wire Co"
    assert by_part["LABEL"].status == "missing"
    sheet = load_workbook(out)["solicitations"]
    assert [c.value for c in sheet[1]][:6] == [
        "part",
        "description",
        "hs",
        "country_of_origin",
        "supplier",
        "status",
    ]
    assert sheet.max_row == 4
    suppliers = list(load_workbook(out)["by supplier"].iter_rows(values_only=True))
    assert suppliers[0][:5] == ("supplier", "parts", "missing", "expired", "expiring")
    assert {r[0]: r[1] for r in suppliers[1:]} == {"(supplier not on file)": 1, "Wire Co": 1, "Acme": 1}


def test_a_renewal_on_file_removes_the_expiring_line(db_url: str, tmp_path: Path) -> None:
    store_sample(db_url)
    records.load_certifications(
        db_url,
        write(
            tmp_path / "c.csv",
            HEADER + "Acme,HOUSING,2025-01-01,2025-03-10,B,H1,US\n"
            "Acme,HOUSING,2025-03-11,2026-03-10,B,H2,US\n",
        ),
    )
    lines = records.missing_certifications(db_url, dt.date(2025, 3, 1), 30)
    assert "HOUSING" not in {line.part for line in lines}


def test_requests_are_tracked_and_closed_by_a_loaded_certification(db_url: str, tmp_path: Path) -> None:
    store_sample(db_url)
    day = dt.date(2025, 3, 1)
    lines = records.missing_certifications(db_url, day, 30, mark_requested=True)
    assert {line.solicitation_status for line in lines} == {"requested"}
    assert all(line.requested_on == day for line in lines)
    # marking again does not duplicate the open requests
    records.missing_certifications(db_url, day, 30, mark_requested=True)
    records.load_certifications(
        db_url,
        write(tmp_path / "c.csv", HEADER + "Acme,LABEL,2025-03-01,2025-12-31,C,L1,MX\n"),
        today=dt.date(2025, 3, 4),
    )
    engine = open_database(db_url)
    with Session(engine) as session:
        rows = list(session.scalars(select(SolicitationRow).order_by(SolicitationRow.part)))
    engine.dispose()
    assert len(rows) == 3
    assert {(r.part, r.status) for r in rows} == {
        ("HOUSING", "requested"),
        ("LABEL", "received"),
        ("WIRE", "requested"),
    }
    declined = records.record_solicitation(
        db_url, "WIRE", "declined", dt.date(2025, 3, 9), note="no longer US"
    )
    assert (declined.status, declined.status_on) == ("declined", dt.date(2025, 3, 9))
    with pytest.raises(InputError, match="input problem"):
        records.record_solicitation(db_url, "WIRE", "received", dt.date(2025, 3, 10))


def test_cli_load_reports_problems_as_csv_and_exits_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store_sample(url)
    f = write(tmp_path / "c.csv", HEADER + "Acme,WIRE,2025-01-01,2026-06-30,B,D1,US\n")
    result = runner.invoke(app, ["certs", "load", str(f), "--db", url])
    assert result.exit_code == 2
    assert 'c.csv,2,valid_to,"a blanket period may not exceed 12 months' in result.stderr
    ok = write(tmp_path / "d.csv", HEADER + "Acme,WIRE,2025-01-01,2025-12-31,B,D1,US\n")
    result = runner.invoke(app, ["certs", "load", str(ok), "--db", url])
    assert result.exit_code == 0, result.output
    out = tmp_path / "ask.xlsx"
    result = runner.invoke(
        app, ["certs", "missing", "--db", url, "--date", "2025-12-15", "--days", "30", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and "WIRE" in result.stdout


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-400, 400), st.integers(0, 364)), max_size=5),
    st.integers(0, 120),
)
def test_a_part_is_listed_exactly_when_its_coverage_ends_within_the_horizon(
    periods: list[tuple[int, int]], days: int
) -> None:
    """Invariant: listed iff no unbroken chain of certifications covers day..day+days."""
    day = dt.date(2025, 6, 1)
    certs = [
        SupplierCertification(
            "S", "P", day + dt.timedelta(days=a), day + dt.timedelta(days=a + n), "B", f"D{i}"
        )
        for i, (a, n) in enumerate(periods)
    ]
    need = CertificationNeed("P", "", "", "US", ("G",))
    lines = certification_status([need], {"P": certs}, {}, day, days)
    covered = all(any(c.covers(day + dt.timedelta(days=k)) for c in certs) for k in range(days + 1))
    assert (lines == []) == covered
    if lines:
        expected = (
            "expiring"
            if any(c.covers(day) for c in certs)
            else ("expired" if any(c.valid_to < day for c in certs) else "missing")
        )
        assert lines[0].status == expected


def test_certifications_load_from_the_first_sheet_of_a_workbook(db_url: str, tmp_path: Path) -> None:
    from openpyxl import Workbook

    store_sample(db_url)
    book = Workbook()
    sheet = book.active
    sheet.append(["supplier", "part", "valid_from", "valid_to", "criterion", "document_ref"])
    sheet.append(["Acme", "HOUSING", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "B", "H-9"])
    book.save(tmp_path / "c.xlsx")
    assert records.load_certifications(db_url, tmp_path / "c.xlsx").new == 1
