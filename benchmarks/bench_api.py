"""Load test of the REST API on loopback: p50/p95/p99 of the balances list and an export trace.

    python3 benchmarks/bench_api.py [--lines 10000 100000] [--users 20] [--requests 200]
                                    [--time-limit 120] [--workers 2] [--endpoints balances trace ...]
                                    [--pg-url URL [--keep] | --cluster DIR]
                                    [--write benchmarks/results/api.md]

The figures of record, in one command (the first run loads the ledgers, about half an hour
for the million lines on 2 cores; later runs reuse them):

    python3 benchmarks/bench_api.py --cluster /var/tmp/immex-bench-pg --lines 10000 100000 1000000 \
        --endpoints balances balances-page trace trace-import --write benchmarks/results/api.md

For each ledger size the script, all on 127.0.0.1:

1. starts a throw-away PostgreSQL cluster with the Debian binaries, as the tests do
   (the helpers of ``tests/conftest.py``), or uses ``--pg-url`` (a server URL; a fresh
   database is created on it for each size; with ``--keep`` the database ``bench_api_LINES``
   is kept and a later run reuses it instead of loading again: a million lines take long to
   store and discharge), or ``--cluster DIR``: a cluster of its own kept in DIR, created the
   first time and started for the run, whose databases are kept and reused as with ``--keep``;
2. generates a FIFO ledger with ``generate()`` of ``bench_discharge.py`` (``--lines`` counts
   import lines + export lines, half each; seed 20261123), creates the company and stores
   the ledger through the API's own use cases (``companies.create``, ``work.store_upload``:
   the company's unit of work and invariants), then discharges it with
   ``work.discharge_stored`` (what ``POST /runs`` runs), so balances and traces have a run;
3. creates an analyst with ``immex user add --password-stdin``, starts
   ``immex serve --workers N`` in a subprocess and logs in over HTTP;
4. runs a bounded asyncio client: ``--users`` concurrent users, each on its own kept-alive
   HTTP/1.1 connection, answers read by ``httptools`` on ``uvloop`` (``--client httpx``:
   httpx.AsyncClient, several times the client's CPU per request), share
   ``--requests`` requests per endpoint (a fixed list, the trace ones on export lines drawn
   with the seed), each with its own timeout, the whole phase under ``--time-limit``
   seconds; requests not finished by then are counted as unfinished, never dropped silently.

Endpoints (``--endpoints``, see ``ENDPOINTS``): the first page of ``GET .../balances``, a
page after a random import line's key, the first page with ``status=open``, and the traces
``GET .../exports/{pedimento}/{line}/trace`` and ``.../imports/{pedimento}/{line}/trace`` of
random lines. The table gives the latency percentiles over every request of a phase, every
outcome other than 200 by kind, the server's CPU time per request (every ``immex serve``
process, from ``/proc``: what a request costs whatever the machine's load), PostgreSQL's
(every process of a cluster this script started; not measured with ``--pg-url``), the
client's own CPU time per request (it shares the cores with the server and PostgreSQL) and
the machine's load average when the phase ended. The last line says whether the goal (p95 under 200 ms
with 20 users) is met at the largest size.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]  # bench_discharge's generator; the tests' PostgreSQL helpers

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

RFC = "ACM010101AB0"
EMAIL = "bench@example.mx"
PASSWORD = "load-test password 2026"
AS_OF = dt.date(2026, 11, 23)
SEED = 20261123


# ---- PostgreSQL and the stored ledger ---------------------------------------------------------


# The cluster's settings for a read-only measurement on a machine of a few GB (the loads write
# much: no fsync, as the tests' clusters).
# The PostgreSQL server started here (its processes' CPU is measured); None with --pg-url.
POSTMASTER: int | None = None

PG_SETTINGS = "-c shared_buffers=1GB -c fsync=off -c synchronous_commit=off -c max_connections=200"


@contextmanager
def postgres(given: str | None, kept: Path | None = None) -> Iterator[str]:
    """A PostgreSQL server URL on loopback: ``given``; or the cluster kept in ``kept`` (created
    when absent), started for the run; or a throw-away cluster. A cluster started here stops
    at the end."""
    if given:
        yield given
        return
    from tests.conftest import _as_postgres_user, _free_port, _pg_bindir

    bindir = _pg_bindir()
    if bindir is None:
        sys.exit("PostgreSQL binaries not found: install postgresql (see .ci/run)")
    workdir = kept or Path(tempfile.mkdtemp(prefix="immex-bench-pg-"))
    datadir = workdir / "data"
    if not datadir.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(workdir, "postgres", "postgres")
        initdb = [str(bindir / "initdb"), "-D", str(datadir), "-U", "immex", "--auth=trust", "-E", "UTF8"]
        subprocess.run(_as_postgres_user([*initdb, "--no-locale"]), check=True, capture_output=True)
    port = _free_port()
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir} {PG_SETTINGS}"
    ctl = [str(bindir / "pg_ctl"), "-D", str(datadir)]
    start = [*ctl, "-o", opts, "-l", str(workdir / "log"), "-w", "start"]
    subprocess.run(_as_postgres_user(start), check=True, capture_output=True)
    try:
        global POSTMASTER
        POSTMASTER = int((datadir / "postmaster.pid").read_text().split()[0])
        yield f"postgresql+psycopg://immex@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres_user([*ctl, "-m", "fast", "stop"]), capture_output=True)
        if kept is None:
            shutil.rmtree(workdir, ignore_errors=True)


def fresh_database(server: str, name: str | None = None) -> tuple[str, bool]:
    """A new database on the server; with ``name``, that one if it exists (True: reused)."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = (
            name is not None
            and conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        )
        name = name or f"bench_api_{uuid.uuid4().hex[:8]}"
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server.rpartition('/')[0]}/{name}", bool(exists)


