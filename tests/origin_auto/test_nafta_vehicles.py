"""NAFTA vehicles (headings 8701-8706 before 2020-07-01): NAFTA Art. 403 decides their regional value
content from the non-originating materials traced per Annex 403.1 / 403.2, texts the project could not
obtain whole (docs/origin.md). The contract's "Undetermined" (version 2) answers what the engine cannot
decide: exit 0, "originating": null and what a person decides with; criteria A and C and a tariff shift
that fails in every alternative do not depend on Art. 403 and are still decided."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from immex.cli import app

from .helpers import explanation, qualify

runner = CliRunner()
RULE = (
    "A change to subheading 8703.23 from any other heading, provided there is a regional value content "
    "of not less than 50 percent under the net cost method."
)
CAR: dict[str, Any] = {
    "agreement": "NAFTA",
    "date": "2019-03-01",
    "good": {"hs": "8703.23", "transaction_value": "30000", "net_cost": "27000"},
    "rule": RULE,
    "materials": [
        {"id": "engine", "hs": "8407.34", "value": "3000", "originating": True},
        {"id": "seats", "hs": "9401.20", "value": "900", "originating": False},
    ],
}


def _car(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(CAR))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_a_rule_met_with_every_material_counted_is_still_undetermined() -> None:
    """(27000 - 900) / 27000 = 96.67 % NC: Art. 403 counts only traced materials, so the traced RVC is
    not lower, but its threshold (Art. 403.5) and the Annex 401 rule of the date are not in the data."""
    answer = qualify(_car())
    assert (answer["originating"], answer["criterion"]) == (None, None)
    reason = answer["undetermined"][0]["reason"]
    assert answer["undetermined"][0]["alternative"] is None
    assert reason.startswith("good 8703.23 is a vehicle (NAFTA Art. 403 (automotive goods)): decide")
    for needed in ("Annex 403.1", "Annex 403.2", "Art. 403.5", "net cost method", "19 CFR 181 Appendix"):
        assert needed in reason
    assert answer["rvc"] == {"method": "NC", "value": "96.67", "required": "50"}
    assert "96.67% (NC)" in explanation(answer) and "is met" not in explanation(answer)


def test_without_rule_text_a_vehicle_is_undetermined_not_an_input_error() -> None:
    answer = qualify(_car(rule=None))
    assert (answer["originating"], answer["undetermined"][0]["alternative"]) == (None, None)
    assert answer["rule"] is None and answer["rvc"] is None


def test_a_tariff_shift_that_fails_everywhere_decides_not_originating() -> None:
    """A non-originating 8703.21 body shell of 20,000 (66.67 % of the value, above NAFTA's 7 % de
    minimis) does not change heading: no RVC, traced or not, saves the rule."""
    data = _car()
    data["materials"][1] = {"id": "shell", "hs": "8703.21", "value": "20000", "originating": False}
    answer = qualify(data)
    assert (answer["originating"], answer["criterion"], answer["undetermined"]) == (False, None, [])
    assert answer["tariff_shift"]["failing_materials"] == ["shell"]
    assert "the tariff shift of every alternative fails" in explanation(answer)


def test_every_material_originating_is_criterion_c() -> None:
    data = _car(rule=None)
    data["materials"][1]["originating"] = True
    answer = qualify(data)
    assert (answer["originating"], answer["criterion"]) == (True, "C")
    assert "criterion C needs none" in explanation(answer)


def test_cli_exits_0_and_prints_undetermined(tmp_path: Path) -> None:
    path = tmp_path / "car.json"
    path.write_text(json.dumps(_car(rule=None)), encoding="utf-8")
    result = runner.invoke(app, ["origin", "qualify", "--input", str(path), "--format", "text"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("UNDETERMINED\nto decide (the good): good 8703.23 is a vehicle")


def test_a_nafta_part_without_rule_text_still_needs_it(tmp_path: Path) -> None:
    """Only vehicles are answered without rule text; any other NAFTA good needs its Annex 401 rule."""
    data = _car(rule=None)
    data["good"]["hs"] = "8708.29"
    path = tmp_path / "part.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["origin", "qualify", "--input", str(path)])
    assert result.exit_code == 2
    assert "rule: the NAFTA product-specific rules are not in the rule data" in result.output
