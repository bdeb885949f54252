"""Progress of the Data Stage reader, import and summary: bytes of the ZIP's entries, then records."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from immex.cli import app, common
from immex.datastage import read as ds
from immex.datastage.service import SUMMARY_TYPES, import_datastage, summarize_store, summarize_zip
from tests.progress_recorder import Recorder

from .helpers import small_lines, zip_of


def _entry_bytes(path: Path) -> int:
    """Uncompressed size of the Data Stage entries, from the ZIP's directory."""
    with zipfile.ZipFile(path) as archive:
        return sum(i.file_size for i in archive.infolist() if ds.entry_type(i.filename) is not None)


def _data_lines(types: tuple[str, ...]) -> int:
    """Data lines (header excluded) of ``types`` in the test ZIP, counted from the lines written."""
    return sum(len(lines) - 1 for tipo, lines in small_lines().items() if tipo in types)


def test_reading_a_zip_counts_every_byte_of_its_entries_in_both_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ds, "_CHUNK", 997)  # many reads per entry: the bar moves inside an entry too
    path = zip_of(tmp_path, small_lines())
    recorder = Recorder()
    read = ds.read_zip(path, progress=recorder)
    assert read.ok
    size = _entry_bytes(path)
    assert size > 20 * 997
    assert recorder.names == ["scanning ds.zip", "validating ds.zip"]
    assert [(s.total, s.done, s.unit) for s in recorder.steps] == [(size, size, "bytes")] * 2


def test_import_counts_the_bytes_it_validates_and_stores_then_commits(tmp_path: Path) -> None:
    path = zip_of(tmp_path, small_lines())
    recorder = Recorder()
    result = import_datastage(path, f"sqlite:///{tmp_path / 'store.db'}", recorder)
    assert result.counts["551"] == _data_lines(("551",))
    assert recorder.names == [
        "scanning ds.zip",
        "validating and storing ds.zip",
        "writing the last rows",
        "committing",
    ]
    size = _entry_bytes(path)
    assert [(s.total, s.done) for s in recorder.sized()] == [(size, size)] * 2
    assert recorder.unsized_advanced() == []


def test_summaries_count_every_record_they_read(tmp_path: Path) -> None:
    path = zip_of(tmp_path, small_lines())
    expected = _data_lines(SUMMARY_TYPES)
    from_zip = Recorder()
    summary = summarize_zip(path, from_zip)
    step = from_zip.step("summarizing")
    assert step.total == step.done == expected and step.unit == "records"
    assert summary.partidas == _data_lines(("551",)) < expected

    url = f"sqlite:///{tmp_path / 'store.db'}"
    import_datastage(path, url)
    from_store = Recorder()
    assert summarize_store(url, from_store).as_json() | {"source": ""} == summary.as_json() | {"source": ""}
    step = from_store.step("summarizing the store")
    assert step.total == step.done == expected


def test_cli_summary_json_is_unchanged_while_the_bars_go_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = zip_of(tmp_path, small_lines())
    args = ["datastage", "summary", str(path), "--format", "json"]
    plain = CliRunner().invoke(app, args)
    screen = io.StringIO()
    monkeypatch.setattr(common, "stderr", Console(file=screen, force_terminal=True, width=120))
    shown = CliRunner().invoke(app, args)
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == json.loads(plain.stdout)
    expected = _data_lines(SUMMARY_TYPES)
    assert f"{expected}/{expected} records" in screen.getvalue()
    assert "summarizing" not in shown.stdout and "summarizing" not in plain.stderr
