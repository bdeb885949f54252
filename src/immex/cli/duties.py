"""`immex duties ...` commands: parse arguments, call immex.duties.service, print."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import typer

from immex.core.problems import InputError
from immex.duties import landed_service, ledger_service, service, tariff_service
from immex.duties.tariff import dotted, hts_lookup

app = typer.Typer(
    help="Import contributions, T-MEC Art. 2.5, tariff data and landed cost.", no_args_is_help=True
)


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def _fail(error: service.CaseError) -> None:
    for line in error.lines():
        sys.stderr.write(line + "\n")
    raise typer.Exit(2)


@app.command("pedimento")
def pedimento(
    input: Path = typer.Option(..., "--input", help="Case file (JSON) of one import pedimento."),
    format: OutputFormat = typer.Option(OutputFormat.json, "--format", help="json or text."),
) -> None:
    """Contributions (IGI, C.C., DTA, IVA) of one import pedimento, per partida and in total."""
    try:
        result = service.run_pedimento(input)
    except service.CaseError as error:
        _fail(error)
        return
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(service.pedimento_json(result), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(service.pedimento_text(result) + "\n")


@app.command("tmec25")
def tmec25(
    input: Path | None = typer.Option(
        None, "--input", help="Case file (JSON) of one export/return to the US or Canada."
    ),
    format: OutputFormat = typer.Option(OutputFormat.json, "--format", help="json or text."),
    db: str | None = typer.Option(
        None, "--db", help="Store URL: compute every export of the stored discharge instead of a case file."
    ),
    run: int | None = typer.Option(
        None, "--run", help="Only the allocations of this run id (default: all active allocations)."
    ),
    company: str = typer.Option("default", "--company", help="Company code in the store."),
    date_from: str | None = typer.Option(None, "--from", help="First export date (YYYY-MM-DD)."),
    date_to: str | None = typer.Option(None, "--to", help="Last export date (YYYY-MM-DD)."),
    terms: Path | None = typer.Option(
        None,
        "--terms",
        help="Material terms CSV: part, igi_rate, originating, prosec_sector, prosec_rate, r8_rate.",
    ),
    fx: Path | None = typer.Option(
        None, "--fx", help="Exchange rates CSV: date or pedimento, exchange_rate."
    ),
    us_rates: Path | None = typer.Option(
        None, "--us-rates", help="US/CA duty of the products CSV: product, us_rate or hts."
    ),
    hts: Path | None = typer.Option(None, "--hts", help="Company HTS table for --us-rates."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Tariff data directory."),
) -> None:
    """IGI owed under T-MEC Art. 2.5 on the non-originating materials of one export (case
    file), or of every export to the US/Canada of the stored discharge (--db)."""
    if (input is None) == (db is None):
        sys.stderr.write("--input: give a case file (--input) or a store (--db), not both\n")
        raise typer.Exit(2)
    if input is not None:
        try:
            result = service.run_tmec25(input)
        except service.CaseError as error:
            _fail(error)
            return
        if format is OutputFormat.json:
            sys.stdout.write(json.dumps(service.tmec25_json(result), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(service.tmec25_text(result) + "\n")
        return
    assert db is not None
    if fx is None:
        sys.stderr.write("--fx: exchange rates are needed to value the materials in pesos\n")
        raise typer.Exit(2)
    period = (_date(date_from, "--from") if date_from else None, _date(date_to, "--to") if date_to else None)
    try:
        found = ledger_service.art25_from_store(db, company, terms, fx, us_rates, hts, run, period, data_dir)
    except service.CaseError as error:
        _fail(error)
        return
    except InputError as error:
        _problems(error)
        return
    body = ledger_service.ledger_art25_json(found, run, period)
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
        return
    for export in body["exports"]:
        sys.stdout.write(
            f"{export['pedimento']} {export['date']} {export['destination']}: "
            f"M {export['mexican_igi']}  U {export['foreign_duty_mxn']}  "
            f"exemption {export['exemption']}  payable {export['payable']}  "
            f"ST {export['identificador']['complemento']}  due "
            f"{export['due_date'] or '-'}\n"
        )
    totals = body["totals"]
    sys.stdout.write(
        f"{totals['exports']} exports: M {totals.get('mexican_igi', 0)}, exemption "
        f"{totals.get('exemption', 0)}, payable {totals.get('payable', 0)}, DTA "
        f"complementario {totals.get('dta_complementario', 0)}\n"
    )


tariff_app = typer.Typer(
    help="Mexican tariff (LIGIE fracciones with NICO): lookups and updates.", no_args_is_help=True
)
app.add_typer(tariff_app, name="tariff")
hts_app = typer.Typer(
    help="US HTS rates of the goods the company exports (its own table).", no_args_is_help=True
)
app.add_typer(hts_app, name="hts")


def _problems(error: InputError) -> None:
    for problem in error.problems:
        where = ":".join(
            x for x in (problem.file, "" if problem.row is None else str(problem.row), problem.column) if x
        )
        sys.stderr.write(f"{where}: {problem.message}\n")
    raise typer.Exit(2)


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        sys.stderr.write(f"{option}: {text!r} is not a date YYYY-MM-DD\n")
        raise typer.Exit(2) from None


@tariff_app.command("show")
def tariff_show(
    fraccion: str = typer.Argument(..., help="8504.40.99, 85044099 or with NICO 8504.40.99.99"),
    date: str = typer.Option(..., "--date", help="Date whose tariff applies (YYYY-MM-DD)."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where updated tables live (default $IMMEX_DATA_DIR or ./immex-data)."
    ),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """The fracción (all its NICOs, or one) in force on a date, with its IGI rate."""
    day = _date(date, "--date")
    try:
        answer = tariff_service.tariff_show(fraccion, day, data_dir)
    except InputError as error:
        _problems(error)
        return
    if not answer.rows:
        code = f"{dotted(answer.fraccion)}{'.' + answer.nico if answer.nico else ''}"
        if answer.unverifiable:  # not a "no": the data cannot say what existed on that date
            sys.stderr.write(f"FRACCION: {code} is not in the tariff data, and {answer.unverifiable}\n")
        else:
            sys.stderr.write(f"FRACCION: {code} is not in the tariff in force on {day.isoformat()}\n")
        raise typer.Exit(1)
    if format is OutputFormat.json:
        sys.stdout.write(
            json.dumps(
                [
                    {
                        "fraccion": dotted(r.fraccion),
                        "nico": r.nico,
                        "description": r.description,
                        "unit": r.unit,
                        "igi_rate": None if r.igi_rate is None else format_rate(r.igi_rate),
                        "igi_text": r.igi_text or None,
                        "since": r.since.isoformat(),
                        "until": r.until.isoformat() if r.until else None,
                        "source": r.source,
                        "nomenclature_unverifiable": answer.unverifiable,
                        "prosec": [
                            {
                                "sector": p.sector,
                                "rate": format_rate(p.rate),
                                "since": p.since.isoformat(),
                                "source": p.source,
                            }
                            for p in answer.prosec
                        ],
                    }
                    for r in answer.rows
                ],
                ensure_ascii=False,
            )
            + "\n"
        )
        return
    for r in answer.rows:
        if r.igi_text:
            rate = f"no ad valorem rate (import duty: {r.igi_text})"
        elif r.igi_rate is None:
            rate = "rate not in the data"
        else:
            rate = f"IGI {format_rate(r.igi_rate)}"
        sys.stdout.write(
            f"{dotted(r.fraccion)}.{r.nico}  {rate}  unit {r.unit or '-'}  "
            f"since {r.since.isoformat()}  [{r.source}]\n    {r.description}\n"
        )
    for p in answer.prosec:
        sys.stdout.write(
            f"PROSEC sector {p.sector}: {format_rate(p.rate)} since {p.since.isoformat()} [{p.source}]\n"
        )
    if answer.unverifiable:
        sys.stdout.write(f"note: {answer.unverifiable}\n")


@tariff_app.command("update")
def tariff_update(
    file: Path | None = typer.Option(
        None,
        "--file",
        help="Official tariff file (CSV or XLSX) with fracción, NICO, description, unit and IGI columns.",
    ),
    satcfdi_db: Path | None = typer.Option(
        None, "--satcfdi-db", help="satcfdi catalogs.db (descriptions only)."
    ),
    since: str = typer.Option(..., "--since", help="Date the release is in force from."),
    source: str = typer.Option(..., "--source", help="Citation of the file (DOF date, URL)."),
    data_dir: Path | None = typer.Option(None, "--data-dir"),
    kind: str = typer.Option("ligie", "--kind", help="ligie (TIGIE rates) or prosec (PROSEC sector rates)."),
    non_ad_valorem: str = typer.Option(
        "reject",
        "--non-ad-valorem",
        help="A specific, mixed or prohibited import duty: "
        "reject the file (default) or keep the row "
        "without an ad valorem rate, with the duty's "
        "text.",
    ),
    full: bool = typer.Option(
        False,
        "--full",
        help="The file is the whole Tarifa in force "
        "from --since: rows it does not list are "
        "closed the day before (suppressed).",
    ),
) -> None:
    """Merge an official release into the tariff table of the data directory."""
    if kind not in ("ligie", "prosec"):
        sys.stderr.write(f"--kind: {kind!r} is not ligie or prosec\n")
        raise typer.Exit(2)
    if non_ad_valorem not in tariff_service.NON_AD_VALOREM:
        sys.stderr.write(
            f"--non-ad-valorem: {non_ad_valorem!r} is not one of {', '.join(tariff_service.NON_AD_VALOREM)}\n"
        )
        raise typer.Exit(2)
    if kind == "prosec" and (full or non_ad_valorem != "reject"):
        sys.stderr.write(
            f"{'--full' if full else '--non-ad-valorem'}: only for the LIGIE "
            "(--kind ligie); PROSEC rates are ad valorem\n"
        )
        raise typer.Exit(2)
    if satcfdi_db is not None and non_ad_valorem != "reject":
        sys.stderr.write("--non-ad-valorem: the satcfdi catalog has no rates; it applies to --file\n")
        raise typer.Exit(2)
    day = _date(since, "--since")
    if (file is None) == (satcfdi_db is None):
        sys.stderr.write("--file: give exactly one of --file or --satcfdi-db\n")
        raise typer.Exit(2)
    path = file if file is not None else satcfdi_db
    assert path is not None
    if not path.is_file():
        sys.stderr.write(f"--file: {path} {'is a directory' if path.is_dir() else 'does not exist'}\n")
        raise typer.Exit(2)
    try:
        if kind == "prosec":
            target, read, total = tariff_service.prosec_update(path, day, source, data_dir)
            sys.stdout.write(f"{read} rows read; table {target} now has {total} rows\n")
            return
        done = tariff_service.tariff_update(
            path,
            day,
            source,
            data_dir,
            satcfdi=satcfdi_db is not None,
            non_ad_valorem=non_ad_valorem,
            full=full,
        )
    except InputError as error:
        _problems(error)
        return
    merge = done.merge
    kept = (
        f" ({done.without_rate} without an ad valorem rate, kept with the duty's text)"
        if done.without_rate
        else ""
    )
    sys.stdout.write(
        f"{done.read} rows read{kept}; {merge.added} added, {merge.changed} "
        f"changed, {merge.closed} closed, {merge.unchanged} unchanged; table "
        f"{done.path} now has {done.total} rows\n"
    )


@hts_app.command("import")
def hts_import(
    file: Path = typer.Option(..., "--file", help="USITC HTS export (.json or .csv)."),
    table: Path = typer.Option(..., "--table", help="The company's HTS table (CSV) to update."),
    source: str = typer.Option(..., "--source", help="Citation (HTS revision, date)."),
    code: list[str] = typer.Option([], "--code", help="Keep only these HTS numbers (repeatable)."),
) -> None:
    """Import general (column 1) rates from the USITC HTS export into the company table."""
    if not file.is_file():
        sys.stderr.write(f"--file: {file} {'is a directory' if file.is_dir() else 'does not exist'}\n")
        raise typer.Exit(2)
    try:
        count = tariff_service.hts_import(file, table, source, code)
    except (InputError, ValueError) as error:
        if isinstance(error, InputError):
            _problems(error)
        sys.stderr.write(f"--code: {error}\n")
        raise typer.Exit(2) from None
    sys.stdout.write(f"{count} HTS lines imported into {table}\n")


@hts_app.command("show")
def hts_show(
    code: str = typer.Argument(..., help="HTS number, e.g. 8504.40.9580"),
    table: Path = typer.Option(..., "--table", help="The company's HTS table (CSV)."),
) -> None:
    """The general US duty of an HTS number from the company table."""
    try:
        row = hts_lookup(tariff_service.read_hts_table(table), code)
    except InputError as error:
        _problems(error)
        return
    except ValueError as error:
        sys.stderr.write(f"CODE: {error}\n")
        raise typer.Exit(2) from None
    if row is None:
        sys.stderr.write(f"CODE: {code} is not in {table}\n")
        raise typer.Exit(1)
    rate = "not ad valorem" if row.general_rate is None else format_rate(row.general_rate)
    sys.stdout.write(
        f"{row.hts}  general {row.general_text or '-'} ({rate})  [{row.source}]\n    {row.description}\n"
    )


def format_rate(rate: Decimal) -> str:
    return format(rate.normalize(), "f") if rate else "0"


@app.command("landed")
def landed(
    input: Path = typer.Option(..., "--input", help="Landed-cost scenario (JSON)."),
    set_: list[str] = typer.Option(
        [], "--set", help="What-if edit PATH=VALUE, e.g. items.P-100.supplier_country=USA (repeatable)."
    ),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the table as CSV."),
    xlsx_out: Path | None = typer.Option(None, "--xlsx", help="Write the tables as XLSX."),
    chart: Path | None = typer.Option(None, "--chart", help="Savings chart (.png or .svg)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Tariff data directory (for IGI lookups)."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format"),
    db: str | None = typer.Option(
        None, "--db", help="Store URL: take each part's annual quantity from its stored imports."
    ),
    company: str = typer.Option("default", "--company", help="Company code in the store."),
    date_from: str | None = typer.Option(
        None, "--from", help="Volume period start (default: a year before --to)."
    ),
    date_to: str | None = typer.Option(None, "--to", help="Volume period end (default: the scenario date)."),
) -> None:
    """Landed cost per part under definitive / PROSEC / T-MEC / IMMEX and yearly savings."""
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        sys.stderr.write("--chart: the file must end in .png or .svg\n")
        raise typer.Exit(2)
    for out in (csv_out, xlsx_out, chart):
        if out is not None and out.is_dir():
            sys.stderr.write(f"error: {out}: is a directory; give a file name\n")
            raise typer.Exit(2)
    try:
        volumes = None
        if db is not None:
            data = service.load_case_json(input)
            end = (
                _date(date_to, "--to")
                if date_to
                else _date(str(data.get("date", "")) if isinstance(data, dict) else "", "date")
            )
            start = _date(date_from, "--from") if date_from else end - dt.timedelta(days=364)
            volumes = ledger_service.import_volumes(db, company, start, end)
        result = landed_service.run_landed_file(input, set_, data_dir, volumes)
    except service.CaseError as error:
        _fail(error)
        return
    try:
        landed_service.write_outputs(result, csv_out, xlsx_out, chart)
    except OSError as exc:  # a directory, a missing folder, no permission: say which file, no traceback
        sys.stderr.write(f"error: {exc.filename or 'output'}: cannot write: {exc.strerror or exc}\n")
        raise typer.Exit(2) from None
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(landed_service.landed_json(result), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(landed_service.landed_text(result) + "\n")
