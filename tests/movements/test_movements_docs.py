"""The output files shown in docs/ledger.md ("Sub-maquila and waste") are what the command writes."""

from __future__ import annotations

import re
from pathlib import Path

from tests.movements.files import discharge

ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_submaquila_and_waste_files_are_the_written_ones(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")
    section = page[page.index("## Sub-maquila and waste") :]
    blocks = re.findall(r"^```csv\n(.*?)^```", section, re.S | re.M)
    code, problems, _ = discharge(ROOT / "docs" / "examples" / "movements", tmp_path / "out")
    assert code == 0, problems
    written = [
        (tmp_path / "out" / name).read_text(encoding="utf-8") for name in ("submaquila.csv", "waste.csv")
    ]
    assert blocks == written
