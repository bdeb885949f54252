"""What ``immex COMMAND`` loads at start: only the areas that command needs (each costs start-up time)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from immex.cli import build_app
app = build_app({only!r})
names = sorted(group.name for group in app.registered_groups)
print(" ".join(names))
print(" ".join(sorted(m for m in sys.modules if m.startswith(("immex.cli.", "immex.reports.service")))))
"""


def _started(only: str | None) -> tuple[list[str], list[str]]:
    """The command groups and the immex modules a fresh interpreter holds after ``build_app(only)``."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(only=only)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return out[0].split(), out[1].split()


def test_the_discharge_does_not_load_the_report_commands() -> None:
    groups, modules = _started("discharge")
    assert "report" not in groups
    assert "immex.cli.ledger_reports" not in modules
    assert "immex.cli.origin" not in modules  # nor the other areas


def test_immex_report_and_the_whole_tree_have_every_report_command() -> None:
    for only in ("report", None):
        groups, modules = _started(only)
        assert "report" in groups
        assert "immex.cli.ledger_reports" in modules
