"""`immex origin ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="origin commands", no_args_is_help=True)
