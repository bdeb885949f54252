"""The example of docs/origin_automotive.md runs and gives what the page says."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.origin_auto.helpers import explanation, qualify

DOC = Path(__file__).resolve().parents[2] / "docs" / "origin_automotive.md"


def example() -> dict[str, Any]:
    block = re.search(r"## Example\n\n```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    data: dict[str, Any] = json.loads(block.group(1))
    return data


def test_documented_example_gives_the_documented_answer() -> None:
    answer = qualify(example())
    assert (answer["originating"], answer["criterion"]) == (True, "B")
    assert answer["rvc"] == {"method": "NC", "value": "86.67", "required": "75"}
    text = explanation(answer)
    assert "RVC 80.00% net cost: met" in text and "40 points counted" in text
    assert "Steel purchases: 78.00%" in text and "Aluminum purchases: 75.00%" in text


def test_documented_example_in_hs2022_as_a_hybrid() -> None:
    data = example()
    data["hs_version"] = "2022"
    data["good"]["hs"] = "8703.40"
    answer = qualify(data)
    assert (answer["originating"], answer["criterion"]) == (True, "B")
    text = explanation(answer)
    assert "8703.40 of the good splits across HS 2012 8703.21, 8703.22, 8703.23, 8703.24, 8703.90" in text
    assert "(5) gives the same answer" in text
