"""The automotive and HS-correlation data: counts as published, strict loading, and regeneration
byte for byte from the official source files.

The regeneration tests find each file through its environment variable, or else in
``../shared/data`` beside the checkout (``tests/shared_data.py``), as the GN 11 and TIGIE tests do:

- ``IMMEX_UR_XML`` / ``SOR-2020-155.xml``: Canada's Uniform Regulations SOR/2020-155, English XML
  (``eng/regulations/SOR-2020-155.xml`` of the public repository ``justicecanada/laws-lois-xml``);
- ``IMMEX_HS_CORRELATION_XLSX`` / ``HS2022toHS2012ConversionAndCorrelationTables.xlsx``: the UNSD
  workbook (``data-raw/`` of the public repository ``insongkim/concordance``).

``docs/origin_automotive.md`` says where each comes from and its SHA-256.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from immex.rules import RulesError
from immex.rules.usmca import automotive_data as auto_module
from immex.rules.usmca.automotive_data import automotive_data, step_on
from tests.shared_data import shared_data_file

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "src" / "immex" / "rules" / "usmca"
UR_XML = shared_data_file("IMMEX_UR_XML", "SOR-2020-155.xml")
HS_XLSX = shared_data_file("IMMEX_HS_CORRELATION_XLSX", "HS2022toHS2012ConversionAndCorrelationTables.xlsx")


def test_tables_hold_the_appendix_rows() -> None:
    tables = automotive_data().tables
    counts = {key: len(rows) for key, (_, rows) in tables.items()}
    # Rows of the Appendix tables as printed in SOR/2020-155 Part 6 (S: steel, then aluminum)
    assert counts == {"A.1": 17, "A.2": 42, "B": 38, "C": 27, "D": 35, "E": 15, "F": 76, "S": 47}
    a1 = [(code, ex) for row in tables["A.1"][1] for code, ex in row.codes]
    assert ("870840", False) in a1 and ("870829", True) in a1 and ("850760", False) in a1
    column_1 = {row.part for row in tables["A.2"][1]}
    assert {"Engines", "Transmissions", "Body and chassis", "Axles", "Advanced batteries"} <= column_1


def test_every_threshold_has_a_citation_and_dates_in_order() -> None:
    data = automotive_data()
    for name, (steps, reference) in data.rvc.items():
        assert reference.startswith("HTSUS GN 11(k)"), name
        assert steps[0].since == dt.date(2020, 7, 1), name
        assert all(s.citation.startswith("(k)(iii)") for s in steps), name
    assert step_on(data.rvc["passenger_vehicle_light_truck"][0], dt.date(2030, 1, 1)).nc == 75


def test_threshold_before_usmca_is_an_error() -> None:
    with pytest.raises(RulesError, match="no automotive threshold"):
        step_on(automotive_data().rvc["heavy_truck"][0], dt.date(2020, 6, 30))


def test_loader_refuses_unsorted_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    original = auto_module.read_text

    def broken(name: str) -> str:
        text = original(name)
        if name == "automotive.yaml":
            text = text.replace('since: 2021-07-01, nc: "69"', 'since: 2019-07-01, nc: "69"', 1)
        return text

    monkeypatch.setattr(auto_module, "read_text", broken)
    automotive_data.cache_clear()
    try:
        with pytest.raises(RulesError, match="increasing order"):
            automotive_data()
    finally:
        automotive_data.cache_clear()


def test_loader_refuses_a_missing_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    original = auto_module.read_text

    def broken(name: str) -> str:
        text = original(name)
        if name == "automotive.yaml":
            text = text.replace("    reference: HTSUS GN 11(k)(iii)(J)\n", "    reference: ''\n", 1)
        return text

    monkeypatch.setattr(auto_module, "read_text", broken)
    automotive_data.cache_clear()
    try:
        with pytest.raises(RulesError, match="missing reference"):
            automotive_data()
    finally:
        automotive_data.cache_clear()


@pytest.mark.parametrize(
    "script", ["scripts/regenerate_automotive_tables.py", "scripts/regenerate_hs_correlation.py"]
)
def test_scripts_refuse_another_file(tmp_path: Path, script: str) -> None:
    other = tmp_path / "other.bin"
    other.write_bytes(b"not the official file")
    proc = subprocess.run(
        [sys.executable, str(ROOT / script), str(other), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "SHA-256" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def _regenerates(tmp_path: Path, script: str, source: str, committed: Path) -> None:
    out = tmp_path / committed.name
    proc = subprocess.run(
        [sys.executable, str(ROOT / script), source, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == committed.read_bytes()


@pytest.mark.skipif(UR_XML is None, reason="set IMMEX_UR_XML, or put SOR-2020-155.xml in ../shared/data")
def test_automotive_tables_regenerate_byte_for_byte(tmp_path: Path) -> None:
    assert UR_XML is not None
    _regenerates(
        tmp_path, "scripts/regenerate_automotive_tables.py", str(UR_XML), RULES / "automotive_tables.yaml"
    )


@pytest.mark.skipif(
    HS_XLSX is None,
    reason="set IMMEX_HS_CORRELATION_XLSX, or put HS2022toHS2012ConversionAndCorrelationTables.xlsx "
    "in ../shared/data",
)
def test_hs_correlation_regenerates_byte_for_byte(tmp_path: Path) -> None:
    assert HS_XLSX is not None
    _regenerates(
        tmp_path,
        "scripts/regenerate_hs_correlation.py",
        str(HS_XLSX),
        RULES / "hs_correlation_2022_2012.csv",
    )
