"""How fast the web tables answer on a large stored ledger (not a test: a measurement).

    python3 -m tests.web.measure_tables --imports 50000 --exports 50000 [--postgres]

Generates the ledger of ``benchmarks/bench_discharge.py`` (generate: raw parts, two BOM
levels), stores it through the API's own use case into a new SQLite store (or a database
on a throw-away local PostgreSQL cluster, as the benchmarks start it), discharges it
(FIFO), then asks the pages for the first page, the next page and filtered pages of each
table, both traces and the panel, each several times over HTTP (the ASGI app in process, as
``immex serve`` runs it), and prints the median and the slowest answer of each; the panel
twice: as kept between answers, and built afresh each time (its cache emptied).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _timed(client: TestClient, url: str, times: int, fresh: bool = False) -> tuple[float, float, str]:
    """Median and slowest of ``times`` answers; ``fresh``: the panel's cache emptied before each."""
    from immex.web import data

    seconds, text = [], ""
    for _ in range(times):
        if fresh:
            data._PANELS.clear()
        started = time.perf_counter()
        answer = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
        text = answer.text
    return statistics.median(seconds), max(seconds), text


def _stored(folder: Path, imports: int, exports: int, url: str) -> tuple[Any, str, str]:
    from bench_discharge import AS_OF, generate

    from immex.api import companies, users, work
    from immex.api.app import create_app
    from immex.core.progress import QUIET
    from immex.store.db import open_database

    ledger = folder / "ledger"
    generate(ledger, imports, exports, seed=7)
    open_database(url).dispose()
    app = create_app(url, files=folder / "files")
    rfc, password = "ACM010101AB0", "a long enough password"
    with Session(app.state.store.engine) as session, session.begin():
        users.add_user(session, "ana@example.mx", "analyst", password, [rfc], "measure")
        companies.create(session, {"rfc": rfc, "name": "Acme"}, "measure")
    with Session(app.state.store.engine) as session:
        firm = companies.find(session, rfc)
    assert firm is not None
    started = time.perf_counter()
    counts = work.store_upload(app.state.store, firm, ledger, ledger, "measure")
    print(f"stored {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    work.discharge_stored(app.state.store, firm, "fifo", AS_OF, folder / "run", QUIET, "measure")
    print(f"discharged in {time.perf_counter() - started:.0f} s", flush=True)
    return app, rfc, AS_OF.isoformat()


def _log_in(client: TestClient) -> None:
    token = re.search(r'name="csrf" value="([^"]*)"', client.get("/login").text)
    assert token
    data = {"csrf": token.group(1), "email": "ana@example.mx", "password": "a long enough password"}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def _urls(client: TestClient, rfc: str, as_of: str, app: Any) -> list[tuple[str, str]]:
    from immex.ledger.orm import AllocationRow, ExportLineRow, ImportLineRow, PedimentoRow

    with Session(app.state.store.engine) as session:
        lot = session.execute(
            select(PedimentoRow.number, ImportLineRow.line, ImportLineRow.part)
            .join(ImportLineRow, ImportLineRow.pedimento_id == PedimentoRow.id)
            .join(AllocationRow, AllocationRow.import_line_id == ImportLineRow.id)
            .order_by(ImportLineRow.id.desc())
            .limit(1)
        ).one()
        out = session.execute(
            select(PedimentoRow.number, ExportLineRow.line)
            .join(ExportLineRow, ExportLineRow.pedimento_id == PedimentoRow.id)
            .order_by(ExportLineRow.id.desc())
            .limit(1)
        ).one()
    base = f"/c/{rfc}"
    first = client.get(f"{base}/t/balances?as_of={as_of}").text
    following = re.search(r'<a class="next" href="([^"]+)"', first)
    assert following, "the first page of balances has no next page"
    return [
        ("balances, first page", f"{base}/t/balances?as_of={as_of}"),
        ("balances, next page", following.group(1).replace("&amp;", "&")),
        ("balances, status=overdue", f"{base}/t/balances?status=overdue&as_of={as_of}"),
        ("balances, status=discharged", f"{base}/t/balances?status=discharged&as_of={as_of}"),
        ("balances, part", f"{base}/t/balances?part={lot.part}&as_of={as_of}"),
        ("balances, pedimento", f"{base}/t/balances?pedimento={lot.number}&as_of={as_of}"),
        ("allocations, first page", f"{base}/t/allocations"),
        ("allocations, import pedimento", f"{base}/t/allocations?import_pedimento={lot.number}"),
        ("allocations, part", f"{base}/t/allocations?part={lot.part}"),
        ("shortfalls, first page", f"{base}/t/shortfalls"),
        ("export line → lots", f"{base}/exports/{out.number}/{out.line}"),
        ("lot → export lines", f"{base}/imports/{lot.number}/{lot.line}"),
        ("panel, kept (the second answer on)", f"{base}?as_of={as_of}"),
    ]


FRESH = "panel, built (its cache emptied before each answer)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", type=int, default=50_000)
    parser.add_argument("--exports", type=int, default=50_000)
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="a local PostgreSQL instead of SQLite")
    args = parser.parse_args()
    import pytest
    from argon2 import PasswordHasher, profiles

    from immex.api import security

    patch = pytest.MonkeyPatch()  # a cheap password hash: the login is not what is measured
    patch.setattr(security, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
    patch.setattr(security, "_DUMMY_HASH", security._HASHER.hash("dummy"))
    with tempfile.TemporaryDirectory(prefix="immex-web-measure-") as folder, ExitStack() as stack:
        url = f"sqlite:///{Path(folder) / 'immex.db'}"
        if args.postgres:
            from bench_api import fresh_database, postgres

            url = fresh_database(stack.enter_context(postgres(None)))[0]
        app, rfc, as_of = _stored(Path(folder), args.imports, args.exports, url)
        store = "PostgreSQL" if args.postgres else "SQLite"
        with TestClient(app) as client:
            _log_in(client)
            lines = f"{args.imports:,} import + {args.exports:,} export lines"
            print(f"| page ({lines}, {store}) | median s | max s |")
            print("| --- | --- | --- |")
            for label, url in _urls(client, rfc, as_of, app):
                median, slowest, _ = _timed(client, url, args.times)
                print(f"| {label} | {median:.3f} | {slowest:.3f} |", flush=True)
            cpu = time.process_time()
            median, slowest, _ = _timed(client, f"/c/{rfc}?as_of={as_of}", args.times, fresh=True)
            cpu = (time.process_time() - cpu) / args.times
            print(f"| {FRESH} | {median:.3f} | {slowest:.3f} |", flush=True)
            print(f"\nthe panel built: {cpu:.3f} s of this process's CPU an answer (the server's")
            print("share; on PostgreSQL the database's own work is in its processes)", flush=True)


if __name__ == "__main__":
    main()
