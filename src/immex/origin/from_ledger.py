"""Origin from the stored ledger: ``immex origin qualify --bom`` and ``immex origin batch``.

The case of a finished good is built by :func:`immex.origin.records.ledger_case`
from the BOM version valid on the date, the parts' fracciones, the import lots the
inventory method would consume, and the supplier certifications; the pure engine
(:func:`immex.origin.determine`) decides. Rule look-ups are memoised per
(code, date) because a plant has few fracciones and many goods.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing as mp
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from immex.core.atomic import write_bytes_atomic
from immex.core.jsonfile import JsonFileError, read_json
from immex.core.numbers import plain, round_half_up
from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, counted
from immex.core.table_files import Cell, write_csv, write_xlsx
from immex.discharge.fast import discharge_fast
from immex.ledger.model import Ledger
from immex.ledger.service import DEFAULT_COMPANY, company_id, load_ledger
from immex.origin import Determination, HsCode, OriginCase, OriginError, ProductRule, determine
from immex.origin.certificate import (
    Certificate,
    CertificateKind,
    CertifiedGood,
    Party,
    certificate_document,
    certificate_problems,
)
from immex.origin.certificate_pdf import render_certificate
from immex.origin.orm import CertificateRow
from immex.origin.records import (
    GoodValue,
    LedgerCase,
    LedgerCaseError,
    LedgerInputs,
    Stock,
    ledger_case,
    stocks_on,
)
from immex.origin.records_service import certifications_by_part, stored_values
from immex.origin.sensitivity import RvcGap, Sensitivity, sensitivity
from immex.origin.service import determination_json, determination_text
from immex.store.uow import UnitOfWork


@lru_cache(maxsize=65536)
def _rule(digits: str, day: dt.date) -> ProductRule:
    from immex.origin.rules_data import find_rule

    return find_rule(HsCode(digits), day)


@lru_cache(maxsize=4096)
def agreement_on(day: dt.date) -> str:
    """The agreement in force on ``day`` (USMCA from 2020-07-01, NAFTA before), from the rules data."""
    from immex.origin.rules_data import all_facts

    return next((f.agreement for f in all_facts().values() if f.covers(day)), "USMCA")


def cached_lookup(code: HsCode, case: OriginCase) -> ProductRule:
    """The packaged rule table's rule for ``code``, memoised per (code, date)."""
    return _rule(code.digits, case.date)


def load_inputs(db_url: str | None, company: str = DEFAULT_COMPANY) -> tuple[Ledger, LedgerInputs]:
    """The company's stored ledger, supplier certifications and stored values."""
    with UnitOfWork(db_url, company=company) as uow:
        session = uow.session
        try:
            key = company_id(session, company, create=False)
        except LookupError:
            raise InputError(
                [
                    Problem(
                        "--db",
                        None,
                        "",
                        f"company {company!r} has no ledger in the store; load the ledger first",
                    )
                ]
            ) from None
        ledger = load_ledger(session, key)
        inputs = LedgerInputs(certifications_by_part(session, key), stored_values(session, key))
    return ledger, inputs


@dataclass(frozen=True, slots=True)
class LedgerQualification:
    product: str
    day: dt.date
    built: LedgerCase
    determination: Determination


def _problems(product: str, messages: Iterable[str]) -> InputError:
    return InputError([Problem("--bom", None, product, message) for message in messages])


def qualify_case(
    ledger: Ledger,
    inputs: LedgerInputs,
    product: str,
    day: dt.date,
    stock: Stock,
    value: GoodValue | None = None,
) -> LedgerQualification:
    """Build the case of ``product`` on ``day`` and decide it; InputError when it cannot be built."""
    try:
        built = ledger_case(ledger, inputs, product, day, stock, agreement_on(day), value=value)
    except LedgerCaseError as exc:
        raise _problems(product, exc.messages) from None
    try:
        result = determine(built.case, lookup=cached_lookup)
    except OriginError as exc:
        raise _problems(product, [str(exc)]) from None
    return LedgerQualification(product, day, built, result)


