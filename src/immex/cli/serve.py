"""``immex serve``: the REST API and the web application on uvicorn."""

from __future__ import annotations

import os

import typer
from sqlalchemy import make_url

from immex.cli.common import DbOption, stderr

app = typer.Typer(help="Serve the REST API on HTTP.")

# uvicorn's "auto" takes uvloop and httptools, declared dependencies of immex, and falls back
# to asyncio and h11 where they cannot be installed: the event loop and the HTTP parser in C
# cost a request a fraction of their pure-Python counterparts.
LOOP, HTTP = "auto", "auto"


def default_workers(db_url: str) -> int:
    """One server process per core on PostgreSQL (each request's Python work runs in one
    process at a time); one on SQLite, where a single writer holds the whole file anyway."""
    if make_url(db_url).get_backend_name() != "postgresql":
        return 1
    return max(1, os.cpu_count() or 1)


@app.callback(invoke_without_command=True)
def serve(
    db: str | None = DbOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="Port to listen on"),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Server processes (default: one per core on PostgreSQL, one on SQLite)",
    ),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="Log every request"),
) -> None:
    """Upgrade the schema, mark jobs a previous server left unfinished as failed, then serve."""
    import uvicorn

    from immex.api.jobs import fail_interrupted
    from immex.api.store import Store

    store = Store(db)  # upgrades the schema once, before any worker starts
    failed = fail_interrupted(store)
    store.close()
    if failed:
        stderr.print(f"{failed} job(s) interrupted by the previous stop marked failed")
    count = workers or default_workers(store.url)
    os.environ["IMMEX_DB"] = store.url  # the workers build their app from the environment
    os.environ["IMMEX_WORKERS"] = str(count)  # each sizes its database pool by the count
    uvicorn.run(
        "immex.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=count,
        loop=LOOP,
        http=HTTP,
        proxy_headers=False,
        server_header=False,
        access_log=access_log,
        log_level="info",
    )
