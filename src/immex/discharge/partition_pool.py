"""The partitions of a partitioned discharge on every core: a pool of worker processes.

:func:`immex.discharge.partitioned.discharge_partitioned` cuts the parts into
ranges that are discharged independently (each writes its own Parquet files
into the spill folder and returns a small summary). Here they run in a
``ProcessPoolExecutor`` of ``workers`` processes:

- **spawn**, not fork: Polars' thread pool does not survive ``fork``;
- what every partition shares (the spilled ledger's header, the export lines'
  order and needs, the waste table, ``as_of``, the bucket bounds) is pickled
  once and sent once to each worker (the pool's initializer); a job is only
  (parts, index); summaries come back in partition order, so the merge and
  the bytes are those of the one-process run;
- each worker's Polars gets ``cores // workers`` threads
  (``POLARS_MAX_THREADS`` is read when Polars is imported, so it is set in
  the environment the workers are started with): the workers do not
  oversubscribe the cores;
- peak memory is about ``workers`` times one partition's work (plus the
  shared objects in each worker).

A worker that fails (an exception, or killed, e.g. by the out-of-memory
killer) stops the run: the other workers are stopped, and
:class:`PartitionError` names the partition (a one-line error for the user;
the output folder is not published). The workers ignore SIGINT: Ctrl-C
reaches the parent, which stops them.

How many workers: ``--workers N`` (``immex discharge``), else the
``IMMEX_WORKERS`` environment variable, else the cores this process may use
(``os.sched_getaffinity``) -- the default only from :data:`POOL_FROM_LINES`
import + export lines, below which starting the processes costs more than
the partitions; 1 runs them one after the other in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING

from immex.core.atomic import OutputError
from immex.core.problems import InputError, Problem

if TYPE_CHECKING:  # imported at run time by the caller; the workers unpickle them
    import datetime as dt

    from immex.discharge.partitioned import OrderedExports, PartitionSummary, PartitionWaste
    from immex.ledger.spilled import SpilledLedger

WORKERS_ENV = "IMMEX_WORKERS"
# import + export lines from which the default (every core) starts worker processes; below it the
# partitions are few and small and spawning (about 1 s of imports per worker) would dominate
POOL_FROM_LINES = 1_000_000
_POLARS_THREADS_ENV = "POLARS_MAX_THREADS"
_ENVIRONMENT = threading.Lock()  # the workers' environment is set around their start, one pool at a time


@dataclass(frozen=True)
class PartitionWork:
    """What every partition of one run shares (sent once to each worker)."""

    ledger: SpilledLedger
    ordered: OrderedExports
    as_of: dt.date
    spill: Path
    bounds: Sequence[int]
    method: str
    waste: PartitionWaste | None


PartitionFunction = Callable[
    [
        "SpilledLedger",
        "OrderedExports",
        Sequence[str],
        int,
        "dt.date",
        Path,
        Sequence[int],
        str,
        "PartitionWaste | None",
    ],
    "PartitionSummary",
]
"""The signature of :func:`immex.discharge.partitioned.run_partition` (a module-level function:
the workers import it by name)."""


class PartitionError(OutputError):
    """A partition failed in a worker process; ``message`` names it (one line, exit 1)."""


def worker_count(requested: int | None, lines: int, environ: Mapping[str, str] = os.environ) -> int:
    """The workers of a run of ``lines`` import + export lines: ``requested`` (``--workers``), else
    ``IMMEX_WORKERS``, else the cores available from :data:`POOL_FROM_LINES` lines (else 1)."""
    if requested is not None:
        return _at_least_one(requested, "--workers", str(requested))
    text = environ.get(WORKERS_ENV, "").strip()
    if text:
        if not text.isdigit():
            raise _bad_workers(WORKERS_ENV, text)
        return _at_least_one(int(text), WORKERS_ENV, text)
    return available_cores() if lines >= POOL_FROM_LINES else 1


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or ``taskset`` limits)."""
    return len(os.sched_getaffinity(0))


def _at_least_one(count: int, name: str, text: str) -> int:
    if count < 1:
        raise _bad_workers(name, text)
    return count


def _bad_workers(name: str, text: str) -> InputError:
    return InputError([Problem("", None, name, f"workers must be a whole number, 1 or more, not {text!r}")])


def run_partitions(
    function: PartitionFunction, work: PartitionWork, ranges: Sequence[Sequence[str]], workers: int
) -> list[PartitionSummary]:
    """``function`` on every range of parts, on ``workers`` processes (in this process when 1 or
    when there is one range); the summaries in partition order."""
    if workers <= 1 or len(ranges) <= 1:
        return [_call(function, work, parts, index) for index, parts in enumerate(ranges)]
    workers = min(workers, len(ranges))
    shared = pickle.dumps((function, work), protocol=pickle.HIGHEST_PROTOCOL)
    executor = ProcessPoolExecutor(
        workers, multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=(shared,)
    )
    try:
        # the processes are spawned by these submits (spawn: one per submit up to ``workers``)
        with _polars_threads(polars_threads(workers)):
            futures = [executor.submit(_run_job, list(parts), index) for index, parts in enumerate(ranges)]
        processes = dict(executor._processes)  # the pool keeps no other handle on its processes
        summaries = _gather(futures, ranges, executor, processes, work.spill)
    except BaseException:  # a failure or Ctrl-C: the other workers stop now, not after their partitions
        _stop(executor)
        raise
    executor.shutdown(wait=True)
    return summaries


