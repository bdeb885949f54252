"""Landed-cost scenario files: parsed JSON to :class:`LandedScenario`, every problem
collected as ``PATH: message``; and the what-if edits (``--set PATH=VALUE``)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from immex.duties import codes
from immex.duties.case import CERTIFICATIONS, _Reader
from immex.duties.landed import LandedItem, LandedScenario
from immex.duties.values import Certification, Company, FieldProblem

# Optional lookups the service provides: IVA rate on a date, IGI rate of a fracción on a
# date, and the T-MEC Parties on a date.
RateLookup = Callable[[str], Decimal | None]


INT_FIELDS = ("shipments_per_year", "iva_recovery_days")
LIST_FIELDS = ("prosec_sectors",)

# The fields a scenario reads; a field close to one of these is refused as a likely typo
# (immex.core.fields), any other is ignored
SCENARIO_FIELDS = frozenset(
    {"date", "exchange_rate", "iva_rate", "cost_of_money", "guarantee_fee", "iva_recovery_days"}
    | {"company", "items"}
)
LANDED_COMPANY_FIELDS = frozenset({"immex", "iva_guarantee", "certification", "prosec_sectors"})
ITEM_FIELDS = frozenset(
    {"part", "fraccion", "supplier_country", "unit_value", "freight_per_unit", "insurance_per_unit"}
    | {"annual_quantity", "shipments_per_year", "igi_rate", "prosec", "tmec_rate", "exported_share"}
    | {"us_duty_per_unit", "cc_rate", "originating"}
)
PROSEC_FIELDS = frozenset({"sector", "rate"})


def apply_what_if(data: Any, edits: Sequence[str]) -> tuple[Any, list[FieldProblem]]:
    """Apply ``PATH=VALUE`` edits to a scenario: ``exchange_rate=19.5``,
    ``items.P-100.supplier_country=USA``, ``items.P-100.annual_quantity=200000``,
    ``company.prosec_sectors=II,XIX``. Items are addressed by their ``part``. Money and
    rates stay decimal strings; ``true``/``false``/``null`` are JSON literals."""
    changed = copy.deepcopy(data)
    problems: list[FieldProblem] = []
    for edit in edits:
        path, sep, raw = edit.partition("=")
        keys = path.split(".") if path else []
        if not sep or not keys or not all(keys):
            problems.append(FieldProblem("--set", f"{edit!r} is not PATH=VALUE"))
            continue
        value: Any = raw
        last = keys[-1]
        if raw in ("true", "false", "null"):
            value = json.loads(raw)
        elif last in INT_FIELDS:
            if not raw.isdigit():
                problems.append(FieldProblem("--set", f"{path}: {raw!r} is not a whole number"))
                continue
            value = int(raw)
        elif last in LIST_FIELDS:
            value = [v for v in raw.split(",") if v]
        target: Any = changed
        for key in keys[:-1]:
            if isinstance(target, dict):
                target = target.setdefault(key, {})
            elif isinstance(target, list):
                found = [it for it in target if isinstance(it, dict) and it.get("part") == key]
                target = found[0] if found else None
            else:
                target = None
            if target is None:
                break
        if not isinstance(target, dict):
            problems.append(FieldProblem("--set", f"{path}: no such item or field"))
            continue
        target[last] = value
    return changed, problems


def parse_landed_scenario(
    data: Any,
    *,
    iva_rate_on: RateLookup,
    igi_rate_of: Callable[[str, str], Decimal | None],
    parties_on: Callable[[str], frozenset[str] | None],
    prosec_of: Callable[[str, str, frozenset[str]], tuple[str, Decimal] | None] = lambda *_: None,
    file: str | None = None,
) -> tuple[LandedScenario | None, list[FieldProblem]]:
    """The scenario, with IVA, IGI and PROSEC rates from the legal data where the file omits
    them (``prosec_of(fraccion, date, registered sectors)`` gives the lowest PROSEC rate;
    ``igi_rate_of`` gives None when the tariff has no rate and raises ValueError with the
    reason when its duty is not ad valorem). ``file`` names the scenario file in messages."""
    reader = _Reader(file)
    root = reader.obj(data, "input")
    if root is None:
        return None, reader.problems
    reader.known(root, SCENARIO_FIELDS, "")
    date = reader.date(root, "date", "")
    exchange_rate = reader.decimal(root, "exchange_rate", "", strict_minimum=True)
    iva_rate = reader.decimal(root, "iva_rate", "", required=False)
    if iva_rate is None and date is not None and "iva_rate" not in root:
        iva_rate = iva_rate_on(date.isoformat())
        if iva_rate is None:
            reader.fail("date", f"no IVA rate in force on {date.isoformat()} (LIVA Art. 1)")
    money = reader.decimal(root, "cost_of_money", "", required=False, default=Decimal(0))
    guarantee_fee = reader.decimal(root, "guarantee_fee", "", required=False, default=Decimal(0))
    days = root.get("iva_recovery_days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        reader.fail("iva_recovery_days", "must be a whole number of days >= 0")
        days = 0
    company, sectors = _company(reader, root)
    parties = parties_on(date.isoformat()) if date is not None else None
    if date is not None and parties is None:
        reader.fail("date", f"no T-MEC Parties in force on {date.isoformat()}")
    items = _items(
        reader,
        root,
        date.isoformat() if date else None,
        igi_rate_of,
        parties or frozenset(),
        lambda f, d: prosec_of(f, d, sectors),
    )
    if reader.problems:
        return None, reader.problems
    assert date is not None and exchange_rate is not None and iva_rate is not None
    assert money is not None and guarantee_fee is not None and items is not None
    return LandedScenario(
        date, exchange_rate, iva_rate, money, days, guarantee_fee, company, sectors, items
    ), []


def _company(reader: _Reader, root: Mapping[str, Any]) -> tuple[Company, frozenset[str]]:
    block = root.get("company") or {}
    if not isinstance(block, dict):
        reader.fail("company", "must be a JSON object")
        return Company(), frozenset()
    reader.known(block, LANDED_COMPANY_FIELDS, "company")
    immex = reader.boolean(block, "immex", "company")
    guarantee = reader.boolean(block, "iva_guarantee", "company")
    cert = block.get("certification")
    if cert is not None and cert not in CERTIFICATIONS:
        reader.fail("company.certification", f"must be null or one of {', '.join(CERTIFICATIONS)}")
        cert = None
    sectors = block.get("prosec_sectors", [])
    if not isinstance(sectors, list) or not all(isinstance(s, str) for s in sectors):
        reader.fail("company.prosec_sectors", "must be a list of sector numbers (II, XIX)")
        sectors = []
    checked = [codes.prosec_sector(s) for s in sectors]
    for index, (raw, sector) in enumerate(zip(sectors, checked, strict=True)):
        if sector is None:
            reader.fail(f"company.prosec_sectors[{index}]", codes.unknown_message("prosec_sector", raw))
    # a company registers in a sector's program (Decreto PROSEC Art. 3), whatever the inciso
    sectors = [codes.sector_number(s) for s in checked if s is not None]
    return (Company(bool(immex), cast(Certification | None, cert), bool(guarantee)), frozenset(sectors))


def _items(  # noqa: C901
    reader: _Reader,
    root: Mapping[str, Any],
    date: str | None,
    igi_rate_of: Callable[[str, str], Decimal | None],
    parties: frozenset[str],
    prosec_of: Callable[[str, str], tuple[str, Decimal] | None],
) -> tuple[LandedItem, ...] | None:
    raw_items = root.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        reader.fail("items", "must be a non-empty list")
        return None
    items: list[LandedItem] = []
    parts: set[str] = set()
    for index, raw in enumerate(raw_items):
        path = f"items[{index}]"
        block = reader.obj(raw, path)
        if block is None:
            continue
        before = len(reader.problems)
        reader.known(block, ITEM_FIELDS, path)
        part = reader.text(block, "part", path, non_empty=True)
        if part is not None and part in parts:
            reader.fail(f"{path}.part", f"part {part!r} repeats")
        if part is not None:
            parts.add(part)
        fraccion = reader.fraccion(block, "fraccion", path)
        country = reader.country(block, "supplier_country", path)  # "usa" / "US" is the Party USA
        unit_value = reader.decimal(block, "unit_value", path)
        freight = reader.decimal(block, "freight_per_unit", path, required=False, default=Decimal(0))
        insurance = reader.decimal(block, "insurance_per_unit", path, required=False, default=Decimal(0))
        quantity = reader.decimal(block, "annual_quantity", path, strict_minimum=True)
        shipments = block.get("shipments_per_year", 12)
        if isinstance(shipments, bool) or not isinstance(shipments, int) or shipments <= 0:
            reader.fail(f"{path}.shipments_per_year", "must be a positive integer")
            shipments = 1
        igi = reader.decimal(block, "igi_rate", path, required=False)
        if igi is None and "igi_rate" not in block and fraccion is not None and date:
            try:
                igi = igi_rate_of(fraccion, date)
            except ValueError as exc:  # the tariff has a duty that is not ad valorem
                reader.fail(f"{path}.igi_rate", f"not given, and {exc}: give igi_rate explicitly")
            else:
                if igi is None:
                    reader.fail(
                        f"{path}.igi_rate",
                        f"not given and the tariff has no rate "
                        f"for {fraccion} on {date} (give "
                        "igi_rate, or load the official release "
                        "in force on that date with `immex "
                        "duties tariff update`)",
                    )
        prosec_rate: Decimal | None = None
        sector: str | None = None
        prosec = block.get("prosec")
        if prosec is not None:
            pblock = reader.obj(prosec, f"{path}.prosec")
            if pblock is not None:
                reader.known(pblock, PROSEC_FIELDS, f"{path}.prosec")
                sector = reader.text(pblock, "sector", f"{path}.prosec", non_empty=True)
                if sector is not None and sector.strip():
                    sector = reader.code(pblock, "sector", f"{path}.prosec", "prosec_sector")
                prosec_rate = reader.decimal(pblock, "rate", f"{path}.prosec")
        elif "prosec" not in block and fraccion is not None and date:
            found = prosec_of(fraccion, date)
            if found is not None:
                sector, prosec_rate = found
        tmec_rate = reader.decimal(block, "tmec_rate", path, required=False, default=Decimal(0))
        share = reader.decimal(block, "exported_share", path, required=False, default=Decimal(1))
        if share is not None and share > 1:
            reader.fail(f"{path}.exported_share", "must be between 0 and 1")
        us_duty = reader.decimal(block, "us_duty_per_unit", path, required=False, default=Decimal(0))
        cc_rate = reader.decimal(block, "cc_rate", path, required=False, default=Decimal(0))
        default_orig = country in parties if country is not None else False
        originating = reader.boolean(block, "originating", path, default=default_orig)
        if len(reader.problems) > before:
            continue
        if igi is None:  # an explicit null, or no date to look the rate up on (reported with the date)
            if date:
                reader.fail(f"{path}.igi_rate", "missing rate (a fraction such as 0.05)")
            continue
        assert part is not None and fraccion is not None and country is not None
        assert unit_value is not None and freight is not None and insurance is not None
        assert quantity is not None and igi is not None and tmec_rate is not None
        assert share is not None and us_duty is not None and originating is not None
        assert cc_rate is not None
        items.append(
            LandedItem(
                part,
                fraccion,
                country,
                originating,
                unit_value,
                freight,
                insurance,
                quantity,
                shipments,
                igi,
                sector,
                prosec_rate,
                tmec_rate,
                share,
                us_duty,
                cc_rate,
            )
        )
    return tuple(items)
