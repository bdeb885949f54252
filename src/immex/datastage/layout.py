"""Record layouts of the SAT/ANAM Data Stage (SAAI M3 records), one per ``.asc`` file.

The field lists are the header lines of the real files, in order, with their
real misspellings (``IndentFiscalProveedor``, ``MunicpioDestinatario``); see
the project's Data Stage reference ("Record layouts"). They are a file format,
not a legal value, so they live here and not in ``immex.rules``.
"""

from __future__ import annotations

import re

_L = str.split

LAYOUTS: dict[str, tuple[str, ...]] = {
    "501": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|TipoOperacion|ClaveDocumento|SeccionAduaneraEntrada|"
            "CurpContribuyente|Rfc|CurpAgenteA|TipoCambio|TotalFletes|TotalSeguros|TotalEmbalajes|"
            "TotalIncrementables|TotalDeducibles|PesoBrutoMercancia|MedioTransporteSalida|"
            "MedioTransporteArribo|MedioTransporteEntrada_Salida|DestinoMercancia|NombreContribuyente|"
            "CalleContribuyente|NumInteriorContribuyente|NumExteriorContribuyente|CPContribuyente|"
            "MunicipioContribuyente|EntidadFedContribuyente|PaisContribuyente|TipoPedimento|"
            "FechaRecepcionPedimento|FechaPagoReal",
            "|",
        )
    ),
    "502": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|RfcTransportista|CurpTransportista|NombreTransportista|"
            "PaisTransporte|IdentificadorTransporte|FechaPagoReal",
            "|",
        )
    ),
    "503": tuple(_L("Patente|Pedimento|SeccionAduanera|NumeroGuia|TipoGuia|FechaPagoReal", "|")),
    "504": tuple(_L("Patente|Pedimento|SeccionAduanera|NumContenedor|TipoContenedor|FechaPagoReal", "|")),
    "505": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|FechaFacturacion|NumeroFactura|TerminoFacturacion|"
            "MonedaFacturacion|ValorDolares|ValorMonedaExtranjera|PaisFacturacion|"
            "EntidadFedFacturacion|IndentFiscalProveedor|ProveedorMercancia|CalleProveedor|"
            "NumInteriorProveedor|NumExteriorProveedor|CpProveedor|MunicipioProveedor|FechaPagoReal",
            "|",
        )
    ),
    "506": tuple(_L("Patente|Pedimento|SeccionAduanera|TipoFecha|FechaOperacion|FechaValidacionPagoR", "|")),
    "507": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|ClaveCaso|IdentificadorCaso|TipoPedimento|"
            "ComplementoCaso|FechaValidacionPagoR",
            "|",
        )
    ),
    "508": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|InstitucionEmisora|NumeroCuenta|FolioConstancia|"
            "FechaConstancia|TipoCuenta|ClaveGarantia|ValorUnitarioTitulo|TotalGarantia|"
            "CantidadUnidades|TitulosAsignados|FechaPagoReal",
            "|",
        )
    ),
    "509": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|ClaveContribucion|TasaContribucion|TipoTasa|"
            "TipoPedimento|FechaPagoReal",
            "|",
        )
    ),
    "510": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|ClaveContribucion|FormaPago|ImportePago|TipoPedimento|"
            "FechaPagoReal",
            "|",
        )
    ),
    "511": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|SecuenciaObservacion|Observaciones|TipoPedimento|"
            "FechaValidacionPagoR",
            "|",
        )
    ),
    "512": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|PatenteAduanalOrig|PedimentoOriginal|"
            "SeccionAduaneraDespOrig|DocumentoOriginal|FechaOperacionOrig|FraccionOriginal|"
            "UnidadMedida|MercanciaDescargada|TipoPedimento|FechaPagoReal",
            "|",
        )
    ),
    "520": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|IndentFiscalDestinatario|NombreDestinatarioMercancia|"
            "CalleDestinatario|NumInteriorDestinatario|NumExteriorDestinatario|CpDestinatario|"
            "MunicpioDestinatario|PaisDestinatario|FechaPagoReal",
            "|",
        )
    ),
    "551": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|Fraccion|SecuenciaFraccion|SubdivisionFraccion|"
            "DescripcionMercancia|PrecioUnitario|ValorAduana|ValorComercial|ValorDolares|"
            "CantidadUMComercial|UnidadMedidaComercial|CantidadUMTarifa|UnidadMedidaTarifa|"
            "ValorAgregado|ClaveVinculacion|MetodoValorizacion|CodigoMercanciaProducto|"
            "MarcaMercanciaProducto|ModeloMercanciaProducto|PaisOrigenDestino|PaisCompradorVendedor|"
            "EntidadFedOrigen|EntidadFedDestino|EntidadFedComprador|EntidadFedVendedor|"
            "TipoOperacion|ClaveDocumento|FechaPagoReal",
            "|",
        )
    ),
    "552": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|Fraccion|SecuenciaFraccion|VinNumeroSerie|"
            "KilometrajeVehiculo|FechaPagoReal",
            "|",
        )
    ),
    "553": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|Fraccion|SecuenciaFraccion|ClavePermiso|FirmaDescargo|"
            "NumeroPermiso|ValorComercialDolares|CantidadMUMTarifa|FechaPagoReal",
            "|",
        )
    ),
    "554": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|Fraccion|SecuenciaFraccion|ClaveCaso|IdentificadorCaso|"
            "ComplementoCaso|FechaPagoReal",
            "|",
        )
    ),
    "555": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|Fraccion|SecuenciaFraccion|InstitucionEmisora|"
            "NumeroCuenta|FolioConstancia|FechaConstancia|ClaveGarantia|ValorUnitarioTitulo|"
            "TotalGarantia|CantidadUnidadesMedida|TitulosAsignados|FechaPagoReal",
            "|",
        )
    ),
    "556": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|Fraccion|SecuenciaFraccion|ClaveContribucion|"
            "TasaContribucion|TipoTasa|FechaPagoReal",
            "|",
        )
    ),
    "557": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|Fraccion|SecuenciaFraccion|ClaveContribucion|"
            "FormaPago|ImportePago|FechaPagoReal",
            "|",
        )
    ),
    "558": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|Fraccion|SecuenciaFraccion|SecuenciaObservacion|"
            "Observaciones|FechaPagoReal",
            "|",
        )
    ),
    "701": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|ClaveDocumento|FechaPago|PedimentoAnterior|"
            "PatenteAnterior|SeccionAduaneraAnterior|DocumentoAnterior|FechaOperacionAnterior|"
            "PedimentoOriginal|PatenteAduanalOrig|SeccionAduaneraDespOrig|FechaPagoReal",
            "|",
        )
    ),
    "702": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|ClaveContribucion|FormaPago|ImportePago|TipoPedimento|"
            "FechaPagoReal",
            "|",
        )
    ),
    "Sel": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|ConsecutivoRemesa|NumeroSeleccion|FechaSeleccion|"
            "HoraSeleccion|SemaforoFiscal|ClaveDocumento|TipoOperacion",
            "|",
        )
    ),
    "Inci": tuple(
        _L(
            "Patente|Pedimento|SeccionAduanera|ConsecutivoRemesa|NumeroSeleccion|"
            "FechaInicioReconocimiento|HoraInicioReconocimiento|FechaFinReconocimiento|"
            "HoraFinReconocimiento|Fraccion|SecuenciaFraccion|ClaveDocumento|TipoOperacion|"
            "GradoIncidencia|FechaSeleccion",
            "|",
        )
    ),
    "Resumen": tuple(
        _L(
            "Folio|RFCoPatenteAduanal|Fecha_Inicial|Fecha_Final|Fecha_Ejecucion|Total_Fracciones|"
            "Total_Contribuciones",
            "|",
        )
    ),
}
"""Field names of every record type, in file order (the header of its ``.asc`` file)."""

