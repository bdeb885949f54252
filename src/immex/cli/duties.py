"""`immex duties ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="duties commands", no_args_is_help=True)
