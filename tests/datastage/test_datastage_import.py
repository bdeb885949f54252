"""Import into the store: all-or-nothing, idempotent, replace per pedimento and per Resumen folio.

Every test that touches a database runs on SQLite and on PostgreSQL (``db_url``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from immex.cli import app
from immex.core.problems import InputError
from immex.datastage.layout import TYPES
from immex.datastage.orm import TABLES
from immex.datastage.read import pedimentos, read_zip
from immex.datastage.service import import_datastage, summarize_store, summarize_zip
from immex.store.db import make_engine, open_database
from tests.datastage.synth import SynthSpec, write_synthetic_zip

from .helpers import field_of, set_field, small_lines, zip_of


def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            result = {}
            for tipo, table in TABLES.items():
                order = list(table.primary_key.columns)
                result[tipo] = [
                    tuple(str(v) if isinstance(v, Decimal) else v for v in row)
                    for row in conn.execute(select(table).order_by(*order))
                ]
            return result
    finally:
        engine.dispose()


def test_import_stores_every_record_type(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "ds.zip"
    stats = write_synthetic_zip(path, SynthSpec(partidas=120, seed=4))
    result = import_datastage(path, db_url)
    assert result.counts == stats.counts
    stored = snapshot(db_url)
    assert {t: len(rows) for t, rows in stored.items()} == stats.counts
    assert result.replaced == 0


def test_stored_pedimento_has_15_digit_number_and_fecha_de_pago(db_url: str, tmp_path: Path) -> None:
    path = zip_of(tmp_path, small_lines())
    import_datastage(path, db_url)
    expected = {p.key: (p.number, p.fecha_pago) for p in pedimentos(read_zip(path))}
    engine = make_engine(db_url)
    with engine.connect() as conn:
        c = TABLES["501"].c
        stored = {
            (r.patente, r.pedimento, r.seccion_aduanera): (r.numero, r.fecha_pago)
            for r in conn.execute(select(c.patente, c.pedimento, c.seccion_aduanera, c.numero, c.fecha_pago))
        }
        usd = conn.execute(select(TABLES["551"].c.valor_dolares)).scalars().all()
    engine.dispose()
    assert stored == expected
    assert all(isinstance(d, dt.date) for _, d in stored.values())
    assert all(isinstance(v, Decimal) for v in usd)


def test_reimport_changes_nothing(db_url: str, tmp_path: Path) -> None:
    path = zip_of(tmp_path, small_lines())
    import_datastage(path, db_url)
    first = snapshot(db_url)
    result = import_datastage(path, db_url)
    assert snapshot(db_url) == first
    assert result.replaced == result.pedimentos


@pytest.mark.parametrize(
    "corruption",
    [
        "truncated line",
        "wrong field count",
        "impossible date",
        "missing 551",
        "duplicated type",
        "bad header",
        "unknown pedimento",
        "bad encoding",
    ],
)
def test_invalid_zip_leaves_the_store_unchanged(db_url: str, tmp_path: Path, corruption: str) -> None:
    good = zip_of(tmp_path, small_lines(), "good.zip")
    import_datastage(good, db_url)
    before = snapshot(db_url)
    lines = small_lines()
    names: dict[str, str] = {}
    if corruption == "truncated line":
        lines["557"][2] = lines["557"][2][:25]
    elif corruption == "wrong field count":
        lines["501"][1] = lines["501"][1].replace("|", "|x|", 1)
    elif corruption == "impossible date":
        lines["505"][1] = set_field(lines["505"][1], "505", "FechaFacturacion", "2026-02-29")
    elif corruption == "missing 551":
        del lines["551"]
    elif corruption == "duplicated type":
        lines["Sel2"] = lines["Sel"]
        names["Sel2"] = "sub/7300002_sel.ASC"
    elif corruption == "bad header":
        lines["510"][0] = lines["510"][0].replace("ImportePago", "Importe")
    elif corruption == "unknown pedimento":
        lines["702"].append(set_field(lines["510"][1], "510", "Pedimento", "1234567"))
    elif corruption == "bad encoding":
        lines["551"][1] = set_field(lines["551"][1], "551", "Fraccion", "7318·504")
    bad = zip_of(tmp_path, lines, "bad.zip", names=names)
    with pytest.raises(InputError) as error:
        import_datastage(bad, db_url)
    assert error.value.problems
    assert snapshot(db_url) == before


def test_replace_semantics_per_pedimento_and_resumen_folio(db_url: str, tmp_path: Path) -> None:
    lines = small_lines()
    first_zip = zip_of(tmp_path, lines, "a.zip")
    import_datastage(first_zip, db_url)
    before = snapshot(db_url)
    keys = [tuple(line.split("|")[:3]) for line in lines["501"][1:]]
    changed, dropped_partidas = keys[0], keys[1]
    kept = set(keys[2:])
    # second ZIP: pedimento 0 with another clave, pedimento 1 with only its first partida
    second: dict[str, list[str]] = {t: [lines[t][0]] for t in TYPES}
    for tipo in TYPES:
        for line in lines[tipo][1:]:
            key = tuple(line.split("|")[:3])
            if tipo == "Resumen":
                second[tipo].append(set_field(line, tipo, "RFCoPatenteAduanal", "OTRO010101AAA"))
            elif key == changed:
                second[tipo].append(set_field(line, tipo, "ClaveDocumento", "A3") if tipo == "501" else line)
            elif key == dropped_partidas:
                partida_level = tipo in {"551", "552", "553", "554", "555", "556", "557", "558"}
                if not partida_level or field_of(line, tipo, "SecuenciaFraccion") == "1":
                    second[tipo].append(line)
    import_datastage(zip_of(tmp_path, second, "b.zip"), db_url)
    after = snapshot(db_url)

    def of(rows: list[tuple[Any, ...]], key: tuple[str, ...]) -> list[tuple[Any, ...]]:
        return [r for r in rows if tuple(r[:3]) == key]

    for tipo in TYPES:
        if tipo == "Resumen":
            continue
        for key in kept:  # untouched
            assert of(after[tipo], key) == of(before[tipo], key), tipo
    assert [r[4] for r in of(after["501"], changed)] == ["A3"]
    assert len(of(after["551"], dropped_partidas)) == 1
    assert len(of(before["551"], dropped_partidas)) > 1
    assert [r[2] for r in after["Resumen"]] == ["OTRO010101AAA"]
    assert len(after["Resumen"]) == 1


def test_resumen_of_another_folio_is_kept(db_url: str, tmp_path: Path) -> None:
    lines = small_lines()
    import_datastage(zip_of(tmp_path, lines, "a.zip"), db_url)
    other = {t: v for t, v in lines.items()}
    other["Resumen"] = [lines["Resumen"][0], set_field(lines["Resumen"][1], "Resumen", "Folio", "7300002")]
    import_datastage(zip_of(tmp_path, other, "b.zip"), db_url)
    assert sorted(r[0] for r in snapshot(db_url)["Resumen"]) == ["7300001", "7300002"]


def test_sel_line_of_a_stored_pedimento_replaces_it(db_url: str, tmp_path: Path) -> None:
    lines = small_lines()
    import_datastage(zip_of(tmp_path, lines, "a.zip"), db_url)
    key = tuple(lines["501"][1].split("|")[:3])
    second = {t: [lines[t][0]] for t in TYPES if t not in ("Resumen",)}
    second["501"].append(lines["501"][2])
    other = lines["501"][2].split("|")[:3]
    second["551"] += [line for line in lines["551"][1:] if line.split("|")[:3] == other]
    sel = set_field(lines["Sel"][1], "Sel", "Pedimento", key[1])
    sel = set_field(sel, "Sel", "Patente", key[0])
    second["Sel"].append(set_field(sel, "Sel", "SeccionAduanera", key[2]))
    import_datastage(zip_of(tmp_path, second, "b.zip"), db_url)
    after = snapshot(db_url)
    assert not [r for r in after["501"] if tuple(r[:3]) == key]
    assert [tuple(r[:3]) for r in after["Sel"] if tuple(r[:3]) == key] == [key]


def test_cp1252_and_utf8_zips_store_the_same_rows(db_url: str, tmp_path: Path) -> None:
    write_synthetic_zip(tmp_path / "a.zip", SynthSpec(partidas=50, seed=8, encoding="cp1252"))
    import_datastage(tmp_path / "a.zip", db_url)
    from_cp1252 = snapshot(db_url)
    write_synthetic_zip(
        tmp_path / "b.zip", SynthSpec(partidas=50, seed=8, encoding="utf-8-sig", line_end="\n")
    )
    import_datastage(tmp_path / "b.zip", db_url)
    assert snapshot(db_url) == from_cp1252
    names = [r[TABLES["501"].c.keys().index("nombre_contribuyente")] for r in from_cp1252["501"]]
    assert names and all("COMPAÑÍA" in n for n in names)


def test_summary_of_zip_equals_summary_of_store(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "ds.zip"
    write_synthetic_zip(path, SynthSpec(partidas=150, seed=2))
    import_datastage(path, db_url)
    from_zip = summarize_zip(path).as_json()
    from_store = summarize_store(db_url).as_json()
    from_zip.pop("source")
    from_store.pop("source")
    assert from_zip == from_store
    assert from_zip["partidas"] == 150
    assert sum(from_zip["pedimentos_by_clave"].values()) == from_zip["pedimentos"]


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_import_exit_0_then_summary_json(tmp_path: Path) -> None:
    path = zip_of(tmp_path, small_lines())
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["datastage", "import", str(path), "--db", url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["datastage", "summary", "--db", url, "--format", "json"])
    assert result.exit_code == 0
    assert '"partidas": 30' in result.stdout


def test_cli_import_bad_zip_exit_2_with_csv_problems(tmp_path: Path) -> None:
    lines = small_lines()
    lines["551"][2] = set_field(lines["551"][2], "551", "ValorDolares", "-3")
    lines["506"][3] = "1|2\r\n"
    path = zip_of(tmp_path, lines)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    open_database(url).dispose()
    result = runner.invoke(app, ["datastage", "import", str(path), "--db", url])
    assert result.exit_code == 2
    rows = list(csv.reader(io.StringIO(result.stderr)))
    assert rows[0] == ["file", "row", "column", "message"]
    assert ["7300001_551.asc", "3", "ValorDolares"] in [r[:3] for r in rows[1:]]
    assert ["7300001_506.asc", "4", "", "expected 6 fields, got 2"] in rows[1:]
    assert snapshot(url)["501"] == []


def test_cli_resumen_mismatch_is_a_warning_and_the_import_succeeds(tmp_path: Path) -> None:
    lines = small_lines()
    lines["Resumen"][1] = set_field(lines["Resumen"][1], "Resumen", "Total_Contribuciones", "7")
    path = zip_of(tmp_path, lines)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["datastage", "import", str(path), "--db", url])
    assert result.exit_code == 0
    assert "warning" in result.stderr and "Total_Contribuciones" in result.stderr
    assert len(snapshot(url)["501"]) == len(lines["501"]) - 1


def test_cli_summary_needs_zip_or_db(tmp_path: Path) -> None:
    result = runner.invoke(app, ["datastage", "summary"])
    assert result.exit_code == 2


def test_blank_values_are_null_and_an_empty_resumen_folio_is_kept(db_url: str, tmp_path: Path) -> None:
    lines = small_lines()
    lines["Resumen"][1] = set_field(lines["Resumen"][1], "Resumen", "Folio", " ")
    path = zip_of(tmp_path, lines)
    import_datastage(path, db_url)
    import_datastage(path, db_url)
    stored = snapshot(db_url)
    assert [r[0] for r in stored["Resumen"]] == [""]
    curp = TABLES["501"].c.keys().index("curp_contribuyente")
    entidad = TABLES["551"].c.keys().index("entidad_fed_origen")
    assert all(r[curp] is None for r in stored["501"])
    assert all(r[entidad] is None for r in stored["551"])


def test_a_store_error_during_the_import_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from immex.datastage import service

    url = f"sqlite:///{tmp_path / 'x.db'}"
    import_datastage(zip_of(tmp_path, small_lines(), "a.zip"), url)
    before = snapshot(url)
    calls = {"n": 0}
    original = service._DbThread.executemany

    def failing(self, sql, rows):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 30:
            raise RuntimeError("disk full")
        original(self, sql, rows)

    monkeypatch.setattr(service._DbThread, "executemany", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_datastage(zip_of(tmp_path, small_lines(), "b.zip"), url)
    assert calls["n"] >= 30
    assert snapshot(url) == before


def test_lines_in_any_order_store_the_same_rows(db_url: str, tmp_path: Path) -> None:
    lines = small_lines()
    import_datastage(zip_of(tmp_path, lines, "a.zip"), db_url)
    counts = {t: len(rows) for t, rows in snapshot(db_url).items()}
    shuffled = {t: [v[0], *reversed(v[1:])] for t, v in lines.items()}
    shuffled["557"] = [lines["557"][0], *lines["557"][1::2], *lines["557"][2::2]]
    import_datastage(zip_of(tmp_path, shuffled, "b.zip"), db_url)
    assert {t: len(rows) for t, rows in snapshot(db_url).items()} == counts


def test_invalid_zip_into_a_new_sqlite_file_leaves_no_file(tmp_path: Path) -> None:
    lines = small_lines()
    lines["551"][1] = set_field(lines["551"][1], "551", "Fraccion", "1")
    db = tmp_path / "new.db"
    with pytest.raises(InputError):
        import_datastage(zip_of(tmp_path, lines), f"sqlite:///{db}")
    assert not db.exists()


def test_backslash_tab_and_cr_inside_values_are_stored_as_written(db_url: str, tmp_path: Path) -> None:
    lines = small_lines()
    tricky = "SEGÚN \\N FACTURA\tNÚM\r12 \\."
    lines["558"][1] = set_field(lines["558"][1], "558", "Observaciones", tricky)
    import_datastage(zip_of(tmp_path, lines), db_url)
    index = TABLES["558"].c.keys().index("observaciones")
    assert tricky in [r[index] for r in snapshot(db_url)["558"]]


def test_import_counts_the_pedimentos_of_the_file_not_the_selection_keys(tmp_path: Path) -> None:
    """Issue 14: "stored 408 pedimentos" for a file of 327 — the Sel lines of pedimentos the
    Data Stage does not declare in 501 (remesas of consolidated pedimentos paid later) were counted."""
    lines = small_lines()
    declared = len(lines["501"]) - 1
    sel = lines["Sel"][1]
    extra = [set_field(sel, "Sel", "Pedimento", f"59{n:05d}") for n in range(3)]
    lines["Sel"] += extra
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = import_datastage(zip_of(tmp_path, lines), url)
    assert (result.pedimentos, result.selection_only, result.replaced) == (declared, 3, 0)
    again = import_datastage(zip_of(tmp_path, lines), url)
    assert (again.pedimentos, again.replaced) == (declared, declared)
    output = runner.invoke(app, ["datastage", "import", str(zip_of(tmp_path, lines)), "--db", url]).stdout
    assert f"stored {declared} pedimentos (501 lines; {declared} already stored" in " ".join(output.split())
    assert "3 more pedimento numbers occur only in the selection records" in " ".join(output.split())
