"""The contract commands as a separate process: exit codes and streams exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .helpers import pedimento_case, tmec25_case

LAUNCH = "import sys; from immex.cli import main; sys.argv[0] = 'immex'; main()"


def immex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_pedimento_and_tmec25_as_processes(tmp_path: Path) -> None:
    ped = tmp_path / "p.json"
    ped.write_text(json.dumps(pedimento_case()), encoding="utf-8")
    done = immex("duties", "pedimento", "--input", str(ped))
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["totals"] == {
        "customs_value": 183750,
        "by_code": {"1": 1470, "3": 32575, "6": 18375},
        "cash": 52420,
    }
    tm = tmec25_case()
    tm["materials"][0]["igi_rate"] = 0.05
    tm["export"]["destination"] = "MX"
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps(tm), encoding="utf-8")
    done = immex("duties", "tmec25", "--input", str(bad), "--format", "json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "export.destination: must be US or CA (T-MEC Art. 2.5 covers exports to another Party), got 'MX'",
        'materials[0].igi_rate: must be a decimal string such as "12.50", got the JSON number 0.05',
    ]
