"""``immex serve``: the REST API (and later the web application) on uvicorn."""

from __future__ import annotations

import os

import typer

from immex.cli.common import DbOption, stderr

app = typer.Typer(help="Serve the REST API on HTTP.")


@app.callback(invoke_without_command=True)
def serve(
    db: str | None = DbOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="Port to listen on"),
    workers: int = typer.Option(1, "--workers", help="Server processes"),
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
    os.environ["IMMEX_DB"] = store.url  # the workers build their app from the environment
    os.environ["IMMEX_WORKERS"] = str(workers)  # each sizes its database pool by the count
    uvicorn.run(
        "immex.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )
