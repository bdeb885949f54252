"""Use cases of ``immex origin``: read a case file, validate it, call the pure engine, shape output.

- :func:`load_case` — case JSON → :class:`OriginCase`, collecting every problem
  (``InputError`` with :class:`~immex.core.problems.Problem` values; column = JSON path);
- :func:`qualify_file` / :func:`sensitivity_file` — the two commands' use cases;
- :func:`determination_json` / :func:`determination_text` and the ``sensitivity_*``
  renderers — the contract's output shapes.

The case file is the one documented in ``docs/origin.md`` plus optional fields
documented in ``docs/origin.md``: ``good.wholly_obtained``; per material ``indirect``,
``packing``, ``retail_packaging``, ``accessory``, ``weight`` (and ``good.weight``, ``good.processes``),
``intermediate`` with ``materials`` (components), ``net_cost`` and ``rule``. Fields the
engine does not use (quantities, units, supplier names, ...) are ignored, so case files
exported from other systems can be read as is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from immex.core.fields import likely_typos
from immex.core.jsonfile import JsonFileError, read_json
from immex.core.numbers import parse_decimal, plain, round_half_up
from immex.core.parse import parse_iso_date
from immex.core.problems import InputError, Problem
from immex.origin import (
    Determination,
    FromCodes,
    Good,
    HsCode,
    HsError,
    Material,
    MaterialRole,
    OriginCase,
    OriginError,
    OtherAt,
    OutsideGroup,
    ProductRule,
    Rule,
    RuleSyntaxError,
    determine,
    parse_rule,
)
from immex.origin.automotive_case import read_automotive
from immex.origin.correlation_case import read_hs_edition
from immex.origin.grammar import CUT_AND_SEWN
from immex.origin.hs import in_any
from immex.origin.model import DescribedCodes, Source
from immex.origin.nomenclature import editions_of, unknown_code
from immex.origin.rules_data import (
    all_facts,
    canonical_agreement,
    find_rule,
    origin_facts,
    process_names,
    valid_chapter,
)
from immex.origin.sensitivity import Sensitivity, sensitivity

_ROLE_FLAGS = {
    "indirect": MaterialRole.INDIRECT,
    "packing": MaterialRole.SHIPPING_PACKING,
    "retail_packaging": MaterialRole.RETAIL_PACKAGING,
    "accessory": MaterialRole.ACCESSORY,
}


# the fields the reader reads; another field is ignored (exports from other systems carry units,
# suppliers, ...) unless its name is close to one of these: then it is most likely a typo that would
# change the answer unseen ("net_cots" for "net_cost", "is_set" for "set"), and it is refused
CASE_FIELDS = frozenset(
    {"agreement", "date", "good", "materials", "rule", "automotive", "hs_version", "hs_2012"}
    | {"destination", "exporter"}
)
GOOD_FIELDS = frozenset(
    {"hs", "transaction_value", "net_cost", "description", "wholly_obtained", "weight", "processes"}
    | {"use", "conditions", "set", "component_weight"}
)
MATERIAL_FIELDS = frozenset(
    {"id", "hs", "value", "originating", "country", "weight", "description", "component", "elastomeric"}
    | {"intermediate", "materials", "net_cost", "rule"}
    | set(_ROLE_FLAGS)
)


# Decimal arithmetic keeps 28 significant digits: a value / transaction value * 100 stays exact
# for amounts of up to 15 integer digits and 22 digits in all; longer ones would be rounded unseen
MAX_INTEGER_DIGITS = 15
MAX_DIGITS = 22


_ROLE_HINT = "a material's role is one of the flags indirect, packing, retail_packaging, accessory: true"


class _Reader:
    """Collects problems while reading one case file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.codes: list[tuple[str, HsCode]] = []  # every HS code read, checked once the edition is known

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, None, column, message))

    def known(self, raw: Mapping[str, Any], fields: frozenset[str], where: str) -> None:
        """One problem per unknown field whose name is close to a known one (a likely typo)."""
        role_hint = "role" in raw and "indirect" in fields
        if role_hint:
            self.problem(f"{where}role", f"unknown field; {_ROLE_HINT}")
        for typo in likely_typos((key for key in raw if not (role_hint and key == "role")), fields):
            self.problem(f"{where}{typo.field}", typo.message())

    def decimal(
        self, value: Any, where: str, *, positive: bool = False, required: bool = True
    ) -> Decimal | None:
        if value is None:
            if required:
                self.problem(where, "missing value")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(where, f'{value!r} is not a decimal number (write it as a string, e.g. "100.00")')
            return None
        try:
            number = parse_decimal(str(value))
        except (ValueError, InvalidOperation) as exc:
            self.problem(where, str(exc))
            return None
        if number < 0:
            self.problem(where, f"negative value {plain(number)}")
            return None
        if number.adjusted() >= MAX_INTEGER_DIGITS or len(number.as_tuple().digits) > MAX_DIGITS:
            self.problem(
                where,
                f"{value!r} is too large or too long (at most {MAX_INTEGER_DIGITS} digits before the "
                f"point and {MAX_DIGITS} in all): the shares and RVC are computed with {MAX_DIGITS + 6} "
                "significant digits",
            )
            return None
        if positive and number == 0:
            self.problem(where, "must be greater than zero")
            return None
        return number

    def hs(self, value: Any, where: str) -> HsCode | None:
        if value is None or value == "":
            self.problem(where, "missing HS code")
            return None
        try:
            code = HsCode.parse(str(value))
        except HsError as exc:
            self.problem(where, f"unknown HS code: {exc}")
            return None
        if not valid_chapter(code):
            self.problem(where, f"unknown HS code {value!r}: chapter {code.chapter} is not an HS chapter")
            return None
        self.codes.append((where, code))
        return code

    def nomenclature(self, hs_version: str | None) -> None:
        """A problem for each code whose heading or subheading is in no HS edition the case may use."""
        editions = editions_of(hs_version)
        for where, code in self.codes:
            why = unknown_code(code, editions)
            if why is not None:
                self.problem(where, f"unknown HS code {code}: {why}")

    def rule(self, value: Any, where: str) -> Rule | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(where, "rule must be a string of rule text")
            return None
        try:
            return parse_rule(value)
        except RuleSyntaxError as exc:
            self.problem(where, f"malformed rule text: {exc}")
            return None

    def flag(self, entry: Mapping[str, Any], key: str, where: str) -> bool:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            self.problem(f"{where}.{key}", f"{value!r} is not true or false")
            return False
        return value

    def materials(self, items: Any, where: str, depth: int) -> tuple[Material, ...]:
        if items is None:
            self.problem(where, "missing list of materials")
            return ()
        if not isinstance(items, list):
            self.problem(where, "materials must be a list")
            return ()
        out: list[Material] = []
        seen: set[str] = set()
        for i, raw in enumerate(items):
            w = f"{where}[{i}]"
            if not isinstance(raw, dict):
                self.problem(w, "a material must be an object")
                continue
            material = self.material(raw, w, depth)
            if material is None:
                continue
            if material.id in seen:
                self.problem(f"{w}.id", f"duplicate material id {material.id!r}")
            seen.add(material.id)
            out.append(material)
        return tuple(out)

    def material(self, raw: Mapping[str, Any], w: str, depth: int) -> Material | None:
        self.known(raw, MATERIAL_FIELDS, f"{w}.")
        mid = raw.get("id")
        if not isinstance(mid, str) or not mid.strip():
            self.problem(f"{w}.id", "missing material id")
            mid = None
        code = self.hs(raw.get("hs"), f"{w}.hs")
        value = self.decimal(raw.get("value"), f"{w}.value")
        intermediate = self.flag(raw, "intermediate", w)
        components: tuple[Material, ...] = ()
        net_cost = None
        rule = None
        if intermediate and "materials" in raw:
            if depth >= 1:
                self.problem(
                    f"{w}.materials",
                    "an intermediate material inside an intermediate material cannot be "
                    "designated (HTSUS GN 11(c)(ix)(B)); give the inner one's originating status",
                )
            else:
                components = self.materials(raw.get("materials"), f"{w}.materials", depth + 1)
            net_cost = self.decimal(raw.get("net_cost"), f"{w}.net_cost", positive=True, required=False)
            rule = self.rule(raw.get("rule"), f"{w}.rule")
        elif "materials" in raw or "net_cost" in raw or "rule" in raw:
            self.problem(
                w,
                "'materials', 'net_cost' and 'rule' are only for an intermediate material "
                '("intermediate": true)',
            )
        originating_raw = raw.get("originating")
        if originating_raw is None and not components:
            self.problem(f"{w}.originating", "missing value (true or false)")
        elif originating_raw is not None and not isinstance(originating_raw, bool):
            self.problem(f"{w}.originating", f"{originating_raw!r} is not true or false")
        roles = [role for key, role in _ROLE_FLAGS.items() if self.flag(raw, key, w)]
        if len(roles) > 1:
            self.problem(w, "a material has at most one of indirect / packing / retail_packaging / accessory")
        country = raw.get("country")
        if country is not None and not isinstance(country, str):
            self.problem(f"{w}.country", "country must be a string")
            country = None
        weight = self.decimal(raw.get("weight"), f"{w}.weight", required=False)
        description = raw.get("description") or ""
        if not isinstance(description, str):
            self.problem(f"{w}.description", "description must be a string")
            description = ""
        if mid is None or code is None or value is None:
            return None
        return Material(
            mid,
            code,
            value,
            bool(originating_raw),
            country,
            roles[0] if roles else MaterialRole.DIRECT,
            intermediate,
            components,
            net_cost,
            rule,
            weight,
            description,
            self.flag(raw, "component", w),
            self.flag(raw, "elastomeric", w),
        )


