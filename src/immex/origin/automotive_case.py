"""The case fields of the USMCA automotive rules (HTSUS GN 11(k)) and their reader.

The case file's optional object ``automotive`` (documented in ``docs/origin_automotive.md``)::

    "automotive": {
      "vehicle": "passenger_vehicle",          # the good is a vehicle: which kind (GN 11(k)(ii)(N))
      "for_use_in": "heavy_truck",             # the good is a part: the vehicle it is for
      "listed": true,                          # the good is the described good of an "ex" table entry
      "core_parts": [{"id": "engine", "hs": "8407.34", "net_cost": "3000", "vnm": "600"}],
      "super_core": false,
      "lvc": {"material": "27", "technology": "8", "assembly": "5"},
      "steel": {"purchases": "1000000", "originating": "780000"},
      "aluminum": {"purchases": "200000", "originating": "150000"},
      "alternative_staging": {"until": "2025-06-30", "steel_aluminum_exempt": false},
      "new_plant": {"kind": "new_building", "first_prototype": "2022-03-01"}
    }

Only values here (no rules): :mod:`immex.origin.automotive` decides with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from immex.origin.hs import HsCode, HsError

VEHICLES = ("passenger_vehicle", "light_truck", "heavy_truck", "other_vehicle")
USES = (*VEHICLES, "aftermarket")
Report = Callable[[str, str], None]  # (column, message)


@dataclass(frozen=True, slots=True)
class CorePart:
    """A part of Table A.2 column 1 used in the vehicle, with the values of its own RVC.

    ``vnm`` is at the vehicle producer's option (GN 11(k)(iii)(H)) the value of all its
    non-originating materials or only of its non-originating Table A.2 column 2 components."""

    id: str
    hs: HsCode
    net_cost: Decimal
    vnm: Decimal
    transaction_value: Decimal | None = None
    advanced_battery: bool = False


@dataclass(frozen=True, slots=True)
class Purchases:
    """The vehicle producer's purchases of steel (or aluminum) in the USMCA territories, by value."""

    purchases: Decimal
    originating: Decimal


@dataclass(frozen=True, slots=True)
class LaborValueContent:
    """The producer's certified LVC, in percentage points (GN 11(k)(vi)(C))."""

    material: Decimal  # high-wage material and manufacturing expenditures
    technology: Decimal  # high-wage technology (R&D, IT) expenditures
    assembly: Decimal  # high-wage assembly (engine, transmission, battery plant) credit


@dataclass(frozen=True, slots=True)
class StagingPlan:
    """The producer's approved alternative staging regime (GN 11(k)(viii)): its period (None: the
    default of the rule data), whether the plan exempts it from the steel and aluminum requirement,
    and the last day of a NAFTA Art. 403.6 regime it still used (Uniform Regulations s. 19(7))."""

    since: dt.date | None = None
    until: dt.date | None = None
    steel_aluminum_exempt: bool = False
    nafta_until: dt.date | None = None


@dataclass(frozen=True, slots=True)
class NewPlantCase:
    """GN 11(k)(ix)(F): ``kind`` "new_building" or "refit", and the first motor vehicle prototype's date."""

    kind: str
    first_prototype: dt.date


@dataclass(frozen=True, slots=True)
class AutomotiveCase:
    vehicle: str | None = None
    for_use_in: str | None = None
    listed: bool | None = None
    core_parts: tuple[CorePart, ...] | None = None
    super_core: bool = False
    lvc: LaborValueContent | None = None
    steel: Purchases | None = None
    aluminum: Purchases | None = None
    other_vehicle_group: str | None = None  # "A" or "B" of GN 11(k)(ix), for a part of another vehicle
    alternative_staging: StagingPlan | None = None
    new_plant: NewPlantCase | None = None


_KEYS = {
    "vehicle",
    "for_use_in",
    "listed",
    "core_parts",
    "super_core",
    "lvc",
    "steel",
    "aluminum",
    "other_vehicle_group",
    "alternative_staging",
    "new_plant",
}
NEW_PLANT_KINDS = ("new_building", "refit")


def _number(raw: Any, where: str, report: Report, required: bool = True) -> Decimal | None:
    if raw is None:
        if required:
            report(where, "missing value")
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        report(where, f'{raw!r} is not a decimal number (write it as a string, e.g. "75.5")')
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        report(where, f"{raw!r} is not a decimal number")
        return None
    if not value.is_finite() or value < 0:
        report(where, f"{raw!r} must be a number not below zero")
        return None
    return value


