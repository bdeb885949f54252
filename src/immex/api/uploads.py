"""Multipart uploads copied to a folder on disk, never held whole in memory."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from starlette.datastructures import UploadFile

from immex.core.problems import InputError, Problem
from immex.ledger.movements import MOVEMENT_TABLES
from immex.ledger.schema import LEDGER_TABLES

# An input folder's files: the discharge contract's and the movements' (A3, sub-maquila, waste).
LEDGER_FILES = (*LEDGER_TABLES, *MOVEMENT_TABLES)
WORKBOOK = "workbook"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str | None, default: str) -> str:
    """A file name without folders or odd characters (the reader may read meaning into it)."""
    cleaned = _SAFE.sub("_", Path(name or "").name).strip("._")
    return cleaned or default


def workbook_name(sent: str | None) -> str:
    """The workbook's file name as sent (``plant.xlsx``), made safe; ``ledger.xlsx`` without one.

    The reader names each problem ``<name>:<sheet>``, so a person sees the book they sent.
    """
    name = safe_name(sent, "ledger.xlsx")
    return name if name.lower().endswith(".xlsx") else f"{Path(name).stem or 'ledger'}.xlsx"


def save(upload: UploadFile, target: Path) -> Path:
    """Copy the spooled upload to ``target`` in blocks."""
    target.parent.mkdir(parents=True, exist_ok=True)
    upload.file.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
    return target


def ledger_source(fields: Sequence[tuple[str, object]], folder: Path) -> Path:
    """The ledger's CSV files (field name = file name) or one workbook, saved to ``folder``.

    Returns what ``read_ledger`` reads: the folder, or the workbook's path.
    """
    problems: list[Problem] = []
    files: dict[str, UploadFile] = {}
    for name, value in fields:
        if not isinstance(value, UploadFile):
            problems.append(Problem(name, None, "", "expected a file in this field"))
        elif name not in (*LEDGER_FILES, WORKBOOK):
            problems.append(
                Problem(
                    name,
                    None,
                    "",
                    f"unknown field: send {', '.join(LEDGER_FILES)} or one .xlsx as '{WORKBOOK}'",
                )
            )
        elif name in files:
            problems.append(Problem(name, None, "", "sent twice"))
        else:
            files[name] = value
    if WORKBOOK in files and len(files) > 1:
        problems.append(Problem(WORKBOOK, None, "", "send either the CSV files or one workbook, not both"))
    if not files:
        problems.append(
            Problem(
                "", None, "", f"no file sent: send {', '.join(LEDGER_FILES)} or one .xlsx as '{WORKBOOK}'"
            )
        )
    if problems:
        raise InputError(problems)
    if WORKBOOK in files:  # saved under the name it was sent with: errors name the user's book
        return save(files[WORKBOOK], folder / workbook_name(files[WORKBOOK].filename))
    for name, upload in files.items():
        save(upload, folder / name)
    return folder
