"""Reports a person can sign: whose they are, as of when, from which run and input.

Every XLSX and PDF report opens with a header block: report, company, RFC, IMMEX
program, period or as-of date, discharge run, input fingerprint and when it was
generated. Column headings come from the catalog (``labels.yaml``) in Spanish by
default or English; numbers keep their values with thousands separators and fixed
decimals as number formats; pedimentos are written as the authority writes them
(``25 47 3456 5005150``). CSV files stay raw: the column keys as the one header row
and plain decimals, for programs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.core.fingerprint import files_fingerprint
from immex.core.pedimento import display_pedimento
from immex.core.table_files import Cell
from immex.ledger.orm import Company, DischargeRunRow, RunReversalRow
from immex.reports.labels import Lang, block_text, column, term, title


@dataclass(frozen=True, slots=True)
class Source:
    """Whose ledger a report was built from, and which discharge."""

    company: str = ""
    rfc: str = ""
    immex_program: str = ""
    certification: str = ""
    program_valid_to: dt.date | None = None
    run_id: int | None = None
    input_fingerprint: str = ""
    in_memory: bool = False

    @property
    def has_profile(self) -> bool:
        return bool(self.rfc)


@dataclass(frozen=True, slots=True)
class Signature:
    """The header block of one report."""

    name: str  # the report's command name, its title in the catalog
    source: Source
    as_of: dt.date | None = None
    period: tuple[dt.date, dt.date] | None = None
    generated_at: dt.datetime | None = None

    def stamp(self) -> str:
        when = self.generated_at or dt.datetime.now(dt.UTC)
        return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def stored_source(session: Session, company: int) -> Source:
    """The stored profile and the latest active discharge run of ``company``."""
    found = session.get(Company, company)
    row = found if found is not None and found.rfc else None  # no RFC: the profile was never set
    reversed_runs = select(RunReversalRow.run_id)
    run = session.scalars(
        select(DischargeRunRow)
        .where(DischargeRunRow.company_id == company, DischargeRunRow.id.not_in(reversed_runs))
        .order_by(DischargeRunRow.id.desc())
        .limit(1)
    ).first()
    return Source(
        company=row.name if row else "",
        rfc=row.rfc if row else "",
        immex_program=row.immex_program if row else "",
        certification=row.certification if row else "",
        program_valid_to=row.program_valid_to if row else None,
        run_id=run.id if run else None,
        input_fingerprint=run.input_fingerprint if run else "",
    )


def no_run_note(source: Source) -> str | None:
    """The line a person must read when a stored report counts no discharge at all (None otherwise).

    After ``immex run reverse`` of the only run, or before the first ``immex discharge --db``,
    every lot shows whole and no shortfall exists: true of the store, easy to misread as a result.
    """
    if source.in_memory or source.run_id is not None:
        return None
    return (
        "note: the store has no active discharge run (none yet, or the last one was reversed): "
        "nothing counts as discharged; run `immex discharge --db ...` to discharge the ledger"
    )


def folder_source(paths: Iterable[Path]) -> Source:
    """An input folder discharged in memory: no profile, no run, the fingerprint of its files."""
    return Source(input_fingerprint=files_fingerprint(paths), in_memory=True)


def preamble(signature: Signature, lang: Lang, fallback_title: str = "") -> list[tuple[str, str]]:
    """The (label, value) lines of the header block."""
    source = signature.source
    not_set = block_text("not_set", lang)
    no_program = block_text("no_program", lang)
    if source.in_memory:
        run = block_text("in_memory", lang)
    else:
        run = str(source.run_id) if source.run_id is not None else block_text("no_active_run", lang)
    lines = [
        (block_text("report", lang), title(signature.name, lang, fallback_title)),
        (block_text("company", lang), source.company or not_set),
        (block_text("rfc", lang), source.rfc or not_set),
        # a profile set without --program is not "no profile": the signer must see which one is missing
        (
            block_text("immex_program", lang),
            source.immex_program or (no_program if source.has_profile else not_set),
        ),
    ]
    if signature.period is not None:
        start, end = signature.period
        lines.append((block_text("period", lang), f"{start.isoformat()} – {end.isoformat()}"))
    if signature.as_of is not None:
        lines.append((block_text("as_of", lang), signature.as_of.isoformat()))
    lines += [
        (block_text("run_id", lang), run),
        (block_text("input_fingerprint", lang), source.input_fingerprint or block_text("no_run", lang)),
        (block_text("generated_at", lang), signature.stamp()),
    ]
    return lines


def headings(header: Sequence[str], lang: Lang) -> list[str]:
    return [column(key).label(lang) for key in header]


def kinds(header: Sequence[str]) -> list[str]:
    return [column(key).kind for key in header]


def person_cell(value: Cell, kind: str, lang: Lang) -> Cell:
    """A cell as a person reads it in XLSX: pedimentos spaced, booleans as words; numbers stay numbers."""
    if kind == "pedimento" and isinstance(value, str) and len(value) == 15 and value.isdigit():
        return display_pedimento(value)
    if isinstance(value, bool):
        return block_text("yes" if value else "no", lang)
    if kind == "term" and isinstance(value, str):
        return term(value, lang)
    return value


def person_rows(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], lang: Lang
) -> Iterable[tuple[Cell, ...]]:
    column_kinds = kinds(header)
    for row in rows:
        yield tuple(person_cell(v, k, lang) for v, k in zip(row, column_kinds, strict=False))


_DECIMALS = {"money": 2, "pct": 2, "qty": 3}


def person_text(value: Cell, kind: str, lang: Lang) -> str:
    """A cell as text for a PDF: thousands separators and fixed decimals (qty: 3 to 6)."""
    value = person_cell(value, kind, lang)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, Decimal)) and kind in _DECIMALS:
        number = Decimal(value)
        places = _DECIMALS[kind]
        if kind == "qty":
            exponent = number.normalize().as_tuple().exponent
            places = min(6, max(3, -exponent if isinstance(exponent, int) else 3))
        return f"{number:,.{places}f}"
    if isinstance(value, int) and kind == "count":
        return f"{value:,}"
    return str(value)
