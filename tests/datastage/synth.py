"""Synthetic Data Stage ZIPs in the real layouts, for tests, benchmarks and demos.

Every one of the 26 record types is written, with keys consistent across
files (every 502–558/701/702 line names a 501 pedimento, every 552–558 line a
551 partida with the same ``Fraccion``), Windows-1252 text with ``Ñ``, accents
and cp1252-only punctuation, CRLF line ends, a header without trailing pipe and
data lines ending in ``|`` — as the SAT writes them. Output is deterministic for
a given :class:`SynthSpec`.

    from tests.datastage.synth import SynthSpec, write_synthetic_zip
    stats = write_synthetic_zip(tmp / "ds.zip", SynthSpec(partidas=1_000))
    stats.counts["551"]   # 1000

Generation streams: a ZIP of a million partidas is written entry by entry
without holding its lines in memory. :func:`synthetic_lines` gives the same
lines as Python lists for small tests that want to corrupt some of them, and
:func:`write_zip` writes such lists back into a ZIP. :func:`real_world_lines` gives a small
Data Stage with the real-world cases an Anexo 22 check must accept (aduana 85, current
identificadores, a transit partida under fracción 00000000, LIGIE 2022 fracciones).
"""

from __future__ import annotations

import calendar
import random
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from immex.datastage.layout import LAYOUTS, TYPES

__all__ = [
    "SynthSpec",
    "SynthStats",
    "real_world_lines",
    "synthetic_lines",
    "write_synthetic_zip",
    "write_zip",
]


@dataclass(frozen=True, slots=True)
class SynthSpec:
    """What to generate."""

    partidas: int = 200
    """Number of 551 lines (partidas) in total."""
    seed: int = 0
    folio: str = "7300001"
    year: int = 2026
    month: int = 1
    max_partidas_per_pedimento: int = 40
    encoding: str = "cp1252"
    """``cp1252`` (as the SAT writes), ``utf-8`` or ``utf-8-sig`` (with BOM)."""
    line_end: str = "\r\n"
    trailing_pipe: bool = True
    folder: str = ""
    """Folder inside the ZIP (``"Solicitudes/"``), empty for the root."""
    macosx: bool = False
    """Also write ``__MACOSX/._<name>`` resource-fork entries (to be ignored)."""
    compresslevel: int = 6
    rfc: str = "MAQ950101AB1"


@dataclass(slots=True)
class SynthStats:
    """What was written: lines per type and the number of pedimentos."""

    counts: dict[str, int] = field(default_factory=dict)
    pedimentos: int = 0
    bytes_uncompressed: int = 0


_PATENTES = ("3921", "1628", "3520", "0311", "3001")
_SECCIONES = ("070", "071", "073", "240", "400", "230", "800")
_IMPORT_CLAVES = ("IN", "IN", "IN", "IN", "AF", "V1", "A1", "F2")
_EXPORT_CLAVES = ("RT", "RT", "RT", "V1", "H1", "BM")
_FRACCIONES = (
    ("73181504", "99", "6"),
    ("85423901", "00", "6"),
    ("39269099", "99", "1"),
    ("85444299", "01", "3"),
    ("84733099", "00", "6"),
    ("40169399", "99", "6"),
    ("72085199", "00", "1"),
    ("27101999", "99", "8"),
    ("85340001", "00", "6"),
    ("90318099", "00", "12"),
    ("76061299", "00", "14"),
    ("847989", "", "6"),
)
_DESCRIPCIONES = (
    "TORNILLO HEXAGONAL DE ACERO",
    "CIRCUITO INTEGRADO MONOLÍTICO",
    "PIEZAS DE PLÁSTICO",
    "CABLE ELÉCTRICO AISLADO",
    "PARTES PARA MÁQUINAS DE PROCESAMIENTO",
    "EMPAQUE DE CAUCHO",
    "LÁMINA DE ACERO LAMINADA",
    "ACEITE LUBRICANTE – GRADO “ISO 46”",
    "TARJETA DE CIRCUITO IMPRESO",
    "INSTRUMENTO DE MEDICIÓN",
    "PLACA DE ALUMINIO",
    "MÁQUINA PARA ENSAMBLE ‘PICK & PLACE’",
)
_PAISES = ("USA", "USA", "USA", "CHN", "JPN", "DEU", "KOR", "TWN", "MEX", "CAN")
_PROVEEDORES = (
    ("ACME COMPONENTS INC", "USA", "USD"),
    ("SHENZHEN ELECTRÓNICA CO LTD", "CHN", "USD"),
    ("MÜLLER TECHNIK GMBH", "DEU", "EUR"),
    ("TOKYO SEIMITSU KK", "JPN", "USD"),
    ("COMPAÑÍA PROVEEDORA DEL NORTE", "USA", "USD"),
    ("BRITISH FASTENERS LTD", "GBR", "STG"),
)


