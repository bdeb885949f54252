"""RFC 9457 problem documents: every error answer of the API, and nothing of the server in them.

Handlers turn the features' ``InputError`` into 422 with ``errors`` (the rows the CLI writes
to errors.csv), FastAPI's own validation errors into the same shape, HTTP errors into their
status, and anything unexpected into a bare 500 (the traceback goes to the server log only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from immex.core.problems import InputError, Problem
from immex.store.errors import StoreBusy, store_message

log = logging.getLogger("immex.api")
MEDIA_TYPE = "application/problem+json"
# A busy or unreachable database is temporary: clients are told when to try again.
RETRY_AFTER_S = "2"
POOL_EXHAUSTED = "the server is busy: every database connection of this server is in use; try again shortly"


class ApiProblem(HTTPException):
    """An error answer with a title and a detail for people (and optional extra members)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(status, detail, headers)
        self.extra = extra


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, f"{what} was not found")


def forbidden(detail: str = "your role may not do this") -> ApiProblem:
    return ApiProblem(403, detail)


def problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"file": p.file, "row": p.row, "column": p.column, "message": p.message} for p in problems]


def document(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    title = HTTPStatus(status).phrase
    slug = title.lower().replace(" ", "-").replace("'", "")
    return {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail, **extra}


def answer(status: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(
        document(status, detail, **extra), status_code=status, headers=headers, media_type=MEDIA_TYPE
    )


def input_error(error: InputError) -> JSONResponse:
    count = len(error.problems)
    return answer(422, f"{count} input problem(s); nothing was stored", errors=problem_rows(error.problems))


def _validation_rows(error: RequestValidationError) -> list[dict[str, Any]]:
    rows = []
    for item in error.errors():
        where = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path", "form")]
        rows.append({"file": "", "row": None, "column": ".".join(where), "message": str(item.get("msg", ""))})
    return rows


def install(app: FastAPI) -> None:
    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        extra = exc.extra if isinstance(exc, ApiProblem) else {}
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return answer(exc.status_code, detail, exc.headers, **extra)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return answer(422, "the request is not valid", errors=_validation_rows(exc))

    async def on_input(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InputError)
        return input_error(exc)

    async def on_anything(request: Request, exc: Exception) -> JSONResponse:
        return store_answer(request, exc)

    async def on_store(request: Request, exc: Exception) -> JSONResponse:
        return store_answer(request, exc)

    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(InputError, on_input)
    # Store errors by their own classes too: Starlette hands these to the handler and is done,
    # while the catch-all ``Exception`` handler answers and then lets the error surface again.
    app.add_exception_handler(sa_exc.TimeoutError, on_store)
    app.add_exception_handler(sa_exc.DBAPIError, on_store)
    app.add_exception_handler(Exception, on_anything)


def store_answer(request: Request, exc: Exception) -> JSONResponse:
    """409 for a held writer lock, 503 + Retry-After for a busy or unreachable database, else 500."""
    if isinstance(exc, sa_exc.TimeoutError):  # the connection pool stayed exhausted
        log.warning("connection pool exhausted on %s %s", request.method, request.url.path)
        return answer(503, POOL_EXHAUSTED, {"Retry-After": RETRY_AFTER_S})
    known = store_message(exc)  # one line saying what to do, never the SQL or a path
    if isinstance(exc, StoreBusy):
        return answer(409, known or "another writer holds the company; try again", {"Retry-After": "5"})
    if known is not None:
        log.warning("store error on %s %s: %s", request.method, request.url.path, known)
        return answer(503, known, {"Retry-After": RETRY_AFTER_S})
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return answer(500, "the server could not complete the request; it was logged")
