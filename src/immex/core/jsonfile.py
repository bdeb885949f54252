"""JSON files as users save them: UTF-8 with or without a BOM, UTF-16, or Windows-1252.

RFC 8259 asks for UTF-8 without a BOM, but Notepad and Excel-era tools write a
BOM, UTF-16 or the ANSI code page; the text is the same, so it is read (the
encoding is detected exactly as for CSV files, :func:`immex.core.tables.detect_encoding`).
What cannot be read is one message saying why: a missing file, bytes of no
encoding, NUL bytes, a syntax error with its line and column, nesting too deep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from immex.core.problems import InputError
from immex.core.tables import detect_encoding


class JsonFileError(ValueError):
    """Why a JSON file cannot be read; the message names no path (callers add the file)."""


def read_json(
    path: Path,
    parse_float: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """The parsed content of ``path``; JsonFileError with a one-line reason otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JsonFileError(f"cannot read {path.name}: {exc.strerror}") from exc
    try:
        text = data.decode(detect_encoding(path.name, data, save_as="UTF-8"))
    except InputError as exc:
        raise JsonFileError(exc.problems[0].message) from exc
    try:
        return json.loads(text, parse_float=parse_float, parse_constant=parse_constant)
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise JsonFileError("the file is empty: no JSON in it") from exc
        at_end = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        cut = " (the file looks cut short)" if at_end else ""
        raise JsonFileError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}{cut}"
        ) from exc
    except RecursionError as exc:
        raise JsonFileError("not valid JSON: nested too deeply") from exc
