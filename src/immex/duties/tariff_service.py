"""Tariff data on disk: the LIGIE table (shipped + updates from official files) and the
company's US HTS table (imported from the USITC HTS JSON/CSV export).

Files are CSV with a header; every value is text (rates are plain decimals, fractions).
Bad input comes back as :class:`immex.core.problems.InputError` with every problem,
and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import pickle
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from immex.core.numbers import parse_decimal
from immex.core.problems import InputError, Problem
from immex.core.tables import header_width, read_csv_table, read_text, refuse_cut_row
from immex.duties.tariff import (
    HtsRow,
    ProsecRow,
    ReleaseMerge,
    TariffIndex,
    TariffRow,
    apply_release,
    hts_digits,
    in_force,
    is_duty_text,
    is_exento,
    merge_prosec,
    parse_hts_general,
    parse_tigie_rate,
    prosec_in_force,
    split_fraccion,
)
from immex.duties.tariff_shipped import cited_sources, compose_shipped
from immex.rules import as_date

TARIFF_COLUMNS = ("fraccion", "nico", "description", "unit", "igi_rate", "since", "until", "source")
# Added for duties that are not ad valorem (the Tarifa's text, igi_rate empty). A table
# whose rows all have an ad valorem rate or none is still written without it, and a table
# without it (every file written before it existed) reads as before.
TARIFF_COLUMNS_WITH_TEXT = (*TARIFF_COLUMNS, "igi_text")
# What `tariff update` does with an import duty that is not ad valorem.
NON_AD_VALOREM = ("reject", "keep")
HTS_COLUMNS = ("hts", "description", "general", "general_rate", "source")
DATA_DIR_ENV = "IMMEX_DATA_DIR"

# Header names accepted in an official tariff file (compared without accents/case/spaces).
OFFICIAL_ALIASES: dict[str, tuple[str, ...]] = {
    "fraccion": ("fraccion", "fraccionarancelaria", "fraccionaria", "codigo", "fraccionnico", "fraccion8"),
    "nico": ("nico", "numerodeidentificacioncomercial"),
    "description": ("descripcion", "descripciondelamercancia", "description", "descripcioncompleta"),
    "unit": ("unidad", "umt", "um", "unidaddemedida", "unidaddetarifa", "unit", "unidadmedida"),
    "igi_rate": (
        "igi",
        "arancel",
        "impuestoimportacion",
        "impuestodeimportacion",
        "advalorem",
        "igiimportacion",
        "tasaimportacion",
        "importacion",
        "imp",
        "import",
        "arancelimportacion",
    ),
    # Optional: a column beside the rate that holds "Ex." or the text of a specific or
    # mixed duty, with 0.0 in the rate column (the layout of the TIGIE copy described in
    # docs/duties.md, "Tariff data sources"): that 0.0 is not a rate.
    "igi_note": ("notaimportacion", "notaimp"),
}
_NEEDED = ("fraccion", "description", "igi_rate")
# The Tarifa as the DOF prints it (columns CÓDIGO, DESCRIPCIÓN, UNIDAD, IMP., EXP.) also
# lists capítulos, partidas and subpartidas (2, 4 or 6 digits) without a rate: skipped.
_HEADING_LENGTHS = (2, 4, 6)


def _norm(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum())


def data_dir(given: Path | None) -> Path:
    """Where updated tables live: ``--data-dir``, else ``$IMMEX_DATA_DIR``, else ``./immex-data``."""
    if given is not None:
        return given
    return Path(os.environ.get(DATA_DIR_ENV) or "immex-data")


def shipped_tariff_text() -> str:
    files = resources.files("immex.rules.duties").joinpath("tariff")
    return files.joinpath("ligie.csv").read_text(encoding="utf-8")


def read_tariff_csv(text: str, name: str) -> list[TariffRow]:
    """Parse a table in this project's format; raise InputError listing every bad cell."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or tuple(reader.fieldnames) not in (
        TARIFF_COLUMNS,
        TARIFF_COLUMNS_WITH_TEXT,
    ):
        raise InputError(
            [
                Problem(
                    name,
                    1,
                    "",
                    f"header must be {','.join(TARIFF_COLUMNS)} (optionally followed by ,igi_text)",
                )
            ]
        )
    rows: list[TariffRow] = []
    problems: list[Problem] = []
    for number, raw in enumerate(reader, start=2):
        try:
            fraccion, nico_in = split_fraccion(raw["fraccion"])
        except ValueError as exc:
            problems.append(Problem(name, number, "fraccion", str(exc)))
            continue
        nico = raw["nico"].strip()
        if nico and (len(nico) != 2 or not nico.isdigit()):
            problems.append(Problem(name, number, "nico", f"{nico!r} must be two digits"))
            continue
        rate: Decimal | None = None
        if raw["igi_rate"].strip():
            try:
                rate = parse_decimal(raw["igi_rate"])
            except ValueError as exc:
                problems.append(Problem(name, number, "igi_rate", str(exc)))
                continue
        try:
            since = dt.date.fromisoformat(raw["since"])
            until = dt.date.fromisoformat(raw["until"]) if raw["until"].strip() else None
        except ValueError:
            problems.append(Problem(name, number, "since", "since/until must be YYYY-MM-DD"))
            continue
        if not raw["source"].strip():
            problems.append(Problem(name, number, "source", "every row needs its source"))
            continue
        text = (raw.get("igi_text") or "").strip()
        if text and rate is not None:
            problems.append(
                Problem(
                    name,
                    number,
                    "igi_text",
                    "a row has an ad valorem igi_rate or the text of another duty, not both",
                )
            )
            continue
        rows.append(
            TariffRow(
                fraccion,
                nico or (nico_in or ""),
                raw["description"],
                raw["unit"],
                rate,
                since,
                until,
                raw["source"],
                text,
            )
        )
    if problems:
        raise InputError(problems)
    return rows


