"""HS codes below the chapter: a heading or subheading that exists in no HS edition the case may be
in is an input error (the contract: "exit 2 ... on an invalid case (unknown HS code, ...)"), for the
good and for every material; valid HS 2012 codes (GN 11's own) and HS 2022 codes stay accepted."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from immex.cli import app
from immex.origin.hs import HsCode
from immex.origin.nomenclature import hs_subheadings, ligie_2022_subheadings, unknown_code
from tests.origin.origin_helpers import CASE

runner = CliRunner()


def _run(tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(app, ["origin", "qualify", "--input", str(path)])


def _case(good: str | None = None, material: str | None = None, **extra: Any) -> dict[str, Any]:
    data = copy.deepcopy(CASE)
    if good is not None:
        data["good"]["hs"] = good
    if material is not None:
        data["materials"][0]["hs"] = material
    data.update(extra)
    return data


def test_a_subheading_that_does_not_exist_names_the_ones_that_do(tmp_path: Path) -> None:
    result = _run(tmp_path, _case(good="8501.99"))
    assert result.exit_code == 2
    assert result.output.startswith(
        "error: case.json: good.hs: unknown HS code 8501.99: subheading 8501.99 does not exist in "
        "HS 2012 or HS 2022 (heading 8501 has 8501.10, 8501.20, 8501.31"
    )


def test_a_material_of_a_heading_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    result = _run(tmp_path, _case(material="8599.10.01"))  # a national code: read at 6 digits
    assert result.exit_code == 2
    assert (
        "materials[0].hs: unknown HS code 8599.10.01: heading 85.99 does not exist in HS 2012 or HS 2022 "
        "(chapter 85 has headings 8501 to 8549)" in result.output
    )


def test_every_unknown_code_is_listed_at_once(tmp_path: Path) -> None:
    data = _case(good="8501.99", material="8599.10")
    data["materials"][1]["hs"] = "7616.98"
    lines = _run(tmp_path, data).output.splitlines()
    assert [line.split(": ")[2] for line in lines] == ["good.hs", "materials[0].hs", "materials[1].hs"]


@pytest.mark.parametrize(
    ("code", "edition"),
    [
        ("0410.00", "HS 2012 only (split in 2022)"),
        ("0410.10", "HS 2022 only"),
        ("8703.40", "HS 2017 and 2022"),
    ],
)
def test_codes_of_either_edition_are_accepted_without_hs_version(
    tmp_path: Path, code: str, edition: str
) -> None:
    result = _run(tmp_path, _case(material=code))
    assert result.exit_code == 0, (edition, result.output)


def test_hs_version_chooses_the_edition(tmp_path: Path) -> None:
    only_2012 = _run(tmp_path, _case(material="0410.00", hs_version="2022"))
    assert only_2012.exit_code == 2
    assert (
        "subheading 0410.00 does not exist in HS 2022 (heading 0410 has 0410.10, 0410.90)" in only_2012.output
    )
    only_2022 = _run(tmp_path, _case(material="0410.10", hs_version="2012"))
    assert only_2022.exit_code == 2
    assert "subheading 0410.10 does not exist in HS 2012 (heading 0410 has 0410.00)" in only_2022.output


def test_the_lists_have_the_editions_sizes() -> None:
    """HS 2012 has 5,205 subheadings; HS 2022 5,612 in the UNSD table (the LIGIE 2022 adds none)."""
    assert len(hs_subheadings("2012")) == 5205
    assert len(hs_subheadings("2022")) == 5612
    assert {c for c in ligie_2022_subheadings() if not c.startswith("98")} <= hs_subheadings("2022")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(hs_subheadings("2012") | hs_subheadings("2022"))),
    st.sampled_from(["", "01", "0199"]),
)
def test_every_subheading_of_either_edition_is_known(subheading: str, national: str) -> None:
    assert unknown_code(HsCode(subheading + national), ("2012", "2022")) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=97), st.integers(min_value=0, max_value=9999))
def test_a_code_is_unknown_exactly_when_its_subheading_is_in_no_edition(chapter: int, rest: int) -> None:
    digits = f"{chapter:02d}{rest:04d}"
    known = digits in hs_subheadings("2012") or digits in hs_subheadings("2022")
    assert (unknown_code(HsCode(digits), ("2012", "2022")) is None) == known
