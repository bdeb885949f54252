"""Small builders shared by the duties tests."""

from __future__ import annotations

import copy
from typing import Any

CONTRACT_PEDIMENTO: dict[str, Any] = {
    "clave": "A1",
    "date": "2026-02-16",
    "currency": "USD",
    "exchange_rate": "17.5000",
    "incoterm": "FOB",
    "incrementables": {"freight": "400.00", "insurance": "100.00", "packing": "0", "other": "0"},
    "iva_rate": "0.16",
    "company": {"immex": False, "certification": None, "iva_guarantee": False},
    "lines": [
        {
            "line": 1,
            "fraccion": "8516.60.99",
            "value": "10000.00",
            "igi_rate": "0.10",
            "preference": None,
            "cc_rate": "0",
            "iva_rate": "0.16",
        }
    ],
}

CONTRACT_TMEC25: dict[str, Any] = {
    "export": {
        "pedimento": "26 47 3456 6000123",
        "date": "2026-03-10",
        "clave": "RT",
        "destination": "US",
        "same_condition": False,
    },
    "foreign_duty": {"amount": "1200.00", "currency": "USD", "exchange_rate": "17.5000"},
    "materials": [
        {
            "id": "M1",
            "fraccion": "8504.40.99",
            "customs_value_mxn": "120000.00",
            "originating": False,
            "igi_rate": "0.05",
            "preference": None,
        },
        {
            "id": "M2",
            "fraccion": "7326.90.99",
            "customs_value_mxn": "30000.00",
            "originating": False,
            "igi_rate": "0.10",
            "preference": None,
        },
    ],
}


def pedimento_case(**changes: Any) -> dict[str, Any]:
    case = copy.deepcopy(CONTRACT_PEDIMENTO)
    case.update(changes)
    return case


def tmec25_case(**changes: Any) -> dict[str, Any]:
    case = copy.deepcopy(CONTRACT_TMEC25)
    case.update(changes)
    return case


def line(number: int, value: str, igi_rate: str = "0", **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"line": number, "fraccion": "8504.40.99", "value": value, "igi_rate": igi_rate}
    row.update(extra)
    return row


def material(ident: str, value: str, rate: str, originating: bool = False, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": ident,
        "fraccion": "8504.40.99",
        "customs_value_mxn": value,
        "originating": originating,
        "igi_rate": rate,
    }
    row.update(extra)
    return row


def amounts(output: dict[str, Any]) -> dict[str, Any]:
    """What the contract compares for ``pedimento``: per line VA and (code → amount, FP)."""
    return {
        "lines": [
            (ln["customs_value"], {c["code"]: (c["amount"], c["forma_pago"]) for c in ln["contributions"]})
            for ln in output["lines"]
        ],
        "dta": (
            output["pedimento_contributions"][0]["amount"],
            output["pedimento_contributions"][0]["forma_pago"],
        ),
        "totals": output["totals"],
    }
