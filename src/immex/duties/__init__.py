"""The duty and tax engine: pedimento contributions, T-MEC Art. 2.5, landed cost.

Pure functions over plain values (no I/O). The legal data they need comes in
as a :class:`~immex.duties.values.DutyRules` value loaded from
``immex/rules/duties/`` by :func:`immex.duties.rules_data.duty_rules`.
"""

from immex.duties.case import parse_pedimento_case, parse_tmec25_case
from immex.duties.pedimento import compute_pedimento, resolve_dta
from immex.duties.rounding import payment_round
from immex.duties.tmec25 import compute_tmec25, resolve_tmec25

__all__ = [
    "compute_pedimento",
    "compute_tmec25",
    "parse_pedimento_case",
    "parse_tmec25_case",
    "payment_round",
    "resolve_dta",
    "resolve_tmec25",
]
