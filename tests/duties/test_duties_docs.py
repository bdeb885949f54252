"""The ``console`` examples of docs/duties.md run as written and print what the page shows.

Each ``$ immex ...`` line of a console block is run with the files of docs/examples/duties
(from the repository root; a data directory the command writes goes to a temporary
directory) and its stdout is compared with the lines below it, up to the next ``$``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from immex.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "duties.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
runner = CliRunner()


def examples() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for block in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        for chunk in block.split("$ ")[1:]:
            command, _, output = chunk.partition("\n")
            found.append((command, output))
    return found


def test_the_page_has_examples_and_their_files_exist() -> None:
    found = examples()
    assert len(found) >= 6
    for command, _ in found:
        for arg in shlex.split(command):
            if arg.startswith("docs/"):
                assert (ROOT / arg).is_file(), arg


@pytest.mark.parametrize(("command", "output"), examples(), ids=lambda v: v[:60])
def test_documented_command_prints_what_the_page_shows(
    command: str, output: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = shlex.split(command)
    assert args[0] == "immex"
    args = [str(ROOT / a) if a.startswith("docs/") else a for a in args[1:]]
    monkeypatch.chdir(tmp_path)  # `immex-data/` (the default data directory) lands here
    monkeypatch.delenv("IMMEX_DATA_DIR", raising=False)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == output


def test_the_excerpt_needs_keep_for_its_mixed_duty(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "duties",
            "tariff",
            "update",
            "--file",
            str(ROOT / "docs/examples/duties/tigie-excerpt.csv"),
            "--since",
            "2026-03-30",
            "--source",
            "TIGIE excerpt",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "tigie-excerpt.csv:2:igi_rate: 'AMX (10%+0.36 Dls por Kg de azúcar)' is not an ad "
        "valorem rate (a percentage or Ex.); --non-ad-valorem keep loads such a row without a "
        "rate, keeping its text\n"
    )
    assert not (tmp_path / "tariff").exists()


def test_a_rate_beside_a_duty_note_is_an_error_naming_the_row(tmp_path: Path) -> None:
    header = (ROOT / "docs/examples/duties/tigie-excerpt.csv").read_text(encoding="utf-8")
    header = header.splitlines()[0]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header + "\n"
        "8544429999,85444299,99,Los demás.,Kg,5.0,Ex.,0.0,Ex.,x\n"
        "0402109900,04021099,00,Las demás.,Kg,10.0,AMX (10%+0.36 Dls por Kg),0.0,Ex.,x\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "duties",
            "tariff",
            "update",
            "--file",
            str(bad),
            "--since",
            "2026-03-30",
            "--source",
            "s",
            "--data-dir",
            str(tmp_path / "d"),
            "--non-ad-valorem",
            "keep",
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "bad.csv:2:igi_rate: rate 5.0 and the note 'Ex.' (exempt) disagree",
        "bad.csv:3:igi_rate: an ad valorem rate 10.0 and the duty 'AMX (10%+0.36 Dls por Kg)' "
        "in the note: which one is the duty?",
    ]
