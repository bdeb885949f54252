"""`immex datastage compulsa` / `to-ledger` as a user runs them: exit codes, files, every error path."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from immex.cli import datastage_compulsa

from .compulsa_helpers import (
    Par,
    Ped,
    Stage,
    import_row,
    read_differences,
    write_csv,
    write_ledger,
    write_stage,
)

app = typer.Typer()
datastage_compulsa.register(app)
runner = CliRunner()

PED = Ped()
PAR = Par(PED)
ERRORS_HEADER = "file,row,column,message"


def compulsa(tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        [
            "compulsa",
            "--datastage",
            str(tmp_path / "ds.zip"),
            "--input",
            str(tmp_path / "ledger"),
            "--output",
            str(tmp_path / "out"),
            *extra,
        ],
    )
    return result.exit_code, result.stdout, result.stderr


def errors(tmp_path: Path) -> list[tuple[str, str, str]]:
    with (tmp_path / "out" / "errors.csv").open(encoding="utf-8") as handle:
        return [(r["file"], r["row"], r["column"]) for r in csv.DictReader(handle)]


def test_compulsa_writes_differences_workbook_and_pdf(tmp_path: Path) -> None:
    other = Ped(pedimento="6000002")
    write_stage(tmp_path / "ds.zip", Stage([PED, other], [PAR, Par(other)]))
    write_ledger(tmp_path / "ledger", [import_row(PAR, qty="99")])
    code, out, _ = compulsa(tmp_path)
    assert code == 0
    assert "2 differences" in out
    rows = read_differences(tmp_path / "out" / "differences.csv")
    assert [(r["field"], r["kind"]) for r in rows] == [
        ("qty", "mismatch"),
        ("pedimento", "missing_in_ledger"),
    ]
    book = load_workbook(tmp_path / "out" / "compulsa.xlsx", read_only=True)
    assert book.sheetnames[0] == "Summary" and "Missing in ledger" in book.sheetnames
    missing = list(book["Missing in ledger"].iter_rows(values_only=True))
    assert missing[0][:6] == ("pedimento", "line", "field", "ledger", "datastage", "kind")
    assert missing[1][0] == other.number
    assert "not in the ledger" in str(missing[1][6]) and "to-ledger" in str(missing[1][7])
    quantity = list(book["Quantity"].iter_rows(values_only=True))
    assert quantity[1][3:5] == ("99.000", "100.000")
    pdf = (tmp_path / "out" / "compulsa.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") <= 1


def test_pdf_is_one_page(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    peds = [Ped(pedimento=f"60000{i:02d}") for i in range(40)]
    write_stage(tmp_path / "ds.zip", Stage(peds, [Par(p) for p in peds]))
    write_ledger(tmp_path / "ledger", [import_row(Par(peds[0]), qty="1")])
    assert compulsa(tmp_path)[0] == 0
    reader = pypdf.PdfReader(str(tmp_path / "out" / "compulsa.pdf"))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "40 difference(s) found" in text and "Reviewed by (auditor)" in text


def test_no_reports_option_writes_only_differences(tmp_path: Path) -> None:
    write_stage(tmp_path / "ds.zip", Stage([PED], [PAR]))
    write_ledger(tmp_path / "ledger", [import_row(PAR)])
    assert compulsa(tmp_path, "--no-reports")[0] == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["differences.csv"]


def _bad_ledger_case(tmp_path: Path, case: str) -> list[tuple[str, str, str]]:
    """Write a ledger with one problem; return the (file, row, column) expected in errors.csv."""
    folder = tmp_path / "ledger"
    good = import_row(PAR)
    if case == "missing imports.csv":
        write_ledger(folder, [good])
        (folder / "imports.csv").unlink()
        return [("imports.csv", "", "")]
    if case == "missing column":
        write_csv(folder / "imports.csv", ("pedimento", "line", "clave", "cleared_on", "part", "qty"), [good])
        write_csv(
            folder / "exports.csv", ("pedimento", "line", "clave", "cleared_on", "product", "qty", "uom"), []
        )
        return [("imports.csv", "1", "uom")]
    rows = {
        "pedimento": {"pedimento": "26 07 3921 600000"},
        "line": {"line": "0"},
        "clave": {"clave": ""},
        "cleared_on": {"cleared_on": "2026-02-30"},
        "part": {"part": ""},
        "qty": {"qty": "-1"},
        "unit_value_usd": {"unit_value_usd": "1e3"},
        "hs": {"hs": "8542.3"},
        "country_of_origin": {"country_of_origin": "XX"},
        "uom": {"uom": "bushel"},
    }
    if case in rows:
        write_ledger(folder, [import_row(PAR, **rows[case])])
        return [("imports.csv", "2", case)]
    if case == "country of 4 letters":
        write_ledger(folder, [import_row(PAR, country_of_origin="CHNA")])
        return [("imports.csv", "2", "country_of_origin")]
    if case == "duplicate part on a partida":
        write_ledger(folder, [good, good])
        return [("imports.csv", "3", "part")]
    if case == "pedimento in imports and exports":
        write_ledger(folder, [good], [import_row(PAR, product="FG", clave="RT")])
        return [("exports.csv", "2", "pedimento")]
    if case == "unknown part with parts.csv":
        write_ledger(folder, [good], parts=[{"part": "OTHER", "uom": "6", "kind": "raw"}])
        return [("imports.csv", "2", "part")]
    if case == "unit not convertible to the base unit":
        write_ledger(folder, [good], parts=[{"part": "P1", "uom": "kg", "kind": "raw"}])
        return [("imports.csv", "2", "uom")]
    if case == "bad part kind":
        write_ledger(folder, [good], parts=[{"part": "P1", "uom": "6", "kind": "gadget"}])
        return [("parts.csv", "2", "kind"), ("imports.csv", "2", "part")]
    if case == "bad conversion factor":
        write_ledger(folder, [good], conversions=[{"from_uom": "box", "to_uom": "pcs", "factor": "0"}])
        return [("uom_conversions.csv", "2", "factor")]
    if case == "override code not in Apéndice 7":
        write_ledger(folder, [good], overrides=[{"uom": "bag", "code": "99"}])
        return [("uom_apendice7.csv", "2", "code")]
    assert case == "override maps one name twice"
    write_ledger(folder, [good], overrides=[{"uom": "bag", "code": "6"}, {"uom": "BAG", "code": "1"}])
    return [("uom_apendice7.csv", "3", "uom")]


LEDGER_CASES = (
    "missing imports.csv",
    "missing column",
    "pedimento",
    "line",
    "clave",
    "cleared_on",
    "part",
    "qty",
    "unit_value_usd",
    "hs",
    "country_of_origin",
    "uom",
    "country of 4 letters",
    "duplicate part on a partida",
    "pedimento in imports and exports",
    "unknown part with parts.csv",
    "unit not convertible to the base unit",
    "bad part kind",
    "bad conversion factor",
    "override code not in Apéndice 7",
    "override maps one name twice",
)


@pytest.mark.parametrize("case", LEDGER_CASES)
def test_invalid_ledger_exits_2_with_errors_csv_and_no_differences(tmp_path: Path, case: str) -> None:
    write_stage(tmp_path / "ds.zip", Stage([PED], [PAR]))
    expected = _bad_ledger_case(tmp_path, case)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "differences.csv").write_text("stale\n", encoding="utf-8")
    code, _, stderr = compulsa(tmp_path)
    assert code == 2
    assert not (tmp_path / "out" / "differences.csv").exists()
    assert errors(tmp_path) == expected
    assert stderr.splitlines()[0] == ERRORS_HEADER
    assert (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8") == stderr


def _write_entries(path: Path, entries: dict[str, list[str]]) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for tipo, lines in entries.items():
            archive.writestr(f"7300001_{tipo}.asc", "".join(lines))


def test_invalid_zip_exits_2_and_lists_zip_and_ledger_problems_together(tmp_path: Path) -> None:
    from .compulsa_helpers import stage_entries

    entries = stage_entries(Stage([PED], [PAR]))
    entries["551"][1] = entries["551"][1].replace("|85423901|", "|8542390|")
    _write_entries(tmp_path / "ds.zip", entries)
    write_ledger(tmp_path / "ledger", [import_row(PAR, line="x")])
    code, _, _ = compulsa(tmp_path)
    assert code == 2
    assert errors(tmp_path) == [("7300001_551.asc", "2", "Fraccion"), ("imports.csv", "2", "line")]


def test_missing_required_entry_is_an_error(tmp_path: Path) -> None:
    from .compulsa_helpers import stage_entries

    entries = stage_entries(Stage([PED], [PAR]))
    del entries["551"]
    _write_entries(tmp_path / "ds.zip", entries)
    write_ledger(tmp_path / "ledger", [import_row(PAR)])
    assert compulsa(tmp_path)[0] == 2
    assert errors(tmp_path) == [("7300001_551.asc", "", "")]


def test_two_501_lines_with_one_number_are_an_error(tmp_path: Path) -> None:
    a = Ped(seccion="070")
    b = Ped(seccion="071")  # same aduana 07, patente and number: the same 15 digits
    write_stage(tmp_path / "ds.zip", Stage([a, b], [Par(a), Par(b)]))
    write_ledger(tmp_path / "ledger", [import_row(Par(a))])
    assert compulsa(tmp_path)[0] == 2
    assert errors(tmp_path) == [("7300001_501.asc", "3", "")]


def test_not_a_zip_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "ds.zip").write_text("not a zip", encoding="utf-8")
    write_ledger(tmp_path / "ledger", [import_row(PAR)])
    assert compulsa(tmp_path)[0] == 2
    assert errors(tmp_path) == [("ds.zip", "", "")]


def test_resumen_total_mismatch_is_a_warning_not_an_error(tmp_path: Path) -> None:
    from .compulsa_helpers import stage_entries

    entries = stage_entries(Stage([PED], [PAR]))
    entries["Resumen"][1] = entries["Resumen"][1].replace("|1|0|", "|7|0|")
    _write_entries(tmp_path / "ds.zip", entries)
    write_ledger(tmp_path / "ledger", [import_row(PAR)])
    code, _, stderr = compulsa(tmp_path)
    assert code == 0
    assert "Total_Fracciones" in stderr
    assert read_differences(tmp_path / "out" / "differences.csv") == []


def test_input_and_db_are_exclusive(tmp_path: Path) -> None:
    write_stage(tmp_path / "ds.zip", Stage([PED], [PAR]))
    write_ledger(tmp_path / "ledger", [import_row(PAR)])
    assert compulsa(tmp_path, "--db", "sqlite:///x.db")[0] == 2
    result = runner.invoke(
        app, ["compulsa", "--datastage", str(tmp_path / "ds.zip"), "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 2


def test_ledger_as_xlsx_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    write_stage(tmp_path / "ds.zip", Stage([PED], [PAR]))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "imports"
    row = import_row(PAR, qty="98")
    sheet.append(list(row))
    sheet.append(list(row.values()))
    exports = book.create_sheet("exports")
    exports.append(["pedimento", "line", "clave", "cleared_on", "product", "qty", "uom"])
    book.save(tmp_path / "ledger.xlsx")
    result = runner.invoke(
        app,
        [
            "compulsa",
            "--datastage",
            str(tmp_path / "ds.zip"),
            "--input",
            str(tmp_path / "ledger.xlsx"),
            "--output",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert [r["field"] for r in read_differences(tmp_path / "out" / "differences.csv")] == ["qty"]


# --------------------------------------------------------------------------- to-ledger


def test_to_ledger_drafts_only_missing_pedimentos_with_the_part_left_to_fill(tmp_path: Path) -> None:
    other = Ped(pedimento="6000002", tipo_operacion="2", clave="RT", fecha_pago="2026-01-09")
    rect = Ped(pedimento="6000003", tipo_pedimento="2")
    stage = Stage(
        [PED, other, rect],
        [PAR, Par(other, secuencia=2, cantidad="3", valor="10.00"), Par(rect, cantidad="0", valor="0")],
    )
    write_stage(tmp_path / "ds.zip", stage)
    write_ledger(tmp_path / "ledger", [import_row(PAR)])
    result = runner.invoke(
        app,
        [
            "to-ledger",
            "--datastage",
            str(tmp_path / "ds.zip"),
            "--input",
            str(tmp_path / "ledger"),
            "--output",
            str(tmp_path / "draft"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "FILL" in result.stdout and "1 already in the ledger" in result.stdout
    exports = list(csv.DictReader((tmp_path / "draft" / "exports.csv").open(encoding="utf-8")))
    assert exports == [
        {
            "pedimento": other.number,
            "line": "2",
            "clave": "RT",
            "cleared_on": "2026-01-09",
            "product": "",
            "qty": "3",
            "uom": "6",
            "unit_value_usd": "3.333",
            "destination_country": "CHN",
            "hs": "8542390100",
            "datastage_description": "CIRCUITO INTEGRADO",
            "to_fill": "product",
        }
    ]
    # A declared quantity of 0 is refused by the ledger reader: not drafted, listed with the reason.
    assert list(csv.DictReader((tmp_path / "draft" / "imports.csv").open(encoding="utf-8"))) == []
    skipped = list(csv.DictReader((tmp_path / "draft" / "not_drafted.csv").open(encoding="utf-8")))
    assert [(r["pedimento"], r["line"], r["clave"]) for r in skipped] == [(rect.number, "1", "IN")]
    assert skipped[0]["reason"] == "qty: '0' must be greater than 0 (Data Stage value '0')"
    assert "not drafted: 1 rows in not_drafted.csv" in result.stdout


def test_to_ledger_without_a_ledger_drafts_everything(tmp_path: Path) -> None:
    write_stage(tmp_path / "ds.zip", Stage([PED], [PAR, Par(PED, secuencia=2)]))
    result = runner.invoke(
        app, ["to-ledger", "--datastage", str(tmp_path / "ds.zip"), "--output", str(tmp_path / "draft")]
    )
    assert result.exit_code == 0
    header = (tmp_path / "draft" / "imports.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "pedimento,line,clave,cleared_on,part,qty,uom,unit_value_usd,country_of_origin,hs,"
        "datastage_description,to_fill"
    )
    assert len((tmp_path / "draft" / "imports.csv").read_text(encoding="utf-8").splitlines()) == 3


def test_to_ledger_invalid_zip_exits_2(tmp_path: Path) -> None:
    (tmp_path / "ds.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    result = runner.invoke(
        app, ["to-ledger", "--datastage", str(tmp_path / "ds.zip"), "--output", str(tmp_path / "draft")]
    )
    assert result.exit_code == 2
    assert "required entry" in result.stderr


def test_ledger_file_in_windows_1252_is_read(tmp_path: Path) -> None:
    write_stage(tmp_path / "ds.zip", Stage([PED], [PAR]))
    write_ledger(tmp_path / "ledger", [import_row(PAR)])
    path = tmp_path / "ledger" / "imports.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("P1", "PIÑA").encode("cp1252"))
    assert "PIÑA" in path.read_text(encoding="cp1252")
    assert compulsa(tmp_path)[0] == 0


def test_ledger_file_neither_utf8_nor_windows_1252_is_an_error(tmp_path: Path) -> None:
    write_stage(tmp_path / "ds.zip", Stage([PED], [PAR]))
    write_ledger(tmp_path / "ledger", [import_row(PAR)])
    path = tmp_path / "ledger" / "imports.csv"
    size = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b"260739216000001,2,IN,2026-01-10,P\x81\xe9A,1,6\n")
    assert compulsa(tmp_path)[0] == 2
    (problem,) = errors(tmp_path)
    assert problem[:2] == ("imports.csv", "")
    assert f"byte offset {size + 33}" in (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8")


def test_anexo22_command_writes_findings(tmp_path: Path) -> None:
    bad = Ped(clave="ZZ")
    write_stage(tmp_path / "ds.zip", Stage([bad], [Par(bad, unidad="55", pais="XXX")]))
    result = runner.invoke(
        app, ["anexo22", "--datastage", str(tmp_path / "ds.zip"), "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "anexo22.csv").open(encoding="utf-8") as handle:
        found = {(r["file"], r["row"], r["column"]) for r in csv.DictReader(handle)}
    assert {
        ("7300001_501.asc", "2", "ClaveDocumento"),
        ("7300001_551.asc", "2", "UnidadMedidaComercial"),
        ("7300001_551.asc", "2", "PaisOrigenDestino"),
    } <= found


def test_anexo22_command_invalid_zip_exits_2(tmp_path: Path) -> None:
    (tmp_path / "ds.zip").write_text("nope", encoding="utf-8")
    result = runner.invoke(
        app, ["anexo22", "--datastage", str(tmp_path / "ds.zip"), "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