def read_case(data: Any, file: str) -> OriginCase:  # noqa: C901
    """Validate parsed JSON into an OriginCase; InputError lists every problem."""
    r = _Reader(file)
    if not isinstance(data, dict):
        raise InputError([Problem(file, None, "", "the case file must hold a JSON object")])
    r.known(data, CASE_FIELDS, "")
    day: dt.date | None = None
    raw_date = data.get("date")
    if raw_date is None:
        r.problem("date", "missing value (YYYY-MM-DD)")
    else:
        try:
            day = parse_iso_date(raw_date if isinstance(raw_date, str) else repr(raw_date))
        except ValueError as exc:
            r.problem("date", str(exc))
    agreement: str | None = None
    raw_agreement = data.get("agreement")
    if raw_agreement is None:
        if day is not None:
            agreement = next((f.agreement for f in all_facts().values() if f.covers(day)), None)
            if agreement is None:
                r.problem("agreement", f"no agreement in the data is in force on {day.isoformat()}")
    elif not isinstance(raw_agreement, str):
        r.problem("agreement", "agreement must be a string (USMCA or NAFTA)")
    else:
        try:
            agreement = canonical_agreement(raw_agreement)
        except OriginError as exc:
            r.problem("agreement", str(exc))
    facts = None
    if agreement is not None and day is not None:
        try:
            facts = origin_facts(agreement, day)
        except OriginError as exc:
            r.problem("date", str(exc))
    good_raw = data.get("good")
    good: Good | None = None
    if not isinstance(good_raw, dict):
        r.problem("good", "missing object 'good' (hs, transaction_value, net_cost?)")
    else:
        r.known(good_raw, GOOD_FIELDS, "good.")
        code = r.hs(good_raw.get("hs"), "good.hs")
        tv = r.decimal(good_raw.get("transaction_value"), "good.transaction_value", positive=True)
        nc = r.decimal(good_raw.get("net_cost"), "good.net_cost", positive=True, required=False)
        wholly = r.flag(good_raw, "wholly_obtained", "good")
        weight = r.decimal(good_raw.get("weight"), "good.weight", positive=True, required=False)
        processes = good_raw.get("processes", [])
        known = process_names() | {CUT_AND_SEWN}
        if not isinstance(processes, list) or not all(isinstance(p, str) for p in processes):
            r.problem("good.processes", "processes must be a list of names")
            processes = []
        for name in processes:
            if name not in known:
                r.problem("good.processes", f"unknown process {name!r}; known: {', '.join(sorted(known))}")
        description = good_raw.get("description") or ""
        if not isinstance(description, str):
            r.problem("good.description", "description must be a string")
            description = ""
        use = good_raw.get("use") or ""
        if not isinstance(use, str):
            r.problem("good.use", "use must be a string (passenger vehicle, light truck, heavy truck, other)")
            use = ""
        answers = _answers(r, good_raw.get("conditions"))
        is_set = r.flag(good_raw, "set", "good")
        component_weight = r.decimal(
            good_raw.get("component_weight"), "good.component_weight", positive=True, required=False
        )
        if code is not None and tv is not None:
            good = Good(
                code,
                tv,
                nc,
                description,
                wholly,
                weight,
                tuple(processes),
                use,
                answers,
                is_set,
                component_weight,
            )
    rule = r.rule(data.get("rule"), "rule")
    materials = r.materials(data.get("materials"), "materials", 0)
    automotive = read_automotive(data.get("automotive"), r.problem)  # GN 11(k) fields
    hs_edition = read_hs_edition(data, r.problem)  # HS 2022 codes (hs_version, hs_2012)
    r.nomenclature(None if data.get("hs_version") is None else str(data.get("hs_version")))
    # a vehicle whose automotive rules are not in the data is undetermined, with or without rule text
    vehicle_to_decide = (
        facts is not None
        and good is not None
        and bool(facts.automotive_to_decide)
        and in_any(good.hs, facts.automotive_unsupported) is True
    )
    if (
        facts is not None
        and not facts.rule_table
        and rule is None
        and good is not None
        and not good.wholly_obtained
        and not vehicle_to_decide
        and any(not m.originating or m.components for m in materials)
    ):
        r.problem(
            "rule",
            f"the {facts.agreement} product-specific rules are not in the rule data: give the rule "
            "text of the good (NAFTA Annex 401) in 'rule'",
        )
    destination = _country(r, data.get("destination"), "destination")
    exporter = _country(r, data.get("exporter"), "exporter")
    if r.problems or good is None or day is None or agreement is None:
        raise InputError(r.problems or [Problem(file, None, "", "invalid case")])
    return OriginCase(
        agreement,
        day,
        good,
        materials,
        rule,
        automotive=automotive,
        hs_edition=hs_edition,
        destination=destination,
        exporter=exporter,
    )