def _call(
    function: PartitionFunction, work: PartitionWork, parts: Sequence[str], index: int
) -> PartitionSummary:
    return function(
        work.ledger, work.ordered, parts, index, work.as_of, work.spill, work.bounds, work.method, work.waste
    )


def polars_threads(workers: int, environ: Mapping[str, str] = os.environ) -> int:
    """Polars threads per worker: the cores shared by the workers (at least one), or fewer when
    ``POLARS_MAX_THREADS`` already asks for fewer."""
    threads = max(1, available_cores() // workers)
    asked = environ.get(_POLARS_THREADS_ENV, "").strip()
    return min(threads, int(asked)) if asked.isdigit() and int(asked) >= 1 else threads


@contextlib.contextmanager
def _polars_threads(threads: int) -> Iterator[None]:
    """``POLARS_MAX_THREADS`` in this process's environment while the workers start (they inherit
    it; this process's Polars read its own when it was imported and is unaffected)."""
    with _ENVIRONMENT:
        before = os.environ.get(_POLARS_THREADS_ENV)
        os.environ[_POLARS_THREADS_ENV] = str(threads)
        try:
            yield
        finally:
            if before is None:
                del os.environ[_POLARS_THREADS_ENV]
            else:
                os.environ[_POLARS_THREADS_ENV] = before


def _gather(
    futures: Sequence[Future[PartitionSummary]],
    ranges: Sequence[Sequence[str]],
    executor: ProcessPoolExecutor,
    processes: Mapping[int, BaseProcess],
    spill: Path,
) -> list[PartitionSummary]:
    """The summaries in partition order, or :class:`PartitionError` for the first failure."""
    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
    failed = [index for index, future in enumerate(futures) if future in done and future.exception()]
    if not failed:
        return [future.result() for future in futures]
    error = futures[failed[0]].exception()
    if isinstance(error, BrokenProcessPool):
        executor.shutdown(wait=True)  # the pool has stopped its workers: their exit codes are known
        raise PartitionError(_died(processes, ranges, spill)) from error
    index = failed[0]
    raise PartitionError(
        f"the discharge stopped: {_partition(index, ranges)} failed in a worker process: "
        f"{type(error).__name__}: {error}; no output was written"
    ) from error


def _died(processes: Mapping[int, BaseProcess], ranges: Sequence[Sequence[str]], spill: Path) -> str:
    """Which worker died, how, and on which partition (from the marker it wrote when it started it)."""
    dead = [p for p in processes.values() if p.exitcode not in (None, 0, -signal.SIGTERM)]
    if not dead:  # a worker stopped by SIGTERM from outside: the pool stopped the others the same way
        dead = [p for p in processes.values() if p.exitcode not in (None, 0)]
    parts = []
    for process in dead:
        marker = spill / _marker_name(process.pid)
        running = marker.read_text() if marker.exists() else ""
        if running.isdigit():
            parts.append(f"died running {_partition(int(running), ranges)}: {_how(process.exitcode)}")
        else:
            parts.append(f"ended before its first partition: {_how(process.exitcode)}{_STARTING}")
    what = "; ".join(parts) or "ended without a result"
    return f"the discharge stopped: a worker process {what}; no output was written"


# Why a worker may end while starting: spawn runs the parent's main script again in each worker
_STARTING = (
    " (its error is above; a Python script that runs the discharge must start it under "
    '`if __name__ == "__main__":`, or run it with IMMEX_WORKERS=1)'
)


def _how(exitcode: int | None) -> str:
    if exitcode is None or exitcode >= 0:
        return f"exit code {exitcode}"
    number = -exitcode
    name = signal.Signals(number).name if number in signal.valid_signals() else f"signal {number}"
    hint = (
        " (the out-of-memory killer sends it: fewer --workers need less memory)"
        if number == signal.SIGKILL
        else ""
    )
    return f"killed by {name}{hint}"


def _partition(index: int, ranges: Sequence[Sequence[str]]) -> str:
    parts = ranges[index]
    names = f"part {parts[0]}" if len(parts) == 1 else f"parts {parts[0]} to {parts[-1]}"
    return f"partition {index + 1} of {len(ranges)} ({names})"


def _stop(executor: ProcessPoolExecutor) -> None:
    """Cancel the jobs not started and end the workers (they may be in the middle of a partition)."""
    processes = list(executor._processes.values()) if executor._processes else []
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join()


# ---- in the worker process -----------------------------------------------------------------------

_WORK: tuple[PartitionFunction, PartitionWork] | None = None


def _start_worker(shared: bytes) -> None:
    """The pool's initializer: Ctrl-C is the parent's to handle; the shared objects, once."""
    global _WORK
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORK = pickle.loads(shared)


def _run_job(parts: list[str], index: int) -> PartitionSummary:
    """One partition in a worker; a marker names it while it runs (read if the worker dies)."""
    assert _WORK is not None, "the pool's initializer sets the shared work"
    function, work = _WORK
    marker = work.spill / _marker_name(os.getpid())
    marker.write_text(str(index))
    summary = _call(function, work, parts, index)
    marker.unlink()
    return summary


def _marker_name(pid: int | None) -> str:
    return f".worker-{pid}"
