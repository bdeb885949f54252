"""Ledger commands: ``discharge``, ``template``, ``report``, ``demo``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the ledger commands to the main app."""
