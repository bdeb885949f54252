"""Pedimento validation against Anexo 22 (RGCE): number structure and catalogs.

Every function takes plain values and returns an error message fit for a user,
or ``None`` when the value is valid. The catalogs are data under
``immex/rules/anexo22/`` with their citation and validity dates; nothing here
carries a code list of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from immex.rules import anexo22 as catalogs
from immex.rules.anexo22 import Catalog, CatalogEntry

PEDIMENTO_DIGITS = 15  # Anexo 22, campo "NUM. PEDIMENTO": 2 + 2 + 4 + 7 digits


def _digits_of(number: str) -> str | None:
    stripped = number.strip()
    if not stripped or any(ch not in "0123456789 " for ch in stripped):
        return None
    return stripped.replace(" ", "")


@lru_cache(maxsize=1 << 16)
def validate_pedimento_number(number: str) -> str | None:
    """Check a pedimento number's structure (Anexo 22, campo 2: ``YY AA PPPP NNNNNNN``).

    Spaces are allowed between digits. Checked: 15 digits; AA an aduana of
    Apéndice 1; PPPP (patente or autorización) not ``0000``; the 6-digit
    consecutive (last 6 digits) not ``000000``. The year digit (9th) is not
    checked: Anexo 22 allows other years for consolidated pedimentos begun the
    year before and for originals of rectifications.
    """
    digits = _digits_of(number)
    if digits is None:
        return f"pedimento {number!r} must be digits (spaces allowed)"
    if len(digits) != PEDIMENTO_DIGITS:
        return f"pedimento {number!r} has {len(digits)} digits, expected {PEDIMENTO_DIGITS}"
    aduana = digits[2:4]
    if catalogs.aduanas().get(aduana) is None:
        return f"pedimento {number!r}: aduana {aduana} (digits 3-4) is not an aduana of Anexo 22 Apéndice 1"
    if digits[4:8] == "0000":
        return f"pedimento {number!r}: patente 0000 (digits 5-8) is not a patente"
    if digits[9:] == "000000":
        return f"pedimento {number!r}: consecutive 000000 (digits 10-15) is not valid; it starts at 000001"
    return None


def _catalog_check(catalog: Catalog, code: str, on: dt.date | None, what: str) -> str | None:
    entry = catalog.get(code)
    if entry is None:
        return f"{what} {code!r} is not in Anexo 22 {catalog.title.split(' —')[0]} ({catalog.name})"
    if on is not None and not entry.in_force(on):
        return (
            f"{what} {code!r} of Anexo 22 {catalog.title.split(' —')[0]} is not in force on {on.isoformat()}"
        )
    return None


@lru_cache(maxsize=1 << 16)
def validate_clave(clave: str, on: dt.date) -> str | None:
    """Check a clave de pedimento against Apéndice 2 as in force on ``on`` (case-insensitive)."""
    return _catalog_check(catalogs.claves_pedimento(), clave.strip().upper(), on, "clave de pedimento")


@lru_cache(maxsize=1 << 16)
def validate_aduana_seccion(code: str) -> str | None:
    """Check a 3-digit aduana + sección code (Data Stage ``SeccionAduanera``) or a 2-digit aduana.

    The aduana must be in Apéndice 1; the sección digit is not checked because
    the shipped list of secciones is not exhaustive.
    """
    text = code.strip()
    if len(text) not in (2, 3) or not text.isdigit():
        return f"aduana/sección {code!r} must be 2 or 3 digits"
    if catalogs.aduanas().get(text[:2]) is None:
        return f"aduana {text[:2]} of {code!r} is not an aduana of Anexo 22 Apéndice 1"
    return None


@lru_cache(maxsize=1 << 16)
def validate_patente(patente: str) -> str | None:
    """A patente or autorización: 1 to 4 digits, not zero."""
    text = patente.strip()
    if not text.isdigit() or not 1 <= len(text) <= 4:
        return f"patente {patente!r} must be 1 to 4 digits"
    if int(text) == 0:
        return f"patente {patente!r} must not be zero"
    return None


def _numeric_code(code: str) -> str | None:
    text = code.strip()
    if not text.isdigit():
        return None
    return str(int(text))


@lru_cache(maxsize=1 << 16)
def validate_unidad(code: str, on: dt.date | None = None) -> str | None:
    """Check an Apéndice 7 unit code (``6``; ``06`` is read as ``6``)."""
    normal = _numeric_code(code)
    if normal is None:
        return f"unidad de medida {code!r} must be an Apéndice 7 number"
    return _catalog_check(catalogs.unidades(), normal, on, "unidad de medida")


@lru_cache(maxsize=1 << 16)
def validate_identificador(code: str, on: dt.date | None = None) -> str | None:
    """Check an identificador (Apéndice 8), e.g. ``PC``, ``IM``, ``TL``."""
    return _catalog_check(catalogs.identificadores(), code.strip().upper(), on, "identificador")


@lru_cache(maxsize=1 << 16)
def validate_contribucion(code: str, on: dt.date | None = None) -> str | None:
    """Check a contribution code (Apéndice 12), e.g. ``1`` DTA, ``6`` IGI."""
    normal = _numeric_code(code)
    if normal is None:
        return f"clave de contribución {code!r} must be an Apéndice 12 number"
    return _catalog_check(catalogs.contribuciones(), normal, on, "clave de contribución")


@lru_cache(maxsize=1 << 16)
def validate_forma_pago(code: str, on: dt.date | None = None) -> str | None:
    """Check a forma de pago (Apéndice 13), e.g. ``0`` efectivo, ``21`` crédito IVA/IEPS."""
    normal = _numeric_code(code)
    if normal is None:
        return f"forma de pago {code!r} must be an Apéndice 13 number"
    return _catalog_check(catalogs.formas_pago(), normal, on, "forma de pago")


@lru_cache(maxsize=1 << 16)
def validate_pais(code: str) -> str | None:
    """Check an Apéndice 4 country: ISO 3166-1 alpha-3, or one of its non-ISO entries."""
    text = code.strip().upper()
    if len(text) != 3 or not text.isalpha():
        return f"país {code!r} must be a 3-letter Apéndice 4 code"
    if pycountry.countries.get(alpha_3=text) is not None or catalogs.paises_no_iso().get(text):
        return None
    return f"país {code!r} is not an Apéndice 4 code (ISO 3166-1 alpha-3)"


@lru_cache(maxsize=1 << 16)
def alpha2_to_alpha3(code: str) -> str | None:
    """``CN`` → ``CHN``; None when the code is not an ISO 3166-1 alpha-2 code."""
    text = code.strip().upper()
    if len(text) != 2 or not text.isalpha():
        return None
    country = pycountry.countries.get(alpha_2=text)
    return None if country is None else str(country.alpha_3)


# --------------------------------------------------------------------------- tariff (fracción)


@dataclass(frozen=True, slots=True)
class TariffIndex:
    """Fracción → (NICO, since, until) rows of a tariff table, and the releases the rows come in."""

    rows: Mapping[str, tuple[tuple[str, dt.date, dt.date | None], ...]]
    releases: tuple[tuple[dt.date, dt.date | None], ...]
    """(since, last until) of each group of rows with the same ``since``, sorted; None = open."""

    @property
    def covers_from(self) -> dt.date:
        return self.releases[0][0]


def tariff_index(rows: Iterable[tuple[str, str, dt.date, dt.date | None]]) -> TariffIndex | None:
    """Index ``(fraccion, nico, since, until)`` rows; None when there are none."""
    grouped: dict[str, list[tuple[str, dt.date, dt.date | None]]] = {}
    ends: dict[dt.date, dt.date | None] = {}
    for fraccion, nico, since, until in rows:
        grouped.setdefault(fraccion, []).append((nico, since, until))
        if since not in ends:
            ends[since] = until
        elif ends[since] is not None:  # a release is open when any of its rows is
            ends[since] = None if until is None else max(until, ends[since] or until)
    if not ends:
        return None
    return TariffIndex({k: tuple(v) for k, v in grouped.items()}, tuple(sorted(ends.items())))


def _edition_on(on: dt.date) -> CatalogEntry | None:
    """The LIGIE Tarifa (nomenclature) in force on ``on`` (``rules/anexo22/tigie_nomenclaturas.yaml``)."""
    return next((e for e in catalogs.nomenclaturas().entries.values() if e.in_force(on)), None)


def tariff_vouches_for(tariff: TariffIndex | None, on: dt.date | None) -> bool:
    """Whether the tariff data can say which fracciones exist on ``on``.

    It can when a release of rows of the Tarifa in force on ``on`` (``since`` on or after
    that edition began, on or before ``on``) is still in force on ``on``. Rows of an
    earlier Tarifa never judge a later date, even without an end date; and a date
    between an edition's start and its first release (for example 2023, when the
    project has only the LIGIE 2022 as published in 2026) is not judged at all: a
    fracción created or deleted in between could not be told apart.
    """
    if tariff is None or on is None:
        return False
    edition = _edition_on(on)
    if edition is None:
        return False
    return any(
        edition.since <= since <= on and (until is None or on <= until) for since, until in tariff.releases
    )


def placeholder_problem(fraccion: str, clave: str) -> str | None:
    """A generic fracción (``00000000`` transit, ``99999999`` global complementario) under the wrong clave.

    None when ``fraccion`` is not a generic code, when the clave is one the code is
    prescribed for, or when no clave is known.
    """
    entry = catalogs.fraccion_placeholders().get(fraccion)
    clave = clave.strip().upper()
    if entry is None or not clave or clave in entry.claves:
        return None
    return (
        f"fracción {fraccion} is the generic code Anexo 22 prescribes for claves "
        f"{', '.join(entry.claves)} ({entry.description.lower()}), not for clave {clave}"
    )


FRACCION_STATUSES = ("valid", "invalid", "unverifiable", "generic", "not_checked")


def fraccion_status(
    fraccion: str, nico: str, on: dt.date | None, tariff: TariffIndex | None, clave: str = ""
) -> tuple[str, str | None]:
    """The status of a declared fracción on ``on`` (one of :data:`FRACCION_STATUSES`) and the
    finding, if any.

    - ``generic``: a code of the instructivo (``00000000`` transit, ``99999999`` global
      complementario): only its clave is checked (:func:`placeholder_problem`);
    - ``not_checked``: not an 8-digit fracción, or no date;
    - ``unverifiable``: the tariff data cannot vouch for the nomenclature on that date
      (:func:`tariff_vouches_for`; for example 2023, when the project has the LIGIE 2022 only
      as published in 2026): never a finding, either way;
    - ``invalid`` (with the finding) or ``valid``: judged against the Tarifa in force then.
    """
    if catalogs.fraccion_placeholders().get(fraccion) is not None:
        return "generic", placeholder_problem(fraccion, clave)
    if len(fraccion) != 8 or on is None:
        return "not_checked", None
    if tariff is None or not tariff_vouches_for(tariff, on):
        return "unverifiable", None
    edition = _edition_on(on)
    assert edition is not None  # vouched for
    rows = [
        (n, since, until)
        for n, since, until in tariff.rows.get(fraccion, ())
        if edition.since <= since <= on and (until is None or on <= until)
    ]
    if not rows:
        return "invalid", (
            f"fracción {fraccion} is not in the tariff in force on {on.isoformat()} ({edition.description})"
        )
    if nico and all(n != nico for n, _, _ in rows):
        return (
            "invalid",
            f"NICO {nico} of fracción {fraccion} is not in the tariff in force on {on.isoformat()}",
        )
    return "valid", None


def validate_fraccion(
    fraccion: str, nico: str, on: dt.date | None, tariff: TariffIndex | None, clave: str = ""
) -> str | None:
    """The finding of :func:`fraccion_status`, if any: the 8-digit fracción (and its NICO, when
    given) must be in the Tarifa in force on ``on``; nothing is reported on a date the tariff
    data cannot vouch for, so that nothing valid on its date is ever reported."""
    return fraccion_status(fraccion, nico, on, tariff, clave)[1]


# --------------------------------------------------------------------------- Data Stage records

RecordCheck = Callable[[Mapping[str, str], "dt.date | None", "TariffIndex | None"], "str | None"]


def _field(
    name: str, check: Callable[[str, dt.date | None], str | None], optional: bool = False
) -> tuple[str, RecordCheck]:
    def run(record: Mapping[str, str], on: dt.date | None, _tariff: TariffIndex | None) -> str | None:
        value = record.get(name, "").strip()
        if optional and not value:
            return None
        return check(value, on)

    return name, run


def _number(record: Mapping[str, str], _on: dt.date | None, _tariff: TariffIndex | None) -> str | None:
    paid, seccion = record.get("FechaPagoReal", ""), record.get("SeccionAduanera", "")
    patente, pedimento = record.get("Patente", ""), record.get("Pedimento", "")
    if len(paid) < 4 or not patente.isdigit():
        return None
    return validate_pedimento_number(f"{paid[2:4]}{seccion[:2]}{patente.zfill(4)}{pedimento}")


def _fraccion(record: Mapping[str, str], on: dt.date | None, tariff: TariffIndex | None) -> str | None:
    return validate_fraccion(
        record.get("Fraccion", ""),
        record.get("SubdivisionFraccion", ""),
        on,
        tariff,
        record.get("ClaveDocumento", ""),
    )


_CONTRIBUCION = _field("ClaveContribucion", validate_contribucion)
_FORMA_PAGO = _field("FormaPago", validate_forma_pago)
_IDENTIFICADOR = _field("ClaveCaso", validate_identificador)
RECORD_CHECKS: dict[str, tuple[tuple[str, RecordCheck], ...]] = {
    "501": (
        ("Pedimento", _number),
        _field("SeccionAduanera", lambda v, _on: validate_aduana_seccion(v)),
        _field("SeccionAduaneraEntrada", lambda v, _on: validate_aduana_seccion(v), optional=True),
        _field("Patente", lambda v, _on: validate_patente(v)),
        _field("ClaveDocumento", lambda v, on: validate_clave(v, on) if on else None),
    ),
    "505": (_field("PaisFacturacion", lambda v, _on: validate_pais(v), optional=True),),
    "507": (_IDENTIFICADOR,),
    "509": (_CONTRIBUCION,),
    "510": (_CONTRIBUCION, _FORMA_PAGO),
    "551": (
        ("Fraccion", _fraccion),
        _field("UnidadMedidaComercial", validate_unidad),
        _field("UnidadMedidaTarifa", validate_unidad, optional=True),
        _field("PaisOrigenDestino", lambda v, _on: validate_pais(v), optional=True),
        _field("PaisCompradorVendedor", lambda v, _on: validate_pais(v), optional=True),
    ),
    "554": (_IDENTIFICADOR,),
    "556": (_CONTRIBUCION,),
    "557": (_CONTRIBUCION, _FORMA_PAGO),
    "702": (_CONTRIBUCION, _FORMA_PAGO),
}
"""Which Anexo 22 check applies to which field of which Data Stage record type."""


def record_date(record: Mapping[str, str]) -> dt.date | None:
    """The date a record's codes must be in force on: its FechaPagoReal (or FechaValidacionPagoR)."""
    return _date_of((record.get("FechaPagoReal") or record.get("FechaValidacionPagoR") or "")[:10])


@lru_cache(maxsize=1 << 16)
def _date_of(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def check_record(
    tipo: str, record: Mapping[str, str], tariff: TariffIndex | None = None
) -> list[tuple[str, str]]:
    """(field, message) for every Anexo 22 problem of one Data Stage record (a dict by field name)."""
    on = record_date(record)
    found = []
    for name, check in RECORD_CHECKS.get(tipo, ()):
        message = check(record, on, tariff)
        if message is not None:
            found.append((name, message))
    return found