TYPES: tuple[str, ...] = tuple(LAYOUTS)
"""Every record type, in the reference order (501 … 512, 520, 551 … 558, 701, 702, Sel, Inci, Resumen)."""

REQUIRED_TYPES: tuple[str, ...] = ("501", "551")
KEY_FIELDS: tuple[str, str, str] = ("Patente", "Pedimento", "SeccionAduanera")
PEDIMENTO_TYPES: frozenset[str] = frozenset(t for t in TYPES if t != "Resumen")
"""Types whose lines carry the pedimento key (every one but Resumen)."""
REFERENCES_501: frozenset[str] = frozenset(
    [*(str(n) for n in range(502, 513)), "520", *(str(n) for n in range(551, 559)), "701", "702"]
)
"""Types whose every line must name a pedimento of 501."""
REFERENCES_551: frozenset[str] = frozenset(str(n) for n in range(552, 559))
"""Types whose every line must name a partida (pedimento, SecuenciaFraccion) of 551."""

TABLE_NAMES: dict[str, str] = {
    "501": "ds_pedimento",
    "502": "ds_transporte",
    "503": "ds_guia",
    "504": "ds_contenedor",
    "505": "ds_factura",
    "506": "ds_fecha",
    "507": "ds_identificador",
    "508": "ds_cuenta_garantia",
    "509": "ds_tasa",
    "510": "ds_contribucion",
    "511": "ds_observacion",
    "512": "ds_descargo",
    "520": "ds_destinatario",
    "551": "ds_partida",
    "552": "ds_partida_vehiculo",
    "553": "ds_partida_permiso",
    "554": "ds_partida_identificador",
    "555": "ds_partida_cuenta_garantia",
    "556": "ds_partida_tasa",
    "557": "ds_partida_contribucion",
    "558": "ds_partida_observacion",
    "701": "ds_rectificacion",
    "702": "ds_rectificacion_contribucion",
    "Sel": "ds_seleccion",
    "Inci": "ds_incidencia",
    "Resumen": "ds_resumen",
}
"""Store table of every record type (one table per type, see ``immex.datastage.orm``)."""

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def column_name(field: str) -> str:
    """Store column of a field: ``SecuenciaFraccion`` → ``secuencia_fraccion``, ``CantidadUMComercial`` →
    ``cantidad_um_comercial``."""
    return _CAMEL.sub("_", field).lower().replace("__", "_")


def canonical_type(text: str) -> str | None:
    """``551`` → ``551``, ``sel`` → ``Sel``; None when ``text`` is not a record type."""
    return _BY_LOWER.get(text.lower())


_BY_LOWER = {t.lower(): t for t in TYPES}
