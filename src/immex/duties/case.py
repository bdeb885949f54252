"""Case files of the duty contract, from parsed JSON to values, collecting every problem.

Each problem is a :class:`FieldProblem` whose path names the field as the
contract does (``exchange_rate``, ``lines[2].value``, ``materials[0].igi_rate``).
Money, rates and exchange rates must be JSON strings holding a plain decimal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from immex.core.fields import likely_typos
from immex.core.parse import normalize_country, normalize_hs
from immex.core.pedimento import canonical_pedimento
from immex.duties import codes
from immex.duties.values import (
    Certification,
    Clave,
    Company,
    Destination,
    ExportOperation,
    FieldProblem,
    ForeignDuty,
    Incrementables,
    Material,
    PedimentoCase,
    PedimentoLine,
    Preference,
    Program,
    QuotaOverrides,
    Tmec25Case,
)

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

CLAVES: tuple[Clave, ...] = ("A1", "IN", "AF")
TEMPORARY_CLAVES: tuple[Clave, ...] = ("IN", "AF")
CERTIFICATIONS: tuple[Certification, ...] = ("A", "AA", "AAA")
DESTINATIONS = ("US", "CA")
INCREMENTABLE_KEYS = ("freight", "insurance", "packing", "other")
QUOTA_KEYS = ("dta_iii", "dta_v")

# The fields each object of a case file may hold. Other fields are ignored (files exported from
# other systems carry descriptions, suppliers, units), except one whose name is close to a
# field listed here: most likely a typo that would change the answer unseen ("igi_rte" read as
# a missing rate), so it is refused naming the field meant (immex.core.fields).
PEDIMENTO_FIELDS = frozenset(
    {"clave", "date", "currency", "exchange_rate", "incoterm", "incrementables", "iva_rate"}
    | {"company", "lines", "quotas"}
)
COMPANY_FIELDS = frozenset({"immex", "certification", "iva_guarantee"})
LINE_FIELDS = frozenset({"line", "fraccion", "value", "igi_rate", "preference", "cc_rate", "iva_rate"})
PREFERENCE_FIELDS = frozenset({"program", "certificate", "sector", "rate"})
TMEC25_FIELDS = frozenset({"export", "foreign_duty", "materials", "quotas"})
EXPORT_FIELDS = frozenset({"pedimento", "date", "clave", "destination", "same_condition"})
FOREIGN_DUTY_FIELDS = frozenset({"amount", "currency", "exchange_rate"})
MATERIAL_FIELDS = frozenset({"id", "fraccion", "customs_value_mxn", "originating", "igi_rate", "preference"})


@dataclass(frozen=True, slots=True)
class JsonNumber:
    """A JSON number with a fraction or exponent, kept as its text: never a binary float."""

    text: str


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# Decimal arithmetic keeps 28 significant digits: longer amounts would be rounded unseen
MAX_INTEGER_DIGITS = 15
MAX_DIGITS = 22
# rates that are a share of a value and never above 100 % (IGI rates may be: some tariff lines exceed it)
FRACTION_KEYS = frozenset({"iva_rate", "exported_share"})


class _Reader:
    """Reads fields of a JSON object tree, recording a problem for each bad one."""

    def __init__(self, file: str | None = None) -> None:
        self.problems: list[FieldProblem] = []
        self.file = file  # the case file's name, for the messages that name it

    def fail(self, path: str, message: str) -> None:
        self.problems.append(FieldProblem(path, message))

    def known(self, block: Mapping[str, Any], fields: frozenset[str], path: str) -> None:
        """A problem for each unknown field whose name is close to a known one (a likely typo)."""
        for typo in likely_typos(block, fields):
            self.fail(_join(path, typo.field), typo.message(self.file))

    def obj(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, f"must be a JSON object, got {_kind(value)}")
            return None
        return value

    def decimal(
        self,
        parent: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        minimum: Decimal | None = Decimal(0),
        strict_minimum: bool = False,
        default: Decimal | None = None,
    ) -> Decimal | None:
        where = _join(path, key)
        if key not in parent or (parent[key] is None and not required):
            if required:
                self.fail(where, "is required")
            return default
        raw = parent[key]
        if not isinstance(raw, str):
            self.fail(where, f'must be a decimal string such as "12.50", got {_kind(raw)}')
            return None
        if not _DECIMAL.match(raw):
            self.fail(
                where,
                f"{raw!r} is not a plain decimal number (digits and one point; no exponent, comma or spaces)",
            )
            return None
        number = Decimal(raw)
        if number.adjusted() >= MAX_INTEGER_DIGITS or len(number.as_tuple().digits) > MAX_DIGITS:
            self.fail(
                where,
                f"{raw!r} is too large or too long (at most {MAX_INTEGER_DIGITS} digits before the point "
                f"and {MAX_DIGITS} in all; amounts are computed with 28 significant digits)",
            )
            return None
        if key in FRACTION_KEYS and number > 1:  # "16" for 16 % would be a 1,600 % rate
            self.fail(where, f"{raw!r} is more than 1: write the rate as a fraction (0.16 for 16 %)")
            return None
        if minimum is not None:
            if strict_minimum and number <= minimum:
                self.fail(where, f"must be greater than {minimum}, got {raw}")
                return None
            if not strict_minimum and number < minimum:
                self.fail(where, f"must be at least {minimum}, got {raw}")
                return None
        return number

    def text(
        self,
        parent: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        non_empty: bool = False,
    ) -> str | None:
        where = _join(path, key)
        if key not in parent or parent[key] is None:
            if required:
                self.fail(where, "is required")
            return None
        raw = parent[key]
        if not isinstance(raw, str):
            self.fail(where, f"must be a string, got {_kind(raw)}")
            return None
        if non_empty and not raw.strip():
            self.fail(where, "must not be empty")
            return None
        return raw

    def fraccion(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        """A fraccion as written, checked: 8 digits, or 10 with the NICO (dots and spaces allowed)."""
        raw = self.text(parent, key, path)
        if raw is not None and len(normalize_hs(raw) or "") not in (8, 10):
            self.fail(
                _join(path, key), f"{raw!r} is not a fraccion: 8 digits, or 10 with the NICO (8544.42.99)"
            )
            return None
        return raw

    def country(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        """A country as ISO 3166-1 alpha-3 (the T-MEC Parties' form): alpha-2 and lower case accepted."""
        raw = self.text(parent, key, path)
        code = normalize_country(raw) if raw is not None else None
        if raw is not None and not code:
            self.fail(
                _join(path, key), f"{raw!r} is not an ISO 3166-1 country code (CHN, USA, MEX; or CN, US)"
            )
        return code or None

    def code(self, parent: Mapping[str, Any], key: str, path: str, kind: str) -> str | None:
        """An optional code checked against its list (immex.duties.codes), in canonical form."""
        raw = self.text(parent, key, path, required=False)
        if raw is None or not raw.strip():  # blank as absent: these fields are optional
            return None
        check = {"currency": codes.currency, "incoterm": codes.incoterm, "prosec_sector": codes.prosec_sector}
        found = check[kind](raw)
        if found is None:
            self.fail(_join(path, key), codes.unknown_message(kind, raw))
        return found

    def boolean(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False, default: bool = False
    ) -> bool | None:
        where = _join(path, key)
        if key not in parent or (parent[key] is None and not required):
            if required:
                self.fail(where, "is required")
            return default
        raw = parent[key]
        if not isinstance(raw, bool):
            self.fail(where, f"must be true or false, got {_kind(raw)}")
            return None
        return raw

    def date(self, parent: Mapping[str, Any], key: str, path: str) -> dt.date | None:
        where = _join(path, key)
        raw = self.text(parent, key, path)
        if raw is None:
            return None
        if not _DATE.match(raw):
            self.fail(where, f"{raw!r} is not a date YYYY-MM-DD")
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.fail(where, f"{raw!r} is not a valid calendar date")
            return None

    def quotas(self, root: Mapping[str, Any]) -> QuotaOverrides:
        if "quotas" not in root or root["quotas"] is None:
            return QuotaOverrides()
        block = self.obj(root["quotas"], "quotas")
        if block is None:
            return QuotaOverrides()
        for key in block:
            if key not in QUOTA_KEYS:
                self.fail(f"quotas.{key}", f"unknown quota; expected one of {', '.join(QUOTA_KEYS)}")
        return QuotaOverrides(
            dta_iii=self.decimal(block, "dta_iii", "quotas", required=False),
            dta_v=self.decimal(block, "dta_v", "quotas", required=False),
        )

    def preference(
        self, parent: Mapping[str, Any], path: str, *, allowed: tuple[Program, ...]
    ) -> tuple[bool, Preference | None]:
        """(ok, preference); ok is False when the preference was present and bad."""
        where = _join(path, "preference")
        if "preference" not in parent or parent["preference"] is None:
            return True, None
        block = self.obj(parent["preference"], where)
        if block is None:
            return False, None
        before = len(self.problems)
        self.known(block, PREFERENCE_FIELDS, where)
        program = block.get("program")
        if not isinstance(program, str) or program not in ("TMEC", "PROSEC", "R8"):
            self.fail(_join(where, "program"), f"must be one of {', '.join(allowed)}, got {_show(program)}")
            return False, None
        if program not in allowed:
            self.fail(
                _join(where, "program"),
                f'{program} is not allowed here (an originating material says "originating": true)'
                if program == "TMEC"
                else f"{program} is not allowed here",
            )
            return False, None
        certificate = sector = None
        if program == "TMEC":
            certificate = self.text(block, "certificate", where, non_empty=True)
        if program == "PROSEC":
            sector = self.text(block, "sector", where, non_empty=True)
            if sector is not None and sector.strip():
                sector = self.code(block, "sector", where, "prosec_sector")
        rate = self.decimal(block, "rate", where)
        if len(self.problems) > before or rate is None:
            return False, None
        return True, Preference(program, rate, certificate, sector)

    def integer(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        where = _join(path, key)
        if key not in parent or parent[key] is None:
            self.fail(where, "is required")
            return None
        raw = parent[key]
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.fail(where, f"must be a positive integer, got {_kind(raw)}")
            return None
        if raw <= 0:
            self.fail(where, f"must be a positive integer, got {raw}")
            return None
        return raw


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, JsonNumber):
        return f"the JSON number {value.text}"
    if isinstance(value, int | float):
        return f"the JSON number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)


def parse_pedimento_case(
    data: Any, file: str | None = None
) -> tuple[PedimentoCase | None, list[FieldProblem]]:
    """The case of ``immex duties pedimento`` (read from ``file``), or every problem found in it."""
    reader = _Reader(file)
    root = reader.obj(data, "input")
    if root is None:
        return None, reader.problems
    reader.known(root, PEDIMENTO_FIELDS, "")

    clave_raw = reader.text(root, "clave", "")
    clave: Clave | None = None
    if clave_raw is not None:
        if clave_raw in CLAVES:
            clave = clave_raw
        else:
            reader.fail("clave", f"{clave_raw!r} is not supported; expected one of {', '.join(CLAVES)}")
    date = reader.date(root, "date", "")
    currency = reader.code(root, "currency", "", "currency")  # informational, but a typo is caught
    reader.code(root, "incoterm", "", "incoterm")
    exchange_rate = reader.decimal(root, "exchange_rate", "", strict_minimum=True)
    incrementables = _incrementables(reader, root)
    iva_rate = reader.decimal(root, "iva_rate", "")
    company = _company(reader, root)
    if clave in TEMPORARY_CLAVES and company is not None and not company.immex:
        reader.fail("company.immex", f"clave {clave} needs an IMMEX company (company.immex: true)")
    quotas = reader.quotas(root)
    lines = _lines(reader, root, clave, iva_rate)

    if reader.problems:
        return None, reader.problems
    assert clave is not None and date is not None and exchange_rate is not None
    assert incrementables is not None and iva_rate is not None and company is not None
    assert lines is not None
    return PedimentoCase(
        clave, date, exchange_rate, incrementables, iva_rate, company, lines, quotas, currency
    ), []


def _incrementables(reader: _Reader, root: Mapping[str, Any]) -> Incrementables | None:
    if "incrementables" not in root or root["incrementables"] is None:
        return Incrementables()
    block = reader.obj(root["incrementables"], "incrementables")
    if block is None:
        return None
    for key in block:
        if key not in INCREMENTABLE_KEYS:
            reader.fail(
                f"incrementables.{key}",
                f"unknown incrementable; expected one of {', '.join(INCREMENTABLE_KEYS)}",
            )
    zero = Decimal(0)
    values = [
        reader.decimal(block, key, "incrementables", required=False, default=zero)
        for key in INCREMENTABLE_KEYS
    ]
    if any(v is None for v in values):
        return None
    freight, insurance, packing, other = (cast(Decimal, v) for v in values)
    return Incrementables(freight, insurance, packing, other)


def _company(reader: _Reader, root: Mapping[str, Any]) -> Company | None:
    if "company" not in root or root["company"] is None:
        return Company()
    block = reader.obj(root["company"], "company")
    if block is None:
        return None
    reader.known(block, COMPANY_FIELDS, "company")
    immex = reader.boolean(block, "immex", "company")
    guarantee = reader.boolean(block, "iva_guarantee", "company")
    certification: Certification | None = None
    raw = block.get("certification")
    ok = True
    if raw is not None:
        if isinstance(raw, str) and raw in CERTIFICATIONS:
            certification = raw
        else:
            reader.fail(
                "company.certification",
                f"must be null or one of {', '.join(CERTIFICATIONS)}, got {_show(raw)}",
            )
            ok = False
    if immex is None or guarantee is None or not ok:
        return None
    return Company(immex, certification, guarantee)


def _lines(
    reader: _Reader, root: Mapping[str, Any], clave: Clave | None, default_iva: Decimal | None
) -> tuple[PedimentoLine, ...] | None:
    if "lines" not in root or root["lines"] is None:
        reader.fail("lines", "is required (at least one line)")
        return None
    raw_lines = root["lines"]
    if not isinstance(raw_lines, list):
        reader.fail("lines", f"must be a list, got {_kind(raw_lines)}")
        return None
    if not raw_lines:
        reader.fail("lines", "must have at least one line")
        return None
    parsed: list[PedimentoLine] = []
    seen: dict[int, int] = {}
    ok = True
    for index, raw in enumerate(raw_lines):
        path = f"lines[{index}]"
        block = reader.obj(raw, path)
        if block is None:
            ok = False
            continue
        before = len(reader.problems)
        reader.known(block, LINE_FIELDS, path)
        number = reader.integer(block, "line", path)
        if number is not None:
            if number in seen:
                reader.fail(f"{path}.line", f"line {number} repeats lines[{seen[number]}]")
            else:
                seen[number] = index
        fraccion = reader.fraccion(block, "fraccion", path)
        value = reader.decimal(block, "value", path)
        igi_rate = reader.decimal(block, "igi_rate", path)
        _, preference = reader.preference(block, path, allowed=("TMEC", "PROSEC", "R8"))
        cc_rate = reader.decimal(block, "cc_rate", path, required=False, default=Decimal(0))
        if cc_rate is not None and cc_rate > 0 and clave in TEMPORARY_CLAVES:
            reader.fail(
                f"{path}.cc_rate", f"cuotas compensatorias are not allowed on clave {clave} (A1 only)"
            )
        iva_rate = reader.decimal(block, "iva_rate", path, required=False, default=default_iva)
        if len(reader.problems) > before or iva_rate is None:
            # iva_rate is None without a problem of its own when the pedimento-level rate
            # (reported at ``iva_rate``) is missing or bad.
            ok = False
            continue
        assert number is not None and fraccion is not None and value is not None
        assert igi_rate is not None and cc_rate is not None
        parsed.append(PedimentoLine(number, fraccion, value, igi_rate, preference, cc_rate, iva_rate))
    if not ok:
        return None
    if sum((line.value for line in parsed), Decimal(0)) <= 0:
        reader.fail("lines", "the sum of line values must be greater than 0")
        return None
    return tuple(parsed)


def parse_tmec25_case(data: Any, file: str | None = None) -> tuple[Tmec25Case | None, list[FieldProblem]]:
    """The case of ``immex duties tmec25`` (read from ``file``), or every problem found in it."""
    reader = _Reader(file)
    root = reader.obj(data, "input")
    if root is None:
        return None, reader.problems
    reader.known(root, TMEC25_FIELDS, "")

    export = _export(reader, root)
    foreign = _foreign_duty(reader, root)
    quotas = reader.quotas(root)
    materials = _materials(reader, root)
    if reader.problems:
        return None, reader.problems
    assert export is not None and materials is not None
    return Tmec25Case(export, foreign, materials, quotas), []


def _export(reader: _Reader, root: Mapping[str, Any]) -> ExportOperation | None:
    if "export" not in root or root["export"] is None:
        reader.fail("export", "is required")
        return None
    block = reader.obj(root["export"], "export")
    if block is None:
        return None
    before = len(reader.problems)
    reader.known(block, EXPORT_FIELDS, "export")
    pedimento = reader.text(block, "pedimento", "export", required=False)
    if pedimento is not None:
        try:
            canonical_pedimento(pedimento)
        except ValueError as exc:
            reader.fail("export.pedimento", str(exc))
    date = reader.date(block, "date", "export")
    clave = reader.text(block, "clave", "export", required=False)
    destination = block.get("destination")
    if destination not in DESTINATIONS:
        reader.fail(
            "export.destination",
            f"must be US or CA (T-MEC Art. 2.5 covers exports to another Party), got {_show(destination)}",
        )
    same = reader.boolean(block, "same_condition", "export")
    if len(reader.problems) > before:
        return None
    assert date is not None and same is not None
    return ExportOperation(pedimento, date, clave, cast(Destination, destination), same)


def _foreign_duty(reader: _Reader, root: Mapping[str, Any]) -> ForeignDuty | None:
    if "foreign_duty" not in root or root["foreign_duty"] is None:
        return None
    block = reader.obj(root["foreign_duty"], "foreign_duty")
    if block is None:
        return None
    reader.known(block, FOREIGN_DUTY_FIELDS, "foreign_duty")
    amount = reader.decimal(block, "amount", "foreign_duty")
    rate = reader.decimal(block, "exchange_rate", "foreign_duty", strict_minimum=True)
    currency = reader.code(block, "currency", "foreign_duty", "currency")
    if amount is None or rate is None:
        return None
    return ForeignDuty(amount, rate, currency)


def _materials(reader: _Reader, root: Mapping[str, Any]) -> tuple[Material, ...] | None:
    if "materials" not in root or root["materials"] is None:
        reader.fail("materials", "is required (a list, possibly empty)")
        return None
    raw_materials = root["materials"]
    if not isinstance(raw_materials, list):
        reader.fail("materials", f"must be a list, got {_kind(raw_materials)}")
        return None
    parsed: list[Material] = []
    seen: dict[str | int, int] = {}
    ok = True
    for index, raw in enumerate(raw_materials):
        path = f"materials[{index}]"
        block = reader.obj(raw, path)
        if block is None:
            ok = False
            continue
        before = len(reader.problems)
        reader.known(block, MATERIAL_FIELDS, path)
        ident = block.get("id")
        if ident is None:
            reader.fail(f"{path}.id", "is required")
        elif isinstance(ident, bool) or not isinstance(ident, str | int):
            reader.fail(f"{path}.id", f"must be a string, got {_kind(ident)}")
        elif isinstance(ident, str) and not ident.strip():
            reader.fail(f"{path}.id", "must not be empty")
        elif ident in seen:
            reader.fail(f"{path}.id", f"id {ident!r} repeats materials[{seen[ident]}]")
        else:
            seen[ident] = index
        fraccion = reader.fraccion(block, "fraccion", path)
        value = reader.decimal(block, "customs_value_mxn", path)
        originating = reader.boolean(block, "originating", path, required=True)
        igi_rate = reader.decimal(block, "igi_rate", path)
        _, preference = reader.preference(block, path, allowed=("PROSEC", "R8"))
        if len(reader.problems) > before:
            ok = False
            continue
        assert fraccion is not None and value is not None and originating is not None
        assert igi_rate is not None and isinstance(ident, str | int)
        parsed.append(Material(ident, fraccion, value, originating, igi_rate, preference))
    if not ok:
        return None
    return tuple(parsed)