def write_tariff_csv(rows: Iterable[TariffRow]) -> str:
    """The table as CSV; the ``igi_text`` column is written only when a row has a text."""
    rows = list(rows)
    with_text = any(row.igi_text for row in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TARIFF_COLUMNS_WITH_TEXT if with_text else TARIFF_COLUMNS)
    for row in rows:
        cells = [
            row.fraccion,
            row.nico,
            row.description,
            row.unit,
            "" if row.igi_rate is None else format(row.igi_rate, "f"),
            row.since.isoformat(),
            row.until.isoformat() if row.until else "",
            row.source,
        ]
        writer.writerow([*cells, row.igi_text] if with_text else cells)
    return out.getvalue()


@cache
def _shipped_rows() -> tuple[TariffRow, ...]:
    """The shipped table: ligie.csv with the releases of releases.yaml applied."""
    return tuple(compose_shipped(read_tariff_csv))


@cache
def _shipped_index() -> TariffIndex:
    return TariffIndex.of(_shipped_rows())


def tariff_index(directory: Path | None = None) -> TariffIndex:
    """The table in use (see :func:`tariff_rows`) indexed by fracción + NICO for lookups."""
    updated = data_dir(directory) / "tariff" / "ligie.csv"
    if updated.exists():
        return TariffIndex.of(tariff_rows(directory))
    return _shipped_index()


def tariff_rows(directory: Path | None = None) -> list[TariffRow]:
    """The table in use: the updated one in the data directory, else the shipped one."""
    updated = data_dir(directory) / "tariff" / "ligie.csv"
    if updated.exists():
        return read_tariff_csv(updated.read_text(encoding="utf-8"), str(updated.name))
    return list(_shipped_rows())


@dataclass(frozen=True, slots=True)
class TariffAnswer:
    fraccion: str
    nico: str | None
    day: dt.date
    rows: list[TariffRow]
    prosec: list[ProsecRow]
    unverifiable: str | None = None
    """Why the data cannot say which fracciones exist on ``day`` (None when it can)."""


def tariff_show(fraccion_text: str, day: dt.date, directory: Path | None = None) -> TariffAnswer:
    try:
        fraccion, nico = split_fraccion(fraccion_text)
    except ValueError as exc:
        raise InputError([Problem("", None, "FRACCION", str(exc))]) from exc
    rows = in_force(tariff_rows(directory), fraccion, nico, day)
    prosec = prosec_in_force(prosec_rows(directory), fraccion, day)
    return TariffAnswer(
        fraccion, nico, day, rows, prosec, nomenclature_unverifiable(_periods(directory), day)
    )


