"""The server's cached statements come out the same when many threads build them at once.

SQLAlchemy completes an alias on first use, and two threads doing it at once can
build a statement that names the base table instead of the alias: a trace then
joined every pedimento (wrong lots, 500s, 3 s per request) on a fresh server
under 20 users. Each probe is a fresh interpreter (nothing built yet) whose
threads switch every microsecond, so a race shows in most probes; before
:func:`immex.store.statements.built_once` most probes built a wrong statement.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Every shape of the cached statements whose arguments are flags, compiled for both stores.
PROBE = """
import itertools, json, sys, threading
from sqlalchemy.dialects import postgresql, sqlite
from immex.reports import stored

shapes = [
    *((stored._next_pedimentos_query, f) for f in itertools.product((False, True), repeat=2)),
    *((stored._allocations_statement, f) for f in itertools.product((False, True), repeat=4)),
    *((stored._shortfalls_statement, f) for f in itertools.product((False, True), repeat=3)),
    *((stored._trace_export_statement, (f,)) for f in (False, True)),
    *((stored._trace_import_statement, (f,)) for f in (False, True)),
]
dialects = (postgresql.dialect(), sqlite.dialect())
threads = int(sys.argv[1])
if threads:
    sys.setswitchinterval(1e-6)
sql = {}

def build(first):
    for k in [*range(first, len(shapes)), *range(first)]:  # every thread builds every shape
        builder, flags = shapes[k]
        got = [str(builder(*flags).compile(dialect=d)) for d in dialects]
        if sql.setdefault(k, got) != got:
            sql[k] = ["threads disagree"]

if threads:
    barrier = threading.Barrier(threads)
    def work(first):
        barrier.wait()
        build(len(shapes) - 1 - first % 4)  # the traces first, as a fresh server's users do
    running = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    [t.start() for t in running]
    [t.join() for t in running]
else:
    build(0)
print(json.dumps([sql[k] for k in range(len(shapes))]))
"""


def _statements(threads: int) -> list[list[str]]:
    probe = [sys.executable, "-W", "ignore", "-c", PROBE, str(threads)]
    return list(json.loads(subprocess.run(probe, capture_output=True, text=True, check=True).stdout))


def test_statements_built_by_many_threads_at_once_are_those_built_by_one() -> None:
    alone = _statements(0)
    assert len(alone) == 4 + 16 + 8 + 2 + 2
    for _probe in range(4):
        assert _statements(8) == alone
