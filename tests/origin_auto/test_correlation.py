"""HS 2022 cases matched to the HS 2012 rules of GN 11(o) through the UNSD correlation table."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.origin import HsCode, OriginError
from immex.origin.correlation import hs2012_candidates
from immex.rules.usmca.hs_correlation_data import correlation_2022_2012
from tests.origin_auto.helpers import PASSENGER_CAR, case, explanation, qualify

TABLE = correlation_2022_2012()


def test_table_counts_as_published() -> None:
    # UNSD sheet "HS2022-HS2012 Correlations": 16,377 pairs for the 5,613 subheadings of HS 2022
    assert sum(len(v) for v in TABLE.pairs.values()) == 16377
    assert len(TABLE.pairs) == 5613
    assert sum(1 for v in TABLE.pairs.values() if len({hs for hs, _ in v}) > 1) == 181


@pytest.mark.parametrize(
    ("hs2022", "hs2012"),
    [
        ("8541.42", ("8541.40",)),  # HS 2022 split photovoltaic cells out of 8541.40
        ("8517.13", ("8517.12",)),  # smartphones: a new subheading of the former 8517.12
        ("8703.80", ("8703.90",)),  # electric passenger vehicles were "other" in HS 2012
        ("8501.10", ("8501.10",)),  # unchanged
        ("8703.40", ("8703.21", "8703.22", "8703.23", "8703.24", "8703.90")),  # hybrids, by engine
    ],
)
def test_known_correlations(hs2022: str, hs2012: tuple[str, ...]) -> None:
    codes, _ = hs2012_candidates(HsCode.parse(hs2022))
    assert tuple(str(c) for c in codes) == hs2012


def test_unchanged_subheading_keeps_its_national_digits() -> None:
    codes, relationships = hs2012_candidates(HsCode.parse("8501.10.40"))
    assert [str(c) for c in codes] == ["8501.10.40"]
    assert relationships


def test_unknown_hs2022_code_is_an_error() -> None:
    with pytest.raises(OriginError, match="not an HS 2022 subheading"):
        hs2012_candidates(HsCode.parse("8703.99"))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(TABLE.pairs)))
def test_every_hs2022_code_has_hs2012_codes_in_the_table(code: str) -> None:
    codes, relationships = hs2012_candidates(HsCode(code))
    assert codes and all(len(c.digits) == 6 for c in codes)
    assert {c.digits for c in codes} == {hs for hs, _ in TABLE.pairs[code]}
    assert set(relationships) <= {"1:1", "1:n", "n:1", "n:n"}


def hs2022(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**data, "hs_version": "2022", **extra}


def test_contract_case_in_hs2022_gives_the_same_answer() -> None:
    contract = {
        "agreement": "USMCA",
        "date": "2025-03-01",
        "good": {"hs": "8501.10", "transaction_value": "100.00", "net_cost": "85.00"},
        "materials": [
            {"id": "rotor", "hs": "8503.00", "value": "30.00", "originating": False},
            {"id": "housing", "hs": "7616.99", "value": "10.00", "originating": True},
        ],
    }
    plain, read = qualify(contract), qualify(hs2022(contract))
    assert (read["originating"], read["criterion"], read["alternative"]) == (True, "B", 1)
    assert read["rvc"] == plain["rvc"]
    assert "HS 2022" in explanation(read)


def test_split_good_with_one_answer_says_so() -> None:
    # A hybrid passenger car of HS 2022 8703.40 is, in HS 2012, 8703.21-8703.24 or 8703.90 by engine:
    # every reading is a passenger vehicle under the same GN 11(k) requirements
    answer = qualify(hs2022(case(PASSENGER_CAR, good__hs="8703.40")))
    assert answer["originating"] is True
    text = explanation(answer)
    assert (
        "HS 2022 8703.40 of the good splits across HS 2012 8703.21, 8703.22, 8703.23, 8703.24, 8703.90"
        in text
    )
    assert "Every HS 2012 reading of the split codes (5) gives the same answer" in text


# Machinery of 8438.80 (HS 2022 = HS 2012) from a non-originating machine of HS 2022 8479.20, which
# UNSD correlates with HS 2012 8438.80 and 8479.20: whether it makes the shift depends on which.
MACHINE: dict[str, Any] = {
    "agreement": "USMCA",
    "date": "2025-03-01",
    "hs_version": "2022",
    "good": {"hs": "8438.80", "transaction_value": "100", "net_cost": "100"},
    "materials": [{"id": "m", "hs": "8479.20", "value": "40", "originating": False}],
}


def test_split_material_that_matters_asks_for_the_hs2012_code() -> None:
    with pytest.raises(
        OriginError, match=r"may be HS 2012 8438\.80, 8479\.20: give it in hs_2012\.materials\.m"
    ):
        qualify(MACHINE)


def test_hs2012_code_given_decides_the_split() -> None:
    other = qualify({**MACHINE, "hs_2012": {"materials": {"m": "8479.20"}}})
    same = qualify({**MACHINE, "hs_2012": {"materials": {"m": "8438.80"}}})
    # HS 2012 8479.20 is of another heading: GN 11(o) ch. 84 rule for 8438.10-8438.80, alternative (A)
    assert (other["originating"], other["criterion"], other["alternative"]) == (True, "B", 1)
    # HS 2012 8438.80 is the good's own subheading: no shift, and 60 % RVC (TV) gives Art. 4.2(d)
    assert (same["originating"], same["criterion"]) == (True, "D")
    assert same["tariff_shift"]["failing_materials"] == ["m"]
    assert "read as HS 2012 8479.20 (hs_2012.materials.m)" in explanation(other)


def test_hs2012_code_outside_the_correlation_is_an_error() -> None:
    with pytest.raises(OriginError, match="is not one of the HS 2012 codes"):
        qualify({**MACHINE, "hs_2012": {"materials": {"m": "8501.10"}}})


def test_hs_version_other_than_2012_or_2022_is_refused() -> None:
    from immex.core.problems import InputError

    with pytest.raises(InputError) as info:
        qualify({**MACHINE, "hs_version": "2017"})
    assert info.value.problems[0].column == "hs_version"