def _object(raw: Any, where: str, keys: set[str], report: Report) -> Mapping[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        report(where, "must be an object")
        return None
    for key in sorted(set(raw) - keys):
        report(f"{where}.{key}", f"unknown field; known: {', '.join(sorted(keys))}")
    return raw


def _purchases(raw: Any, where: str, report: Report) -> Purchases | None:
    obj = _object(raw, where, {"purchases", "originating"}, report)
    if obj is None:
        return None
    total = _number(obj.get("purchases"), f"{where}.purchases", report)
    originating = _number(obj.get("originating"), f"{where}.originating", report)
    if total is None or originating is None:
        return None
    if total == 0:
        report(f"{where}.purchases", "must be greater than zero")
        return None
    if originating > total:
        report(f"{where}.originating", "cannot exceed the purchases")
        return None
    return Purchases(total, originating)


def _lvc(raw: Any, where: str, report: Report) -> LaborValueContent | None:
    obj = _object(raw, where, {"material", "technology", "assembly"}, report)
    if obj is None:
        return None
    # material is the core of the LVC and must be given; technology and assembly are credits (0 if absent)
    values = [
        _number(obj.get(k) if k == "material" else obj.get(k, "0"), f"{where}.{k}", report)
        for k in ("material", "technology", "assembly")
    ]
    if any(v is None for v in values):
        return None
    material, technology, assembly = (v if v is not None else Decimal(0) for v in values)
    return LaborValueContent(material, technology, assembly)


def _date(raw: Any, where: str, report: Report) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        report(where, f"{raw!r} is not a date YYYY-MM-DD")
        return None


def _staging(raw: Any, where: str, report: Report) -> StagingPlan | None:
    obj = _object(raw, where, {"since", "until", "steel_aluminum_exempt", "nafta_until"}, report)
    if obj is None:
        return None
    exempt = obj.get("steel_aluminum_exempt", False)
    if not isinstance(exempt, bool):
        report(f"{where}.steel_aluminum_exempt", f"{exempt!r} is not true or false")
        exempt = False
    since = _date(obj.get("since"), f"{where}.since", report)
    until = _date(obj.get("until"), f"{where}.until", report)
    if since is not None and until is not None and until < since:
        report(f"{where}.until", "is before since")
    return StagingPlan(since, until, exempt, _date(obj.get("nafta_until"), f"{where}.nafta_until", report))


def _new_plant(raw: Any, where: str, report: Report) -> NewPlantCase | None:
    obj = _object(raw, where, {"kind", "first_prototype"}, report)
    if obj is None:
        return None
    kind = obj.get("kind")
    if kind not in NEW_PLANT_KINDS:
        report(f"{where}.kind", f"{kind!r} is not one of {', '.join(NEW_PLANT_KINDS)}")
    first = _date(obj.get("first_prototype"), f"{where}.first_prototype", report)
    if obj.get("first_prototype") is None:
        report(f"{where}.first_prototype", "missing date of the first motor vehicle prototype")
    if kind not in NEW_PLANT_KINDS or first is None:
        return None
    return NewPlantCase(str(kind), first)


def _core_part(raw: Any, where: str, report: Report) -> CorePart | None:
    keys = {"id", "hs", "net_cost", "vnm", "transaction_value", "advanced_battery"}
    obj = _object(raw, where, keys, report)
    if obj is None:
        if raw is None:
            report(where, "a core part must be an object")
        return None
    pid = obj.get("id")
    if not isinstance(pid, str) or not pid.strip():
        report(f"{where}.id", "missing core part id")
    code = None
    try:
        code = HsCode.parse(str(obj.get("hs", "")))
    except HsError as exc:
        report(f"{where}.hs", f"unknown HS code: {exc}")
    net_cost = _number(obj.get("net_cost"), f"{where}.net_cost", report)
    vnm = _number(obj.get("vnm"), f"{where}.vnm", report)
    tv = _number(obj.get("transaction_value"), f"{where}.transaction_value", report, required=False)
    battery = obj.get("advanced_battery", False)
    if not isinstance(battery, bool):
        report(f"{where}.advanced_battery", f"{battery!r} is not true or false")
        battery = False
    if net_cost is not None and net_cost == 0:
        report(f"{where}.net_cost", "must be greater than zero")
        return None
    if not isinstance(pid, str) or not pid.strip() or code is None or net_cost is None or vnm is None:
        return None
    if vnm > net_cost:
        report(f"{where}.vnm", "cannot exceed the part's net cost")
        return None
    return CorePart(pid, code, net_cost, vnm, tv, battery)


def read_automotive(raw: Any, report: Report, where: str = "automotive") -> AutomotiveCase | None:
    """The case file's ``automotive`` object (None when absent); problems go to ``report``."""
    obj = _object(raw, where, _KEYS, report)
    if obj is None:
        return None
    vehicle = obj.get("vehicle")
    if vehicle is not None and vehicle not in VEHICLES:
        report(f"{where}.vehicle", f"{vehicle!r} is not one of {', '.join(VEHICLES)}")
        vehicle = None
    use = obj.get("for_use_in")
    if use is not None and use not in USES:
        report(f"{where}.for_use_in", f"{use!r} is not one of {', '.join(USES)}")
        use = None
    if vehicle is not None and use is not None:
        report(where, "give 'vehicle' for a vehicle or 'for_use_in' for a part, not both")
    flags = {}
    for key in ("listed", "super_core"):
        value = obj.get(key)
        if value is not None and not isinstance(value, bool):
            report(f"{where}.{key}", f"{value!r} is not true or false")
            value = None
        flags[key] = value
    parts: tuple[CorePart, ...] | None = None
    raw_parts = obj.get("core_parts")
    if raw_parts is not None:
        if not isinstance(raw_parts, list):
            report(f"{where}.core_parts", "must be a list of parts")
        else:
            read = [_core_part(p, f"{where}.core_parts[{i}]", report) for i, p in enumerate(raw_parts)]
            parts = tuple(p for p in read if p is not None)
            ids = [p.id for p in parts]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                report(f"{where}.core_parts", f"duplicate core part id {dup!r}")
    group = obj.get("other_vehicle_group")
    if group is not None and group not in ("A", "B"):
        report(f"{where}.other_vehicle_group", f"{group!r} is not A or B (GN 11(k)(ix)(A) or (B))")
        group = None
    return AutomotiveCase(
        vehicle,
        use,
        flags["listed"],
        parts,
        bool(flags["super_core"]),
        _lvc(obj.get("lvc"), f"{where}.lvc", report),
        _purchases(obj.get("steel"), f"{where}.steel", report),
        _purchases(obj.get("aluminum"), f"{where}.aluminum", report),
        group,
        _staging(obj.get("alternative_staging"), f"{where}.alternative_staging", report),
        _new_plant(obj.get("new_plant"), f"{where}.new_plant", report),
    )
