"""The code stays ruff-, format-, mypy- and import-linter-clean (the standard), checked like any test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("src", "tests", "benchmarks", "scripts")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_finds_nothing() -> None:
    """Lint, including the complexity limit (C901) of pyproject.toml."""
    result = _run("ruff", "check", "--output-format", "concise", *CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted() -> None:
    result = _run("ruff", "format", "--check", *CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    """``mypy`` with the strict settings of pyproject.toml, on src and tests."""
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layering_holds() -> None:
    """import-linter: the layers of CONTRIBUTING.md, no cycles, a pure domain."""
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    assert command is not None, "import-linter is a test dependency"
    result = subprocess.run([command], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
