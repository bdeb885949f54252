"""``immex origin certs|values|certificate|batch``: supplier certifications, certificates, batch.

Thin: parse options, call ``immex.service.origin_records`` / ``immex.service.origin_ledger``,
print. Input problems are printed as ``file,row,column,message`` CSV on stderr, exit 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from immex.cli.common import DbOption, parse_date, problems_exit, stdout
from immex.service import origin_records as records

certs_app = typer.Typer(
    help="Supplier certifications of origin and the requests sent to suppliers.", no_args_is_help=True
)
values_app = typer.Typer(
    help="Values kept for origin work (materials without lots, goods' values).", no_args_is_help=True
)


def _day(value: str | None, option: str) -> dt.date:
    parsed = parse_date(value, option)
    return parsed if parsed is not None else dt.date.today()


@certs_app.command("load")
def certs_load(
    file: Path = typer.Argument(
        ...,
        help="CSV (or XLSX, first sheet): supplier, part, valid_from, valid_to, "
        "criterion, document_ref [, supplier_country, certifier_type]",
    ),
    db: str | None = DbOption,
) -> None:
    """Store supplier certifications, all or nothing; every bad row is reported."""
    with problems_exit():
        counts = records.load_certifications(db, file)
    stdout.print(
        f"{counts.rows} certification(s) read: {counts.new} new, {counts.unchanged} already stored; "
        f"{counts.solicitations_closed} open request(s) marked received"
    )


@certs_app.command("missing")
def certs_missing(
    db: str | None = DbOption,
    date: str | None = typer.Option(None, "--date", help="As-of date YYYY-MM-DD (default: today)"),
    days: int = typer.Option(30, "--days", min=0, help="List certifications that end within this many days"),
    output: Path | None = typer.Option(None, "--output", help="Write the list: .xlsx (to send) or .csv"),
    mark_requested: bool = typer.Option(
        False, "--mark-requested", help="Record a request on --date for each listed part without one"
    ),
) -> None:
    """List purchased materials whose supplier certification is missing, expired or expiring."""
    with problems_exit():
        lines = records.missing_certifications(db, _day(date, "--date"), days, output, mark_requested)
    for line in lines:
        until = line.covered_until.isoformat() if line.covered_until else "-"
        stdout.print(
            f"{line.part}\t{line.status}\tcovered until {until}\tsupplier {line.supplier or '-'}\t"
            f"request {line.solicitation_status or '-'}"
        )
    stdout.print(f"{len(lines)} part(s) to request" + (f"; written to {output}" if output else ""))


@certs_app.command("request")
def certs_request(
    part: str = typer.Option(..., "--part", help="The part the certification is for"),
    status: str = typer.Option("requested", "--status", help="requested | received | declined | cancelled"),
    supplier: str = typer.Option("", "--supplier", help="Supplier asked"),
    note: str = typer.Option("", "--note"),
    date: str | None = typer.Option(
        None, "--date", help="Date of the request or of the answer (default: today)"
    ),
    db: str | None = DbOption,
) -> None:
    """Record a request for a certification sent to a supplier, or its answer."""
    with problems_exit():
        item = records.record_solicitation(db, part, status, _day(date, "--date"), supplier, note)
    stdout.print(
        f"{item.part}: {item.status} on {item.status_on} (requested {item.requested_on}"
        + (f" from {item.supplier}" if item.supplier else "")
        + ")"
    )


@values_app.command("load")
def values_load(
    file: Path = typer.Argument(..., help="CSV: item, valid_from, unit_value_usd [, net_cost_usd, note]"),
    db: str | None = DbOption,
) -> None:
    """Store values for origin work, all or nothing."""
    with problems_exit():
        count = records.load_values(db, file)
    stdout.print(f"{count} value(s) stored")


def register(app: typer.Typer) -> None:
    """Attach these commands to ``immex origin``."""
    app.add_typer(certs_app, name="certs")
    app.add_typer(values_app, name="values")
