"""The ASGI application of ``immex serve``: routes, problem documents, limits, security headers."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from immex import web
from immex.api import problems, routes_cases, routes_company, routes_core
from immex.api.jobs import JobRunner
from immex.api.problems import ApiProblem
from immex.api.ratelimit import LoginLimiter
from immex.api.store import Store

MAX_UPLOAD_BYTES = int(os.environ.get("IMMEX_MAX_UPLOAD_MB", "512")) << 20
MAX_BODY_BYTES = 1 << 20  # JSON bodies and forms without files
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class Guard:
    """Security headers on every answer; 413 for bodies over the limit (multipart uploads have a
    larger one), checked on the declared length and again on the bytes actually received."""

    def __init__(self, app: ASGIApp, max_upload: int = MAX_UPLOAD_BYTES, max_body: int = MAX_BODY_BYTES):
        self.app, self.max_upload, self.max_body = app, max_upload, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.max_upload if multipart else self.max_body

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in SECURITY_HEADERS if k not in present),
                ]
            await send(message)

        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit, send_with_headers)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiProblem(413, _too_large_text(limit))
            return message

        await self.app(scope, counted, send_with_headers)


def _too_large_text(limit: int) -> str:
    return f"the request body is larger than {limit // (1 << 20)} MB"


async def _too_large(limit: int, send: Send) -> None:
    body = json.dumps(problems.document(413, _too_large_text(limit))).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", problems.MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def files_folder(store: Store) -> Path:
    """Where jobs keep their files: ``IMMEX_FILES``, else beside an SQLite store, else ./immex-files."""
    given = os.environ.get("IMMEX_FILES")
    if given:
        return Path(given)
    if store.url.startswith("sqlite:///") and store.url != "sqlite:///:memory:":
        database = Path(store.url.removeprefix("sqlite:///"))
        return database.with_name(database.name + ".files")
    return Path("immex-files")


def create_app(
    db_url: str | None = None,
    files: Path | None = None,
    job_workers: int = 2,
    max_upload: int = MAX_UPLOAD_BYTES,
) -> FastAPI:
    store = Store(db_url)
    runner = JobRunner(store, files or files_folder(store), job_workers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runner.close()
        store.close()

    app = FastAPI(
        title="immex",
        version="1",
        summary="IMMEX compliance: Anexo 24 ledger, discharge, USMCA origin, duties, Data Stage",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store, app.state.jobs, app.state.login_limiter = store, runner, LoginLimiter(store)
    problems.install(app)
    for module in (routes_core, routes_company, routes_cases):
        app.include_router(module.router)
    web.install(app)  # the web pages at / (immex.web), on the same store, users and jobs
    app.add_middleware(Guard, max_upload=max_upload)
    return app


def app_from_environment() -> Any:
    """The factory uvicorn's workers call (``immex serve`` sets IMMEX_DB)."""
    return create_app(os.environ.get("IMMEX_DB"))