_COUNTRIES = {"US": "US", "USA": "US", "CA": "CA", "CAN": "CA", "MX": "MX", "MEX": "MX"}


def _country(r: _Reader, value: Any, where: str) -> str | None:
    """A USMCA country (US, CA, MX; USA, CAN, MEX accepted) or None when absent."""
    if value is None or value == "":
        return None
    code = _COUNTRIES.get(value.strip().upper()) if isinstance(value, str) else None
    if code is None:
        r.problem(where, f"{value!r} is not a USMCA country (US, CA or MX)")
    return code


def _answers(r: _Reader, value: Any) -> tuple[tuple[str, bool], ...]:
    """``good.conditions``: {condition text: true/false}, a person's answers to asserted conditions."""
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
        r.problem("good.conditions", "conditions must be an object of condition text: true or false")
        return ()
    return tuple((str(k), bool(v)) for k, v in value.items())


def load_case(path: Path) -> OriginCase:
    """Read and validate one case file."""
    name = path.name
    try:
        data = read_json(path, parse_float=str)
    except JsonFileError as exc:
        raise InputError([Problem(name, None, "input", str(exc))]) from exc
    return read_case(data, name)


def _decide(case: OriginCase, file: str) -> Determination:
    try:
        return determine(case)
    except OriginError as exc:
        raise InputError([Problem(file, None, "good.hs", str(exc))]) from exc