def qualify_from_ledger(
    db_url: str | None,
    product: str,
    day: dt.date,
    method: str = "fifo",
    transaction_value: Decimal | None = None,
    net_cost: Decimal | None = None,
    company: str = DEFAULT_COMPANY,
) -> LedgerQualification:
    """``immex origin qualify --bom PRODUCT --date D --db URL``."""
    ledger, inputs = load_inputs(db_url, company)
    value = None
    if transaction_value is not None:
        value = GoodValue(transaction_value, net_cost, "the value given (--transaction-value)")
    elif net_cost is not None:
        raise InputError([Problem("--net-cost", None, "", "--net-cost needs --transaction-value")])
    try:
        day_stock = stock(ledger, day, method)
    except ValueError as exc:
        raise InputError([Problem("--method", None, "", str(exc))]) from None
    return qualify_case(ledger, inputs, product, day, day_stock, value)


def _material_lines(q: LedgerQualification) -> list[str]:
    lines = []
    for m in q.built.case.materials:
        kind = (
            "self-produced intermediate"
            if m.intermediate
            else (
                "originating (supplier certification)"
                if m.originating
                else "non-originating (no certification covering the date)"
            )
        )
        lines.append(f"Material {m.id!r} ({m.hs}), value {plain(round_half_up(m.value, 6))}: {kind}.")
    return lines


def qualification_json(q: LedgerQualification) -> dict[str, Any]:
    """The contract's output object; the ledger's valuation notes and materials lead the explanation."""
    out = determination_json(q.determination)
    out["explanation"] = [*q.built.notes, *_material_lines(q), *out["explanation"]]
    return out


def qualification_text(q: LedgerQualification) -> str:
    return "\n".join(
        [
            determination_text(q.determination),
            "ledger:",
            *(f"  - {line}" for line in (*q.built.notes, *_material_lines(q))),
        ]
    )


# --- batch ------------------------------------------------------------------------------------

BATCH_HEADER = (
    "product",
    "hs",
    "description",
    "from",
    "to",
    "verdict",
    "criterion",
    "alternative",
    "reason",
    "rvc_method",
    "rvc_value",
    "rvc_required",
    "margin_points",
    "value_to_replace",
    "headroom",
    "blocking_materials",
    "single_fixes",
    "transaction_value",
    "value_source",
    "citation",
)


def _two(value: Decimal | None) -> Decimal | None:
    return None if value is None else round_half_up(value, 2)


def reason(d: Determination) -> str:
    """The deciding reason in one line."""
    if d.originating and d.criterion == "A":
        return "wholly obtained or produced (criterion A)"
    if d.originating and d.criterion == "C" and d.alternative is None:
        return "every material is originating (criterion C)"
    parts: list[str] = []
    if d.alternative is not None:
        parts.append(f"alternative {d.alternative}")
    if d.shift_required:
        parts.append(
            "tariff shift met"
            if d.shift_met and not d.failing_materials
            else "tariff shift failed by " + ", ".join(d.failing_materials)
        )
    if d.de_minimis_applied:
        parts.append(
            f"de minimis {round_half_up(d.de_minimis_value, 2)}% <= {round_half_up(d.de_minimis_limit, 2)}%"
        )
    if d.rvc is not None and d.rvc.value is not None:
        sign = ">=" if d.rvc.met else "<"
        parts.append(f"RVC {d.rvc.method} {round_half_up(d.rvc.value, 2)}% {sign} {plain(d.rvc.required)}%")
    if d.originating is None:  # contract version 2: what a person must decide
        return "undetermined: " + "; ".join(
            (f"alternative {u.alternative}: " if u.alternative is not None else "") + u.reason
            for u in d.undetermined
        )
    head = f"originating, criterion {d.criterion}" if d.originating else "not originating"
    return head + (": " + "; ".join(parts) if parts else "")


def verdict(d: Determination) -> str:
    """The batch's verdict column: originating / not originating / undetermined."""
    if d.originating is None:
        return "undetermined"
    return "originating" if d.originating else "not originating"


def _gap(s: Sensitivity) -> RvcGap | None:
    """The RVC margin to report: the reported alternative's, else the first alternative with an RVC."""
    d = s.determination
    chosen = [g for g in s.rvc if g.alternative == d.alternative] or list(s.rvc)
    if not chosen:
        return None
    met = [g for g in chosen if g.value is not None and g.value_to_replace == 0]
    return (met or [g for g in chosen if g.value is not None] or chosen)[0]


