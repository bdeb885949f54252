"""``immex discharge`` with plain options runs without Typer's parsing (no Pydantic import),
with the same outputs, messages and exit codes as the Typer path; anything else goes to Typer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from immex.cli.discharge import _plain_values
from tests.discharge_scale.synth import write_units_folder

# ``main()`` (the fast path for plain options) or the Typer app itself, in a fresh interpreter.
PROBE = """
import sys
from immex.cli import build_app, main
argv = {argv!r}
if {typer!r}:
    sys.argv = ["immex", *argv]
    build_app("discharge")(argv, prog_name="immex")
else:
    sys.argv = ["immex", *argv]
    try:
        main()
    finally:
        sys.stderr.write("pydantic loaded: " + str("pydantic" in sys.modules) + "\\n")
"""


def _run(argv: list[str], typer: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, typer=typer)], capture_output=True, text=True
    )


def _without_timings(folder: Path) -> dict[str, object]:
    run: dict[str, object] = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    del run["timings"]
    return run


def test_plain_options_give_what_typer_gives_without_pydantic(tmp_path: Path) -> None:
    write_units_folder(tmp_path / "in", 40, 30, seed=5)
    outputs = {}
    for typer in (False, True):
        out = tmp_path / f"out-{typer}"
        done = _run(
            ["discharge", "--input", str(tmp_path / "in"), f"--output={out}", "--as-of", "2026-11-23"], typer
        )
        assert done.returncode == 0, done.stderr
        outputs[typer] = (done.stdout.replace(str(out), "OUT"), _without_timings(out))
        files = sorted(p.name for p in out.iterdir())
        assert "allocations.csv" in files
        if not typer:
            assert "pydantic loaded: False" in done.stderr
    assert outputs[False] == outputs[True]
    for name in ("allocations.csv", "shortfalls.csv", "balances.csv"):
        assert (tmp_path / "out-False" / name).read_bytes() == (tmp_path / "out-True" / name).read_bytes()


def test_an_input_error_exits_2_with_the_same_message_on_both_paths(tmp_path: Path) -> None:
    write_units_folder(tmp_path / "in", 10, 8, seed=2)
    (tmp_path / "in" / "exports.csv").write_text("pedimento\n1\n", encoding="utf-8")
    done = {
        t: _run(["discharge", "--input", str(tmp_path / "in"), "--output", str(tmp_path / f"o{t}")], t)
        for t in (False, True)
    }
    assert done[False].returncode == done[True].returncode == 2
    assert done[False].stdout == done[True].stdout
    assert "exports.csv,1,qty,required column is missing" in done[True].stderr
    assert done[False].stderr == done[True].stderr + "pydantic loaded: False\n"


def test_a_bad_date_or_a_missing_option_is_typers_usage_error(tmp_path: Path) -> None:
    bad_date = _run(
        ["discharge", "--input", str(tmp_path), "--output", str(tmp_path / "o"), "--as-of", "2026-13-01"],
        False,
    )
    assert bad_date.returncode == 2
    assert "--as-of" in bad_date.stderr and "Usage:" in bad_date.stderr
    missing = _run(["discharge", "--input", str(tmp_path)], False)
    assert missing.returncode == 2
    assert "--output" in missing.stderr and "Usage:" in missing.stderr


def test_only_plain_options_take_the_fast_path() -> None:
    plain = _plain_values(["--input", "in", "--output=out", "--method", "lifo"])
    assert plain is not None
    given = {"input_dir": Path("in"), "output_dir": Path("out"), "method": "lifo"}
    defaults = {"as_of": None, "db": None, "engine": "auto", "scheduler": None}
    assert {k: plain[k] for k in (*given, *defaults)} == {**given, **defaults}
    assert _plain_values(["--input", "in", "--output", "out", "--help"]) is None
    assert _plain_values(["--input", "in", "--output", "out", "--input", "again"]) is None  # repeated
    assert _plain_values(["--input", "in", "--output", "out", "--colour", "red"]) is None  # unknown
    assert _plain_values(["--input", "in"]) is None  # --output missing
    assert _plain_values(["--input", "in", "--output"]) is None  # no value
    assert _plain_values(["--input", "in", "--output", "out", "extra"]) is None  # an argument
    assert _plain_values(["--input", "in", "--output", "out", "--as-of", "23/11/2026"]) is None
