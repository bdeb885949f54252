"""The ``immex`` command: thin entry points that parse arguments and call service/."""

from __future__ import annotations

import typer

from immex.cli import datastage, duties, ledger, origin

app = typer.Typer(
    name="immex",
    help="IMMEX compliance: Anexo 24 ledger and discharge, USMCA origin, duties, Data Stage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ledger.register(app)
app.add_typer(origin.app, name="origin")
app.add_typer(duties.app, name="duties")
app.add_typer(datastage.app, name="datastage")


def main() -> None:
    app()
