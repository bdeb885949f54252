"""The A3 check beside other problems never reports what the fixed input would not (hypothesis).

``overdraw_problems`` runs the discharge on the rows that were read. Its soundness
rests on one claim: a refused export row, once fixed, can only take more from the
lots. An overdrawn A3 is skipped by the discharge, which leaves its lot more for the
next one, so what is certain is: the first overdrawn A3 of a part in the rows read
is overdrawn in the fixed input, or an A3 of that part before it is (and then the
message says so). Here the full ledger stands for the fixed input and a random
subset of its export lines for the rows read (hypothesis found the case of an
earlier A3 skipped in the whole and not in the subset).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.core.problems import InputError, Problem
from immex.discharge.methods import discharge
from immex.discharge.regularize import EARLIER_NOTE, overdraw_problems
from immex.ledger.model import ExportLine, ImportLine, Ledger, Part
from immex.ledger.read import LedgerRead

START = dt.date(2024, 1, 1)
PARTS = ("A", "B")

days = st.integers(min_value=0, max_value=60).map(lambda n: START + dt.timedelta(days=n))
quantities = st.integers(min_value=1, max_value=12).map(Decimal)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[Ledger, list[bool]]:
    """Up to 4 lots of two parts, up to 6 returns as is (some naming a lot), up to 3 A3s."""
    lots = [
        ImportLine(
            f"2447345640000{i:02d}", 1, draw(st.sampled_from(PARTS)), "IN", draw(days), draw(quantities)
        )
        for i in range(draw(st.integers(min_value=1, max_value=4)))
    ]
    exports = []
    for i in range(draw(st.integers(min_value=0, max_value=6))):
        named = draw(st.none() | st.sampled_from(lots))
        product = named.part if named is not None else draw(st.sampled_from(PARTS))
        exports.append(
            ExportLine(
                f"2547345660000{i:02d}", 1, product, "RT", draw(days), draw(quantities),
                import_pedimento="" if named is None else named.pedimento, row=i + 2,
            )
        )  # fmt: skip
    regularizations = []
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        lot = draw(st.sampled_from(lots))
        on = lot.cleared_on + dt.timedelta(days=draw(st.integers(0, 60)))
        regularizations.append(
            ExportLine(
                f"2547345650009{i:02d}", 1, lot.part, "A3", on,
                draw(quantities), import_pedimento=lot.pedimento, row=i + 2, import_line=1,
            )
        )  # fmt: skip
    parts = {name: Part(name, "pcs", "raw") for name in PARTS}
    kept = draw(st.lists(st.booleans(), min_size=len(exports), max_size=len(exports)))
    return Ledger(parts, tuple(lots), tuple(exports), {}, (), tuple(regularizations)), kept


def overdrawn_rows(ledger: Ledger, method: str) -> set[int | None]:
    try:
        discharge(ledger, method)
    except InputError as error:
        return {p.row for p in error.problems}
    return set()


def assert_certain(found: list[Problem], whole: Ledger, method: str) -> None:
    """Each reported A3 is overdrawn in the whole ledger, or (said so) one of its part before it is;
    at most one per part."""
    rows = overdrawn_rows(whole, method)
    order = sorted(whole.regularizations, key=lambda r: r.order_key)
    line_of = {line.row: line for line in order}
    for problem in found:
        assert problem.column == "qty"
        if problem.row in rows:
            continue
        assert EARLIER_NOTE in problem.message
        line = line_of[problem.row or 0]
        before = order[: order.index(line)]
        assert any(r.row in rows for r in before if r.product == line.product)
    parts = [line_of[p.row or 0].product for p in found]
    assert len(parts) == len(set(parts))


@settings(max_examples=300, deadline=None)
@given(ledgers(), st.sampled_from(["fifo", "lifo", "directed"]))
def test_no_a3_is_reported_beside_other_problems_that_the_fixed_input_would_not_report(
    case: tuple[Ledger, list[bool]], method: str
) -> None:
    whole, kept = case
    read = Ledger(
        whole.parts,
        whole.imports,
        tuple(e for e, keep in zip(whole.exports, kept, strict=True) if keep),
        regularizations=whole.regularizations,
    )
    found = overdraw_problems(LedgerRead(None, partial=read), method)
    assert_certain(found, whole, method)


@settings(max_examples=200, deadline=None)
@given(ledgers(), st.sampled_from(["fifo", "lifo", "directed"]))
def test_with_every_row_read_the_check_finds_what_the_discharge_finds(
    case: tuple[Ledger, list[bool]], method: str
) -> None:
    whole, _ = case
    found = overdraw_problems(LedgerRead(None, partial=whole), method)
    rows = overdrawn_rows(whole, method)
    first: dict[str, int] = {}
    for line in sorted(whole.regularizations, key=lambda r: r.order_key):
        if line.row in rows:
            first.setdefault(line.product, line.row)
    assert {p.row for p in found} == set(first.values())


@settings(max_examples=200, deadline=None)
@given(ledgers(), st.sampled_from(["fifo", "lifo", "directed"]))
def test_the_lot_alone_bound_is_sound_too(case: tuple[Ledger, list[bool]], method: str) -> None:
    """A part whose lots were not all read (or --db): the A3s against their lot alone."""
    whole, _ = case
    read = Ledger(whole.parts, whole.imports, (), regularizations=whole.regularizations)
    found = overdraw_problems(LedgerRead(None, partial=read, unsure_parts=None), method)
    assert_certain(found, whole, method)
    assert all("(at most:" in p.message for p in found)
