"""A worked example, stored: a harness maker imports wire twice and returns harnesses twice.

- 25 47 3456 5000001 partida 1: 1,000 m of WIRE on 2025-01-10 at USD 0.50/m (USA);
- 25 47 3456 5000002 partida 1: 2,000 m of WIRE on 2025-02-10 at USD 0.55/m (CHN);
- a HARNESS takes 12 m of WIRE;
- 25 47 3456 6000001: 100 HARNESS returned (RT) on 2025-03-05 at USD 120 → 1,200 m of wire:
  the first lot whole (1,000 m) and 200 m of the second (FIFO);
- 25 47 3456 6000002: 50 HARNESS returned (RT) on 2025-04-05 at USD 120 → 600 m of the second.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from immex.cli import app
from tests.ledger.ledger_files import exp, imp, part, write_ledger

RFC = "DMA010101AB7"  # a valid RFC with its check digit (the demo company's)
FIRST_IMPORT, SECOND_IMPORT = "254734565000001", "254734565000002"
FIRST_RETURN, SECOND_RETURN = "254734566000001", "254734566000002"


def harness_folder(folder: Path) -> Path:
    return write_ledger(
        folder,
        parts=[
            part("HARNESS", kind="finished", description="Arnés eléctrico"),
            part("WIRE", uom="m", description="Cable calibre 18", hs="85444204"),
        ],
        imports=[
            imp("25 47 3456 5000001", 1, "WIRE", "1000", "2025-01-10", uom="m", unit_value_usd="0.50"),
            imp("25 47 3456 5000002", 1, "WIRE", "2000", "2025-02-10", uom="m", unit_value_usd="0.55"),
        ],
        exports=[
            exp("25 47 3456 6000001", 1, "HARNESS", "100", "2025-03-05", unit_value_usd="120"),
            exp("25 47 3456 6000002", 1, "HARNESS", "50", "2025-04-05", unit_value_usd="120"),
        ],
        bom=[
            {
                "product": "HARNESS",
                "component": "WIRE",
                "qty_per": "12",
                "uom": "m",
                "valid_from": "2024-01-01",
            }
        ],
    )


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def harness_store(tmp: Path, certification: str | None = "AA") -> str:
    """Discharge the example into a new SQLite store; with a company profile unless None."""
    url = f"sqlite:///{tmp / 'plant.db'}"
    code, _, err = invoke(
        "discharge", "--input", str(harness_folder(tmp / "in")), "--output", str(tmp / "out"), "--db", url,
        "--as-of", "2025-06-30",
    )  # fmt: skip
    assert code == 0, err
    if certification is not None:
        code, _, err = invoke(
            "company", "set", "--name", "Arneses del Norte, S.A. de C.V.", "--rfc", RFC,
            "--program", "IMMEX 2006-0042", "--certification", certification, "--db", url,
        )  # fmt: skip
        assert code == 0, err
    return url
