"""Run a command and report its wall time, its CPU and the peak memory of its whole process tree.

``/usr/bin/time -v`` and ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` give the largest *single*
process's peak. A partitioned discharge with ``--workers N`` runs N worker processes beside the
command, so the machine's peak is their sum: this samples the resident set of the command and
all its descendants every 0.1 s (``/proc``) and reports the largest sum. CPU (user + sys) comes
from ``wait4`` and includes the workers (reaped by the command). Linux only.

    python3 benchmarks/tree_peak.py immex discharge --input DIR --output OUT --engine partitioned --workers 2
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and every process descended from it, now."""
    children: dict[int, list[int]] = {}
    resident: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)  # field 4: the parent
        resident[pid] = int(fields[21]) * PAGE  # field 24: rss in pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += resident.get(pid, 0)
        todo += children.get(pid, [])
    return total


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(command: list[str]) -> int:
    before = load()
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    print(
        f"exit {code}, wall {wall:.1f} s, CPU {usage.ru_utime:.1f} user + {usage.ru_stime:.1f} sys = "
        f"{cpu:.1f} s, peak of the process tree {peak / 2**20:,.0f} MB "
        f"(largest single process {usage.ru_maxrss / 1024:,.0f} MB), load {before} -> {load()}",
        file=sys.stderr,
    )
    return code


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
