"""Plain-language explanation and suggested fix for each kind of compulsa difference.

Shared by the XLSX and PDF reports. The texts describe what the comparison
found and what a trade-compliance analyst usually does about it; they are not
legal advice and quote no legal value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from immex.compulsa.model import Difference
from immex.core.pedimento import display_pedimento


@dataclass(frozen=True, slots=True)
class Sheet:
    """One group of differences for people: a title and which (field, kind) pairs it holds."""

    title: str
    pairs: tuple[tuple[str, str], ...]
    summary: str


SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "Missing in ledger",
        (("pedimento", "missing_in_ledger"), ("partida", "missing_in_ledger")),
        "pedimentos / partidas the authority has and the ledger lacks",
    ),
    Sheet(
        "Missing in Data Stage",
        (("pedimento", "missing_in_datastage"), ("partida", "missing_in_datastage")),
        "pedimentos / partidas in the ledger the authority has no record of",
    ),
    Sheet("Clave", (("clave", "mismatch"),), "clave de pedimento differs"),
    Sheet("Date", (("date", "mismatch"),), "cleared_on differs from the fecha de pago"),
    Sheet("HS", (("hs", "mismatch"),), "fracción arancelaria differs"),
    Sheet("Country", (("country", "mismatch"),), "country of origin / destination differs"),
    Sheet("Unit", (("uom", "mismatch"),), "ledger unit cannot be expressed in the declared unit"),
    Sheet("Quantity", (("qty", "mismatch"),), "quantity differs"),
    Sheet("Value USD", (("value_usd", "mismatch"),), "value in USD differs by more than 1.00"),
)


def _where(d: Difference) -> str:
    number = display_pedimento(d.pedimento)
    return f"pedimento {number}" if d.line is None else f"partida {d.line} of pedimento {number}"


_TEXTS: dict[tuple[str, str], Callable[[Difference], tuple[str, str]]] = {
    ("pedimento", "missing_in_ledger"): lambda d: (
        f"Pedimento {display_pedimento(d.pedimento)} is in the Data Stage but not in the ledger.",
        "Load it: run `immex datastage to-ledger`, fill what the to_fill column names in the drafted "
        "rows and add them to imports.csv / exports.csv / regularizations.csv.",
    ),
    ("pedimento", "missing_in_datastage"): lambda d: (
        f"Pedimento {display_pedimento(d.pedimento)} is in the ledger, dated within the Data Stage "
        "period, but the Data Stage has no such pedimento.",
        "Check the number (year, aduana, patente, consecutive) against the pedimento itself; correct "
        "a typo in the ledger, otherwise ask the customs broker why it is not in the Data Stage.",
    ),
    ("partida", "missing_in_ledger"): lambda d: (
        f"Partida {d.line} of pedimento {display_pedimento(d.pedimento)} is in the Data Stage but the "
        "ledger has no row for it.",
        "Add the partida's row(s); `immex datastage to-ledger` shows its fracción, quantity, unit and value.",
    ),
    ("partida", "missing_in_datastage"): lambda d: (
        f"The ledger has partida {d.line} of pedimento {display_pedimento(d.pedimento)}, which the "
        "Data Stage does not list.",
        "Check the partida number against the pedimento; renumber or remove the ledger row.",
    ),
    ("clave", "mismatch"): lambda d: (
        f"The ledger says clave {d.ledger} for {_where(d)}; it was declared with clave {d.datastage}.",
        "Correct the clave in the ledger; if the declared clave is the wrong one, the broker has to "
        "rectify the pedimento.",
    ),
    ("date", "mismatch"): lambda d: (
        f"The ledger's cleared_on {d.ledger} for {_where(d)} is not the fecha de pago {d.datastage}.",
        "Use the fecha de pago (Data Stage 506 date type 2), not the entry date: deadlines and FIFO "
        "order are computed from cleared_on.",
    ),
    ("hs", "mismatch"): lambda d: (
        f"The ledger classifies {_where(d)} as {d.ledger}; the pedimento declares {d.datastage}.",
        "Correct the fracción of the part in parts.csv or on the row; if the declared fracción is "
        "wrong, ask the broker for a rectification.",
    ),
    ("country", "mismatch"): lambda d: (
        f"The ledger's country for {_where(d)} is {d.ledger}; the pedimento declares {d.datastage}.",
        "Correct country_of_origin / destination_country (or the part's country in parts.csv); origin "
        "affects duties and USMCA treatment.",
    ),
    ("uom", "mismatch"): lambda d: (
        f"The ledger's unit(s) {d.ledger} for {_where(d)} cannot be expressed in the declared unit "
        f"{d.datastage} (Anexo 22 Apéndice 7), so the quantity could not be compared.",
        "Add a uom_conversions.csv row from the ledger unit to the declared unit, or map the unit "
        "name in uom_apendice7.csv.",
    ),
    ("qty", "mismatch"): lambda d: (
        f"The ledger's quantity for {_where(d)} is {d.ledger}; the pedimento declares {d.datastage}.",
        "Look for missing or duplicated rows and wrong conversion factors; correct the ledger, or "
        "have the pedimento rectified if the declaration is wrong.",
    ),
    ("value_usd", "mismatch"): lambda d: (
        f"The ledger's value for {_where(d)} is {d.ledger} USD; the pedimento declares "
        f"{d.datastage} USD (more than 1.00 USD apart).",
        "Check unit_value_usd against the commercial invoice; correct the ledger or ask the broker "
        "for a rectification.",
    ),
}


def explain(d: Difference) -> tuple[str, str]:
    """(explanation, suggested fix) for one difference."""
    return _TEXTS[(d.field, d.kind)](d)
