"""A Data Stage every record of which the authority accepted raises no Anexo 22 finding.

Issue 14: on one plant's month (327 pedimentos) ``immex datastage anexo22`` raised 1,289
findings and none was real. The synthetic Data Stage here carries the cases behind them —
aduana 85 (AIFA), identificadores SO / EO / PO of the current Apéndice 8, a transit (T3)
partida declared with the generic fracción 00000000, fracciones of the LIGIE 2022 on 2026
dates, IGI pending (forma 6) and DTA exempt (forma 9) — and must give 0 findings, while
a control with a fracción that does not exist gives exactly one.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from immex.compulsa.service import anexo22_check
from immex.datastage.service import import_datastage, summarize_zip
from immex.duties.tariff_service import DATA_DIR_ENV, TARIFF_COLUMNS
from tests.datastage.synth import real_world_lines

from .helpers import SMALL, field_of, zip_of


def _tariff_in_force_2026(lines: dict[str, list[str]], data_dir: Path, extra: str = "") -> None:
    """A tariff table that vouches for 2026: every fracción + NICO the accepted records use."""
    codes = {
        (field_of(line, "551", "Fraccion"), field_of(line, "551", "SubdivisionFraccion"))
        for line in lines["551"][1:]
    }
    folder = data_dir / "tariff"
    folder.mkdir(parents=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TARIFF_COLUMNS)
    for fraccion, nico in sorted(codes):
        if fraccion != "00000000" and len(fraccion) == 8 and fraccion != extra:
            writer.writerow([fraccion, nico or "00", "x", "", "", "2026-01-01", "", "test"])
    (folder / "ligie.csv").write_text(out.getvalue(), encoding="utf-8")


def _findings(zip_path: Path, output: Path) -> list[list[str]]:
    result = anexo22_check(zip_path, output)
    rows = list(csv.reader(io.StringIO(result.written.read_text(encoding="utf-8"))))
    assert len(rows) - 1 == len(result.problems)
    return rows[1:]


def test_accepted_records_give_no_finding_with_the_shipped_tariff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped table (whatever edition it holds) never judges a 2026 date with an older Tarifa."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "no-updates"))
    lines = real_world_lines(SMALL)
    assert _findings(zip_of(tmp_path, lines), tmp_path / "out") == []


def test_accepted_records_give_no_finding_with_a_tariff_that_vouches_for_2026(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = real_world_lines(SMALL)
    _tariff_in_force_2026(lines, tmp_path / "data")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    assert _findings(zip_of(tmp_path, lines), tmp_path / "out") == []


def test_the_check_still_finds_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: a fracción the Tarifa in force does not have, and 00000000 under a non-transit clave."""
    lines = real_world_lines(SMALL)
    _tariff_in_force_2026(lines, tmp_path / "data", extra="85171301")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    lines["551"][-2] = lines["551"][-2].replace("|T3|2026-01-14", "|IN|2026-01-14")
    findings = _findings(zip_of(tmp_path, lines), tmp_path / "out")
    rows = len(lines["551"])
    assert [(f[0], f[1], f[2]) for f in findings] == [
        ("7300001_551.asc", str(rows - 1), "Fraccion"),
        ("7300001_551.asc", str(rows), "Fraccion"),
    ]
    assert "generic code" in findings[0][3] and "not in the tariff in force on 2026-01-14" in findings[1][3]


def test_the_same_records_import_and_summarize_honestly(tmp_path: Path) -> None:
    lines = real_world_lines(SMALL)
    path = zip_of(tmp_path, lines)
    result = import_datastage(path, f"sqlite:///{tmp_path / 'x.db'}")
    assert result.pedimentos == len(lines["501"]) - 1
    summary = summarize_zip(path)
    igi = next(c for c in summary.contributions if c.code == "6")
    dta = next(c for c in summary.contributions if c.code == "1")
    assert dict(igi.by_forma)["6"] == Decimal(18700) and dict(dta.by_forma)["9"] == Decimal(462)
    assert summary.by_settlement["pending"] == Decimal(18700)
    assert summary.by_settlement["not_due"] >= Decimal(462)
