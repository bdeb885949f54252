"""Small ledgers as upload payloads (multipart fields named by file name)."""

from __future__ import annotations

from pathlib import Path

from tests.ledger.ledger_files import exp, imp, part, write_ledger

I1, I2 = "25 47 3456 5000001", "25 47 3456 5000002"
E1 = "25 47 3456 6000001"
AS_OF = "2025-12-31"
FILES = ("parts.csv", "imports.csv", "exports.csv", "bom.csv")


def small_ledger(folder: Path) -> Path:
    """Two lots of A and one of B; one export of 12 A (spans both lots) and 7 B (2 short)."""
    return write_ledger(
        folder,
        [part("A"), part("B")],
        [
            imp(I1, 1, "A", "10", "2025-01-01"),
            imp(I2, 1, "A", "10.5", "2025-03-01"),
            imp(I2, 2, "B", "5", "2025-03-01"),
        ],
        [exp(E1, 1, "A", "12", "2025-04-01"), exp(E1, 2, "B", "7", "2025-04-01")],
    )


def multipart(folder: Path) -> dict[str, tuple[str, bytes, str]]:
    return {
        name: (name, (folder / name).read_bytes(), "text/csv") for name in FILES if (folder / name).exists()
    }