def qualify_file(path: Path) -> Determination:
    """``immex origin qualify --input CASE.json``: InputError on an invalid case."""
    return _decide(load_case(path), path.name)


def sensitivity_file(path: Path) -> Sensitivity:
    """``immex origin sensitivity --input CASE.json``."""
    case = load_case(path)
    _decide(case, path.name)
    return sensitivity(case)


def two(value: Decimal) -> str:
    return f"{round_half_up(value, 2)}"


def determination_json(d: Determination) -> dict[str, Any]:
    """The contract's output object."""
    rvc = None
    if d.rvc is not None:
        rvc = {
            "method": d.rvc.method,
            "value": None if d.rvc.value is None else two(d.rvc.value),
            "required": plain(d.rvc.required),
        }
    return {
        "originating": d.originating,
        "criterion": d.criterion,
        "undetermined": [{"alternative": u.alternative, "reason": u.reason} for u in d.undetermined],
        "rule": d.rule_text,
        "alternative": d.alternative,
        "tariff_shift": {
            "required": d.shift_required,
            "met": d.shift_met,
            "failing_materials": list(d.failing_materials),
        },
        "rvc": rvc,
        "de_minimis": {
            "applied": d.de_minimis_applied,
            "value": two(d.de_minimis_value),
            "limit": two(d.de_minimis_limit),
        },
        "explanation": list(d.explanation),
    }


def verdict_text(d: Determination) -> str:
    """ORIGINATING (criterion X) / NOT ORIGINATING / UNDETERMINED."""
    if d.originating is None:
        return "UNDETERMINED"
    return f"ORIGINATING (criterion {d.criterion})" if d.originating else "NOT ORIGINATING"