@cache
def _shipped_periods() -> tuple[TariffRow, ...]:
    return tuple({(r.source, r.since, r.until): r for r in _shipped_rows()}.values())


def _periods(directory: Path | None) -> Sequence[TariffRow]:
    """One row of each (source, since, until) of the table in use: enough to tell which dates
    its releases vouch for (computed once for the shipped table)."""
    if (data_dir(directory) / "tariff" / "ligie.csv").exists():
        return tariff_rows(directory)
    return _shipped_periods()


@cache
def _vouches_from() -> dict[str, dt.date]:
    """Shipped source id -> the first date its rows are evidence of the nomenclature
    (``vouches_from`` in ``rules/duties/tariff/sources.yaml``); sources without it vouch
    for every date their rows carry."""
    out: dict[str, dt.date] = {}
    for key, entry in cited_sources().items():
        if entry.get("vouches_from") is not None:
            out[str(key)] = as_date(entry["vouches_from"], f"tariff/sources.yaml: {key}.vouches_from")
    return out


def nomenclature_evidence(rows: Iterable[TariffRow]) -> list[tuple[str, str, dt.date, dt.date | None]]:
    """``(fraccion, nico, since, until)`` of each row over the dates its source vouches for:
    the LIGIE 2022 list as published in 2026 says nothing of 2022-12-12..2026-03-29, so its
    rows of those dates are left out (the Anexo 22 check then judges no fracción on them)."""
    limits = _vouches_from()
    out: list[tuple[str, str, dt.date, dt.date | None]] = []
    for row in rows:
        since = max(row.since, limits.get(row.source, row.since))
        if row.until is None or since <= row.until:
            out.append((row.fraccion, row.nico, since, row.until))
    return out


def nomenclature_unverifiable(rows: Sequence[TariffRow], day: dt.date) -> str | None:
    """Why the tariff data cannot say which fracciones exist on ``day``, or None when it can
    (:func:`immex.core.anexo22.tariff_vouches_for` over :func:`nomenclature_evidence`)."""
    from immex.core.anexo22 import tariff_index as evidence_index
    from immex.core.anexo22 import tariff_vouches_for

    # whether the data vouches depends only on the dates of the releases: one row of each will do
    periods = {(r.source, r.since, r.until): r for r in rows}
    if tariff_vouches_for(evidence_index(nomenclature_evidence(periods.values())), day):
        return None
    limits = _vouches_from()
    sources = sorted({r.source for r in periods.values() if r.covers(day) and r.source in limits})
    what = (
        "the rows in force come from "
        + ", ".join(f"{s} (evidence from {limits[s].isoformat()})" for s in sources)
        if sources
        else "no release of the Tarifa in force covers it"
    )
    return (
        f"the tariff data cannot vouch for the nomenclature on {day.isoformat()}: {what}; a fracción "
        "created or deleted before that date is not told apart (load the official release of the date "
        "with `immex duties tariff update` to check it)"
    )


