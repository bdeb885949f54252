"""Official source files the project parses but does not commit (HTSUS GN 11, the TIGIE table, the
Uniform Regulations XML SOR/2020-155, the UNSD HS 2022-HS 2012 correlation workbook).

A test that regenerates committed data from one of them finds it through its
environment variable, or else in ``../shared/data`` beside the repository (where
a developer's and CI's checkouts have it), so the README's test command and CI
run the same tests. Without the file the test is skipped, saying which it needs.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_data_file(env: str, name: str) -> Path | None:
    """The file named by ``env``, else ``../shared/data/<name>`` beside the checkout, else None."""
    given = os.environ.get(env)
    if given:
        return Path(given)
    beside = ROOT.parent / "shared" / "data" / name
    return beside if beside.is_file() else None
