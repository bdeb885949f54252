"""HTML forms to the duty engine's case JSON and its problems back to the form's fields.

A field is named by its path in the contract's case (``exchange_rate``,
``lines[2].preference.rate``), so a problem the engine reports for ``lines[2].value``
lands next to the input that holds it. The engine validates; this module only nests the
flat form into the case shape: blank inputs are left out (the engine then says what is
required), rows left wholly blank are dropped, and the few non-text fields are typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# ``lines[2].preference.rate`` → ("lines", 2, "preference", "rate")
_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d{1,3})\])?")
# Rows a form shows at most: 100 partidas of 9 fields stay under the 1,000 fields Starlette reads.
MAX_ROWS = 100

# How a field becomes JSON, by its path with the row numbers taken out (``lines.value``).
TEXT, BOOLEAN, INTEGER, WORDS = "text", "boolean", "integer", "words"


@dataclass(frozen=True, slots=True)
class Nested:
    """The case built from a form and, per list, which form row each case row came from."""

    case: dict[str, Any]
    rows: dict[str, list[int]] = field(default_factory=dict)


def split_path(name: str) -> list[str | int] | None:
    """The path's keys and row numbers; None for a name that is not a field path."""
    out: list[str | int] = []
    for part in name.split("."):
        found = _TOKEN.fullmatch(part)
        if found is None:
            return None
        out.append(found.group(1))
        if found.group(2) is not None:
            index = int(found.group(2))
            if index >= MAX_ROWS:
                return None
            out.append(index)
    return out


def pattern_of(keys: Iterable[str | int]) -> str:
    """``lines[]preference.rate``-free form of a path: the row numbers dropped."""
    return ".".join(k for k in keys if isinstance(k, str))


def _typed(value: str, kind: str) -> Any:
    if kind == BOOLEAN:
        return {"true": True, "false": False}.get(value, value)
    if kind == INTEGER:
        return int(value) if value.isdigit() else value  # the engine names what is wrong
    if kind == WORDS:
        return [w for w in re.split(r"[\s,]+", value) if w]
    return value


def _put(tree: dict[str, Any], keys: list[str | int], value: Any) -> None:
    node: dict[Any, Any] = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


def _compact(node: Any, path: str, rows: dict[str, list[int]]) -> Any:
    """Dicts keyed by row numbers become lists without their blank rows; empty objects go."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        kept = [(i, _compact(node[i], path, rows)) for i in sorted(node)]
        kept = [(i, v) for i, v in kept if v not in ({}, None)]
        rows[path] = [i for i, _ in kept]
        return [v for _, v in kept]
    out = {}
    for key, value in node.items():
        inner = _compact(value, f"{path}.{key}" if path else str(key), rows)
        if inner not in ({}, None):
            out[key] = inner
    return out


def nest(form: Iterable[tuple[str, str]], kinds: Mapping[str, str]) -> Nested:
    """The case of a form's (name, value) pairs; only the fields ``kinds`` declares are read
    (so no crafted name can put a key where the case has a value)."""
    tree: dict[str, Any] = {}
    for name, raw in form:
        keys = split_path(name)
        value = raw.strip()
        if keys is None or not value or pattern_of(keys) not in kinds:
            continue
        _put(tree, keys, _typed(value, kinds[pattern_of(keys)]))
    rows: dict[str, list[int]] = {}
    case = _compact(tree, "", rows)
    return Nested(case if isinstance(case, dict) else {}, rows)


def form_field(path: str, rows: Mapping[str, list[int]]) -> str:
    """The form field of a problem's path: a case row number becomes the form's row number."""

    def renumber(found: re.Match[str]) -> str:
        name, index = found.group(1), int(found.group(2))
        origin = rows.get(name, [])
        return f"{name}[{origin[index] if index < len(origin) else index}]"

    # The case's lists are at its top level (lines, materials, items).
    return re.sub(r"^([A-Za-z_][A-Za-z0-9_]*)\[(\d+)\]", renumber, path, count=1)


def problems_by_field(
    problems: Iterable[tuple[str, str]], rows: Mapping[str, list[int]]
) -> dict[str, list[str]]:
    """Each problem's message under the form field it names (``""``: the whole form)."""
    out: dict[str, list[str]] = {}
    for path, message in problems:
        name = "" if path in ("", "input") else form_field(path, rows)
        out.setdefault(name, []).append(message)
    return out


def values_of(form: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The form's values by field name, to fill the form again after a problem."""
    return {name: value for name, value in form if split_path(name) is not None}


def row_count(values: Mapping[str, str], prefix: str, wanted: int, least: int = 1) -> int:
    """How many rows of ``prefix`` to show: those filled, at least ``least``, at most MAX_ROWS."""
    used = [
        int(m.group(1))
        for name in values
        if (m := re.match(re.escape(prefix) + r"\[(\d+)\]", name)) and values[name].strip()
    ]
    return max(least, min(MAX_ROWS, max(wanted, max(used, default=-1) + 1)))


def flatten(value: Any, path: str = "") -> list[tuple[str, str]]:
    """A case as its form posts it (the inverse of :func:`nest`): one field per leaf, named by
    its path; true/false as the selects send them, a list of words joined by commas."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in flatten(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return [pair for i, v in enumerate(value) for pair in flatten(v, f"{path}[{i}]")]
    if isinstance(value, list):
        return [(path, ",".join(str(v) for v in value))]
    if isinstance(value, bool):
        return [(path, "true" if value else "false")]
    return [] if value is None else [(path, str(value))]