def batch_row(
    q: LedgerQualification, s: Sensitivity | None, until: dt.date, product_description: str
) -> tuple[Cell, ...]:
    """One row of the batch table; the sensitivity columns are empty when ``s`` is None."""
    d = q.determination
    gap = _gap(s) if s is not None else None
    return (
        q.product,
        str(q.built.case.good.hs),
        product_description,
        q.day,
        until,
        verdict(d),
        d.criterion,
        d.alternative,
        reason(d),
        f"{gap.method} (alternative {gap.alternative})" if gap else None,
        _two(gap.value) if gap else None,
        gap.required if gap else None,
        _two(gap.margin_points) if gap else None,
        _two(gap.value_to_replace) if gap else None,
        _two(gap.headroom) if gap else None,
        " ".join(b.id for b in s.blockers) if s is not None else "",
        " ".join(s.single_fixes) if s is not None else "",
        q.built.value.transaction_value,
        q.built.value.source,
        d.citation,
    )


def error_row(product: str, description: str, day: dt.date, until: dt.date, message: str) -> tuple[Cell, ...]:
    return (
        product,
        "",
        description,
        day,
        until,
        "error",
        None,
        None,
        message,
        None,
        None,
        None,
        None,
        None,
        None,
        "",
        "",
        None,
        "",
        None,
    )


def _reachable(ledger: Ledger, product: str) -> set[str]:
    seen: set[str] = set()
    todo = [product]
    while todo:
        item = todo.pop()
        for version in ledger.boms.get(item, ()):
            for component in version.components:
                if component.component not in seen:
                    seen.add(component.component)
                    todo.append(component.component)
    return seen


def change_dates(
    ledger: Ledger, inputs: LedgerInputs, product: str, start: dt.date, end: dt.date
) -> list[dt.date]:
    """The dates in [start, end] from which the product's origin may change.

    The period start, and every start of a BOM version of the product or of one of its
    subassemblies, and every first day covered or first day no longer covered by a
    supplier certification of one of its materials, inside the period.
    """
    dates = {start}
    one = dt.timedelta(days=1)
    items = _reachable(ledger, product)
    for item in {product, *items}:
        for version in ledger.boms.get(item, ()):
            dates.add(version.valid_from)
            if version.valid_to is not None:
                dates.add(version.valid_to + one)
    for item in items:
        for cert in inputs.certifications.get(item, ()):
            dates.update((cert.valid_from, cert.valid_to + one))
    return sorted(d for d in dates if start <= d <= end)


@dataclass(slots=True)
class BatchResult:
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    goods: int = 0
    originating: int = 0
    not_originating: int = 0
    undetermined: int = 0
    errors: int = 0


def stock(ledger: Ledger, day: dt.date, method: str = "fifo") -> Stock:
    """The stock on ``day``; FIFO replays earlier exports with the vectorized engine (same result)."""
    return stocks(ledger, [day], method)[day]


def stocks(ledger: Ledger, days: Iterable[dt.date], method: str = "fifo") -> dict[dt.date, Stock]:
    """The stock on each of ``days`` from one replay of the earlier exports."""
    return stocks_on(ledger, days, method, run=discharge_fast if method == "fifo" else None)


