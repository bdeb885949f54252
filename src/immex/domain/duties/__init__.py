"""The duty and tax engine: pedimento contributions, T-MEC Art. 2.5, landed cost.

Pure functions over plain values (no I/O). The legal data they need comes in
as a :class:`~immex.domain.duties.values.DutyRules` value loaded from
``immex/rules/duties/`` by :func:`immex.rules.duties.duty_rules`.
"""

from immex.domain.duties.case import parse_pedimento_case, parse_tmec25_case
from immex.domain.duties.pedimento import compute_pedimento, resolve_dta
from immex.domain.duties.rounding import payment_round
from immex.domain.duties.tmec25 import compute_tmec25, resolve_tmec25

__all__ = [
    "compute_pedimento",
    "compute_tmec25",
    "parse_pedimento_case",
    "parse_tmec25_case",
    "payment_round",
    "resolve_dta",
    "resolve_tmec25",
]
