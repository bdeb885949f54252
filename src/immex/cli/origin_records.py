"""``immex origin certs|values|certificate|batch``: supplier certifications, certificates, batch.

Thin: parse options, call ``immex.origin.records_service`` / ``immex.origin.from_ledger``,
print. Input problems are printed as ``file,row,column,message`` CSV on stderr, exit 2.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import typer

from immex.cli.common import DbOption, parse_date, problems_exit, progress_bars, stdout
from immex.core.problems import InputError, Problem
from immex.origin import from_ledger as origin_ledger
from immex.origin import records_service as records

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


def _given_date(value: str | None, option: str) -> dt.date:
    if value is None:
        raise InputError([Problem(option, None, "", "a date YYYY-MM-DD is required")])
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError([Problem(option, None, "", f"{value!r} is not a YYYY-MM-DD date")]) from None


def qualify_bom(product: str, date: str | None, db: str | None, method: str, output_format: str) -> str:
    """``immex origin qualify --bom PRODUCT --date D --db URL``: the contract's output as text."""
    result = origin_ledger.qualify_from_ledger(db, product, _given_date(date, "--date"), method)
    if output_format == "json":
        return json.dumps(origin_ledger.qualification_json(result), ensure_ascii=False, indent=2)
    return origin_ledger.qualification_text(result)


def batch(
    db: str | None = DbOption,
    start: str = typer.Option(..., "--from", help="First date of the period, YYYY-MM-DD"),
    end: str = typer.Option(..., "--to", help="Last date of the period, YYYY-MM-DD"),
    output: Path = typer.Option(..., "--output", help="Table of verdicts: .csv or .xlsx"),
    method: str = typer.Option("fifo", "--method", help="Lots valued by fifo or lifo"),
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", min=1, help="Processes sharing the goods (default: CPU count)"
    ),
) -> None:
    """Qualify every finished good over a period: verdict, deciding reason, sensitivity per change date."""
    with problems_exit():
        first, last = _given_date(start, "--from"), _given_date(end, "--to")
        with progress_bars() as progress:
            result = origin_ledger.run_batch(
                db, first, last, output, method, progress=progress, workers=workers
            )
    stdout.print(
        f"{result.goods} finished good(s), {len(result.rows)} row(s): {result.originating} "
        f"originating, {result.not_originating} not originating, {result.undetermined} undetermined, "
        f"{result.errors} error(s); "
        f"written to {output}"
    )


def certificate(
    db: str | None = DbOption,
    product: list[str] = typer.Option(..., "--product", help="Finished good to certify (repeat for several)"),
    start: str = typer.Option(..., "--from", help="Blanket period start, or the shipment date, YYYY-MM-DD"),
    end: str | None = typer.Option(
        None, "--to", help="Blanket period end (at most 12 months); omit for a single shipment"
    ),
    certifier_type: str = typer.Option("producer", "--certifier-type", help="producer | exporter | importer"),
    parties: Path = typer.Option(
        ..., "--parties", help="JSON: certifier, exporter, producer, importer (see docs/origin_records.md)"
    ),
    signed_by: str = typer.Option(
        "", "--signed-by", help="Authorized signer (default: the file's signed_by, else the certifier's name)"
    ),
    signed_on: str | None = typer.Option(None, "--signed-on", help="Date of signature (default: today)"),
    invoice: str = typer.Option("", "--invoice", help="Invoice number of a single shipment, if known"),
    method: str = typer.Option("fifo", "--method", help="Lots valued by fifo or lifo"),
    output: Path = typer.Option(..., "--output", help="Folder for <number>.pdf and <number>.json"),
) -> None:
    """Issue a USMCA certification of origin (Annex 5-A data elements) as PDF and JSON, and keep it."""
    with problems_exit():
        first = _given_date(start, "--from")
        last = _given_date(end, "--to") if end is not None else None
        cert, pdf, doc = origin_ledger.issue_certificate(
            db,
            product,
            first,
            last,
            certifier_type,
            parties,
            output,
            _day(signed_on, "--signed-on"),
            signed_by,
            invoice,
            method,
        )
    criteria = ", ".join(f"{g.product} {g.hs} criterion {g.criterion}" for g in cert.goods)
    stdout.print(f"certification {cert.number} ({cert.kind}): {criteria}; kept until {cert.retention_until}")
    stdout.print(f"written {pdf} and {doc}")


@certs_app.command("issued")
def certs_issued(
    db: str | None = DbOption,
    as_of: str | None = typer.Option(None, "--as-of", help="Date for the retention status (default: today)"),
) -> None:
    """List the certifications of origin issued, with the date their records may be discarded."""
    day = _day(as_of, "--as-of")
    items = origin_ledger.issued_certificates(db)
    for c in items:
        kept = "keep" if day <= c.retention_until else "retention ended"
        stdout.print(
            f"{c.number}\t{c.product}\t{c.kind} {c.period_from}..{c.period_to}\tcriterion {c.criterion}\t"
            f"signed {c.signed_on}\tkeep until {c.retention_until} ({kept})\tsha256 {c.pdf_sha256[:12]}"
        )
    stdout.print(f"{len(items)} certification(s) of origin issued")


def register(app: typer.Typer) -> None:
    """Attach these commands to ``immex origin``."""
    app.add_typer(certs_app, name="certs")
    app.add_typer(values_app, name="values")
    app.command("batch")(batch)
    app.command("certificate")(certificate)