def _segments(
    ledger: Ledger, inputs: LedgerInputs, product: str, start: dt.date, end: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """(from, to) of each stretch of [start, end] with one set of facts, where the good has a BOM."""
    dates = change_dates(ledger, inputs, product, start, end)
    out = []
    for i, day in enumerate(dates):
        until = dates[i + 1] - dt.timedelta(days=1) if i + 1 < len(dates) else end
        if ledger.bom_on(product, day) is not None:
            out.append((day, until))
    return out


def _product_rows(
    ledger: Ledger,
    inputs: LedgerInputs,
    stocks: dict[dt.date, Stock],
    product: str,
    segments: list[tuple[dt.date, dt.date]],
    with_sensitivity: bool,
) -> list[tuple[tuple[Cell, ...], str]]:
    """Rows of one good, one per change date, each with its verdict."""
    description = ledger.parts[product].description
    out: list[tuple[tuple[Cell, ...], str]] = []
    for day, until in segments:
        try:
            q = qualify_case(ledger, inputs, product, day, stocks[day])
            s = sensitivity(q.built.case, lookup=cached_lookup) if with_sensitivity else None
        except InputError as exc:
            message = "; ".join(p.message for p in exc.problems)
            out.append((error_row(product, description, day, until, message), "error"))
            continue
        except OriginError as exc:
            out.append((error_row(product, description, day, until, str(exc)), "error"))
            continue
        out.append((batch_row(q, s, until, description), verdict(q.determination)))
    return out


# The batch shared with forked workers: (ledger, inputs, stocks, with_sensitivity).
_SHARED: tuple[Ledger, LedgerInputs, dict[dt.date, Stock], bool] | None = None


def _worker(job: tuple[str, list[tuple[dt.date, dt.date]]]) -> list[tuple[tuple[Cell, ...], str]]:
    assert _SHARED is not None
    ledger, inputs, stocks, with_sensitivity = _SHARED
    return _product_rows(ledger, inputs, stocks, job[0], job[1], with_sensitivity)


def batch_rows(
    ledger: Ledger,
    inputs: LedgerInputs,
    start: dt.date,
    end: dt.date,
    method: str = "fifo",
    progress: Progress = QUIET,
    workers: int = 1,
    with_sensitivity: bool = True,
    given: dict[dt.date, Stock] | None = None,
) -> BatchResult:
    """Qualify every finished good with a BOM version in [start, end], from each change date on.

    Goods are independent: with ``workers`` > 1 they are shared out to forked processes
    (the ledger is inherited, only the rows come back); the rows are the same and in the
    same order as with one worker.
    """
    global _SHARED
    finished = sorted(name for name, part in ledger.parts.items() if part.kind == "finished")
    progress.phase("finding the change dates of the finished goods", total=len(finished), unit="goods")
    jobs = []
    for product in counted(finished, progress, every=1):
        segments = _segments(ledger, inputs, product, start, end)
        if segments:
            jobs.append((product, segments))
    known = dict(given or {})  # given stocks must be of this ledger and method
    progress.phase("valuing the lots on each change date")
    known.update(stocks(ledger, {d for _, segments in jobs for d, _ in segments} - known.keys(), method))
    result = BatchResult(goods=len(jobs))
    progress.phase("qualifying finished goods", total=len(jobs), unit="goods")
    if workers > 1 and len(jobs) > 1 and "fork" in mp.get_all_start_methods():
        _SHARED = (ledger, inputs, known, with_sensitivity)
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                chunks = pool.imap(_worker, jobs, chunksize=max(1, min(200, len(jobs) // (workers * 8) or 1)))
                parts = []
                for rows in chunks:
                    parts.append(rows)
                    progress.advance()
        finally:
            _SHARED = None
    else:
        parts = []
        for product, segments in jobs:
            parts.append(_product_rows(ledger, inputs, known, product, segments, with_sensitivity))
            progress.advance()
    for rows in parts:
        for row, kind in rows:
            result.rows.append(row)
            if kind == "originating":
                result.originating += 1
            elif kind == "not originating":
                result.not_originating += 1
            elif kind == "undetermined":
                result.undetermined += 1
            else:
                result.errors += 1
    return result


def run_batch(
    db_url: str | None,
    start: dt.date,
    end: dt.date,
    output: Path,
    method: str = "fifo",
    company: str = DEFAULT_COMPANY,
    progress: Progress = QUIET,
    workers: int = 1,
) -> BatchResult:
    """``immex origin batch``: a table of verdicts (CSV or XLSX by the output's suffix)."""
    problems = []
    if end < start:
        problems.append(Problem("--to", None, "", f"--to {end} is before --from {start}"))
    if output.suffix.lower() not in (".csv", ".xlsx"):
        problems.append(Problem("--output", None, "", "the output file must end in .csv or .xlsx"))
    if problems:
        raise InputError(problems)
    progress.phase("loading the stored ledger")
    ledger, inputs = load_inputs(db_url, company)
    try:
        result = batch_rows(ledger, inputs, start, end, method, progress, workers=workers)
    except ValueError as exc:
        raise InputError([Problem("--method", None, "", str(exc))]) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    progress.phase(f"writing {output.name}", total=len(result.rows), unit="rows")
    rows = counted(result.rows, progress)
    if output.suffix.lower() == ".csv":
        write_csv(output, BATCH_HEADER, rows)
    else:
        write_xlsx(output, {"origin": (BATCH_HEADER, rows)})
    return result


# --- certification of origin ------------------------------------------------------------------

_PARTY_KEYS = {"name", "title", "address", "country", "email", "phone", "tax_id"}
_PARTIES_KEYS = {"certifier", "exporter", "producer", "importer", "signed_by"}


def read_parties(path: Path) -> tuple[dict[str, Party | None], str, str]:
    """The parties file: certifier, exporter, producer (or a note), importer, signed_by."""
    name = path.name
    try:
        data = read_json(path)
    except JsonFileError as exc:
        raise InputError([Problem(name, None, "", str(exc))]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(name, None, "", "the parties file must hold a JSON object")])
    problems = [Problem(name, None, key, "unknown field") for key in sorted(set(data) - _PARTIES_KEYS)]
    parties: dict[str, Party | None] = {}
    producer_note = ""
    for role in ("certifier", "exporter", "producer", "importer"):
        raw = data.get(role)
        if raw is None:
            parties[role] = None
            if role == "certifier":
                problems.append(Problem(name, None, role, "the certifier is required"))
            continue
        if role == "producer" and isinstance(raw, str):
            parties[role], producer_note = None, raw.strip()
            continue
        if not isinstance(raw, dict):
            problems.append(Problem(name, None, role, "must be an object with name, address, country, ..."))
            continue
        problems.extend(
            Problem(name, None, f"{role}.{k}", "unknown field") for k in sorted(set(raw) - _PARTY_KEYS)
        )
        parties[role] = Party(**{k: str(v).strip() for k, v in raw.items() if k in _PARTY_KEYS})
    signed_by = str(data.get("signed_by") or "").strip()
    if problems:
        raise InputError(problems)
    return parties, producer_note, signed_by


def certify_goods(
    ledger: Ledger,
    inputs: LedgerInputs,
    products: list[str],
    start: dt.date,
    end: dt.date,
    kind: str,
    method: str = "fifo",
    invoice: str = "",
) -> list[CertifiedGood]:
    """Qualify each product on every date of the period where its origin may change; all must be
    originating with one criterion, else InputError says on which dates and why."""
    problems: list[Problem] = []
    goods: list[CertifiedGood] = []
    when = {p: [start] if kind == "single" else change_dates(ledger, inputs, p, start, end) for p in products}
    try:
        on = stocks(ledger, {d for dates in when.values() for d in dates}, method)
    except ValueError as exc:
        raise InputError([Problem("--method", None, "", str(exc))]) from None
    for product, dates in when.items():
        try:
            verdicts = [qualify_case(ledger, inputs, product, day, on[day]) for day in dates]
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        # never certify a good that is not originating, nor one whose origin is undetermined
        failing = [q for q in verdicts if q.determination.originating is not True]
        for q in failing:
            problems.append(
                Problem(
                    "--product",
                    None,
                    product,
                    f"{verdict(q.determination)} from {q.day.isoformat()}: {reason(q.determination)}",
                )
            )
        criteria = {q.determination.criterion for q in verdicts}
        if failing:
            continue
        if len(criteria) > 1:
            changes = ", ".join(f"{q.day.isoformat()}: {q.determination.criterion}" for q in verdicts)
            problems.append(
                Problem(
                    "--product",
                    None,
                    product,
                    f"the origin criterion changes within the period ({changes}); issue one "
                    "certification per period with one criterion",
                )
            )
            continue
        first = verdicts[0]
        hs = first.built.case.good.hs
        goods.append(
            CertifiedGood(
                product,
                ledger.parts[product].description or product,
                f"{hs.at(4)}.{hs.at(6)[4:]}",
                first.determination.criterion or "",
                invoice,
            )
        )
    if problems:
        raise InputError(problems)
    return goods


def issue_certificate(
    db_url: str | None,
    products: list[str],
    start: dt.date,
    end: dt.date | None,
    certifier_type: str,
    parties_file: Path,
    output: Path,
    signed_on: dt.date,
    signed_by: str = "",
    invoice: str = "",
    method: str = "fifo",
    company: str = DEFAULT_COMPANY,
) -> tuple[Certificate, Path, Path]:
    """``immex origin certificate``: qualify, check the nine data elements, write PDF + JSON, store.

    Blanket when ``end`` is given (``start``..``end``, at most 12 months), else a single
    shipment on ``start``. The certificate is stored with ``retention_until`` =
    ``signed_on`` + 5 years (USMCA Art. 5.8).
    """
    if agreement_on(start) != "USMCA":
        raise InputError(
            [
                Problem(
                    "--from",
                    None,
                    "",
                    f"{start} is under {agreement_on(start)}: only USMCA "
                    "certifications of origin (Annex 5-A) are issued",
                )
            ]
        )
    parties, producer_note, file_signer = read_parties(parties_file)
    kind: CertificateKind = "single" if end is None else "blanket"
    ledger, inputs = load_inputs(db_url, company)
    goods = certify_goods(ledger, inputs, products, start, end or start, kind, method, invoice)
    certifier = parties["certifier"]
    assert certifier is not None
    with UnitOfWork(db_url, write=True, company=company) as uow:
        session = uow.session
        key = company_id(session, company, create=False)
        prefix = f"{company.upper()}-CO-{signed_on:%Y%m%d}-"
        taken = (
            session.scalar(
                select(func.count())
                .select_from(CertificateRow)
                .where(CertificateRow.number.like(f"{prefix}%"))
            )
            or 0
        )
        cert = Certificate(
            f"{prefix}{taken + 1:03d}",
            "USMCA",
            kind,
            certifier_type,
            certifier,
            parties.get("exporter"),
            parties.get("producer"),
            parties.get("importer"),
            tuple(goods),
            start,
            end or start,
            signed_by or file_signer or certifier.name,
            signed_on,
            producer_note,
        )
        problems = certificate_problems(cert)
        if problems:
            raise InputError([Problem("certificate", None, field, message) for field, message in problems])
        document = certificate_document(cert)
        pdf = render_certificate(document)
        output.mkdir(parents=True, exist_ok=True)
        pdf_path, json_path = output / f"{cert.number}.pdf", output / f"{cert.number}.json"
        write_bytes_atomic(pdf_path, pdf)  # each file whole or not at all; the JSON record last
        write_bytes_atomic(json_path, (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode())
        session.add(
            CertificateRow(
                company_id=key,
                number=cert.number,
                product=" ".join(products),
                kind=kind,
                period_from=cert.period_from,
                period_to=cert.period_to,
                signed_on=signed_on,
                certifier_type=certifier_type,
                criterion="".join(sorted({g.criterion for g in goods})),
                hs=" ".join(g.hs for g in goods),
                retention_until=cert.retention_until,
                document=document,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            )
        )
    return cert, pdf_path, json_path


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    number: str
    product: str
    kind: str
    period_from: dt.date
    period_to: dt.date
    criterion: str
    signed_on: dt.date
    retention_until: dt.date
    pdf_sha256: str


def issued_certificates(db_url: str | None, company: str = DEFAULT_COMPANY) -> list[IssuedCertificate]:
    """The certifications of origin issued and kept in the store, oldest first."""
    with UnitOfWork(db_url, company=company) as uow:
        session = uow.session
        try:
            key = company_id(session, company, create=False)
        except LookupError:
            return []
        rows = session.scalars(
            select(CertificateRow).where(CertificateRow.company_id == key).order_by(CertificateRow.id)
        )
        return [
            IssuedCertificate(
                r.number,
                r.product,
                r.kind,
                r.period_from,
                r.period_to,
                r.criterion,
                r.signed_on,
                r.retention_until,
                r.pdf_sha256,
            )
            for r in rows
        ]
