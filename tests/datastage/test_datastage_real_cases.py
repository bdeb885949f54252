"""A Data Stage every record of which the authority accepted raises no Anexo 22 finding.

Issue 14: on one plant's month (327 pedimentos) ``immex datastage anexo22`` raised 1,289
findings and none was real. The synthetic Data Stage here carries the cases behind them —
aduana 85 (AIFA), identificadores SO / EO / PO of the current Apéndice 8, a transit (T3)
partida declared with the generic fracción 00000000, fracciones of the LIGIE 2022 on 2026
dates, IGI pending (forma 6) and DTA exempt (forma 9) — and must give 0 findings, while
a control with a fracción that does not exist gives exactly one.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from immex.compulsa.service import anexo22_check
from immex.datastage.layout import LAYOUTS
from immex.datastage.service import import_datastage, summarize_zip
from immex.duties.tariff_service import DATA_DIR_ENV, TARIFF_COLUMNS

from .helpers import field_of, small_lines, zip_of

KEY = ("3921", "6000901", "850")   # aduana 85, sección 0: Aeropuerto Internacional Felipe Ángeles
PAID = "2026-01-14 11:20:05"
LIGIE_2022 = {   # the synthetic month's LIGIE 2020 codes → codes of the Tarifa in force in 2026
    ("73181504", "99"): ("73181504", "00"), ("85423901", "00"): ("85423999", "99"),
    ("84733099", "00"): ("84733004", "99"), ("40169399", "99"): ("40169304", "99"),
    ("72085199", "00"): ("72085104", "01"), ("85340001", "00"): ("85340004", "99"),
    ("90318099", "00"): ("90318099", "99"),
}


def _current_fraccion(line: str, tipo: str) -> str:
    """The line with its LIGIE 2020 fracción (and NICO, in 551) replaced by a 2026 one."""
    pieces = line.split("|")
    at = LAYOUTS[tipo].index("Fraccion")
    nico_at = LAYOUTS[tipo].index("SubdivisionFraccion") if tipo == "551" else -1
    nico = pieces[nico_at] if nico_at >= 0 else ""
    found = next(((old, new) for old, new in LIGIE_2022.items()
                  if old[0] == pieces[at] and (nico_at < 0 or old[1] == nico)), None)
    if found is not None:
        pieces[at] = found[1][0]
        if nico_at >= 0:
            pieces[nico_at] = found[1][1]
    return "|".join(pieces)


def _line(tipo: str, **values: str) -> str:
    """A data line of ``tipo`` with the key of the added pedimento and the given fields."""
    fields = dict(zip(("Patente", "Pedimento", "SeccionAduanera"), KEY, strict=True))
    fields.update(values)
    unknown = set(fields) - set(LAYOUTS[tipo])
    assert not unknown, unknown
    return "|".join(fields.get(name, "") for name in LAYOUTS[tipo]) + "|\r\n"


def _accepted_records() -> dict[str, list[str]]:
    """The synthetic month plus one transit pedimento at the AIFA with the real-world codes."""
    lines = small_lines()
    for tipo in ("551", "552", "553", "554", "555", "556", "557", "558"):
        lines[tipo] = [lines[tipo][0], *(_current_fraccion(line, tipo) for line in lines[tipo][1:])]
    lines["501"].append(_line("501", TipoOperacion="1", ClaveDocumento="T3", SeccionAduaneraEntrada="850",
                              Rfc="MAQ950101AB1", TipoCambio="17.25000", TipoPedimento="1",
                              FechaRecepcionPedimento=PAID, FechaPagoReal=PAID))
    lines["506"].append(_line("506", TipoFecha="2", FechaOperacion=PAID[:10], FechaValidacionPagoR=PAID))
    lines["507"] += [_line("507", ClaveCaso=code, IdentificadorCaso=complement, TipoPedimento="1",
                           FechaValidacionPagoR=PAID)
                     for code, complement in (("SO", "1"), ("PC", ""), ("ED", "0430126ABCDE1"))]
    lines["551"] += [
        _line("551", Fraccion="00000000", SecuenciaFraccion="1", SubdivisionFraccion="",
              DescripcionMercancia="MERCANCIA EN TRANSITO INTERNO", ValorDolares="1200.00",
              CantidadUMComercial="10.000", UnidadMedidaComercial="6", PaisOrigenDestino="USA",
              TipoOperacion="1", ClaveDocumento="T3", FechaPagoReal=PAID),
        _line("551", Fraccion="85171301", SecuenciaFraccion="2", SubdivisionFraccion="00",
              DescripcionMercancia="TELEFONOS INTELIGENTES", ValorDolares="5400.00",
              CantidadUMComercial="30.000", UnidadMedidaComercial="6", UnidadMedidaTarifa="6",
              PaisOrigenDestino="CHN", PaisCompradorVendedor="USA", TipoOperacion="1",
              ClaveDocumento="T3", FechaPagoReal=PAID)]
    lines["554"] += [_line("554", Fraccion="85171301", SecuenciaFraccion="2", ClaveCaso=code,
                           IdentificadorCaso=complement, FechaPagoReal=PAID)
                     for code, complement in (("EO", "USA"), ("PO", "SUPPLIER 1"))]
    lines["510"] += [_line("510", ClaveContribucion="1", FormaPago="9", ImportePago="462", TipoPedimento="1",
                           FechaPagoReal=PAID)]
    lines["557"] += [_line("557", Fraccion="85171301", SecuenciaFraccion="2", ClaveContribucion="6",
                           FormaPago="6", ImportePago="18700", FechaPagoReal=PAID)]
    return lines


def _tariff_in_force_2026(lines: dict[str, list[str]], data_dir: Path, extra: str = "") -> None:
    """A tariff table that vouches for 2026: every fracción + NICO the accepted records use."""
    codes = {(field_of(line, "551", "Fraccion"), field_of(line, "551", "SubdivisionFraccion"))
             for line in lines["551"][1:]}
    folder = data_dir / "tariff"
    folder.mkdir(parents=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TARIFF_COLUMNS)
    for fraccion, nico in sorted(codes):
        if fraccion != "00000000" and len(fraccion) == 8 and fraccion != extra:
            writer.writerow([fraccion, nico or "00", "x", "", "", "2026-01-01", "", "test"])
    (folder / "ligie.csv").write_text(out.getvalue(), encoding="utf-8")


def _findings(zip_path: Path, output: Path) -> list[list[str]]:
    result = anexo22_check(zip_path, output)
    rows = list(csv.reader(io.StringIO(result.written.read_text(encoding="utf-8"))))
    assert len(rows) - 1 == len(result.problems)
    return rows[1:]


def test_accepted_records_give_no_finding_with_the_shipped_tariff(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped table (whatever edition it holds) never judges a 2026 date with an older Tarifa."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "no-updates"))
    lines = _accepted_records()
    assert _findings(zip_of(tmp_path, lines), tmp_path / "out") == []


def test_accepted_records_give_no_finding_with_a_tariff_that_vouches_for_2026(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _accepted_records()
    _tariff_in_force_2026(lines, tmp_path / "data")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    assert _findings(zip_of(tmp_path, lines), tmp_path / "out") == []


def test_the_check_still_finds_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: a fracción the Tarifa in force does not have, and 00000000 under a non-transit clave."""
    lines = _accepted_records()
    _tariff_in_force_2026(lines, tmp_path / "data", extra="85171301")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    lines["551"][-2] = lines["551"][-2].replace("|T3|2026-01-14", "|IN|2026-01-14")
    findings = _findings(zip_of(tmp_path, lines), tmp_path / "out")
    rows = len(lines["551"])
    assert [(f[0], f[1], f[2]) for f in findings] == [
        ("7300001_551.asc", str(rows - 1), "Fraccion"), ("7300001_551.asc", str(rows), "Fraccion")]
    assert "generic code" in findings[0][3] and "not in the tariff in force on 2026-01-14" in findings[1][3]


def test_the_same_records_import_and_summarize_honestly(tmp_path: Path) -> None:
    lines = _accepted_records()
    path = zip_of(tmp_path, lines)
    result = import_datastage(path, f"sqlite:///{tmp_path / 'x.db'}")
    assert result.pedimentos == len(lines["501"]) - 1
    summary = summarize_zip(path)
    igi = next(c for c in summary.contributions if c.code == "6")
    dta = next(c for c in summary.contributions if c.code == "1")
    assert dict(igi.by_forma)["6"] == Decimal(18700) and dict(dta.by_forma)["9"] == Decimal(462)
    assert summary.by_settlement["pending"] == Decimal(18700)
    assert summary.by_settlement["not_due"] >= Decimal(462)