def determination_text(d: Determination) -> str:
    lines = [verdict_text(d)]
    for u in d.undetermined:
        where = f"alternative {u.alternative}" if u.alternative is not None else "the good"
        lines.append(f"to decide ({where}): {u.reason}")
    if d.rule_text:
        lines.append(f"rule: {d.rule_text}" + (f"  [{d.citation}]" if d.citation else ""))
    if d.alternative is not None:
        lines.append(f"alternative: {d.alternative}")
    shift = (
        "not required"
        if not d.shift_required
        else ("met" if d.shift_met else "not met: " + ", ".join(d.failing_materials))
    )
    lines.append(f"tariff shift: {shift}")
    if d.rvc is not None:
        value = "n/a" if d.rvc.value is None else two(d.rvc.value) + "%"
        lines.append(f"RVC ({d.rvc.method}): {value} (required {plain(d.rvc.required)}%)")
    lines.append(
        f"de minimis: {'applied' if d.de_minimis_applied else 'not applied'} "
        f"({two(d.de_minimis_value)}% of {two(d.de_minimis_limit)}%)"
    )
    lines.append("explanation:")
    lines.extend(f"  - {line}" for line in d.explanation)
    return "\n".join(lines)


def sensitivity_json(s: Sensitivity) -> dict[str, Any]:
    d = s.determination
    return {
        "originating": d.originating,
        "criterion": d.criterion,
        "undetermined": [{"alternative": u.alternative, "reason": u.reason} for u in d.undetermined],
        "alternative": d.alternative,
        "rvc": [
            {
                "alternative": g.alternative,
                "method": g.method,
                "value": None if g.value is None else two(g.value),
                "required": plain(g.required),
                "margin_points": None if g.margin_points is None else two(g.margin_points),
                "value_to_replace": two(g.value_to_replace),
                "headroom": two(g.headroom),
            }
            for g in s.rvc
        ],
        "blocking_materials": [
            {"id": b.id, "hs": b.hs, "value": plain(b.value), "alternatives": list(b.alternatives)}
            for b in s.blockers
        ],
        "single_fixes": list(s.single_fixes),
        "greedy_fix": None
        if s.greedy_fix is None
        else {"materials": list(s.greedy_fix), "value": plain(s.greedy_fix_value)},
    }


def sensitivity_text(s: Sensitivity) -> str:
    d = s.determination
    lines = [verdict_text(d)]
    for g in s.rvc:
        if g.value is None:
            lines.append(f"alternative {g.alternative} RVC {g.method}: not computable (no net cost)")
        elif g.value_to_replace > 0:
            lines.append(
                f"alternative {g.alternative} RVC {g.method}: {two(g.value)}% < {plain(g.required)}%; "
                f"source {two(g.value_to_replace)} of non-originating value as originating to qualify"
            )
        else:
            lines.append(
                f"alternative {g.alternative} RVC {g.method}: {two(g.value)}% >= {plain(g.required)}%; "
                f"margin {two(g.margin_points or Decimal(0))} points, headroom {two(g.headroom)}"
            )
    for b in s.blockers:
        lines.append(
            f"material {b.id} ({b.hs}, value {plain(b.value)}) fails the tariff shift of "
            f"alternative(s) {', '.join(str(i) for i in b.alternatives)}"
        )
    if not d.originating:
        lines.append(
            "sourcing one material as originating makes it qualify: "
            + (", ".join(s.single_fixes) if s.single_fixes else "none")
        )
        if s.greedy_fix is None:
            lines.append("even with every material originating the good does not qualify")
        else:
            lines.append(
                f"largest-first set that qualifies: {', '.join(s.greedy_fix)} "
                f"(value {plain(s.greedy_fix_value)})"
            )
    return "\n".join(lines)


def _source_text(source: Source) -> str:
    if isinstance(source, OtherAt):
        within = f" within {', '.join(str(r) for r in source.within)}" if source.within else ""
        return f"any other {source.level.word}{within}"
    if isinstance(source, OutsideGroup):
        return f"any {source.level.word} outside the group"
    if isinstance(source, FromCodes):
        return ", ".join(str(r) for r in source.codes) or "(none)"
    if isinstance(source, DescribedCodes):
        return f"{source.description} of {', '.join(str(r) for r in source.codes) or 'any code'}"
    return "within the target codes"


