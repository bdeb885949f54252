"""The Anexo 22 warnings pass on columns: which pedimento rows the per-row checks need to see.

:func:`immex.ledger.read.pedimento_warnings` checks every distinct (pedimento,
clave) once, in Python: 0.7 s for the 107,000 pedimentos of a 200,000-line
ledger, more than reading it. Almost every row passes, and a row that passes
gives no warning, so the columnar reader keeps only the rows that may fail,
decided on whole columns: a pedimento number that is not exactly the
structure :func:`immex.core.anexo22.validate_pedimento_number` accepts, or a
(clave, date) pair :func:`immex.core.anexo22.validate_clave` refuses (asked
once per distinct pair). The messages still come from those two functions, so
the warnings are the same, in the same order (tested on random pedimentos).
"""

from __future__ import annotations

import polars as pl

from immex.core.anexo22 import validate_clave
from immex.rules import anexo22 as catalogs

_DIGITS = r"^[0-9]{15}$"


def may_warn(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``rows`` (columns ``pedimento`` without spaces, ``clave``, ``cleared_on`` as a
    date) that the Anexo 22 checks could warn about; the others certainly pass."""
    if rows.is_empty():
        return rows
    return rows.filter(~_number_passes(rows) | ~_clave_passes(rows))


def _number_passes(rows: pl.DataFrame) -> pl.Series:
    """15 digits, a listed aduana (digits 3-4), patente not 0000, consecutive not 000000."""
    number = rows["pedimento"]
    aduana = number.str.slice(2, 2)
    listed = [code for code in aduana.unique().to_list() if catalogs.aduanas().get(code) is not None]
    return (
        number.str.contains(_DIGITS)
        & aduana.is_in(pl.Series(listed, dtype=pl.String).implode())
        & (number.str.slice(4, 4) != "0000")
        & (number.str.slice(9, 6) != "000000")
    ).fill_null(False)


def _clave_passes(rows: pl.DataFrame) -> pl.Series:
    """validate_clave once per distinct (clave, date), joined back to the rows."""
    pairs = rows.select("clave", "cleared_on").unique()
    verdicts = pairs.with_columns(
        ok=pl.Series(
            [validate_clave(clave, day) is None for clave, day in pairs.iter_rows()], dtype=pl.Boolean
        )
    )
    joined = rows.select("clave", "cleared_on").join(
        verdicts, on=["clave", "cleared_on"], how="left", maintain_order="left", nulls_equal=True
    )
    return joined["ok"].fill_null(False)
