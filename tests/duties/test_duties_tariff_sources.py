"""Tariff data against the shape of the real source files.

US HTS: the USITC "Export" files of the HTS (JSON and CSV). The excerpts below are written
for these tests (a few lines of chapters 01, 85 and 87), laid out exactly as the real exports
are: the JSON as observed in the public repository tariffboard/htsdata, file htsdata.json
(commit 978a6ff997ce4a74c7686dceb4f8fa42a97ea146: a list of objects pretty-printed with
" : ", keys htsno, indent, description, superior, units, general, special, other, footnotes,
quotaQuantity, additionalDuties and the misspelt addiitionalDuties; label rows with an empty
htsno, "superior": "true" and null footnotes; statistical 10-digit lines with an empty
general rate under the 8-digit line that carries it), and the CSV as observed in the public
repository Oneusg/Customs, file htsdata.csv (commit 28c2b5a1cd5d3468da86cae6519fddbc315fb593:
header "HTS Number,Indent,Description,Unit of Quantity,General Rate of Duty,Special Rate of
Duty,Column 2 Rate of Duty,Quota Quantity,Additional Duties", every cell quoted, units as a
JSON list in one cell).

Mexican tariff: the layout of the Tarifa as the DOF prints it (CÓDIGO, DESCRIPCIÓN, UNIDAD,
and the ARANCEL columns IMP. and EXP.; capítulo, partida and subpartida rows between the
fracciones). The rates in these files are made up for the tests, not the official ones: no
machine-readable official source of the rates could be shipped (docs/duties.md, "Tariff data
sources").
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import yaml
from openpyxl import Workbook
from typer.testing import CliRunner

from immex.cli.duties import app
from immex.duties import tariff_service as svc
from immex.duties.tariff import HtsRow, TariffRow, hts_lookup, in_force, merge_release

runner = CliRunner()

USITC_JSON_EXCERPT = """[ {
  "htsno" : "8504",
  "indent" : "0",
  "description" : "Electrical transformers, static converters and inductors; parts thereof:",
  "superior" : null,
  "units" : [ ],
  "general" : "",
  "special" : "",
  "other" : "",
  "footnotes" : [ ],
  "quotaQuantity" : "",
  "additionalDuties" : "",
  "addiitionalDuties" : null
}, {
  "htsno" : "8504.40",
  "indent" : "1",
  "description" : "Static converters:",
  "superior" : null,
  "units" : [ ],
  "general" : "",
  "special" : "",
  "other" : "",
  "footnotes" : [ ],
  "quotaQuantity" : "",
  "additionalDuties" : "",
  "addiitionalDuties" : null
}, {
  "htsno" : "",
  "indent" : "2",
  "description" : "Other:",
  "superior" : "true",
  "units" : [ ],
  "general" : "",
  "special" : "",
  "other" : "",
  "footnotes" : null,
  "quotaQuantity" : null,
  "additionalDuties" : null,
  "addiitionalDuties" : null
}, {
  "htsno" : "8504.40.95",
  "indent" : "3",
  "description" : "Other",
  "superior" : null,
  "units" : [ ],
  "general" : "1.5%",
  "special" : "Free (A,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)",
  "other" : "35%",
  "footnotes" : [ {
    "columns" : [ "general" ],
    "value" : "See 9903.88.03. ",
    "type" : "endnote"
  } ],
  "quotaQuantity" : null,
  "additionalDuties" : null,
  "addiitionalDuties" : null
}, {
  "htsno" : "8504.40.95.10",
  "indent" : "4",
  "description" : "Power supplies",
  "superior" : null,
  "units" : [ "No." ],
  "general" : "",
  "special" : "",
  "other" : "",
  "footnotes" : [ ],
  "quotaQuantity" : null,
  "additionalDuties" : null,
  "addiitionalDuties" : null
}, {
  "htsno" : "8504.40.95.80",
  "indent" : "4",
  "description" : "Other",
  "superior" : null,
  "units" : [ "No." ],
  "general" : "",
  "special" : "",
  "other" : "",
  "footnotes" : [ ],
  "quotaQuantity" : null,
  "additionalDuties" : null,
  "addiitionalDuties" : null
}, {
  "htsno" : "0102.29.40",
  "indent" : "3",
  "description" : "Other",
  "superior" : null,
  "units" : [ ],
  "general" : "1¢/kg",
  "special" : "Free (A+,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)",
  "other" : "5.5¢/kg",
  "footnotes" : [ ],
  "quotaQuantity" : null,
  "additionalDuties" : null,
  "addiitionalDuties" : null
}, {
  "htsno" : "0102.29.40.24",
  "indent" : "5",
  "description" : "Male",
  "superior" : null,
  "units" : [ "No.", "kg" ],
  "general" : "",
  "special" : "",
  "other" : "",
  "footnotes" : [ ],
  "quotaQuantity" : null,
  "additionalDuties" : null,
  "addiitionalDuties" : null
}, {
  "htsno" : "8708.99.81",
  "indent" : "3",
  "description" : "Other",
  "superior" : null,
  "units" : [ ],
  "general" : "2.5%",
  "special" : "Free (A+,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)",
  "other" : "25%",
  "footnotes" : [ ],
  "quotaQuantity" : null,
  "additionalDuties" : null,
  "addiitionalDuties" : null
}, {
  "htsno" : "8708.99.81.80",
  "indent" : "4",
  "description" : "Other",
  "superior" : null,
  "units" : [ "No." ],
  "general" : "",
  "special" : "",
  "other" : "",
  "footnotes" : [ ],
  "quotaQuantity" : null,
  "additionalDuties" : null,
  "addiitionalDuties" : null
} ]
"""

USITC_CSV_EXCERPT = (
    "HTS Number,Indent,Description,Unit of Quantity,General Rate of Duty,Special Rate of Duty,"
    "Column 2 Rate of Duty,Quota Quantity,Additional Duties\n"
    '"8504","0","Electrical transformers, static converters and inductors; parts thereof:",'
    '"","","","","",""\n'
    '"8504.40","1","Static converters:","","","","","",""\n'
    '"","2","Other:","","","","","",""\n'
    '"8504.40.95","3","Other","","1.5%","Free (A,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)",'
    '"35%","",""\n'
    '"8504.40.95.10","4","Power supplies","[""No.""]","","","","",""\n'
    '"8504.40.95.80","4","Other","[""No.""]","","","","",""\n'
    '"0102.29.40","3","Other","","1¢/kg","Free (A+,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)",'
    '"5.5¢/kg","",""\n'
    '"0102.29.40.24","5","Male","[""No."",""kg""]","","","","",""\n'
)


def _by_code(path: Path) -> dict[str, HtsRow]:
    return {row.hts: row for row in svc.read_hts_table(path)}


def test_usitc_json_export_as_published(tmp_path: Path) -> None:
    source = tmp_path / "hts_2026_revision_1_json.json"
    source.write_text(USITC_JSON_EXCERPT, encoding="utf-8")
    assert isinstance(json.loads(USITC_JSON_EXCERPT), list)
    table = tmp_path / "us_hts.csv"
    result = runner.invoke(
        app,
        [
            "hts",
            "import",
            "--file",
            str(source),
            "--table",
            str(table),
            "--source",
            "USITC HTS 2026 Revision 1",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("9 HTS lines imported")  # the label row has no htsno
    rows = _by_code(table)
    assert set(rows) == {
        "8504",
        "850440",
        "85044095",
        "8504409510",
        "8504409580",
        "01022940",
        "0102294024",
        "87089981",
        "8708998180",
    }
    # The 10-digit statistical lines take the rate printed once on their 8-digit line.
    assert rows["8504409580"].general_text == "1.5%"
    assert rows["8504409580"].general_rate == Decimal("0.015")
    assert rows["8708998180"].general_rate == Decimal("0.025")
    # The special (FTA) and column 2 rates are never taken for the general one.
    assert rows["85044095"].general_rate == Decimal("0.015")
    # A specific duty is kept as text, without an ad valorem rate.
    assert rows["0102294024"].general_text == "1¢/kg"
    assert rows["0102294024"].general_rate is None
    assert rows["8504"].general_text == "" and rows["8504"].general_rate is None
    shown = runner.invoke(app, ["hts", "show", "8504.40.95.80", "--table", str(table)])
    assert shown.exit_code == 0
    assert "general 1.5% (0.015)" in shown.stdout and "USITC HTS 2026 Revision 1" in shown.stdout


def test_usitc_csv_export_as_published(tmp_path: Path) -> None:
    source = tmp_path / "hts_2026_revision_1_csv.csv"
    source.write_text(USITC_CSV_EXCERPT, encoding="utf-8")
    table = tmp_path / "us_hts.csv"
    assert svc.hts_import(source, table, "USITC HTS 2026 Revision 1") == 7
    rows = _by_code(table)
    assert rows["8504409510"].general_rate == Decimal("0.015")
    assert rows["8504409510"].description == "Power supplies"
    assert rows["0102294024"].general_rate is None
    assert rows["8504"].description.startswith("Electrical transformers, static converters")


def test_usitc_json_and_csv_exports_give_the_same_table(tmp_path: Path) -> None:
    as_json = tmp_path / "hts.json"
    as_json.write_text(USITC_JSON_EXCERPT, encoding="utf-8")
    as_csv = tmp_path / "hts.csv"
    as_csv.write_text(USITC_CSV_EXCERPT, encoding="utf-8")
    from_json = svc.read_usitc_export(as_json, "rev 1")
    from_csv = svc.read_usitc_export(as_csv, "rev 1")
    common = {row.hts for row in from_csv}
    assert [row for row in from_json if row.hts in common] == from_csv


def test_usitc_export_kept_to_the_codes_the_company_exports(tmp_path: Path) -> None:
    source = tmp_path / "hts.json"
    source.write_text(USITC_JSON_EXCERPT, encoding="utf-8")
    table = tmp_path / "us_hts.csv"
    assert svc.hts_import(source, table, "rev 1", ["8504.40.95.80"]) == 4
    assert set(_by_code(table)) == {"8504", "850440", "85044095", "8504409580"}
    found = hts_lookup(svc.read_hts_table(table), "8504409580")
    assert found is not None and found.general_rate == Decimal("0.015")


# --- Mexican tariff ----------------------------------------------------------------------

DOF_LAYOUT_CSV = (
    "CÓDIGO,DESCRIPCIÓN,UNIDAD,IMP.,EXP.\n"
    '85,"Máquinas, aparatos y material eléctrico, y sus partes",,,\n'
    '85.04,"Transformadores eléctricos, convertidores eléctricos estáticos",,,\n'
    "8504.40,- Convertidores estáticos:,,,\n"
    "8504.40.99,Los demás.,Kg,15,Ex.\n"
    "8708.99.99,Los demás.,Kg,Ex.,Ex.\n"
)


def test_official_tariff_in_the_dof_layout_skips_headings(tmp_path: Path) -> None:
    """Illustrative rates; the layout (headings between fracciones, IMP./EXP.) is the DOF's."""
    source = tmp_path / "tarifa.csv"
    source.write_text(DOF_LAYOUT_CSV, encoding="utf-8")
    data = tmp_path / "data"
    result = runner.invoke(
        app,
        [
            "tariff",
            "update",
            "--file",
            str(source),
            "--since",
            "2026-01-01",
            "--source",
            "test release",
            "--data-dir",
            str(data),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("2 rows read")
    shown = runner.invoke(
        app,
        ["tariff", "show", "8504.40.99", "--date", "2026-03-01", "--data-dir", str(data), "--format", "json"],
    )
    assert shown.exit_code == 0, shown.stderr
    # The Tarifa's rate is by fracción: it reaches the NICO rows of the shipped catalog.
    [row] = json.loads(shown.stdout)
    assert (row["nico"], row["igi_rate"], row["unit"], row["since"]) == ("00", "0.15", "Kg", "2026-01-01")
    by_nico = svc.tariff_show("8504.40.99.00", dt.date(2026, 3, 1), data)
    assert [r.igi_rate for r in by_nico.rows] == [Decimal("0.15")]
    before = svc.tariff_show("8504.40.99", dt.date(2025, 12, 31), data)
    assert [r.igi_rate for r in before.rows] == [None]  # the shipped catalog has no rate
    exento = svc.tariff_show("8708.99.99", dt.date(2026, 3, 1), data)
    assert len(exento.rows) > 1 and {r.igi_rate for r in exento.rows} == {Decimal(0)}
    assert len({r.description for r in exento.rows}) > 1  # each NICO keeps its text


def test_official_tariff_with_the_rate_named_on_a_second_header_row(tmp_path: Path) -> None:
    """ARANCEL spans IMP. and EXP. on the row below the one that names the columns."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["CÓDIGO", "DESCRIPCIÓN", "UNIDAD", None, None])
    sheet.append([None, None, None, "IMP.", "EXP."])
    sheet.append(["8504.40", "- Convertidores estáticos:", None, None, None])
    sheet.append(["8504.40.99", "Los demás.", "Kg", "15", "Ex."])
    path = tmp_path / "tarifa.xlsx"
    book.save(path)
    [row] = svc.read_official_tariff(path, dt.date(2026, 1, 1), "test release")
    assert (row.fraccion, row.igi_rate, row.unit) == ("85044099", Decimal("0.15"), "Kg")


def test_every_shipped_row_cites_a_listed_source() -> None:
    listed = yaml.safe_load(
        (Path(svc.__file__).parents[1] / "rules" / "duties" / "tariff" / "sources.yaml").read_text(
            encoding="utf-8"
        )
    )
    rows = svc.read_tariff_csv(svc.shipped_tariff_text(), "ligie.csv")
    assert {row.source for row in rows} <= set(listed)
    # No shipped rate without a source that carries rates.
    assert all(row.igi_rate is None for row in rows)


def test_a_fraccion_rate_reaches_its_nicos_unless_the_release_names_the_nico() -> None:
    day = dt.date(2026, 1, 1)
    shipped = [
        TariffRow("85444299", nico, text, "", None, dt.date(2020, 12, 28), None, "catalog")
        for nico, text in (("01", "De cobre"), ("99", "Los demás"))
    ]
    release = [
        TariffRow("85444299", "", "Los demás.", "Kg", Decimal("0.10"), day, None, "DOF"),
        TariffRow("85444299", "01", "De cobre", "Kg", Decimal("0.05"), day, None, "DOF"),
    ]
    merged = merge_release(shipped, release, day)
    now = {r.nico: (r.igi_rate, r.description) for r in in_force(merged, "85444299", None, day)}
    assert now == {"01": (Decimal("0.05"), "De cobre"), "99": (Decimal("0.10"), "Los demás")}
    before = in_force(merged, "85444299", None, dt.date(2025, 12, 31))
    assert [(r.nico, r.igi_rate, r.until) for r in before] == [
        ("01", None, dt.date(2025, 12, 31)),
        ("99", None, dt.date(2025, 12, 31)),
    ]
    # A fracción the table does not have yet comes in as it is, without NICO.
    [new] = merge_release([], release[:1], day)
    assert (new.nico, new.igi_rate) == ("", Decimal("0.10"))
