"""`to-ledger` rule by rule: each Data Stage pedimento drafted into its file by its clave's class,
never a row the ledger reader refuses, A3 with the original import named where the Data Stage can."""

from __future__ import annotations

import csv
from pathlib import Path

from immex.compulsa.service import to_ledger
from immex.datastage.layout import LAYOUTS
from immex.ledger.read import read_ledger

from .compulsa_helpers import Par, Ped, Stage, import_row, write_ledger, write_stage

LOT = Ped(pedimento="5000001", clave="IN", fecha_pago_real="2026-01-05 09:00:00")
A3 = Ped(pedimento="6000009", clave="A3", fecha_pago_real="2026-01-20 09:00:00")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _draft(tmp_path: Path, stage: Stage, extra: dict[str, list[str]] | None = None, **kw: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    zip_path = write_stage(tmp_path / "ds.zip", stage, extra)
    to_ledger(zip_path, tmp_path / "draft", **kw)  # type: ignore[arg-type]
    return tmp_path / "draft"


def _descargo(ped: Ped, original: Ped, fraccion: str = "85423901") -> dict[str, list[str]]:
    values = {
        "Patente": ped.patente,
        "Pedimento": ped.pedimento,
        "SeccionAduanera": ped.seccion,
        "PatenteAduanalOrig": original.patente,
        "PedimentoOriginal": original.pedimento,
        "SeccionAduaneraDespOrig": original.seccion,
        "DocumentoOriginal": original.clave,
        "FechaOperacionOrig": original.fecha_pago_real[:10],
        "FraccionOriginal": fraccion,
        "UnidadMedida": "6",
        "MercanciaDescargada": "100.000",
        "TipoPedimento": "1",
        "FechaPagoReal": ped.fecha_pago_real,
    }
    line = "|".join(values.get(name, "") for name in LAYOUTS["512"]) + "|\r\n"
    return {"512": ["|".join(LAYOUTS["512"]) + "\r\n", line]}


def test_each_clave_class_goes_to_its_file(tmp_path: Path) -> None:
    peds = [
        Ped(pedimento="6000001", clave="IN"),
        Ped(pedimento="6000002", clave="AF"),
        Ped(pedimento="6000003", clave="V1"),  # virtual import (TipoOperacion 1)
        Ped(pedimento="6000004", clave="V1", tipo_operacion="2"),  # virtual return
        Ped(pedimento="6000005", clave="RT", tipo_operacion="2"),
        Ped(pedimento="6000006", clave="V5", tipo_operacion="2"),
        Ped(pedimento="6000007", clave="F4"),
        Ped(pedimento="6000008", clave="F5"),
        A3,
    ]
    draft = _draft(tmp_path, Stage(peds, [Par(p) for p in peds]))
    by_file = {
        name: [(r["pedimento"][-1], r["clave"]) for r in _rows(draft / name)]
        for name in ("imports.csv", "exports.csv", "regularizations.csv")
    }
    assert by_file == {
        "imports.csv": [("1", "IN"), ("2", "AF"), ("3", "V1")],
        "exports.csv": [("4", "V1"), ("5", "RT"), ("6", "V5"), ("7", "F4"), ("8", "F5")],
        "regularizations.csv": [("9", "A3")],
    }
    assert _rows(draft / "not_drafted.csv") == []


def test_definitive_imports_transits_and_temporary_exports_are_not_drafted(tmp_path: Path) -> None:
    peds = [
        Ped(pedimento="6000001", clave="IN"),
        Ped(pedimento="6000002", clave="A1"),
        Ped(pedimento="6000003", clave="T3"),
        Ped(pedimento="6000004", clave="BM", tipo_operacion="2"),
        Ped(pedimento="6000005", clave="IN", tipo_operacion="2"),  # an import clave on an export
    ]
    tmp_path.mkdir(exist_ok=True)
    zip_path = write_stage(tmp_path / "ds.zip", Stage(peds, [Par(p, pais="-") for p in peds]))
    result = to_ledger(zip_path, tmp_path / "draft")
    assert (result.imports, result.exports, result.regularizations) == (1, 0, 0)
    assert result.out_of_scope == (("A1", 1), ("BM", 1), ("IN", 1), ("T3", 1))
    skipped = _rows(tmp_path / "draft" / "not_drafted.csv")
    assert [(r["pedimento"][-1], r["line"], r["clave"]) for r in skipped] == [
        ("2", "", "A1"),
        ("3", "", "T3"),
        ("4", "", "BM"),
        ("5", "", "IN"),
    ]
    assert "does not discharge" in skipped[0]["reason"] and "no Anexo 24 movement" in skipped[1]["reason"]
    assert "TipoOperacion 2" in skipped[3]["reason"]


def test_a_country_the_reader_refuses_is_left_empty_with_a_note(tmp_path: Path) -> None:
    draft = _draft(tmp_path, Stage([LOT], [Par(LOT, pais="-")]))
    (row,) = _rows(draft / "imports.csv")
    assert row["country_of_origin"] == ""
    assert row["to_fill"].startswith("part; country_of_origin: Data Stage value '-' left out (")


def test_a3_names_the_original_import_from_the_512_descargo(tmp_path: Path) -> None:
    draft = _draft(tmp_path, Stage([A3], [Par(A3)]), _descargo(A3, LOT))
    (row,) = _rows(draft / "regularizations.csv")
    assert (row["import_pedimento"], row["import_line"], row["part"]) == (LOT.number, "", "")
    assert row["to_fill"] == ("part; import_line (the Data Stage names no partida of the original pedimento)")


def test_a3_takes_line_and_part_from_the_ledger_when_one_line_fits(tmp_path: Path) -> None:
    ledger = write_ledger(tmp_path / "ledger", [import_row(Par(LOT), part="CHIP-7")])
    draft = _draft(tmp_path, Stage([LOT, A3], [Par(LOT), Par(A3)]), _descargo(A3, LOT), input_dir=ledger)
    (row,) = _rows(draft / "regularizations.csv")
    assert (row["import_pedimento"], row["import_line"], row["part"], row["to_fill"]) == (
        LOT.number,
        "1",
        "CHIP-7",
        "",
    )
    assert _rows(draft / "imports.csv") == []  # the lot is in the ledger already
    # nothing left to fill: the drafted row reads back with the ledger it came from
    (tmp_path / "ledger" / "regularizations.csv").write_bytes((draft / "regularizations.csv").read_bytes())
    staged = read_ledger(tmp_path / "ledger", required=("imports.csv", "exports.csv"))
    assert staged.problems == []
    assert staged.ledger is not None and [r.lot_key for r in staged.ledger.regularizations] == [
        (LOT.number, 1, "CHIP-7")
    ]


def test_a3_without_a_descargo_says_the_import_pedimento_is_to_fill(tmp_path: Path) -> None:
    draft = _draft(tmp_path, Stage([A3], [Par(A3)]))
    (row,) = _rows(draft / "regularizations.csv")
    assert row["import_pedimento"] == "" and row["import_line"] == ""
    assert "import_pedimento (the Data Stage has no 512 descargo naming it)" in row["to_fill"]


def test_cli_names_what_was_not_drafted(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from immex.cli.datastage import app

    peds = [LOT, Ped(pedimento="6000002", clave="A1")]
    partidas = [Par(LOT), Par(peds[1]), Par(LOT, secuencia=2, cantidad="0")]
    write_stage(tmp_path / "ds.zip", Stage(peds, partidas))
    result = CliRunner().invoke(
        app, ["to-ledger", "--datastage", str(tmp_path / "ds.zip"), "--output", str(tmp_path / "d")]
    )
    assert result.exit_code == 0, result.output
    assert "to-ledger: 1 pedimentos drafted (1 import rows, 0 export rows, 0 regularization rows)" in (
        result.stdout
    )
    assert (
        "not drafted: 2 rows in not_drafted.csv (pedimentos of no Anexo 24 movement: A1 1; "
        "partidas the ledger reader would refuse: 1)"
    ) in result.stdout
    assert "wrote " + str(tmp_path / "d" / "regularizations.csv") in result.stdout
