"""Every JSON case file is read as users save it, or refused in one line (core.jsonfile).

A case saved by Notepad (UTF-8 with a BOM, or UTF-16) or in the ANSI code page
(Windows-1252, an accented "Válvula") gives the same answer as the UTF-8 file;
bytes of no encoding, NUL bytes and syntax errors are exit 2 with the reason.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from immex.cli import app
from immex.core.jsonfile import JsonFileError, read_json

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"
CASES = [
    ("origin", "qualify", EXAMPLES / "origin" / "electric-motor.json"),
    ("duties", "pedimento", EXAMPLES / "duties" / "pedimento-minimum-dta.json"),
]
ENCODINGS = {
    "utf-8 with BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16": lambda text: text.encode("utf-16"),
    "windows-1252": lambda text: text.encode("cp1252"),
}


def _accented(case: Path) -> str:
    data = json.loads(case.read_text(encoding="utf-8"))
    data["note"] = "Válvula de presión, año 2026"  # not read by the engines: only the bytes change
    return json.dumps(data, ensure_ascii=False, indent=2)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize(("group", "command", "case"), CASES)
def test_a_case_saved_in_another_encoding_gives_the_same_answer(
    tmp_path: Path, group: str, command: str, case: Path, encoding: str
) -> None:
    text = _accented(case)
    plain, other = tmp_path / "plain.json", tmp_path / "other.json"
    plain.write_text(text, encoding="utf-8")
    other.write_bytes(ENCODINGS[encoding](text))
    runner = CliRunner()
    expected = runner.invoke(app, [group, command, "--input", str(plain), "--format", "json"])
    got = runner.invoke(app, [group, command, "--input", str(other), "--format", "json"])
    assert got.exit_code == expected.exit_code
    assert got.stdout == expected.stdout
    assert expected.exit_code == 0 and expected.stdout.strip()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": \x81}', "is neither UTF-8 (invalid byte at byte offset 6) nor Windows-1252"),
        (b'{"a": 1}\x00', "has a NUL byte at byte offset 8: save it as UTF-8"),
        (b'{"a": 1,\n "b": }', "not valid JSON: Expecting value at line 2 column 7"),
        (b"[" * 100_000, "not valid JSON: nested too deeply"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "case.json"
    path.write_bytes(content)
    with pytest.raises(JsonFileError) as caught:
        read_json(path)
    assert message in str(caught.value)


@pytest.mark.parametrize(("group", "command", "case"), CASES)
def test_the_commands_refuse_such_a_file_with_exit_2_and_no_traceback(
    tmp_path: Path, group: str, command: str, case: Path
) -> None:
    path = tmp_path / "case.json"
    path.write_bytes(case.read_bytes() + b"\x81\x00")
    result = CliRunner().invoke(app, [group, command, "--input", str(path)])
    assert result.exit_code == 2
    assert "NUL byte at byte offset" in result.stderr and "Traceback" not in result.stderr
