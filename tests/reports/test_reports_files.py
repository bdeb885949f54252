"""A report file is replaced whole or not at all; a full disk is one line, not a traceback."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from immex.cli import app
from tests.ledger.ledger_files import exp, imp, part, write_ledger


def ledger(folder: Path) -> Path:
    return write_ledger(
        folder,
        parts=[part("A")],
        imports=[imp("25 47 3456 5000001", 1, "A", "5", "2025-01-01")],
        exports=[exp("25 47 3456 6000001", 1, "A", "3", "2025-02-01")],
    )


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_full_disk_keeps_the_previous_report_and_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    ledger(tmp_path / "in")
    report = tmp_path / "reports" / f"balances{suffix}"
    report.parent.mkdir()
    report.write_bytes(b"the previous report")

    def half_then_full(self: object, target: str | Path, *_args: object) -> None:
        Path(target).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device")

    def full(_value: object) -> str:  # the CSV writer fails on its first data row
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "save", half_then_full)
    monkeypatch.setattr("immex.core.table_files.csv_text", full)
    result = CliRunner().invoke(
        app, ["report", "balances", "--input", str(tmp_path / "in"), "--output", str(report)]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"cannot write {report}: no space left on device; it was left as it was; "
        "free some space and run the command again\n"
    )
    assert report.read_bytes() == b"the previous report"
    assert [p.name for p in report.parent.iterdir()] == [report.name]  # no temporary file left
