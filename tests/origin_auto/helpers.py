"""Small case builders for the automotive and HS-correlation tests."""

from __future__ import annotations

import copy
from typing import Any

from immex.origin import determine
from immex.origin.service import determination_json, read_case

# A passenger car whose numbers are worked by hand in the tests: net cost 27,000; VNM 3,600
# (seats 900 + control units 2,700), so RVC (NC) = (27000 - 3600) / 27000 = 86.67 %.
PASSENGER_CAR: dict[str, Any] = {
    "agreement": "USMCA",
    "date": "2025-03-01",
    "good": {
        "hs": "8703.23",
        "description": "passenger car, spark-ignition, 1,500-3,000 cc",
        "transaction_value": "30000",
        "net_cost": "27000",
    },
    "materials": [
        {"id": "engine", "hs": "8407.34", "value": "3000", "originating": True},
        {"id": "seats", "hs": "9401.20", "value": "900", "originating": False},
        {"id": "controls", "hs": "8537.10", "value": "2700", "originating": False},
    ],
    "automotive": {
        "vehicle": "passenger_vehicle",
        "core_parts": [{"id": "engine", "hs": "8407.34", "net_cost": "3000", "vnm": "600"}],
        "lvc": {"material": "27", "technology": "8", "assembly": "5"},
        "steel": {"purchases": "1000000", "originating": "780000"},
        "aluminum": {"purchases": "200000", "originating": "150000"},
    },
}


def case(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with dotted keys replaced (``{"good.hs": "8704.23"}``); None deletes."""
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        target = data
        for key in path:
            target = target[key]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return data


def qualify(data: dict[str, Any]) -> dict[str, Any]:
    """The contract's JSON answer for a case object (raises InputError / OriginError like the CLI)."""
    return determination_json(determine(read_case(data, "case.json")))


def explanation(answer: dict[str, Any]) -> str:
    return "\n".join(answer["explanation"])