def stored_exports(db_url: str) -> list[tuple[str, int]]:
    """The export lines of a database loaded earlier (``--keep``), to draw traces from."""
    engine = create_engine(db_url)
    query = (
        "SELECT p.number, e.line FROM export_line e JOIN pedimento p ON p.id = e.pedimento_id ORDER BY e.id"
    )
    with engine.connect() as conn:
        found = [(str(n), int(line)) for n, line in conn.execute(text(query))]
    engine.dispose()
    return found


def stored_imports(db_url: str) -> list[tuple[str, int, str]]:
    engine = create_engine(db_url)
    query = (
        "SELECT p.number, i.line, i.part FROM import_line i JOIN pedimento p ON p.id = i.pedimento_id "
        "ORDER BY i.id"
    )
    with engine.connect() as conn:
        found = [(str(n), int(line), str(part)) for n, line, part in conn.execute(text(query))]
    engine.dispose()
    return found


@dataclass
class Loaded:
    db_url: str
    exports: list[tuple[str, int]]
    timings: dict[str, float] = field(default_factory=dict)
    allocations: int = 0
    reused: bool = False
    imports: list[tuple[str, int, str]] = field(default_factory=list)


def _drop_unimported_returns(folder: Path) -> None:
    """Drop the returns of raw parts the generator never imported (few, on small ledgers).

    ``generate()`` draws returned raw parts from every raw part; at a few thousand import
    lines some were never imported, which the intake rightly refuses.
    """
    import polars as pl

    imported = pl.read_csv(folder / "imports.csv", infer_schema=False)["part"].unique()
    exports = pl.read_csv(folder / "exports.csv", infer_schema=False)
    raw = pl.col("product").str.starts_with("R")
    exports.filter(~raw | pl.col("product").is_in(imported.implode())).write_csv(folder / "exports.csv")


