"""Paged lists (``limit``, opaque ``cursor``) and whole-list downloads (``?format=csv|xlsx``)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import tempfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from fastapi import Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from immex.core.numbers import plain
from immex.core.problems import InputError, Problem
from immex.core.table_files import Cell, write_csv, write_xlsx
from immex.reports.stored import Key, Page, every_row, parse_key

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


def _encoded(value: Any) -> Any:
    """orjson's hook for what it does not write itself: decimals, as json_value writes them."""
    if isinstance(value, Decimal):
        return plain(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# dates and times as json_value writes them: ISO, a naive time read as UTC, whole seconds
_AS_JSON_VALUE = orjson.OPT_NAIVE_UTC | orjson.OPT_OMIT_MICROSECONDS


def json_body(body: Any) -> bytes:
    """``body`` as JSON bytes, values as :func:`json_value` writes them (orjson: one C pass)."""
    return orjson.dumps(body, default=_encoded, option=_AS_JSON_VALUE)


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


def _bad_cursor() -> InputError:
    return InputError([Problem("", None, "cursor", "the cursor is not one this server gave")])


def key_of(report: str, cursor: str | None) -> Key | None:
    """The key of the last row of the previous page, read back from its opaque cursor."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or data.get("r") != report or not isinstance(data.get("k"), list):
            raise ValueError
        return parse_key(report, data["k"])
    except (ValueError, TypeError):
        raise _bad_cursor() from None


def key_cursor(report: str, key: Key) -> str:
    values = [v.isoformat() if isinstance(v, dt.date) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps({"r": report, "k": values}).encode()).decode().rstrip("=")


def keyset_answer(
    report: str,
    title: str,
    header: Sequence[str],
    fetch: Callable[[Key | None, int], Page],
    limit: int,
    cursor: str | None,
    fmt: str | None,
) -> Any:
    """One page read by key (``fetch(after, limit)``), or the whole list as an attachment."""
    if fmt in ("csv", "xlsx"):
        return download(title, header, every_row(fetch), fmt)
    page = fetch(key_of(report, cursor), limit)
    items = [dict(zip(header, row, strict=True)) for row in page.rows]
    after = page.next_key
    body = {"items": items, "next_cursor": None if after is None else key_cursor(report, after)}
    # written once, in C: FastAPI's encoder and the json module would walk every value in Python
    return Response(json_body(body), media_type="application/json")


def download(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]], fmt: str) -> FileResponse:
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
