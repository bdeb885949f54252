"""`immex datastage ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="datastage commands", no_args_is_help=True)