def load_ledger(db_url: str, lines: int, work: Path) -> Loaded:
    """Generate the ledger, store it for the company and discharge it through the API's use cases."""
    from bench_discharge import generate

    from immex.api import companies
    from immex.api import work as api_work
    from immex.api.store import Store
    from immex.core.progress import Progress

    loaded = Loaded(db_url, [])
    t = time.perf_counter()
    generate(work / "ledger", lines // 2, lines - lines // 2, SEED)
    _drop_unimported_returns(work / "ledger")
    loaded.timings["generate"] = time.perf_counter() - t
    with (work / "ledger" / "exports.csv").open(encoding="utf-8", newline="") as handle:
        loaded.exports = [(row["pedimento"], int(row["line"])) for row in csv.DictReader(handle)]
    store = Store(db_url)
    try:
        with store.writing() as session:
            companies.create(session, {"rfc": RFC, "name": "Bench Maquila"}, "bench")
            company = companies.find(session, RFC)
        assert company is not None
        t = time.perf_counter()
        api_work.store_upload(store, company, work / "ledger", work / "ledger", "bench")
        loaded.timings["store"] = time.perf_counter() - t
        t = time.perf_counter()
        run = api_work.discharge_stored(store, company, "fifo", AS_OF, work / "run", Progress(), "bench")
        loaded.timings["discharge"] = time.perf_counter() - t
        loaded.allocations = int(run.get("counts", {}).get("allocations", 0) or 0)
    finally:
        store.close()
    analyze(db_url)
    return loaded


def analyze(db_url: str) -> None:
    """Table statistics after the bulk load (what autovacuum does soon after one), for the planner."""
    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


# ---- the server ---------------------------------------------------------------------------------


@contextmanager
def server(db_url: str, files: Path, workers: int | None = None) -> Iterator[tuple[str, int]]:
    """``immex user add`` then ``immex serve`` on 127.0.0.1; yields the base URL once healthy."""
    env = {**os.environ, "IMMEX_DB": db_url, "IMMEX_FILES": str(files)}
    add = ["immex", "user", "add", EMAIL, "--role", "analyst", "--company", RFC, "--password-stdin"]
    added = subprocess.run(add, input=PASSWORD + "\n", text=True, env=env, capture_output=True)
    if added.returncode not in (0, 2) or (
        added.returncode == 2 and "exists" not in added.stderr + added.stdout
    ):
        raise SystemExit(f"immex user add failed: {added.stderr or added.stdout}")
    from tests.conftest import _free_port

    port = _free_port()
    log = (files / "serve.log").open("w")
    process = subprocess.Popen(
        ["immex", "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ([] if workers is None else ["--workers", str(workers)]),
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"immex serve did not start; see {files / 'serve.log'}")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# ---- the client ---------------------------------------------------------------------------------


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it (uvicorn's workers are children of its supervisor)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def server_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by the server's processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in _descendants(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, answers with status 200
    errors: dict[str, int] = field(default_factory=dict)  # status code or exception name → count
    unfinished: int = 0
    wall: float = 0.0
    load: str = ""  # the machine's load average (1, 5, 15 min) when the phase ended
    cpu: float = 0.0  # CPU seconds the server's processes used during the phase
    client_cpu: float = 0.0  # CPU seconds this client used during the phase (it shares the cores)
    pg_cpu: float | None = None  # CPU seconds of PostgreSQL's processes (a cluster started here)


class _Answer:
    """httptools' callbacks for one response on a kept-alive connection: the status, the
    body's length, whether it is complete (the body itself is not kept: it is not checked)."""

    def __init__(self) -> None:
        self.complete = False
        self.length = 0

    def on_body(self, body: bytes) -> None:
        self.length += len(body)

    def on_message_complete(self) -> None:
        self.complete = True


async def _lean_user(
    host: str, port: int, request_head: bytes, queue: asyncio.Queue[str], outcome: Outcome, timeout: float
) -> None:
    """One user on one kept-alive HTTP/1.1 connection: send, read the answer with httptools
    (the C parser uvicorn uses), send the next. About a tenth of httpx's CPU per request:
    the client shares the machine's cores with the server and PostgreSQL."""
    import httptools

    reader, writer = await asyncio.open_connection(host, port)
    try:
        while not queue.empty():
            path = queue.get_nowait()
            answer = _Answer()
            parser = httptools.HttpResponseParser(answer)
            start = time.perf_counter()
            try:
                writer.write(b"GET " + path.encode() + request_head)
                async with asyncio.timeout(timeout):
                    while not answer.complete:
                        data = await reader.read(65536)
                        if not data:
                            raise ConnectionResetError("the server closed the connection")
                        parser.feed_data(data)
            except (OSError, TimeoutError, httptools.HttpParserError) as error:
                key = type(error).__name__
                outcome.errors[key] = outcome.errors.get(key, 0) + 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)  # a fresh connection
                continue
            status = parser.get_status_code()
            if status == 200:
                outcome.latencies.append(time.perf_counter() - start)
            else:
                outcome.errors[str(status)] = outcome.errors.get(str(status), 0) + 1
            if not parser.should_keep_alive():
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _httpx_user(
    client: httpx.AsyncClient, headers: dict[str, str], queue: asyncio.Queue[str], outcome: Outcome
) -> None:
    while not queue.empty():
        path = queue.get_nowait()
        start = time.perf_counter()
        try:
            response = await client.get(path, headers=headers)
        except httpx.HTTPError as error:
            key = type(error).__name__
            outcome.errors[key] = outcome.errors.get(key, 0) + 1
            continue
        if response.status_code == 200:
            outcome.latencies.append(time.perf_counter() - start)
        else:
            key = str(response.status_code)
            outcome.errors[key] = outcome.errors.get(key, 0) + 1


async def _drive(
    base: str, token: str, paths: list[str], users: int, timeout: float, limit: float, lean: bool = True
) -> Outcome:
    """``users`` closed-loop users share ``paths`` (each sends its next request when its answer
    is read), the phase bounded by ``limit`` seconds."""
    outcome = Outcome()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    url = httpx.URL(base)
    host, port = url.host, url.port or 80
    head = f" HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        start = time.perf_counter()
        if lean:
            work = [_lean_user(host, port, head, queue, outcome, timeout) for _ in range(users)]
        else:
            headers = {"Authorization": f"Bearer {token}"}
            work = [_httpx_user(client, headers, queue, outcome) for _ in range(users)]
        tasks = [asyncio.create_task(w) for w in work]
        _done, pending = await asyncio.wait(tasks, timeout=limit)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        outcome.wall = time.perf_counter() - start
    finished = len(outcome.latencies) + sum(outcome.errors.values())
    outcome.unfinished = len(paths) - finished
    outcome.load = _loadavg()
    return outcome


def _postgres_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL server started here (None: not started here).

    The backends that ended meanwhile are not counted (the server keeps its connections)."""
    return None if POSTMASTER is None else server_cpu(POSTMASTER)


def _run(drive: Coroutine[Any, Any, Outcome]) -> Outcome:
    """The phase on uvloop (the event loop ``immex serve`` uses, cheaper than asyncio's own)."""
    import uvloop

    return uvloop.run(drive)


def login(base: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


def _ms(value: float) -> str:
    return "fail" if math.isinf(value) else f"{value:,.0f}"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (the value below which p % of the answers fall)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


ENDPOINTS = {
    "balances": "first page of balances (limit=100)",
    "balances-page": "a page of balances after a random import line (a cursor of that line's key)",
    "balances-open": "first page of balances with status=open",
    "trace": "exports/{pedimento}/{line}/trace of a random export line",
    "trace-import": "imports/{pedimento}/{line}/trace of a random import line",
}


def endpoint_paths(kind: str, loaded: Loaded, count: int) -> list[str]:
    company = f"/api/v1/companies/{RFC}"
    rng = random.Random(SEED)
    if kind == "balances":
        return [f"{company}/balances?limit=100&as_of={AS_OF}"] * count
    if kind == "balances-open":
        return [f"{company}/balances?limit=100&as_of={AS_OF}&status=open"] * count
    if kind == "balances-page":
        from immex.api.listing import key_cursor

        keys = [rng.choice(loaded.imports) for _ in range(count)]
        cursors = [key_cursor("balances", key) for key in keys]
        return [f"{company}/balances?limit=100&as_of={AS_OF}&cursor={c}" for c in cursors]
    if kind == "trace-import":
        lots = [rng.choice(loaded.imports) for _ in range(count)]
        return [f"{company}/imports/{ped}/{line}/trace" for ped, line, _part in lots]
    picks = [rng.choice(loaded.exports) for _ in range(count)]
    return [f"{company}/exports/{ped}/{line}/trace" for ped, line in picks]


@dataclass
class Row:
    lines: int
    endpoint: str
    users: int
    requests: int
    outcome: Outcome


def measure(base: str, pid: int, loaded: Loaded, args: argparse.Namespace) -> list[Row]:
    token = login(base)
    rows = []
    for kind in args.endpoints:
        # warm-up, unmeasured: two requests per user, all users at once, so that the server's
        # pools hold their connections and each connection has prepared the endpoint's
        # statements, as on a server that has been up a while (one request warmed one
        # connection: the measured phase then paid PostgreSQL's start of ~20 backends and the
        # first plan of each statement on each)
        warm = endpoint_paths(kind, loaded, 2 * args.users)
        _run(_drive(base, token, warm, args.users, args.timeout, args.time_limit, args.client == "lean"))
        # one user first: the cost of one request with nothing queued before it
        for users, count in ((1, args.single), (args.users, args.requests)):
            if count <= 0:
                continue
            paths = endpoint_paths(kind, loaded, count)
            before, pg_before = server_cpu(pid), _postgres_cpu()
            mine = time.process_time()
            drive = _drive(base, token, paths, users, args.timeout, args.time_limit, args.client == "lean")
            outcome = _run(drive)
            outcome.client_cpu = time.process_time() - mine
            outcome.cpu = server_cpu(pid) - before
            outcome.pg_cpu = None if pg_before is None else (_postgres_cpu() or 0.0) - pg_before
            rows.append(Row(0, kind, users, len(paths), outcome))
            print(kind, users, summary(outcome), flush=True)
    return rows


def summary(outcome: Outcome) -> str:
    ok = outcome.latencies
    if not ok:
        return f"no answer with 200; errors {outcome.errors}, unfinished {outcome.unfinished}"
    ms = [1000 * v for v in ok]
    return (
        f"{len(ok)} ok, p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
        f"p99 {percentile(ms, 99):.0f} ms, errors {outcome.errors}, unfinished {outcome.unfinished}, "
        f"server CPU {_cpu_per_request(outcome)} ms/request, "
        f"client CPU {_cpu_per_request(outcome, outcome.client_cpu)} ms/request, "
        f"PostgreSQL CPU {'-' if outcome.pg_cpu is None else _cpu_per_request(outcome, outcome.pg_cpu)}"
    )


def _cpu_per_request(outcome: Outcome, cpu: float | None = None) -> str:
    answered = len(outcome.latencies) + sum(outcome.errors.values())
    spent = outcome.cpu if cpu is None else cpu
    return f"{1000 * spent / answered:.1f}" if answered else "-"


# ---- the table ----------------------------------------------------------------------------------


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _workers(args: argparse.Namespace) -> str:
    if args.workers is not None:
        return f"--workers {args.workers}"
    return f"(its default on PostgreSQL: {os.cpu_count()} worker processes, one per core)"


def table(rows: list[Row], loads: dict[int, Loaded], args: argparse.Namespace, command: str) -> str:
    out = [
        "# REST API load test (PostgreSQL, loopback)",
        "",
        f"Command: `{command}` (seed {SEED}; as of {AS_OF}).",
        "",
        f"Machine: {os.cpu_count()} cores shared with other engineers' jobs; PostgreSQL, server and "
        f"client on the same machine; `immex serve {_workers(args)}`; {args.users} concurrent "
        f"users (asyncio, `--client {args.client}`) sharing {args.requests} requests per endpoint "
        f"and size, after an unmeasured warm-up (2 requests per user, all users at once: the "
        f"pools full and their statements prepared) and "
        f"{args.single} requests by one user alone (the cost of one request with nothing queued "
        f"before it); per-request timeout {args.timeout:.0f} s, hard limit {args.time_limit:.0f} s per "
        "endpoint phase. Latency = request sent to answer read, percentiles over every request of the "
        "phase, where one without a 200 (error, timeout, unfinished at the limit) ranks slower than "
        "any answer and shows as `fail`. Endpoints:",
        "",
        *(f"- `{name}`: {what}" for name, what in ENDPOINTS.items() if name in args.endpoints),
        "",
        "| ledger lines (imports + exports) | endpoint | users | requests | 200 | errors "
        "| unfinished at limit | p50 ms | p95 ms | p99 ms | max ms | throughput req/s "
        "| server CPU ms/request | PostgreSQL CPU ms/request | client CPU ms/request | load average |",
        "| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | --- |",
    ]
    for row in rows:
        o = row.outcome
        ms = [1000 * v for v in o.latencies]
        # every request of the phase counts: one without a 200 is slower than any answer
        ranked = ms + [math.inf] * (row.requests - len(ms))
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(o.errors.items())) or "0"
        cells = [_ms(percentile(ranked, p)) for p in (50, 95, 99)] + [_ms(max(ranked))]
        rate = len(ms) / o.wall if o.wall else 0.0
        out.append(
            f"| {row.lines:,} | {row.endpoint} | {row.users} | {row.requests} | {len(ms)} | {errors} "
            f"| {o.unfinished} | {' | '.join(cells)} | {rate:.1f} | {_cpu_per_request(o)} "
            f"| {'-' if o.pg_cpu is None else _cpu_per_request(o, o.pg_cpu)} "
            f"| {_cpu_per_request(o, o.client_cpu)} | {o.load} |"
        )
    out += ["", "Loading each ledger (not part of the latencies):", ""]
    for lines, loaded in loads.items():
        t = loaded.timings
        if loaded.reused:
            out.append(f"- {lines:,} lines: loaded by an earlier run with `--keep` (database reused).")
            continue
        out.append(
            f"- {lines:,} lines: generate {t['generate']:.1f} s, store through the unit of work "
            f"{t['store']:.1f} s, discharge run {t['discharge']:.1f} s ({loaded.allocations:,} allocations)."
        )
    out += ["", f"Load average at the end: {_loadavg()}.", "", verdict(rows, args.users), ""]
    return "\n".join(out)


GOAL_MS = 200.0  # issue 12: p95 under 200 ms with 20 concurrent users on a 1M-line ledger


def p95(row: Row) -> float:
    ranked = [1000 * v for v in row.outcome.latencies] + [math.inf] * (
        row.requests - len(row.outcome.latencies)
    )
    return percentile(ranked, 95)


def verdict(rows: list[Row], users: int) -> str:
    """The p95 of each endpoint with ``users`` users at the largest size, against the goal."""
    crowd = [r for r in rows if r.users == users]
    if not crowd:
        return "No phase with several users: no verdict."
    largest = max(r.lines for r in crowd)
    at = [r for r in crowd if r.lines == largest]
    figures = ", ".join(f"{r.endpoint} {_ms(p95(r))} ms" for r in at)
    met = all(p95(r) < GOAL_MS for r in at)
    return (
        f"p95 with {users} users at {largest:,} lines: {figures}; goal p95 < {GOAL_MS:.0f} ms: "
        f"{'met' if met else 'NOT met'}."
    )


def prepare(pg: str, lines: int, work: Path, keep: bool) -> Loaded:
    """The ledger of ``lines`` lines in a database: loaded now, or (``keep``) reused from before."""
    db_url, reused = fresh_database(pg, f"bench_api_{lines}" if keep else None)
    if reused:
        loaded = Loaded(db_url, stored_exports(db_url), reused=True)
    else:
        loaded = load_ledger(db_url, lines, work)
    loaded.imports = stored_imports(db_url)
    return loaded


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint and size")
    parser.add_argument("--single", type=int, default=5, help="requests by one user first, per endpoint")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, seconds")
    parser.add_argument("--time-limit", type=float, default=120.0, help="per endpoint phase, seconds")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="immex serve --workers (default: the server's, a process per core)",
    )
    parser.add_argument(
        "--endpoints", nargs="+", choices=sorted(ENDPOINTS), default=["balances", "trace"], help="phases"
    )
    parser.add_argument("--pg-url", default=None, help="an existing PostgreSQL server URL (loopback)")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="with --pg-url: keep each ledger's database (bench_api_LINES) and reuse it when it exists",
    )
    parser.add_argument(
        "--cluster",
        type=Path,
        default=None,
        help="a PostgreSQL cluster of this script kept in this folder (created if absent); its "
        "databases are kept and reused, as with --keep",
    )
    parser.add_argument(
        "--client",
        choices=("lean", "httpx"),
        default="lean",
        help="lean: one kept-alive connection per user, answers read by httptools on uvloop "
        "(the default: the least CPU taken from the server's cores); httpx: httpx.AsyncClient",
    )
    parser.add_argument("--write", type=Path, default=None, help="write the table here (markdown)")
    return parser.parse_args()


def _shown(argv: list[str]) -> list[str]:
    """The arguments as the results file shows them: a cluster folder or server URL is this
    machine's (and a URL may hold a password), so it reads DIR or URL."""
    hidden = {"--cluster": "DIR", "--pg-url": "URL"}
    return [hidden.get(before, arg) for before, arg in zip(["", *argv], argv, strict=False)]


def main() -> None:
    args = parse_args()
    command = "python3 benchmarks/bench_api.py " + " ".join(_shown(sys.argv[1:]))
    rows: list[Row] = []
    loads: dict[int, Loaded] = {}
    keep = args.cluster is not None or (args.keep and args.pg_url is not None)
    with postgres(args.pg_url, args.cluster) as pg:
        for lines in args.lines:
            work = Path(tempfile.mkdtemp(prefix=f"bench-api-{lines}-"))
            try:
                loaded = prepare(pg, lines, work, keep)
                loads[lines] = loaded
                print(f"{lines} lines ready: {loaded.timings or 'reused'}", flush=True)
                (work / "files").mkdir()
                with server(loaded.db_url, work / "files", args.workers) as (base, pid):
                    for row in measure(base, pid, loaded, args):
                        row.lines = lines
                        rows.append(row)
            finally:
                log = work / "files" / "serve.log"
                if log.exists():  # kept: the server's own account of any 500 or dropped connection
                    kept = Path(tempfile.mkdtemp(prefix="bench-api-log-")) / f"serve-{lines}.log"
                    shutil.move(log, kept)
                    print(f"server log: {kept}", flush=True)
                shutil.rmtree(work, ignore_errors=True)
    text_out = table(rows, loads, args, command)
    print(text_out)
    if args.write:
        args.write.write_text(text_out, encoding="utf-8")


if __name__ == "__main__":
    main()