@dataclass(frozen=True, slots=True)
class _Ped:
    index: int
    patente: str
    pedimento: str
    seccion: str
    tipo_operacion: str
    clave: str
    tipo_pedimento: str
    paid: str  # YYYY-MM-DD HH:MM:SS
    paid_day: str  # YYYY-MM-DD
    partidas: int
    tipo_cambio: Decimal


def _plan(spec: SynthSpec) -> list[_Ped]:
    rng = random.Random(spec.seed)
    days = calendar.monthrange(spec.year, spec.month)[1]
    plan: list[_Ped] = []
    left = spec.partidas
    index = 0
    while left > 0:
        count = min(left, rng.randint(1, spec.max_partidas_per_pedimento))
        left -= count
        export = rng.random() < 0.3
        clave = rng.choice(_EXPORT_CLAVES if export else _IMPORT_CLAVES)
        consolidated = rng.random() < 0.3
        first_digit = (spec.year - 1) % 10 if consolidated else spec.year % 10
        day = rng.randint(1, days)
        paid_day = f"{spec.year:04d}-{spec.month:02d}-{day:02d}"
        paid = f"{paid_day} {rng.randint(6, 21):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        plan.append(
            _Ped(
                index=index,
                patente=_PATENTES[index % len(_PATENTES)],
                pedimento=f"{first_digit}{index + 1:06d}",
                seccion=rng.choice(_SECCIONES),
                tipo_operacion="2" if export else "1",
                clave=clave,
                tipo_pedimento="2" if rng.random() < 0.04 else "1",
                paid=paid,
                paid_day=paid_day,
                partidas=count,
                tipo_cambio=Decimal(rng.randint(1_650_000, 2_050_000)).scaleb(-5),
            )
        )
        index += 1
    return plan


