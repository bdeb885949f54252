"""Saved column templates of the Anexo 24 report (``immex report template save|list|show|delete``).

Templates belong to the person who makes them, not to one store: ``template save`` has no
``--db``. They live in one JSON file, ``report-templates.json``, in the user's
configuration folder: ``$IMMEX_CONFIG_DIR`` when set (a shared folder for a team, or a
test), else ``$XDG_CONFIG_HOME/immex``, else ``~/.config/immex`` (``%APPDATA%\\immex`` on
Windows). The file is replaced whole or not at all.

The built-in template ``default`` (the columns of ``rules/immex_program.yaml``,
``anexo24_report``) cannot be overwritten or deleted. An unknown template or column is an
input error that lists the valid names.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from immex.core.atomic import OutputError, atomic_file, describe_os_error, output_error
from immex.core.problems import InputError, Problem
from immex.reports.annual import program_rules

DEFAULT = "default"
FILE_NAME = "report-templates.json"
# A letter or digit of any script first (a Spanish name keeps its accents and ñ), then those,
# '_', '.' or '-': no spaces or slashes, which a shell or a file name would split.
_NAME = re.compile(r"^[^\W_][\w.-]{0,39}$")
FILE_VERSION = 1
"""The layout of ``report-templates.json`` this immex writes (a newer one is refused, not rewritten)."""
ANEXO24_COLUMNS: tuple[str, ...] = (
    "movement",
    "date",
    "pedimento",
    "line",
    "clave",
    "clave_class",
    "part",
    "description",
    "hs",
    "qty",
    "uom",
    "unit_value_usd",
    "value_usd",
    "country",
    "import_pedimento",
    "import_line",
    "import_cleared_on",
    "late",
    "qty_imported",
    "qty_discharged",
    "qty_remaining",
    "deadline",
    "status",
)
"""Every column the Anexo 24 report can show (a template chooses and orders some of them)."""


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    columns: tuple[str, ...]
    saved_at: str = ""
    builtin: bool = False


def default_template() -> Template:
    """The built-in columns, from the rules data (each with the Anexo 24 module it belongs to)."""
    columns = tuple(str(entry["column"]) for entry in program_rules()["anexo24_report"]["columns"])
    unknown = [c for c in columns if c not in ANEXO24_COLUMNS]
    if unknown:
        raise ValueError(f"immex_program.yaml anexo24_report: unknown columns {unknown}")
    return Template(DEFAULT, columns, builtin=True)


def config_dir() -> Path:
    """Where the user's templates live (see the module's docstring)."""
    if configured := os.environ.get("IMMEX_CONFIG_DIR"):
        return Path(configured)
    if os.name == "nt" and (appdata := os.environ.get("APPDATA")):
        return Path(appdata) / "immex"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "immex"


def templates_file() -> Path:
    return config_dir() / FILE_NAME


def _problem(column: str, message: str) -> InputError:
    return InputError([Problem(str(templates_file()) if column == "file" else "", None, column, message)])


def _read() -> dict[str, Any]:
    path = templates_file()
    try:
        if not path.exists():
            return {}
        text = path.read_text(encoding="utf-8")
    except OSError as error:  # a folder of that name, no permission: the environment, exit 1
        raise OutputError(
            f"cannot read {path}: {describe_os_error(error)}; fix it or set IMMEX_CONFIG_DIR"
        ) from None
    try:
        data = json.loads(text)
        saved = data["templates"]
        if not isinstance(saved, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise _problem(
            "file", "is not a templates file immex wrote (JSON with 'templates'): fix it or delete it"
        ) from None
    _check_version(data.get("version", FILE_VERSION))
    return saved


def _check_version(version: object) -> None:
    """A file of a newer immex is refused: saving into it would drop what this version cannot read."""
    if version == FILE_VERSION:
        return
    if isinstance(version, int) and not isinstance(version, bool) and version > FILE_VERSION:
        message = (
            f"was written by a newer immex (file version {version}, this one reads {FILE_VERSION}): "
            "upgrade immex, or set IMMEX_CONFIG_DIR to another folder"
        )
    else:
        message = f"has version {version!r}, not one immex writes: fix it or delete it"
    raise _problem("file", message)


def _write(saved: dict[str, Any]) -> None:
    path = templates_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as temporary:
            text = json.dumps({"version": FILE_VERSION, "templates": saved}, indent=2, ensure_ascii=False)
            temporary.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise output_error(path, error) from error


def _check_columns(columns: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    valid = ", ".join(ANEXO24_COLUMNS)
    if not columns:
        problems.append(Problem("", None, "columns", f"name at least one column; valid columns: {valid}"))
    for name in columns:
        if name not in ANEXO24_COLUMNS:
            problems.append(Problem("", None, "columns", f"unknown column {name!r}; valid columns: {valid}"))
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(Problem("", None, "columns", f"column(s) named twice: {', '.join(repeated)}"))
    return problems


def parse_columns(values: list[str]) -> list[str]:
    """``--columns a,b --columns c`` → ``[a, b, c]`` (commas or repeated options, spaces ignored)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def save_template(name: str, columns: list[str], now: dt.datetime | None = None) -> Template:
    """Save (or replace) a template; InputError for a bad name or column, naming the valid ones."""
    problems: list[Problem] = []
    name = unicodedata.normalize("NFC", name)  # "año" typed or pasted is one name
    if name == DEFAULT:
        problems.append(
            Problem("", None, "name", f"{DEFAULT!r} is the built-in template: choose another name")
        )
    elif not _NAME.match(name):
        problems.append(
            Problem(
                "",
                None,
                "name",
                f"{name!r}: use 1-40 letters (accents allowed), digits, '.', '_' or '-', "
                "a letter or digit first; no spaces or slashes",
            )
        )
    problems += _check_columns(columns)
    if problems:
        raise InputError(problems)
    saved = _read()
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    saved[name] = {"report": "anexo24", "columns": columns, "saved_at": stamp}
    _write(saved)
    return Template(name, tuple(columns), stamp)


def list_templates() -> list[Template]:
    """The built-in template first, then the saved ones by name."""
    saved = _read()
    return [default_template()] + [_template(name, saved[name]) for name in sorted(saved)]


def _template(name: str, entry: Any) -> Template:
    columns = entry.get("columns") if isinstance(entry, dict) else None
    if not isinstance(columns, list) or _check_columns([str(c) for c in columns]):
        raise _problem("file", f"template {name!r} has no valid column list: save it again or delete it")
    return Template(name, tuple(str(c) for c in columns), str(entry.get("saved_at", "")))


def get_template(name: str | None) -> Template:
    """The named template (None: the built-in one); InputError listing the known names."""
    if name is None or name == DEFAULT:
        return default_template()
    saved = _read()
    name = unicodedata.normalize("NFC", name)
    if name not in saved:
        known = ", ".join([DEFAULT, *sorted(saved)])
        raise _problem(
            "template", f"no template named {name!r}; known templates: {known} ({templates_file()})"
        )
    return _template(name, saved[name])


def delete_template(name: str) -> None:
    if name == DEFAULT:
        raise _problem("template", f"{DEFAULT!r} is the built-in template and cannot be deleted")
    saved = _read()
    name = unicodedata.normalize("NFC", name)
    if name not in saved:
        get_template(name)  # raises, naming the known templates
    del saved[name]
    _write(saved)
