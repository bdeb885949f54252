"""The input fingerprint: one SHA-256 over the files a run read, the same for every command.

Files are taken in order of name, each as its name, a NUL byte and its bytes,
so renaming, reordering or editing any input changes the fingerprint while
the folder's location does not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 20


def files_fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def lines_fingerprint(lines: Iterable[str]) -> str:
    """SHA-256 of text lines (each followed by a newline): for ledgers read from a store."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()