def _mix(*numbers: int) -> int:
    """A cheap deterministic hash in [0, 2**32)."""
    h = 2166136261
    for n in numbers:
        h = ((h ^ (n & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
        h ^= h >> 13
    return h


def _fraccion(ped: _Ped, seq: int) -> tuple[str, str, str]:
    return _FRACCIONES[_mix(ped.index, seq, 11) % len(_FRACCIONES)]


def _earlier(day: str, days_before: int) -> str:
    y, m, d = (int(p) for p in day.split("-"))
    d = max(1, d - days_before)
    return f"{y:04d}-{m:02d}-{d:02d}"


def _type_rows(tipo: str, ped: _Ped, spec: SynthSpec) -> Iterator[tuple[str, ...]]:  # noqa: C901
    """Rows (without the key) of one pedimento in one file."""
    key = (ped.patente, ped.pedimento, ped.seccion)
    h = _mix(ped.index, sum(map(ord, tipo)))
    imp = ped.tipo_operacion == "1"
    rect = ped.tipo_pedimento == "2"
    if tipo == "501":
        yield (
            *key,
            ped.tipo_operacion,
            ped.clave,
            ped.seccion,
            "",
            spec.rfc,
            "GOPJ800101HCHRRN09",
            f"{ped.tipo_cambio:.5f}",
            str(h % 9000),
            str(h % 700),
            "0",
            "0",
            "0",
            f"{(h % 900000) / 1000:.3f}",
            "7",
            "7",
            "98" if ped.clave in ("V1", "F2") else "7",
            "9",
            "COMPAÑÍA MAQUILADORA DEL NORTE SA DE CV",
            "AV. DE LAS INDUSTRIAS",
            "",
            str(100 + h % 9000),
            "32690",
            "JUÁREZ",
            " ",
            "MEX",
            ped.tipo_pedimento,
            ped.paid,
            ped.paid,
        )
    elif tipo == "502" and imp:
        yield (
            *key,
            "TRA9001019Z1",
            "",
            "TRANSPORTES FRONTERIZOS SA",
            "MEX",
            f"PLACA{h % 99999:05d}",
            ped.paid,
        )
    elif tipo == "503" and h % 3 == 0:
        yield (*key, f"G{h % 10**9:09d}", "2", ped.paid)
    elif tipo == "504":
        for n in range(h % 3):
            yield (*key, f"MSKU{_mix(h, n) % 10**7:07d}", "1", ped.paid)
    elif tipo == "505":
        for n in range(1 + h % 3):
            name, country, currency = _PROVEEDORES[_mix(h, n) % len(_PROVEEDORES)]
            usd = Decimal(_mix(h, n, 1) % 10**8).scaleb(-2)
            value_usd = "" if n == 2 else f"{usd:.2f}"
            yield (
                *key,
                _earlier(ped.paid_day, n + 1),
                f"INV-{ped.index}-{n}",
                "FCA",
                currency,
                value_usd,
                f"{usd:.2f}",
                country,
                " ",
                f"TAX{_mix(h, n, 2) % 10**8:08d}",
                name,
                "MAIN STREET",
                "",
                str(n + 1),
                "79901",
                "EL PASO",
                ped.paid,
            )
    elif tipo == "506":
        if imp:
            yield (*key, "1", _earlier(ped.paid_day, h % 4), ped.paid)
        else:
            yield (*key, "5", ped.paid_day, ped.paid)
        yield (*key, "2", _earlier(ped.paid_day, 3) if rect else ped.paid_day, ped.paid)
    elif tipo == "507":
        yield (*key, "ED", f"04301{h % 10**8:08d}", ped.tipo_pedimento, "", ped.paid)
        if ped.pedimento[0] != str(spec.year % 10):
            yield (*key, "PC", "", ped.tipo_pedimento, "", ped.paid)
        if ped.clave == "V1":
            yield (*key, "V1", f"{h % 10**4:04d}2006", ped.tipo_pedimento, "ZZ", ped.paid)
    elif tipo == "508" and h % 40 == 0:
        yield (
            *key,
            "12",
            f"{h % 10**10:010d}",
            f"F{h % 999}",
            ped.paid_day,
            "1",
            "2",
            "1.00",
            "1500",
            "1",
            "1500",
            ped.paid,
        )
    elif tipo == "509":
        yield (*key, "1", "0.00800", "7", ped.tipo_pedimento, ped.paid)
        yield (*key, "15", "290.00000", "4", ped.tipo_pedimento, ped.paid)
        yield (*key, "23", "16.00000", "1", ped.tipo_pedimento, ped.paid)
    elif tipo == "510":
        yield (*key, "1", "0", str(400 + h % 6000), ped.tipo_pedimento, ped.paid)
        yield (*key, "15", "0", "290", ped.tipo_pedimento, ped.paid)
        yield (*key, "23", "0", "46", ped.tipo_pedimento, ped.paid)
    elif tipo == "511" and h % 5 == 0:
        yield (*key, "1", "MERCANCÍA CON “MARCAS” DE ORIGEN – SEÑALADAS € NÚM", ped.tipo_pedimento, ped.paid)
    elif tipo == "512" and not imp and ped.clave == "V1" and h % 2 == 0:
        yield (
            *key,
            "3921",
            f"6{h % 10**6:06d}",
            "070",
            "IN",
            _earlier(ped.paid_day, 20),
            "73181504",
            "6",
            "150.000",
            ped.tipo_pedimento,
            ped.paid,
        )
    elif tipo == "520" and not imp:
        yield (
            *key,
            "US123456789",
            "ACME ASSEMBLY LLC",
            "1 INDUSTRIAL PARK",
            "",
            "1",
            "78045",
            "LAREDO",
            "USA",
            ped.paid,
        )
    elif tipo == "701" and rect:
        yield (
            *key,
            ped.clave,
            ped.paid_day,
            f"{ped.pedimento[0]}9{ped.pedimento[2:]}",
            ped.patente,
            ped.seccion,
            ped.clave,
            _earlier(ped.paid_day, 3),
            "0",
            "0",
            " ",
            ped.paid,
        )
    elif tipo == "702" and rect:
        yield (*key, "1", "0", str(h % 500), "2", ped.paid)
    elif tipo == "Sel" and h % 50 != 0:
        yield (
            *key,
            "1",
            str(h % 9999),
            ped.paid_day,
            ped.paid[11:16],
            "0" if h % 17 == 0 else "1",
            ped.clave,
            ped.tipo_operacion,
        )
    elif tipo == "Inci" and h % 50 != 0 and h % 17 == 0:
        fraccion = _fraccion(ped, 1)[0]
        yield (
            *key,
            "1",
            str(h % 9999),
            ped.paid_day,
            "10:15",
            ped.paid_day,
            "11:40",
            fraccion,
            "1",
            ped.clave,
            ped.tipo_operacion,
            "C",
            ped.paid_day,
        )
    elif tipo in ("551", "552", "553", "554", "555", "556", "557", "558"):
        yield from _partida_rows(tipo, ped, key)


def _partida_rows(tipo: str, ped: _Ped, key: tuple[str, str, str]) -> Iterator[tuple[str, ...]]:
    imp = ped.tipo_operacion == "1"
    for seq in range(1, ped.partidas + 1):
        fraccion, nico, unit = _fraccion(ped, seq)
        h = _mix(ped.index, seq, 7)
        s = str(seq)
        if tipo == "551":
            qty = Decimal(1 + h % 500_000).scaleb(-3 if unit in ("1", "8", "14", "3") else 0)
            usd = Decimal(1 + _mix(h, 1) % 5_000_000).scaleb(-2)
            pesos = (usd * ped.tipo_cambio).quantize(Decimal(1))
            price = (pesos / qty).quantize(Decimal("0.00001"))
            yield (
                *key,
                fraccion,
                s,
                nico,
                _DESCRIPCIONES[_mix(h, 2) % len(_DESCRIPCIONES)] + " ",
                f"{price}",
                "0" if not imp else f"{pesos}",
                f"{pesos}",
                f"{usd:.2f}",
                f"{qty:.3f}",
                unit,
                f"{qty:.5f}",
                unit,
                "",
                "0",
                "0" if not imp else "1",
                "",
                "",
                "",
                _PAISES[_mix(h, 3) % len(_PAISES)],
                "USA",
                " ",
                " ",
                " ",
                " ",
                ped.tipo_operacion,
                ped.clave,
                ped.paid,
            )
        elif tipo == "552" and h % 100 == 0:
            yield (*key, fraccion, s, f"3VW{h % 10**14:014d}", str(h % 90000), ped.paid)
        elif tipo == "553" and h % 20 == 1:
            yield (
                *key,
                fraccion,
                s,
                "C1",
                f"F{h % 10**6}",
                f"{h % 10**10:010d}",
                "125.50",
                "10.00000",
                ped.paid,
            )
        elif tipo == "554" and h % 3 == 0:
            yield (*key, fraccion, s, "TL", "USA", "", ped.paid)
        elif tipo == "554" and h % 7 == 1:
            yield (*key, fraccion, s, "EN", "ENOM", "NOM-050-SCFI-2004", ped.paid)
        elif tipo == "555" and h % 200 == 0:
            yield (
                *key,
                fraccion,
                s,
                "12",
                f"{h % 10**10:010d}",
                f"F{h % 999}",
                ped.paid_day,
                "2",
                "1.00",
                "100",
                "1",
                "100",
                ped.paid,
            )
        elif tipo == "556" and imp:
            yield (*key, fraccion, s, "6", "5.00000", "1", ped.paid)
            yield (*key, fraccion, s, "3", "16.00000", "1", ped.paid)
        elif tipo == "557" and imp:
            igi = h % 30000
            yield (*key, fraccion, s, "6", "5" if ped.clave in ("IN", "AF") else "0", str(igi), ped.paid)
            yield (
                *key,
                fraccion,
                s,
                "3",
                "21" if ped.clave in ("IN", "AF") else "0",
                str(h % 90000),
                ped.paid,
            )
        elif tipo == "558" and h % 10 == 2:
            yield (*key, fraccion, s, "1", "SE DECLARA CONFORME A LA FACTURA – ORIGEN “USA”", ped.paid)


def _rows(tipo: str, plan: list[_Ped], spec: SynthSpec) -> Iterator[tuple[str, ...]]:
    if tipo == "Resumen":
        fracciones = sum(p.partidas for p in plan)
        contribuciones = sum(2 * p.partidas for p in plan if p.tipo_operacion == "1")
        last = calendar.monthrange(spec.year, spec.month)[1]
        yield (
            spec.folio,
            spec.rfc,
            f"{spec.year:04d}-{spec.month:02d}-01",
            f"{spec.year:04d}-{spec.month:02d}-{last:02d}",
            f"{spec.year:04d}-{spec.month + 0:02d}-{last:02d}",
            str(fracciones),
            str(contribuciones),
        )
        return
    for ped in plan:
        yield from _type_rows(tipo, ped, spec)


def _render(rows: Iterable[tuple[str, ...]], tipo: str, spec: SynthSpec) -> Iterator[str]:
    yield "|".join(LAYOUTS[tipo]) + spec.line_end
    tail = "|" + spec.line_end if spec.trailing_pipe else spec.line_end
    for row in rows:
        assert len(row) == len(LAYOUTS[tipo]), (tipo, len(row))
        yield "|".join(row) + tail


def synthetic_lines(spec: SynthSpec) -> dict[str, list[str]]:
    """Every entry's lines (header first, each with its line end), by type. For small specs."""
    plan = _plan(spec)
    return {tipo: list(_render(_rows(tipo, plan, spec), tipo, spec)) for tipo in TYPES}


# --------------------------------------------------------------------------- real-world cases

_AIFA_KEY = ("3921", "6000901", "850")  # aduana 85, sección 0: Aeropuerto Internacional Felipe Ángeles
_AIFA_PAID = "2026-01-14 11:20:05"
_LIGIE_2022 = {  # the synthetic month's LIGIE 2020 codes → codes of the Tarifa in force in 2026
    ("73181504", "99"): ("73181504", "00"),
    ("85423901", "00"): ("85423999", "99"),
    ("84733099", "00"): ("84733004", "99"),
    ("40169399", "99"): ("40169304", "99"),
    ("72085199", "00"): ("72085104", "01"),
    ("85340001", "00"): ("85340004", "99"),
    ("90318099", "00"): ("90318099", "99"),
}


def _current_fraccion(line: str, tipo: str) -> str:
    """The line with its LIGIE 2020 fracción (and NICO, in 551) replaced by a 2026 one."""
    pieces = line.split("|")
    at = LAYOUTS[tipo].index("Fraccion")
    nico_at = LAYOUTS[tipo].index("SubdivisionFraccion") if tipo == "551" else -1
    nico = pieces[nico_at] if nico_at >= 0 else ""
    found = next(
        (
            (old, new)
            for old, new in _LIGIE_2022.items()
            if old[0] == pieces[at] and (nico_at < 0 or old[1] == nico)
        ),
        None,
    )
    if found is not None:
        pieces[at] = found[1][0]
        if nico_at >= 0:
            pieces[nico_at] = found[1][1]
    return "|".join(pieces)


def _aifa_line(tipo: str, **values: str) -> str:
    """A data line of ``tipo`` with the key of the added pedimento and the given fields."""
    fields = dict(zip(("Patente", "Pedimento", "SeccionAduanera"), _AIFA_KEY, strict=True))
    fields.update(values)
    unknown = set(fields) - set(LAYOUTS[tipo])
    assert not unknown, unknown
    return "|".join(fields.get(name, "") for name in LAYOUTS[tipo]) + "|\r\n"


def real_world_lines(spec: SynthSpec) -> dict[str, list[str]]:
    """:func:`synthetic_lines` as a 2026 Data Stage the authority accepted: LIGIE 2022 fracciones,
    plus one transit (T3) pedimento at aduana 85 (AIFA) with a partida declared under the generic
    fracción 00000000, identificadores SO (pedimento) and EO / PO (partida) of the current Apéndice 8,
    IGI pending (forma de pago 6) and DTA exempt (forma 9). For small specs (lines in memory); the added
    pedimento is paid on 2026-01-14, whatever the spec's month."""
    lines = synthetic_lines(spec)
    for tipo in ("551", "552", "553", "554", "555", "556", "557", "558"):
        lines[tipo] = [lines[tipo][0], *(_current_fraccion(line, tipo) for line in lines[tipo][1:])]
    line, paid = _aifa_line, _AIFA_PAID
    lines["501"].append(
        line(
            "501",
            TipoOperacion="1",
            ClaveDocumento="T3",
            SeccionAduaneraEntrada="850",
            Rfc=spec.rfc,
            TipoCambio="17.25000",
            TipoPedimento="1",
            FechaRecepcionPedimento=paid,
            FechaPagoReal=paid,
        )
    )
    lines["506"].append(line("506", TipoFecha="2", FechaOperacion=paid[:10], FechaValidacionPagoR=paid))
    lines["507"] += [
        line(
            "507", ClaveCaso=code, IdentificadorCaso=complement, TipoPedimento="1", FechaValidacionPagoR=paid
        )
        for code, complement in (("SO", "1"), ("PC", ""), ("ED", "0430126ABCDE1"))
    ]
    lines["551"] += [
        line(
            "551",
            Fraccion="00000000",
            SecuenciaFraccion="1",
            SubdivisionFraccion="",
            DescripcionMercancia="MERCANCIA EN TRANSITO INTERNO",
            ValorDolares="1200.00",
            CantidadUMComercial="10.000",
            UnidadMedidaComercial="6",
            PaisOrigenDestino="USA",
            TipoOperacion="1",
            ClaveDocumento="T3",
            FechaPagoReal=paid,
        ),
        line(
            "551",
            Fraccion="85171301",
            SecuenciaFraccion="2",
            SubdivisionFraccion="00",
            DescripcionMercancia="TELEFONOS INTELIGENTES",
            ValorDolares="5400.00",
            CantidadUMComercial="30.000",
            UnidadMedidaComercial="6",
            UnidadMedidaTarifa="6",
            PaisOrigenDestino="CHN",
            PaisCompradorVendedor="USA",
            TipoOperacion="1",
            ClaveDocumento="T3",
            FechaPagoReal=paid,
        ),
    ]
    lines["554"] += [
        line(
            "554",
            Fraccion="85171301",
            SecuenciaFraccion="2",
            ClaveCaso=code,
            IdentificadorCaso=complement,
            FechaPagoReal=paid,
        )
        for code, complement in (("EO", "USA"), ("PO", "SUPPLIER 1"))
    ]
    lines["510"] += [
        line(
            "510",
            ClaveContribucion="1",
            FormaPago="9",
            ImportePago="462",
            TipoPedimento="1",
            FechaPagoReal=paid,
        )
    ]
    lines["557"] += [
        line(
            "557",
            Fraccion="85171301",
            SecuenciaFraccion="2",
            ClaveContribucion="6",
            FormaPago="6",
            ImportePago="18700",
            FechaPagoReal=paid,
        )
    ]
    return lines


def _encode(text: str, encoding: str) -> bytes:
    return text.encode("utf-8" if encoding == "utf-8-sig" else encoding)


def write_zip(
    path: Path,
    lines: Mapping[str, Iterable[str]],
    spec: SynthSpec = SynthSpec(),
    names: Mapping[str, str] | None = None,
) -> SynthStats:
    """Write entries into a ZIP: ``lines`` by type (or by entry name when ``names`` maps it)."""
    stats = SynthStats()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=spec.compresslevel) as archive:
        for tipo, entry_lines in lines.items():
            name = (names or {}).get(tipo) or f"{spec.folder}{spec.folio}_{tipo}.asc"
            count = 0
            with archive.open(name, "w", force_zip64=True) as out:
                if spec.encoding == "utf-8-sig":
                    out.write(b"\xef\xbb\xbf")
                buffer: list[str] = []
                size = 0
                for line in entry_lines:
                    buffer.append(line)
                    size += len(line)
                    count += 1
                    if size > 1 << 20:
                        data = _encode("".join(buffer), spec.encoding)
                        stats.bytes_uncompressed += len(data)
                        out.write(data)
                        buffer, size = [], 0
                data = _encode("".join(buffer), spec.encoding)
                stats.bytes_uncompressed += len(data)
                out.write(data)
            stats.counts[tipo] = max(0, count - 1)
            if spec.macosx:
                archive.writestr(f"__MACOSX/{spec.folder}._{spec.folio}_{tipo}.asc", b"\x00\x05\x16\x07")
    return stats


def write_synthetic_zip(path: str | Path, spec: SynthSpec = SynthSpec()) -> SynthStats:
    """Generate a Data Stage ZIP with all 26 entries at ``path`` (streamed, any size)."""
    plan = _plan(spec)
    lines = {tipo: _render(_rows(tipo, plan, spec), tipo, spec) for tipo in TYPES}
    written = write_zip(Path(path), lines, spec)
    written.pedimentos = len(plan)
    return written