def _rows_of(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV or XLSX file, all cells as text."""
    text = ""  # a workbook cannot be cut short in the middle of a row and still open
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        cells = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    else:
        text, _encoding = read_text(path)  # UTF-8 (with or without BOM), UTF-16 or Windows-1252
        # Only the delimiter is sniffed: the sniffer may guess doublequote=False from a
        # sample without "" and then splits quoted cells that have one further down.
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;|\t").delimiter
        except csv.Error:
            delimiter = ","
        cells = [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    # The header is the first row that names a fracción column.
    for index, row in enumerate(cells):
        if any(_norm(c) in OFFICIAL_ALIASES["fraccion"] for c in row):
            refuse_cut_row(path.name, text, len(cells), cells[-1], header_width(row))
            return row, cells[index + 1 :]
    raise InputError(
        [
            Problem(
                path.name,
                None,
                "",
                f"no header row with a fracción column (one of {OFFICIAL_ALIASES['fraccion']})",
            )
        ]
    )


def read_official_tariff(  # noqa: C901
    path: Path, since: dt.date, source: str, *, non_ad_valorem: str = "reject"
) -> list[TariffRow]:
    """Rows of an official tariff file (SNICE/SIAVI/DOF export as CSV or XLSX).

    Columns are found by header name (see ``OFFICIAL_ALIASES``); the fracción may carry
    the NICO (10 digits) or the NICO may come in its own column. Rates are percentages
    or ``Ex.``. A specific, mixed or prohibited duty (a cell with words: ``0.36 Dls por
    kg``, ``Prohibida``) is reported as a problem, or with ``non_ad_valorem="keep"``
    loaded without a rate, its text kept in ``igi_text``; a cell of digits and signs
    that is not a percentage is a problem either way.
    """
    if non_ad_valorem not in NON_AD_VALOREM:
        raise InputError(
            [
                Problem(
                    "",
                    None,
                    "--non-ad-valorem",
                    f"{non_ad_valorem!r} is not one of {', '.join(NON_AD_VALOREM)}",
                )
            ]
        )
    header, body = _rows_of(path)
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        for field, aliases in OFFICIAL_ALIASES.items():
            if _norm(name) in aliases and field not in position:
                position[field] = index
    first = 2
    if "igi_rate" not in position and body:
        # Two header rows ("ARANCEL" over "IMP." / "EXP."): the rate is named on the second.
        below = [i for i, name in enumerate(body[0]) if _norm(name) in OFFICIAL_ALIASES["igi_rate"]]
        if below:
            position["igi_rate"] = below[0]
            body, first = body[1:], 3
    problems: list[Problem] = []
    for needed in _NEEDED:
        if needed not in position:
            problems.append(
                Problem(
                    path.name,
                    1,
                    needed,
                    f"no column for {needed} (accepted headers: {', '.join(OFFICIAL_ALIASES[needed])})",
                )
            )
    if problems:
        raise InputError(problems)
    rows: list[TariffRow] = []
    seen: dict[tuple[str, str], int] = {}
    for offset, cells in enumerate(body):
        number = offset + first

        def cell(field: str, cells: list[str] = cells) -> str:
            index = position.get(field)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        if not any(c.strip() for c in cells) or not cell("fraccion"):
            continue
        code = cell("fraccion").replace(".", "").replace(" ", "")
        if code.isdigit() and len(code) in _HEADING_LENGTHS and not cell("igi_rate"):
            continue
        try:
            fraccion, nico_in = split_fraccion(cell("fraccion"))
        except ValueError as exc:
            problems.append(Problem(path.name, number, "fraccion", str(exc)))
            continue
        nico = cell("nico").zfill(2) if cell("nico") else (nico_in or "")
        duty, note_problem = _duty_cell(cell("igi_rate"), cell("igi_note"))
        if note_problem:
            problems.append(Problem(path.name, number, "igi_rate", note_problem))
            continue
        text = ""
        try:
            rate = parse_tigie_rate(duty)
        except ValueError as exc:
            if not is_duty_text(duty):
                problems.append(Problem(path.name, number, "igi_rate", str(exc)))
                continue
            if non_ad_valorem != "keep":
                problems.append(
                    Problem(
                        path.name,
                        number,
                        "igi_rate",
                        f"{exc}; --non-ad-valorem keep loads such a row without a rate, keeping its text",
                    )
                )
                continue
            rate, text = None, duty
        key = (fraccion, nico)
        if key in seen:
            problems.append(
                Problem(
                    path.name, number, "fraccion", f"{fraccion} NICO {nico or '-'} repeats row {seen[key]}"
                )
            )
            continue
        seen[key] = number
        rows.append(
            TariffRow(fraccion, nico, cell("description"), cell("unit"), rate, since, None, source, text)
        )
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError([Problem(path.name, None, "", "no tariff rows found")])
    return rows


def _duty_cell(rate: str, note: str) -> tuple[str, str]:
    """The import duty of a row whose file has a note column beside the rate, and the
    problem when the two disagree. ``Ex.`` in the note is exempt (with a rate of 0 or
    none); a specific or mixed duty in the note stands for the row's duty, and the 0.0
    the rate column carries beside it is not a rate."""
    if not note:
        return rate, ""
    try:
        value = parse_tigie_rate(rate)
    except ValueError as exc:
        return rate, f"{exc}, in the rate column beside the note {note!r}"
    if is_exento(note):
        if value:
            return rate, f"rate {rate} and the note {note!r} (exempt) disagree"
        return note, ""
    if not is_duty_text(note):
        return rate, f"the note {note!r} is neither Ex. nor the text of a duty"
    if value:
        return rate, (f"an ad valorem rate {rate} and the duty {note!r} in the note: which one is the duty?")
    return note, ""


class _StringsOnly(pickle.Unpickler):
    """Unpickles the plain strings of satcfdi's catalog and refuses anything else."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def read_satcfdi_catalog(db_path: Path, since: dt.date, source: str) -> list[TariffRow]:
    """Fracciones with NICO and description from satcfdi's ``catalogs.db`` (SAT catalog
    ``c_FraccionArancelaria`` of the Comercio Exterior complement). No rates: that catalog
    has none, so ``igi_rate`` stays empty."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        pairs = connection.execute("SELECT key, value FROM C5bc_c_FraccionArancelaria").fetchall()
    finally:
        connection.close()
    rows = []
    for key_blob, value_blob in pairs:
        key = _StringsOnly(io.BytesIO(key_blob)).load()
        value = _StringsOnly(io.BytesIO(value_blob)).load()
        if isinstance(key, str) and len(key) == 10 and key.isdigit() and isinstance(value, str):
            rows.append(TariffRow(key[:8], key[8:], value, "", None, since, None, source))
    rows.sort(key=lambda r: (r.fraccion, r.nico))
    return rows


@dataclass(frozen=True, slots=True)
class TariffUpdate:
    """What ``tariff update`` did: the file written, the rows read (``without_rate`` of
    them kept with the text of a duty that is not ad valorem) and the merge counts."""

    path: Path
    read: int
    without_rate: int
    merge: ReleaseMerge

    @property
    def total(self) -> int:
        return len(self.merge.rows)


def _write_table(directory: Path | None, name: str, text: str) -> Path:
    """``<data dir>/tariff/<name>``, replaced in one step: a reader never sees half a table."""
    target = data_dir(directory) / "tariff" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".csv.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def tariff_update(
    file: Path,
    since: dt.date,
    source: str,
    directory: Path | None = None,
    *,
    satcfdi: bool = False,
    non_ad_valorem: str = "reject",
    full: bool = False,
) -> TariffUpdate:
    """Merge an official release into the table (``full``: the release is the whole Tarifa
    in force from ``since``, so rows it does not list are closed the day before)."""
    if not source.strip():
        raise InputError([Problem("", None, "--source", "give the citation of the file")])
    release = (
        read_satcfdi_catalog(file, since, source)
        if satcfdi
        else read_official_tariff(file, since, source, non_ad_valorem=non_ad_valorem)
    )
    merge = apply_release(tariff_rows(directory), release, since, full=full)
    target = _write_table(directory, "ligie.csv", write_tariff_csv(merge.rows))
    return TariffUpdate(target, len(release), sum(1 for r in release if r.igi_text), merge)


# --- PROSEC (Decreto DOF 02-08-2002, Art. 5) ---------------------------------------------

PROSEC_COLUMNS = ("sector", "fraccion", "rate", "since", "until", "source")
PROSEC_ALIASES: dict[str, tuple[str, ...]] = {
    "sector": ("sector", "programa", "fracciondelart3"),
    "fraccion": OFFICIAL_ALIASES["fraccion"],
    "rate": ("arancel", "advalorem", "tasa", "igi", "aranceladvalorem", "prosec"),
}


def prosec_rows(directory: Path | None = None) -> list[ProsecRow]:
    """The PROSEC table of the data directory (none is shipped: see docs/duties.md)."""
    path = data_dir(directory) / "tariff" / "prosec.csv"
    if not path.exists():
        return []
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    if reader.fieldnames is None or tuple(reader.fieldnames) != PROSEC_COLUMNS:
        raise InputError([Problem(path.name, 1, "", f"header must be {','.join(PROSEC_COLUMNS)}")])
    rows = []
    for raw in reader:
        rows.append(
            ProsecRow(
                raw["sector"],
                raw["fraccion"],
                parse_decimal(raw["rate"]),
                dt.date.fromisoformat(raw["since"]),
                dt.date.fromisoformat(raw["until"]) if raw["until"] else None,
                raw["source"],
            )
        )
    return rows


def read_official_prosec(path: Path, since: dt.date, source: str) -> list[ProsecRow]:
    """Rows of a PROSEC list (CSV/XLSX with sector, fracción and rate columns; rates as
    percentages or ``Ex.``)."""
    header, body = _rows_of(path)
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        for field, aliases in PROSEC_ALIASES.items():
            if _norm(name) in aliases and field not in position:
                position[field] = index
    problems = [
        Problem(path.name, 1, f, f"no column for {f} (accepted headers: {', '.join(PROSEC_ALIASES[f])})")
        for f in PROSEC_ALIASES
        if f not in position
    ]
    if problems:
        raise InputError(problems)
    rows: list[ProsecRow] = []
    seen: dict[tuple[str, str], int] = {}
    for offset, cells in enumerate(body):
        number = offset + 2
        values = {f: (cells[i].strip() if i < len(cells) else "") for f, i in position.items()}
        if not values["fraccion"]:
            continue
        try:
            fraccion, _ = split_fraccion(values["fraccion"])
            rate = parse_tigie_rate(values["rate"])
        except ValueError as exc:
            problems.append(Problem(path.name, number, "fraccion/rate", str(exc)))
            continue
        if rate is None or not values["sector"]:
            problems.append(Problem(path.name, number, "sector/rate", "sector and rate needed"))
            continue
        key = (values["sector"], fraccion)
        if key in seen:
            problems.append(
                Problem(
                    path.name,
                    number,
                    "fraccion",
                    f"sector {key[0]} fracción {fraccion} repeats row {seen[key]}",
                )
            )
            continue
        seen[key] = number
        rows.append(ProsecRow(values["sector"], fraccion, rate, since, None, source))
    if problems:
        raise InputError(problems)
    return rows


def prosec_update(
    file: Path, since: dt.date, source: str, directory: Path | None = None
) -> tuple[Path, int, int]:
    if not source.strip():
        raise InputError([Problem("", None, "--source", "give the citation of the file")])
    release = read_official_prosec(file, since, source)
    merged = merge_prosec(prosec_rows(directory), release, since)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PROSEC_COLUMNS)
    for row in merged:
        writer.writerow(
            [
                row.sector,
                row.fraccion,
                format(row.rate, "f"),
                row.since.isoformat(),
                row.until.isoformat() if row.until else "",
                row.source,
            ]
        )
    target = _write_table(directory, "prosec.csv", out.getvalue())
    return target, len(release), len(merged)


# --- US HTS -----------------------------------------------------------------------------

_HTS_CSV = {
    "number": ("htsnumber", "htsno"),
    "description": ("description",),
    "general": ("generalrateofduty", "general"),
}


def read_usitc_export(path: Path, source: str, codes: Sequence[str] = ()) -> list[HtsRow]:  # noqa: C901
    """Rows of a USITC HTS export (JSON list of objects with ``htsno``/``description``/
    ``general``, or the CSV with ``HTS Number``/``Description``/``General Rate of Duty``).

    A 10-digit statistical line with an empty general rate takes the rate of its 8-digit
    line (the HTS prints the rate once). ``codes`` keeps only those lines (and the
    headings above them), for the goods the company actually exports. The CSV may be
    UTF-8, UTF-16 or Windows-1252, separated by commas, or by semicolons as Excel saves it
    in a Spanish (or other decimal-comma) locale, where a rate may read ``2,5%``.
    """
    text, _encoding = read_text(path)  # UTF-8 (with or without BOM), UTF-16 or Windows-1252
    records: list[tuple[str, str, str]] = []
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError([Problem(path.name, None, "", f"not valid JSON: {exc.msg}")]) from exc
        if not isinstance(data, list):
            raise InputError([Problem(path.name, None, "", "expected a JSON list of HTS lines")])
        for item in data:
            if isinstance(item, dict):
                records.append(
                    (
                        str(item.get("htsno") or ""),
                        str(item.get("description") or ""),
                        str(item.get("general") or ""),
                    )
                )
    else:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=_hts_delimiter(text)))
        if lines:
            refuse_cut_row(path.name, text, len(lines), lines[-1], header_width(lines[0]))
        reader = iter(lines)
        written = next(reader, [])
        header = [_norm(h) for h in written]
        index: dict[str, int] = {}
        for field, aliases in _HTS_CSV.items():
            for i, name in enumerate(header):
                if name in aliases:
                    index[field] = i
                    break
        missing = [f for f in _HTS_CSV if f not in index]
        if missing:  # one line: the header as read says more than one line per column
            raise InputError(
                [
                    Problem(
                        path.name,
                        1,
                        "",
                        f"no {' / '.join(_HTS_HEADERS[m] for m in missing)} column in the header "
                        f"{' | '.join(written[:6]) or '(empty)'} (the USITC CSV export's headers, "
                        "separated by commas or semicolons, are expected)",
                    )
                ]
            )
        for cells in reader:

            def get(field: str, cells: list[str] = cells) -> str:
                return cells[index[field]] if index[field] < len(cells) else ""

            records.append((get("number"), get("description"), get("general")))
    wanted = [hts_digits(c) for c in codes]
    rows: list[HtsRow] = []
    last_rate: tuple[str, str] | None = None
    problems: list[Problem] = []
    for position, (number, description, general) in enumerate(records, start=2):
        if not number.strip():
            continue
        try:
            digits = hts_digits(number)
        except ValueError as exc:
            problems.append(Problem(path.name, position, "htsno", f"{exc}{_spreadsheet_hint(number)}"))
            continue
        general = _decimal_point(general.strip())
        if general:
            last_rate = (digits, general)
        elif len(digits) == 10 and last_rate is not None and digits.startswith(last_rate[0]):
            general = last_rate[1]
        if wanted and not any(w.startswith(digits) or digits.startswith(w) for w in wanted):
            continue
        rows.append(HtsRow(digits, description.strip(), general, parse_hts_general(general), source))
    if problems:
        raise InputError(problems)
    return rows


_HTS_HEADERS = {"number": "HTS Number", "description": "Description", "general": "General Rate of Duty"}


def _hts_delimiter(text: str) -> str:
    """Comma, or semicolon when the header has more of them (Excel in a decimal-comma locale)."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _decimal_point(rate: str) -> str:
    """``2,5%`` (a decimal comma, as a Spanish-locale spreadsheet writes it) → ``2.5%``."""
    if rate.endswith("%") and rate.count(",") == 1 and "." not in rate:
        return rate.replace(",", ".")
    return rate


def _spreadsheet_hint(number: str) -> str:
    """Why an HTS number is malformed when a spreadsheet changed it, else nothing."""
    digits = number.replace(".", "").replace(",", "").strip()
    if "," in number:
        return (
            " (a spreadsheet read it as a number with a decimal comma: format the column as text "
            "before saving, or export it again)"
        )
    if digits.isdigit() and len(digits) in (3, 5, 7, 9):
        return (
            " (a spreadsheet dropped its leading zero, 0101 became 101: format the column as text "
            "before saving, or export it again)"
        )
    return ""


def read_hts_table(path: Path) -> list[HtsRow]:
    """The company's HTS table (written by :func:`write_hts_table`, maybe edited since in a
    spreadsheet: any encoding or separator ``read_csv_table`` detects, Excel's empty columns)."""
    table = read_csv_table(path)
    if table.header[: header_width(table.header)] != HTS_COLUMNS:
        raise InputError([Problem(table.label, 1, "", f"header must be {','.join(HTS_COLUMNS)}")])
    rows: list[HtsRow] = []
    problems: list[Problem] = []
    for number, raw in table.rows:
        try:
            digits = hts_digits(raw["hts"])
            rate = parse_decimal(raw["general_rate"]) if raw["general_rate"] else None
        except ValueError as exc:
            problems.append(Problem(table.label, number, "hts/general_rate", str(exc)))
            continue
        rows.append(HtsRow(digits, raw["description"], raw["general"], rate, raw["source"]))
    if problems:
        raise InputError(problems)
    return rows


def write_hts_table(rows: Iterable[HtsRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HTS_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.hts,
                row.description,
                row.general_text,
                "" if row.general_rate is None else format(row.general_rate, "f"),
                row.source,
            ]
        )
    return out.getvalue()


def hts_import(file: Path, table: Path, source: str, codes: Sequence[str] = ()) -> int:
    """Merge a USITC export into the company's HTS table (new lines replace old ones)."""
    imported = read_usitc_export(file, source, codes)
    existing = read_hts_table(table) if table.exists() else []
    merged = {row.hts: row for row in existing}
    merged.update({row.hts: row for row in imported})
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text(write_hts_table(sorted(merged.values(), key=lambda r: r.hts)), encoding="utf-8")
    return len(imported)
