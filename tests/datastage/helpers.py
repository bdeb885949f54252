"""Small Data Stage ZIPs for the tests: synthetic lines, corrupted on purpose."""

from __future__ import annotations

from pathlib import Path

from immex.datastage.layout import LAYOUTS
from tests.datastage.synth import SynthSpec, synthetic_lines, write_zip

SMALL = SynthSpec(partidas=30, max_partidas_per_pedimento=6, seed=3)


def small_lines(spec: SynthSpec = SMALL) -> dict[str, list[str]]:
    return synthetic_lines(spec)


def set_field(line: str, tipo: str, name: str, value: str) -> str:
    """Replace one field of a CRLF, trailing-pipe data line."""
    body = line.rstrip("\r\n")
    pieces = body.split("|")
    pieces[LAYOUTS[tipo].index(name)] = value
    return "|".join(pieces) + line[len(body) :]


def field_of(line: str, tipo: str, name: str) -> str:
    return line.split("|")[LAYOUTS[tipo].index(name)].strip()


def zip_of(
    tmp_path: Path,
    lines: dict[str, list[str]],
    name: str = "ds.zip",
    spec: SynthSpec = SMALL,
    names: dict[str, str] | None = None,
) -> Path:
    path = tmp_path / name
    write_zip(path, lines, spec, names)
    return path
