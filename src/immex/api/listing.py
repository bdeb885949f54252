"""Paged lists (``limit``, opaque ``cursor``) and whole-list downloads (``?format=csv|xlsx``)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from immex.core.numbers import plain
from immex.core.problems import InputError, Problem
from immex.core.table_files import Cell, write_csv, write_xlsx

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000

LimitQuery = Query(ge=1, le=MAX_LIMIT, description="Items per page (at most 1000)")
CursorQuery = Query(description="Opaque cursor from the previous page's next_cursor")
FormatQuery = Query(pattern="^(json|csv|xlsx)$", description="csv or xlsx: the whole list as a file")


def json_value(value: Any) -> Any:
    """Decimals as strings (exact, as in the CLI's files), dates ISO, the rest as is."""
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        offset = int(data["o"])
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise InputError([Problem("", None, "cursor", "the cursor is not one this server gave")]) from None


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def answer(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    limit: int,
    cursor: str | None,
    fmt: str | None,
) -> Any:
    """One page as ``{"items", "next_cursor"}``, or the whole list as a CSV/XLSX attachment."""
    if fmt in ("csv", "xlsx"):
        return download(title, header, rows, fmt)
    start = _offset(cursor)
    page = rows[start : start + limit]
    items = [{name: json_value(v) for name, v in zip(header, row, strict=True)} for row in page]
    more = start + limit < len(rows)
    return {"items": items, "next_cursor": _cursor(start + limit) if more else None}


def download(title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]], fmt: str) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="immex-download-"))
    name = f"{title}.{fmt}"
    path = folder / name
    if fmt == "xlsx":
        write_xlsx(path, {title[:31]: (header, rows)})
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        write_csv(path, header, rows)
        media = "text/csv; charset=utf-8"
    import shutil

    return FileResponse(
        path, media_type=media, filename=name, background=BackgroundTask(shutil.rmtree, folder, True)
    )
