"""What ``immex COMMAND`` loads at start: only the areas that command needs (each costs start-up time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.discharge_scale.synth import write_units_folder

PROBE = """
import sys
from immex.cli import build_app
app = build_app({only!r})
names = sorted(group.name for group in app.registered_groups)
print(" ".join(names))
print(" ".join(sorted(m for m in sys.modules if m.startswith(("immex.cli.", "immex.reports.service")))))
"""


RUN = """
import sys
from immex.cli import main
sys.argv = ["immex", "discharge", "--input", {source!r}, "--output", {target!r}, "--as-of", "2026-11-23"]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(" ".join(sorted(m for m in sys.modules if m.startswith(("sqlalchemy", "alembic", "immex.")))))
"""

# What only ``--db``, the API or other commands need: none is loaded by ``immex discharge`` without ``--db``.
NOT_FOR_THE_BATCH_DISCHARGE = (
    "sqlalchemy",
    "alembic",
    "immex.store",
    "immex.ledger.orm",
    "immex.api",
    "immex.reports",
)


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


def test_the_discharge_without_db_loads_no_store_module(tmp_path: Path) -> None:
    """A whole ``immex discharge`` run in a fresh interpreter: SQLAlchemy (about 0.4 s of start-up
    with the ORM models) and the store's modules stay out; the columnar engine ran."""
    write_units_folder(tmp_path / "in", 40, 30, seed=3)
    out = subprocess.run(
        [sys.executable, "-c", RUN.format(source=str(tmp_path / "in"), target=str(tmp_path / "out"))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    modules = out[-1].split()
    assert "immex.discharge.columnar_run" in modules
    assert [m for m in modules if m.startswith(NOT_FOR_THE_BATCH_DISCHARGE)] == []
    assert json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["engine"] == "columnar"


def test_the_discharge_with_db_still_takes_the_stored_path(tmp_path: Path) -> None:
    """The light entry hands ``--db`` to the service: the run is stored (engine ``stored``)."""
    write_units_folder(tmp_path / "in", 40, 30, seed=3)
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    probe = RUN.replace('"--as-of"', f'"--db", {db!r}, "--as-of"')
    out = subprocess.run(
        [sys.executable, "-c", probe.format(source=str(tmp_path / "in"), target=str(tmp_path / "out"))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "sqlalchemy" in out[-1].split()
    assert json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["engine"] == "stored"
