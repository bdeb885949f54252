"""The ``immex`` command: thin entry points that parse arguments and call service/.

Each area's commands live in their own module. ``main`` imports only the area
the command line names (``immex duties ...`` never loads the origin rules or
the PDF library), so a single contract command starts quickly; ``app`` (used
by tests and ``--help``) has every area.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer

# Sub-command groups by name → the module whose ``app`` they are.
AREAS = {
    "origin": "immex.cli.origin",
    "duties": "immex.cli.duties",
    "datastage": "immex.cli.datastage",
    "user": "immex.cli.user",
    "serve": "immex.cli.serve",
}


def build_app(only: str | None = None) -> typer.Typer:
    """The command tree; with ``only``, just that area (or just the ledger commands)."""
    app = typer.Typer(
        name="immex",
        help="IMMEX compliance: Anexo 24 ledger and discharge, USMCA origin, duties, Data Stage.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    if only == "discharge":  # the batch command alone: no store, report or other ledger command
        importlib.import_module("immex.cli.discharge").register(app)
    elif only is None or only not in AREAS:
        # the report commands load the report modules (about 0.3 s): only for ``immex report`` or everything
        importlib.import_module("immex.cli.ledger").register(app, with_reports=only in (None, "report"))
    for name, module in AREAS.items():
        if only is None or only == name:
            app.add_typer(importlib.import_module(module).app, name=name)
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app()
    raise AttributeError(name)


# Polars' allocator (jemalloc) gives freed pages back to the kernel after 10 s instead of its
# default, so a batch command reuses them instead of faulting in fresh zeroed pages for every
# large column (at 200,000 + 200,000 lines: 620,000 -> 410,000 page faults, 0.4 s less system
# time), and asks for transparent huge pages (2 MB) where the kernel offers them on request
# ("madvise"): immex discharge at 200,000 + 200,000 lines, 4 runs each at load 8-11, 369,000 ->
# 123,000 page faults, 7.33 -> 6.75 s of CPU, peak 1.40 -> 1.51 GB (2026-12-07). Read when Polars
# first allocates, so set before it is imported; a user's value wins.
JEMALLOC_CONF = (
    "_RJEM_MALLOC_CONF",
    "dirty_decay_ms:10000,muzzy_decay_ms:10000,thp:always,metadata_thp:always",
)


def main() -> None:
    os.environ.setdefault(*JEMALLOC_CONF)
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    wants_everything = not args or "--help" in sys.argv[1:2] or "--install-completion" in sys.argv
    try:
        build_app(None if wants_everything else args[0])()
    except Exception as error:  # a command without its own handler met a store or disk error
        from immex.cli.common import store_error_exit

        try:
            store_error_exit(error)  # one line on stderr; raises typer.Exit(1)
        except typer.Exit as done:
            sys.exit(done.exit_code)
        raise
