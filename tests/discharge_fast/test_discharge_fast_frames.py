"""The columnar path (CSV → frames → discharge → CSV) writes the same files as the domain path."""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.core.numbers import EXACT, from_fixed, plain
from immex.discharge import fast
from immex.discharge.fast import discharge_frames, format_fixed, write_discharge_frames
from immex.discharge.methods import balances, discharge
from immex.discharge.outputs import write_discharge_outputs
from immex.ledger.frames import read_ledger_frames
from immex.ledger.model import Ledger
from immex.ledger.read import read_ledger
from tests.discharge_fast.folders import write_folder
from tests.discharge_fast.ledgers import ledgers

AS_OF = dt.date(2025, 6, 30)
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")


def _valid(ledger: Ledger) -> Ledger:
    """Drop what the CSV intake rejects (zero quantities, exports with neither a BOM nor an import)
    and lots the fast reader leaves to the row reader (beyond int64 once converted at a common scale)."""
    imports = tuple(lot for lot in ledger.imports if 0 < lot.qty < 10**6)
    imported = {lot.part for lot in imports}
    return replace(
        ledger,
        imports=imports,
        exports=tuple(
            e
            for e in ledger.exports
            if e.qty > 0 and (e.product in imported or ledger.bom_on(e.product, e.cleared_on) is not None)
        ),
    )


def _same_files(ledger: Ledger, kg_factor: Decimal | None, spaced: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        write_folder(ledger, folder, kg_factor, spaced)
        staged = read_ledger(folder)
        frames = read_ledger_frames(folder)
        if staged.problems:
            assert frames is None
            return
        assert frames is not None and staged.ledger is not None
        simple = discharge(staged.ledger, "fifo")
        write_discharge_outputs(
            Path(tmp) / "simple",
            simple.allocations,
            simple.shortfalls,
            balances(staged.ledger, simple.allocations, AS_OF),
        )
        summary = write_discharge_frames(Path(tmp) / "fast", discharge_frames(frames), AS_OF)
        for name in FILES:
            expected = (Path(tmp) / "simple" / name).read_text(encoding="utf-8")
            assert (Path(tmp) / "fast" / name).read_text(encoding="utf-8") == expected, name
        assert summary["allocations"] == len(simple.allocations)
        assert summary["late_allocations"] == sum(a.late for a in simple.allocations)
        assert summary["qty_allocated"] == plain(_exact_sum(a.qty for a in simple.allocations))
        assert summary["qty_missing"] == plain(_exact_sum(s.qty_missing for s in simple.shortfalls))


def _exact_sum(values: Iterable[Decimal]) -> Decimal:
    """A sum at 80 digits (``sum`` works in the default context, 28 digits)."""
    return functools.reduce(EXACT.add, values, Decimal(0))


WIDTHS: dict[str, dict[str, int]] = {
    "int64": {},
    "int128": {"INT64_SAFE": 1},
    "int128 values": {"VALUE_SAFE": 1},
    "python": {"INT64_SAFE": 1, "INT128_SAFE": 1},
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ledgers(),
    st.sampled_from([None, Decimal("0.5"), Decimal("1.25"), Decimal("0.004")]),
    st.booleans(),
    st.sampled_from(sorted(WIDTHS)),
)
def test_columnar_path_writes_the_files_of_the_domain_path(
    ledger: Ledger, kg_factor: Decimal | None, spaced: bool, width: str
) -> None:
    """Byte-identical files for every quantity width (int64, Int128, Python ints: bounds forced down)."""
    with ExitStack() as stack:
        for name, value in WIDTHS[width].items():
            stack.enter_context(patch.object(fast, name, value))
        _same_files(_valid(ledger), kg_factor, spaced)


def test_invalid_folder_is_left_to_the_row_reader(tmp_path: Path) -> None:
    (tmp_path / "parts.csv").write_text("part,uom,kind\nA,PZA,raw\n", encoding="utf-8")
    (tmp_path / "imports.csv").write_text(
        "pedimento,line,clave,cleared_on,part,qty,uom\n24 47 3456 4000123,1,IN,2025-02-30,A,1,PZA\n",
        encoding="utf-8",
    )
    (tmp_path / "exports.csv").write_text(
        "pedimento,line,clave,cleared_on,product,qty,uom\n", encoding="utf-8"
    )
    (tmp_path / "bom.csv").write_text("product,component,qty_per,uom,valid_from\n", encoding="utf-8")
    assert read_ledger(tmp_path).problems
    assert read_ledger_frames(tmp_path) is None
    (tmp_path / "imports.csv").write_text(
        "pedimento,line,clave,cleared_on,part,qty,uom\n24 47 3456 4000123,1,IN,2025-02-28,A,1.50,PZA\n",
        encoding="utf-8",
    )
    frames = read_ledger_frames(tmp_path)
    assert frames is not None and frames.imports["pedimento"].to_list() == ["244734564000123"]
    assert frames.imports["qty"].to_list() == [150] and frames.imports_scale == 2


@given(st.lists(st.integers(-(10**15), 10**15), max_size=30), st.integers(0, 9))
def test_format_fixed_writes_what_plain_writes(values: list[int], scale: int) -> None:
    expected = [plain(from_fixed(v, scale)) for v in values]
    assert format_fixed(np.array(values, dtype=np.int64), scale).to_list() == expected
    assert format_fixed(np.array(values, dtype=object), scale).to_list() == expected
    with patch.object(fast, "BLOCK", 1):  # blocks of four values on two threads
        assert format_fixed(np.array(values, dtype=np.int64), scale).to_list() == expected
