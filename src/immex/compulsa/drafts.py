"""Ledger rows drafted from Data Stage partidas, each checked by the ledger reader's own schema.

Which file a Data Stage pedimento belongs to is decided by its clave's class
(:mod:`immex.ledger.claves`): a temporary import (IN, AF, V1 received) goes to
``imports.csv``; a return, a virtual transfer out or a change of regime (RT, H1, V1,
V5, F4, F5 ...) to ``exports.csv``; a regularization (A3) to ``regularizations.csv``.
Any other clave (A1, BM, BO, T3, F2 ...) is no Anexo 24 movement and is not drafted.

A drafted row is parsed by the same column parsers the ledger reader uses
(:data:`immex.ledger.schema.IMPORTS` ...), with the columns the user must fill
(``part``/``product``, and for an A3 whatever the Data Stage cannot say) standing in
with a placeholder. An optional value the reader would refuse is left empty with a
note; a row whose required value it would refuse (a quantity of 0) is not drafted but
listed in ``not_drafted.csv`` with the reason. So once the ``to_fill`` columns are
filled, every drafted row reads back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from immex.compulsa.model import LedgerRow
from immex.core.problems import Problem
from immex.core.tables import Table
from immex.datastage import read as ds
from immex.ledger import claves
from immex.ledger import schema as ledger_schema

IMPORTS, EXPORTS, REGULARIZATIONS = "imports.csv", "exports.csv", "regularizations.csv"
NOT_DRAFTED = "not_drafted.csv"
TO_FILL_COLUMN = "to_fill"
DESCRIPTION_COLUMN = "datastage_description"
_COMMON = ("pedimento", "line", "clave", "cleared_on")
COLUMNS: dict[str, tuple[str, ...]] = {
    IMPORTS: (
        *_COMMON,
        "part",
        "qty",
        "uom",
        "unit_value_usd",
        "country_of_origin",
        "hs",
        DESCRIPTION_COLUMN,
        TO_FILL_COLUMN,
    ),
    EXPORTS: (
        *_COMMON,
        "product",
        "qty",
        "uom",
        "unit_value_usd",
        "destination_country",
        "hs",
        DESCRIPTION_COLUMN,
        TO_FILL_COLUMN,
    ),
    REGULARIZATIONS: (
        *_COMMON,
        "part",
        "qty",
        "uom",
        "import_pedimento",
        "import_line",
        DESCRIPTION_COLUMN,
        TO_FILL_COLUMN,
    ),
    NOT_DRAFTED: ("pedimento", "line", "clave", "reason"),
}
SCHEMAS = {
    IMPORTS: ledger_schema.IMPORTS,
    EXPORTS: ledger_schema.EXPORTS,
    REGULARIZATIONS: ledger_schema.REGULARIZATIONS,
}
ITEM_COLUMN = {IMPORTS: "part", EXPORTS: "product", REGULARIZATIONS: "part"}
_PLACEHOLDERS = {"part": "PART", "product": "PRODUCT", "import_line": "1"}


def target_file(ped: ds.DsPedimento) -> str | None:
    """The ledger file a Data Stage pedimento is drafted into, or None (no Anexo 24 movement)."""
    clave, day = ped.clave.strip().upper(), ped.fecha_pago
    if ped.tipo_operacion == "1" and claves.is_temporary_import(clave, day):
        return IMPORTS
    kind = claves.clave_class(clave, day)
    if kind in ("return", "change_of_regime"):
        return EXPORTS
    if kind == "regularization":
        return REGULARIZATIONS
    return None


def out_of_scope_reason(ped: ds.DsPedimento) -> str:
    clave = ped.clave.strip().upper()
    kind = claves.clave_class(clave, ped.fecha_pago)
    if kind is None:
        return f"clave {clave} is no Anexo 24 movement (not in rules/operations/claves.yaml): not drafted"
    if kind == "not_discharging":
        return f"clave {clave} does not discharge temporary imports (no Anexo 24 lot): not drafted"
    return f"clave {clave} on a pedimento of TipoOperacion {ped.tipo_operacion}: not drafted"


# --------------------------------------------------------------------------- 512 descargos


@dataclass(frozen=True, slots=True)
class Original:
    """A 512 descargo line: the original pedimento a pedimento discharges (number when known)."""

    number: str | None
    fraccion: str
    row: int


def originals(read: ds.DataStageRead) -> dict[ds.PedimentoKey, list[Original]]:
    """512 lines by the key of the pedimento that declares them (RGCE Anexo 22; values unverified)."""
    found: dict[ds.PedimentoKey, list[Original]] = {}
    for record in read.records("512"):
        key = ds.pedimento_key(record["Patente"], record["Pedimento"], record["SeccionAduanera"])
        date, seccion = record["FechaOperacionOrig"], record["SeccionAduaneraDespOrig"]
        patente, number = record["PatenteAduanalOrig"], record["PedimentoOriginal"]
        known = (
            len(date) >= 4
            and len(seccion) >= 2
            and patente.isdigit()
            and len(patente) <= 4
            and number.isdigit()
            and len(number) == 7
        )
        full = ds.pedimento_number(date, seccion, patente, number) if known else None
        found.setdefault(key, []).append(Original(full, record["FraccionOriginal"], int(record["_row"])))
    return found


def _import_line(
    number: str, fraccion: str, ledger: Mapping[str, Mapping[int, Sequence[LedgerRow]]] | None
) -> tuple[str, str] | None:
    """(line, part) of the ledger's one import line of ``number`` with this fracción, if exactly one."""
    if ledger is None or number not in ledger:
        return None
    found = [
        (line, rows[0].item)
        for line, rows in ledger[number].items()
        if len({r.item for r in rows}) == 1 and any(fraccion.startswith(r.hs[:8]) for r in rows if r.hs)
    ]
    return (str(found[0][0]), found[0][1]) if len(found) == 1 else None


