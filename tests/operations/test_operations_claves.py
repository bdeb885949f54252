"""Clave classes (contract operations.md rule 1): cited data, answered by ``immex.ledger.claves``."""

from __future__ import annotations

import datetime as dt

import pytest

from immex.ledger.claves import (
    DISCHARGING,
    NOT_DISCHARGING,
    REGULARIZATION,
    TEMPORARY_IMPORT,
    clave_citation,
    clave_class,
    discharges,
    is_temporary_import,
)
from immex.rules import RulesError
from immex.rules.anexo22 import claves_pedimento
from immex.rules.operations import clave_rules

DAY = dt.date(2025, 6, 1)


@pytest.mark.parametrize("clave", ["RT", "H1", "V1", "V5", "V2", "V6", "V7", "V9", "VD"])
def test_returns_and_virtual_transfers_discharge(clave: str) -> None:
    assert clave_class(clave, DAY) == "return" and discharges(clave, DAY)


@pytest.mark.parametrize("clave", ["F4", "F5"])
def test_changes_of_regime_discharge(clave: str) -> None:
    assert clave_class(clave, DAY) == "change_of_regime" and discharges(clave, DAY)


@pytest.mark.parametrize("clave", ["A1", "BM", "BO"])
def test_definitive_and_temporary_exports_do_not_discharge(clave: str) -> None:
    assert clave_class(clave, DAY) == "not_discharging" and not discharges(clave, DAY)


def test_a3_is_a_regularization_and_import_claves_are_imports() -> None:
    assert clave_class("a3", DAY) == "regularization"
    assert clave_class("IN", DAY) == "import" and clave_class("AF", DAY) == "import"
    assert is_temporary_import("IN", DAY) and is_temporary_import("V1", DAY)
    assert not is_temporary_import("A1", DAY) and not is_temporary_import("T3", DAY)


def test_unknown_claves_and_dates_before_the_data_have_no_class() -> None:
    assert clave_class("ZZ", DAY) is None and clave_class("T3", DAY) is None
    assert clave_class("RT", dt.date(2010, 12, 31)) is None


def test_every_classified_clave_is_in_anexo22_apendice2_and_cited() -> None:
    catalog = claves_pedimento()
    for clave, rules in clave_rules().items():
        assert catalog.get(clave) is not None, clave
        assert all("Anexo 22" in rule.reference for rule in rules)
        assert clave_citation(clave, DAY)


def test_the_sets_do_not_overlap() -> None:
    assert DISCHARGING.isdisjoint(NOT_DISCHARGING) and DISCHARGING.isdisjoint(REGULARIZATION)
    assert {"IN", "AF", "V1"} <= TEMPORARY_IMPORT


def test_loading_is_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    import immex.rules.operations as operations

    good = operations._read()
    bad_rows = [
        {**good, "claves": [{"clave": "RT", "outgoing": "export", "reference": "x"}]},
        {**good, "claves": [{"clave": "RT", "outgoing": "return", "reference": ""}]},
        {**good, "claves": [{"clave": "RT", "outgoing": "return", "reference": "x", "typo": 1}]},
        {
            **good,
            "claves": [
                {"clave": "RT", "outgoing": "return", "reference": "x"},
                {"clave": "RT", "outgoing": "return", "reference": "y", "since": "2020-01-01"},
            ],
        },
    ]
    for data in bad_rows:
        monkeypatch.setattr(operations, "_read", lambda data=data: data)
        operations.clave_rules.cache_clear()
        with pytest.raises(RulesError):
            operations.clave_rules()
    monkeypatch.undo()
    operations.clave_rules.cache_clear()