def rule_json(product: ProductRule) -> dict[str, Any]:
    """A table rule as data: citation, dates, verbatim text, notes and the parsed alternatives."""
    alternatives = []
    for i, alt in enumerate(product.rule.alternatives, start=1):
        excepted = alt.shift.excepted_described if alt.shift is not None else ()
        described = [
            s
            for s in ((*alt.shift.sources, *alt.shift.also) if alt.shift is not None else ())
            if isinstance(s, DescribedCodes)
        ] + list(excepted)
        shift = None
        if alt.shift is not None:
            shift = {
                "from": [_source_text(s) for s in alt.shift.sources],
                "whether_or_not_from": [_source_text(s) for s in alt.shift.also],
                "except_from": [str(r) for r in alt.shift.excepted],
                "except_more_than_one_of": [[str(r) for r in group] for group in alt.shift.combination],
            }
        alternatives.append(
            {
                "alternative": i,
                "label": alt.label,
                "target": [str(r) for r in alt.target],
                "tariff_shift": shift,
                "rvc": None
                if alt.rvc is None
                else {
                    "TV": None if alt.rvc.tv is None else plain(alt.rvc.tv),
                    "NC": None if alt.rvc.nc is None else plain(alt.rvc.nc),
                },
                "requires_processes": list(alt.processes),
                "not_tested": list(alt.unsupported),
                "applies_if": [f"{f.kind.value}: {f.text}" for f in alt.requires],
                "unless": [" and ".join(f"{f.kind.value}: {f.text}" for f in group) for group in alt.unless],
                "described_materials": [
                    ("except " if n in excepted else "") + _source_text(n) for n in described
                ],
                "conditions": [f"{c.kind.value}: {c.text}" for c in alt.conditions],
                "source": alt.source or None,
                "readings": list(alt.readings),
            }
        )
    return {
        "id": product.id,
        "citation": product.citation,
        "since": product.since.isoformat(),
        "until": None if product.until is None else product.until.isoformat(),
        "condition": product.rule.condition,
        "text": product.rule.text,
        "notes": list(product.notes),
        "alternatives": alternatives,
    }


def rule_text_report(product: ProductRule) -> str:
    data = rule_json(product)
    lines = [f"{data['citation']} (in force {data['since']} to {data['until'] or 'today'})", data["text"]]
    for alt in data["alternatives"]:
        parts = [f"({alt['label']}) good {', '.join(alt['target'])}"]
        if alt["tariff_shift"]:
            parts.append("from " + "; ".join(alt["tariff_shift"]["from"]))
            if alt["tariff_shift"]["whether_or_not_from"]:
                parts.append("or also from " + "; ".join(alt["tariff_shift"]["whether_or_not_from"]))
            if alt["tariff_shift"]["except_from"]:
                parts.append("except " + ", ".join(alt["tariff_shift"]["except_from"]))
        else:
            parts.append("no tariff shift")
        if alt["rvc"]:
            parts.append(f"RVC TV {alt['rvc']['TV'] or '-'} / NC {alt['rvc']['NC'] or '-'}")
        if alt["not_tested"]:
            parts.append("not tested: " + "; ".join(alt["not_tested"]))
        if alt["applies_if"]:
            parts.append("if " + "; ".join(alt["applies_if"]))
        if alt["unless"]:
            parts.append("unless " + "; ".join(alt["unless"]))
        if alt["described_materials"]:
            parts.append("materials named: " + "; ".join(alt["described_materials"]))
        if alt["conditions"]:
            parts.append("provided " + "; ".join(alt["conditions"]))
        lines.append("  " + " | ".join(parts))
    lines.extend(f"  note: {n}" for n in data["notes"])
    return "\n".join(lines)


def find_table_rule(hs: str, day: str | None, agreement: str = "USMCA") -> ProductRule:
    """``immex origin rule``: the packaged rule for an HS code on a date (InputError if none)."""
    problems: list[Problem] = []
    reader = _Reader("arguments")
    code = reader.hs(hs, "--hs")
    try:
        when = dt.date.fromisoformat(day) if day else dt.date.today()
    except ValueError:
        reader.problem("--date", f"{day!r} is not a YYYY-MM-DD date")
        when = None
    problems.extend(reader.problems)
    if problems or code is None or when is None:
        raise InputError(problems)
    try:
        facts = origin_facts(agreement, when)
        if not facts.rule_table:
            raise OriginError(f"the {facts.agreement} product-specific rules are not in the rule data")
        return find_rule(code, when)
    except OriginError as exc:
        raise InputError([Problem("arguments", None, "--hs", str(exc))]) from exc
