"""Small literal Data Stages and ledgers for the compulsa tests."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from immex.datastage.layout import LAYOUTS


@dataclass(frozen=True)
class Ped:
    """One 501 line (+ optional 506 type-2 date) of a test Data Stage."""

    patente: str = "3921"
    pedimento: str = "6000001"
    seccion: str = "070"
    tipo_operacion: str = "1"
    clave: str = "IN"
    fecha_pago_real: str = "2026-01-10 10:00:00"
    tipo_pedimento: str = "1"
    fecha_pago: str | None = None
    """506 TipoFecha 2 FechaOperacion, when given."""
    fecha_entrada: str | None = None
    """506 TipoFecha 1 FechaOperacion, when given."""

    @property
    def number(self) -> str:
        return f"{self.fecha_pago_real[2:4]}{self.seccion[:2]}{self.patente.zfill(4)}{self.pedimento}"


@dataclass(frozen=True)
class Par:
    """One 551 line of a test Data Stage."""

    ped: Ped
    secuencia: int = 1
    fraccion: str = "85423901"
    nico: str = "00"
    pais: str = "CHN"
    unidad: str = "6"
    cantidad: str = "100.000"
    valor: str = "250.00"
    descripcion: str = "CIRCUITO INTEGRADO"


@dataclass
class Stage:
    pedimentos: list[Ped] = field(default_factory=list)
    partidas: list[Par] = field(default_factory=list)
    resumen: tuple[str, str] | None = ("2026-01-01", "2026-01-31")


def _line(tipo: str, values: Mapping[str, str]) -> str:
    return "|".join(values.get(name, "") for name in LAYOUTS[tipo]) + "|\r\n"


def stage_entries(stage: Stage) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {t: ["|".join(LAYOUTS[t]) + "\r\n"] for t in ("501", "506", "551")}
    for p in stage.pedimentos:
        key = {"Patente": p.patente, "Pedimento": p.pedimento, "SeccionAduanera": p.seccion}
        entries["501"].append(
            _line(
                "501",
                {
                    **key,
                    "TipoOperacion": p.tipo_operacion,
                    "ClaveDocumento": p.clave,
                    "TipoPedimento": p.tipo_pedimento,
                    "FechaPagoReal": p.fecha_pago_real,
                },
            )
        )
        for tipo_fecha, fecha in (("1", p.fecha_entrada), ("2", p.fecha_pago)):
            if fecha is not None:
                entries["506"].append(
                    _line(
                        "506",
                        {
                            **key,
                            "TipoFecha": tipo_fecha,
                            "FechaOperacion": fecha,
                            "FechaValidacionPagoR": p.fecha_pago_real,
                        },
                    )
                )
    for q in stage.partidas:
        p = q.ped
        entries["551"].append(
            _line(
                "551",
                {
                    "Patente": p.patente,
                    "Pedimento": p.pedimento,
                    "SeccionAduanera": p.seccion,
                    "Fraccion": q.fraccion,
                    "SecuenciaFraccion": str(q.secuencia),
                    "SubdivisionFraccion": q.nico,
                    "DescripcionMercancia": q.descripcion,
                    "ValorDolares": q.valor,
                    "CantidadUMComercial": q.cantidad,
                    "UnidadMedidaComercial": q.unidad,
                    "PaisOrigenDestino": q.pais,
                    "TipoOperacion": p.tipo_operacion,
                    "ClaveDocumento": p.clave,
                    "FechaPagoReal": p.fecha_pago_real,
                },
            )
        )
    if stage.resumen is not None:
        entries["Resumen"] = [
            "|".join(LAYOUTS["Resumen"]) + "\r\n",
            _line(
                "Resumen",
                {
                    "Folio": "7300001",
                    "RFCoPatenteAduanal": "MAQ950101AB1",
                    "Fecha_Inicial": stage.resumen[0],
                    "Fecha_Final": stage.resumen[1],
                    "Fecha_Ejecucion": "2026-02-02",
                    "Total_Fracciones": str(len(stage.partidas)),
                    "Total_Contribuciones": "0",
                },
            ),
        ]
    return entries


def write_stage(path: Path, stage: Stage, extra: Mapping[str, Sequence[str]] | None = None) -> Path:
    entries = stage_entries(stage)
    entries.update({name: list(lines) for name, lines in (extra or {}).items()})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for tipo, lines in entries.items():
            archive.writestr(f"7300001_{tipo}.asc", "".join(lines).encode("cp1252"))
    return path


IMPORT_COLUMNS = (
    "pedimento",
    "line",
    "clave",
    "cleared_on",
    "part",
    "qty",
    "uom",
    "unit_value_usd",
    "country_of_origin",
    "hs",
)
EXPORT_COLUMNS = (
    "pedimento",
    "line",
    "clave",
    "cleared_on",
    "product",
    "qty",
    "uom",
    "unit_value_usd",
    "destination_country",
    "hs",
)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def write_ledger(
    folder: Path,
    imports: Iterable[Mapping[str, str]] = (),
    exports: Iterable[Mapping[str, str]] = (),
    parts: Iterable[Mapping[str, str]] | None = None,
    conversions: Iterable[Mapping[str, str]] | None = None,
    overrides: Iterable[Mapping[str, str]] | None = None,
) -> Path:
    write_csv(folder / "imports.csv", IMPORT_COLUMNS, imports)
    write_csv(folder / "exports.csv", EXPORT_COLUMNS, exports)
    if parts is not None:
        write_csv(folder / "parts.csv", ("part", "uom", "kind", "hs", "country_of_origin"), parts)
    if conversions is not None:
        write_csv(folder / "uom_conversions.csv", ("from_uom", "to_uom", "factor", "part"), conversions)
    if overrides is not None:
        write_csv(folder / "uom_apendice7.csv", ("uom", "code"), overrides)
    return folder


def import_row(par: Par, **changes: str) -> dict[str, str]:
    """The ledger import row that matches a Data Stage partida exactly."""
    row = {
        "pedimento": par.ped.number,
        "line": str(par.secuencia),
        "clave": par.ped.clave,
        "cleared_on": (par.ped.fecha_pago or par.ped.fecha_pago_real[:10]),
        "part": f"P{par.secuencia}",
        "qty": par.cantidad,
        "uom": par.unidad,
        "unit_value_usd": "",
        "country_of_origin": par.pais,
        "hs": par.fraccion + par.nico,
    }
    row.update(changes)
    return row


def read_differences(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