def regularization_source(
    ped: ds.DsPedimento,
    partida: ds.DsPartida,
    descargos: Mapping[ds.PedimentoKey, list[Original]],
    ledger: Mapping[str, Mapping[int, Sequence[LedgerRow]]] | None,
) -> tuple[dict[str, str], list[str]]:
    """The import pedimento / line / part an A3 partida regularizes, and what is left to fill."""
    listed = descargos.get(ped.key, [])
    matching = [o for o in listed if o.fraccion == partida.fraccion] or (listed if len(listed) == 1 else [])
    numbers = sorted({o.number for o in matching if o.number is not None})
    values = {"import_pedimento": "", "import_line": "", "part": ""}
    fill: list[str] = []
    if len(numbers) == 1:
        values["import_pedimento"] = numbers[0]
        found = _import_line(numbers[0], partida.fraccion, ledger)
        if found is not None:
            values["import_line"], values["part"] = found
    elif numbers:
        fill.append(f"import_pedimento (512 descargos name {len(numbers)}: {' '.join(numbers)})")
    else:
        fill.append("import_pedimento (the Data Stage has no 512 descargo naming it)")
    if not values["import_line"]:
        fill.append("import_line (the Data Stage names no partida of the original pedimento)")
    if not values["part"]:
        fill.insert(0, "part")
    return values, fill


# --------------------------------------------------------------------------- one row


@dataclass(frozen=True, slots=True)
class Draft:
    """A drafted row (its file and cells in the file's column order), or why it is not drafted."""

    file: str
    cells: tuple[str, ...]
    not_drafted: str = ""
    fill_count: int = 0


def check_cells(file: str, values: Mapping[str, str], fill: Iterable[str]) -> list[Problem]:
    """What the ledger reader's schema says of the row, with the columns to fill standing in."""
    row = dict(values)
    for column in fill:
        row[column] = _PLACEHOLDERS.get(column, row.get("pedimento", ""))
    problems: list[Problem] = []
    schema = SCHEMAS[file]
    table = Table(file, tuple(c.name for c in schema.columns), ((2, row),))
    for _ in ledger_schema.parse_rows(schema, table, problems):
        pass
    return problems


def draft(
    file: str, values: dict[str, str], fill: list[str], fill_columns: Sequence[str], notes: list[str]
) -> Draft:
    """The row checked by the reader's schema: a refused optional value is blanked, a refused
    required one means no row."""
    optional = {c.name for c in SCHEMAS[file].columns if not c.required}
    for problem in check_cells(file, values, fill_columns):
        column = problem.column
        if column in optional:
            notes.append(f"{column}: Data Stage value {values[column]!r} left out ({problem.message})")
            values[column] = ""
            continue
        return Draft(file, (), f"{column}: {problem.message} (Data Stage value {values.get(column, '')!r})")
    values[TO_FILL_COLUMN] = "; ".join([*fill, *notes])
    return Draft(file, tuple(values.get(c, "") for c in COLUMNS[file]), fill_count=len(fill))


def drafts_of(
    ped: ds.DsPedimento,
    partida: ds.DsPartida,
    description: str,
    unit_value: str,
    descargos: Mapping[ds.PedimentoKey, list[Original]],
    ledger: Mapping[str, Mapping[int, Sequence[LedgerRow]]] | None,
) -> Draft:
    """The draft of one partida of an in-scope pedimento (see :func:`target_file`)."""
    file = target_file(ped)
    assert file is not None
    values = {
        "pedimento": ped.number,
        "line": str(partida.secuencia),
        "clave": ped.clave.strip().upper(),
        "cleared_on": ped.fecha_pago.isoformat(),
        "qty": format(partida.cantidad, "f"),
        "uom": str(partida.unidad),
        DESCRIPTION_COLUMN: description,
    }
    notes: list[str] = []
    if ped.tipo_pedimento == "2":
        notes.append("check: rectification (TipoPedimento 2) kept as its own pedimento")
    if file == REGULARIZATIONS:
        found, fill = regularization_source(ped, partida, descargos, ledger)
        values.update(found)
        fill_columns = [c for c in ("part", "import_pedimento", "import_line") if not values[c]]
        return draft(file, values, fill, fill_columns, notes)
    country = "country_of_origin" if file == IMPORTS else "destination_country"
    values.update({"unit_value_usd": unit_value, country: partida.pais, "hs": partida.hs})
    item = ITEM_COLUMN[file]
    values[item] = ""
    return draft(file, values, [item], [item], notes)


def not_drafted_row(ped: ds.DsPedimento, line: int | None, reason: str) -> list[str]:
    return [ped.number, "" if line is None else str(line), ped.clave.strip().upper(), reason]
