"""The progress protocol (immex.core.progress) and its rich bars on stderr (immex.cli.common)."""

from __future__ import annotations

import io

import pytest
from rich import progress as rich_progress
from rich.console import Console

from immex.cli import common
from immex.core.progress import QUIET, Progress, as_progress, counted
from tests.progress_recorder import Recorder


class Advances(Progress):
    def __init__(self) -> None:
        self.calls: list[int] = []

    def advance(self, n: int = 1) -> None:
        self.calls.append(n)


def test_counted_hands_on_every_item_and_advances_by_each_in_batches() -> None:
    watched = Advances()
    assert list(counted(range(10), watched, every=3)) == list(range(10))
    assert watched.calls == [3, 3, 3, 1]


def test_counted_advances_only_after_the_item_was_handled() -> None:
    watched = Advances()
    items = counted("ab", watched, every=1)
    assert next(items) == "a" and watched.calls == []  # "a" is still being handled
    assert next(items) == "b" and watched.calls == [1]


def test_as_progress_accepts_none_a_progress_and_an_old_style_callback() -> None:
    recorder = Recorder()
    assert as_progress(None) is QUIET and as_progress(recorder) is recorder
    names: list[str] = []
    old = as_progress(names.append)
    old.phase("reading", total=10, unit="rows")
    old.advance(5)  # an old callback has no counts to hear: ignored
    old("writing")  # the old call form still starts a step
    assert names == ["reading", "writing"]
    recorder("plain call")
    assert [(s.name, s.total) for s in recorder.steps] == [("plain call", None)]


def _counts(steps: list[tuple[str, int | None, str, int]]) -> dict[str, tuple[str, bool]]:
    """(count column text, finished) of each step shown by the bars: (name, total, unit, advanced)."""
    bars = rich_progress.Progress(*common._columns(), console=Console(file=io.StringIO()), auto_refresh=False)
    shown = common._Bars(bars)
    for name, total, unit, done in steps:
        shown.phase(name, total, unit)
        shown.advance(done)
    shown.finish()
    column = common._CountColumn()
    return {task.description: (str(column.render(task)), task.finished) for task in bars.tasks}


def test_bars_show_sizes_counts_and_no_count_for_a_step_of_unknown_size() -> None:
    shown = _counts(
        [
            ("validating", 3_000_000, "bytes", 1_500_000),
            ("storing", 12_000, "rows", 4_000),
            ("committing", None, "", 0),
        ]
    )
    assert shown == {
        "validating": ("1.5 MB/3.0 MB", False),  # stopped half way: not drawn as complete
        "storing": ("4,000/12,000 rows", False),
        "committing": ("", True),  # no size to show; a full bar once it is over
    }


def test_no_bars_and_no_output_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(common, "stderr", Console(file=screen))
    with common.progress_bars() as progress:
        assert progress is QUIET
        progress.phase("discharging", total=3)
        progress.advance(3)
    assert screen.getvalue() == ""


def test_bars_on_a_terminal_go_to_stderr_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(common, "stderr", Console(file=screen, force_terminal=True, width=100))
    with common.progress_bars() as progress:
        assert progress is not QUIET
        progress.phase("discharging", total=3, unit="export lines")
        progress.advance(3)
        print("result")  # stdout keeps its own stream even while the bars are drawn
    assert "3/3 export lines" in screen.getvalue()
    assert capsys.readouterr().out == "result\n"
