"""Data Stage reader: a streaming, validating reader of the SAT/ANAM Data Stage ZIP.

The rules are those of the project's Data Stage contract (entry names,
encodings, header, field and reference checks). Usage::

    from immex.datastage.read import read_zip, pedimentos, partidas

    read = read_zip("1837205_Solicitudes.zip")
    if not read.ok:                       # read.problems: tuple[Problem, ...]
        report_problems(read.problems)    # file = entry path, row (header = 1), column = field
    for warning in read.warnings: ...     # e.g. Resumen totals that do not match
    for line in read.lines("551"):        # Line(row, values) in the layout's field order
        fraccion = line.values[read.index("551", "Fraccion")]
    for record in read.records("505"):    # the same as dicts {field name: value, "_row": row}
        ...
    for ped in pedimentos(read): ...      # DsPedimento: 15-digit number, clave, fecha de pago
    for par in partidas(read): ...        # DsPartida: partida number, hs, country, unit, qty, USD
    number_problems = duplicate_numbers(read)   # two 501 lines with one 15-digit number

What the API promises:

- :func:`read_zip` reads the whole ZIP once (twice per entry: an encoding scan,
  then the checks) without keeping lines in memory: it keeps only compact key
  sets for the reference checks. :attr:`DataStageRead.problems` holds every
  problem; if any entry is missing, doubled or has a bad header, only those.
- :meth:`DataStageRead.lines` / :meth:`DataStageRead.records` stream an entry
  again, yielding every data line that has the right number of fields, with
  trimmed values cut to the layout's fields (extra trailing header names are
  dropped). Use them only when :attr:`DataStageRead.ok`; a missing
  (optional) type yields nothing.
- Values are text exactly as in the file, trimmed; blank means ``""``.
- :func:`pedimentos` and :func:`partidas` convert the validated 501/551 lines to
  typed values (``Decimal``, ``date``); they raise ``ValueError`` if called on
  an invalid read.
- The pedimento key is :data:`PedimentoKey` ``(Patente padded to 4, Pedimento,
  SeccionAduanera)``; :func:`pedimento_number` gives the 15-digit number.
- ``read_zip(path, on_line)`` also hands every line that is valid so far to a
  callback while validating (the import stores in the same pass and rolls back
  when a problem turns up); see :func:`read_zip`.
- Problems are ordered by entry (ZIP order), then row, then field order.
  Reference problems (unknown or repeated pedimento/partida) have an empty
  ``column``; a missing required entry is reported as ``<folio>_<tipo>.asc``
  with empty row and column, a second entry of a type under its own path.
- :func:`duplicate_numbers` is not part of the validation (the import stores by
  key, not by number); the compulsa treats its problems as input errors.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gc
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO

from immex.core.problems import Problem
from immex.core.progress import QUIET, Progress
from immex.datastage.layout import (
    KEY_FIELDS,
    LAYOUTS,
    PEDIMENTO_TYPES,
    REFERENCES_501,
    REFERENCES_551,
    REQUIRED_TYPES,
    TYPES,
    canonical_type,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DataStageRead",
    "DsPartida",
    "DsPedimento",
    "Entry",
    "Limits",
    "Line",
    "LineSink",
    "PedimentoKey",
    "data_stage_date",
    "decode_line_bytes",
    "duplicate_numbers",
    "entry_type",
    "parse_datetime",
    "partidas",
    "payment_dates",
    "pedimento_key",
    "pedimento_number",
    "pedimentos",
    "read_zip",
]

PedimentoKey = tuple[str, str, str]
"""(Patente left-padded with zeros to 4, Pedimento, SeccionAduanera): the store identity."""

_CHUNK = 1 << 22
_BOM = codecs.BOM_UTF8
_ENTRY_NAME = re.compile(r"^(?!\.)(?P<folio>.+)_(?P<tipo>[^_]+)\.asc$", re.IGNORECASE)
_FALLBACK_ERRORS = "immex-cp1252-latin1"


@dataclass(frozen=True, slots=True)
class Limits:
    """What a Data Stage ZIP may expand to before it is refused, checked before memory is spent.

    Engineering bounds, not legal values. For scale: a synthetic million-partida Data
    Stage is 445 MB of text in a 79 MB ZIP (ratio 5.6:1, its most repetitive entry about
    20:1); the longest real line is a few hundred bytes and no layout has more than 31 fields.
    """

    max_total_bytes: int = 16 << 30
    """Declared uncompressed bytes of all recognized entries together."""
    max_entry_bytes: int = 8 << 30
    """Declared uncompressed bytes of one entry."""
    max_ratio: int = 200
    """Declared uncompressed / compressed bytes of one entry (zeros compress about 1000:1) ..."""
    ratio_floor_bytes: int = 32 << 20
    """... checked only for entries larger than this (tiny entries compress oddly)."""
    max_line_bytes: int = 1 << 20
    """One line (header or data), without its line end."""
    max_fields: int = 1_000
    """Names in a header line (a layout needs at most 31; trailing extra names are allowed)."""


DEFAULT_LIMITS = Limits()


class _TooLarge(Exception):
    """A line of an entry exceeds :attr:`Limits.max_line_bytes`, or holds a NUL byte (raised while
    streaming; nothing after it is read)."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


def _latin1_for_undefined(exc: UnicodeError) -> tuple[str, int]:
    """cp1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined: read them as ISO-8859-1."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return bytes(exc.object[exc.start : exc.end]).decode("latin-1"), exc.end


codecs.register_error(_FALLBACK_ERRORS, _latin1_for_undefined)


def decode_line_bytes(data: bytes, encoding: str) -> str:
    """Decode bytes of an entry whose encoding was detected as ``utf-8`` or ``cp1252``."""
    if encoding == "utf-8":
        return data.decode("utf-8")
    return data.decode("cp1252", _FALLBACK_ERRORS)


def entry_type(name: str) -> tuple[str, str] | None:
    """``(folio, tipo)`` of a Data Stage entry path, or None when the entry is to be ignored.

    The last path component must be ``<folio>_<tipo>.asc`` (any case), ``<folio>``
    not starting with ``.``; anything under a ``__MACOSX`` folder is ignored.
    """
    if name.endswith("/"):
        return None
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or "__MACOSX" in parts[:-1]:
        return None
    match = _ENTRY_NAME.match(parts[-1])
    if match is None:
        return None
    tipo = canonical_type(match["tipo"])
    if tipo is None:
        return None
    return match["folio"], tipo


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Entry:
    """One recognized ``.asc`` entry of the ZIP."""

    tipo: str
    name: str
    """Path inside the ZIP (what problems report as ``file``)."""
    folio: str
    encoding: str
    """``utf-8`` (a BOM is dropped) or ``cp1252`` (undefined bytes as ISO-8859-1)."""
    width: int = 0
    """Number of header names: a data line must have exactly this many fields."""
    position: int = 0
    """Index of the entry in the ZIP's directory (orders problems)."""
    size: int = 0
    """Uncompressed bytes (from the ZIP's directory): what a full read of the entry goes through."""


@dataclass(frozen=True, slots=True)
class Line:
    """A data line with the right number of fields: ``values`` follow the layout of its type."""

    row: int
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DsPedimento:
    """A 501 line as the rest of the system needs it."""

    key: PedimentoKey
    number: str
    """The 15-digit pedimento number ``YY AA PPPP NNNNNNN`` (no spaces)."""
    clave: str
    """501 ``ClaveDocumento`` upper-cased (Apéndice 2)."""
    tipo_operacion: str
    """``1`` import, ``2`` export."""
    tipo_pedimento: str
    """``1`` normal, ``2`` rectification."""
    fecha_pago_real: dt.datetime
    fecha_pago: dt.date
    """The Data Stage date: 506 ``TipoFecha`` 2 ``FechaOperacion``, else the date of ``FechaPagoReal``."""
    row: int


@dataclass(frozen=True, slots=True)
class DsPartida:
    """A 551 line as the rest of the system needs it."""

    key: PedimentoKey
    number: str
    """15-digit number of its pedimento (from the 501 line of the same key)."""
    secuencia: int
    """``SecuenciaFraccion``: the partida number."""
    fraccion: str
    subdivision: str
    hs: str
    """``Fraccion`` + ``SubdivisionFraccion`` (fracción + NICO)."""
    pais: str
    """``PaisOrigenDestino`` (3 letters, Apéndice 4)."""
    unidad: int
    """``UnidadMedidaComercial`` (Apéndice 7 number)."""
    cantidad: Decimal
    """``CantidadUMComercial``."""
    valor_dolares: Decimal
    row: int


# --------------------------------------------------------------------------- checks

_PATENTE = re.compile(r"[0-9]{1,4}")
_PEDIMENTO = re.compile(r"[0-9]{7}")
_SECCION = re.compile(r"[0-9]{3}")
_ONE_OR_TWO = re.compile(r"[12]")
_CLAVE = re.compile(r"[A-Za-z0-9]{2}")
_INTEGER = re.compile(r"-?[0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_FRACCION = re.compile(r"[0-9]{6}(?:[0-9]{2})?")
_NICO = re.compile(r"(?:[0-9]{2})?")
_NON_NEGATIVE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?: ([0-9]{2}):([0-9]{2}):([0-9]{2}))?")

Check = Callable[[str], "str | None"]


def _pattern(regex: re.Pattern[str], what: str) -> Check:
    fullmatch = regex.fullmatch

    def check(value: str) -> str | None:
        return None if fullmatch(value) else f"{value!r} is not {what}"

    return check


def parse_datetime(value: str) -> dt.datetime | None:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS`` → datetime; None when it is not a real one."""
    match = _DATE.fullmatch(value)
    if match is None:
        return None
    y, mo, d, h, mi, se = (int(p) for p in match.groups(default="0"))
    try:
        return dt.datetime(y, mo, d, h, mi, se)
    except ValueError:
        return None


def _check_date(value: str) -> str | None:
    if not value or parse_datetime(value) is not None:
        return None
    return f"{value!r} is not a real date YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"


def _required(inner: Check) -> Check:
    def check(value: str) -> str | None:
        return "is empty" if not value else inner(value)

    return check


def _positive_integer(value: str) -> str | None:
    if _DIGITS.fullmatch(value) and int(value) > 0:
        return None
    return f"{value!r} is not a positive integer"


_KEY_CHECKS: dict[str, Check] = {
    "Patente": _pattern(_PATENTE, "1 to 4 digits"),
    "Pedimento": _pattern(_PEDIMENTO, "7 digits"),
    "SeccionAduanera": _pattern(_SECCION, "3 digits"),
}
_TYPE_CHECKS: dict[str, dict[str, Check]] = {
    "501": {
        "TipoOperacion": _pattern(_ONE_OR_TWO, "1 or 2"),
        "ClaveDocumento": _pattern(_CLAVE, "two letters or digits"),
        "TipoPedimento": _pattern(_ONE_OR_TWO, "1 or 2"),
        "FechaPagoReal": _required(_check_date),
    },
    "506": {
        "TipoFecha": _pattern(_INTEGER, "an integer"),
        "FechaOperacion": _required(_check_date),
    },
    "551": {
        "SecuenciaFraccion": _positive_integer,
        "Fraccion": _pattern(_FRACCION, "6 or 8 digits"),
        "SubdivisionFraccion": _pattern(_NICO, "empty or 2 digits"),
        "CantidadUMComercial": _pattern(_NON_NEGATIVE, "a non-negative decimal"),
        "ValorDolares": _pattern(_NON_NEGATIVE, "a non-negative decimal"),
        "UnidadMedidaComercial": _pattern(_INTEGER, "an integer"),
    },
}


def _checks_for(tipo: str) -> tuple[tuple[int, str, Check], ...]:
    """(index, field, check) for every checked field of a type, in field order."""
    checks = []
    for index, name in enumerate(LAYOUTS[tipo]):
        check: Check | None = _TYPE_CHECKS.get(tipo, {}).get(name)
        if check is None and tipo in PEDIMENTO_TYPES:
            check = _KEY_CHECKS.get(name)
        if check is None and name.startswith("Fecha"):
            check = _check_date
        if check is not None:
            checks.append((index, name, check))
    return tuple(checks)


CHECKS: dict[str, tuple[tuple[int, str, Check], ...]] = {t: _checks_for(t) for t in TYPES}


def pedimento_key(patente: str, pedimento: str, seccion: str) -> PedimentoKey:
    """The store identity; ``Patente`` of 1–4 digits is left-padded with zeros to 4."""
    if _PATENTE.fullmatch(patente):
        patente = patente.zfill(4)
    return (patente, pedimento, seccion)


def pedimento_number(fecha_pago_real: str, seccion: str, patente: str, pedimento: str) -> str:
    """15 digits: YY of ``FechaPagoReal``, first two of ``SeccionAduanera``, Patente (4), Pedimento."""
    return f"{fecha_pago_real[2:4]}{seccion[:2]}{patente.zfill(4)}{pedimento}"


# --------------------------------------------------------------------------- reading


def _detect_encoding(stream: IO[bytes]) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_CHUNK):
            if not chunk.isascii():
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _text_blocks(  # noqa: C901
    stream: IO[bytes],
    encoding: str,
    advance: Callable[[int], None] | None = None,
    max_line: int = DEFAULT_LIMITS.max_line_bytes,
) -> Iterator[tuple[int, list[str]]]:
    """(row of the first line, lines) per chunk of the entry; lines end in CRLF or LF, without it.

    A UTF-8 BOM at the start is dropped. ``advance`` hears the bytes of each chunk read
    (once per 4 MiB: free next to the per-line work). A line longer than ``max_line``
    raises :class:`_TooLarge` as soon as it is seen, so a file without line ends is never
    gathered into memory (the ZIP layer itself never returns more than an entry's declared
    size: CPython's ``ZipExtFile`` stops there and checks the CRC).
    """
    rest = b""
    row = 1
    first = True
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        if advance is not None:
            advance(len(chunk))
        if b"\0" in chunk:  # never text: UTF-16, or binary; PostgreSQL cannot store it either
            at = (rest + chunk).index(b"\0")
            raise _TooLarge(row + (rest + chunk).count(b"\n", 0, at), _NUL)
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            if len(rest) > max_line:
                raise _TooLarge(row, _long_line(len(rest), max_line))
            continue
        rest = data[cut + 1 :]
        if len(rest) > max_line:
            raise _TooLarge(row + data.count(b"\n", 0, cut + 1), _long_line(len(rest), max_line))
        if first:
            first = False
            if data.startswith(_BOM):  # also in a cp1252 entry: "ï»¿" can only be a BOM there
                data, cut = data[3:], cut - 3
        text = decode_line_bytes(data[: cut + 1], encoding)
        lines = text.replace("\r\n", "\n").split("\n")
        lines.pop()  # the empty piece after the last "\n"
        if len(text) > max_line:  # only then can one of its lines be too long
            lengths = list(map(len, lines))
            longest = max(lengths, default=0)
            if longest > max_line:
                raise _TooLarge(row + lengths.index(longest), _long_line(longest, max_line))
        yield row, lines
        row += len(lines)
    if rest:
        if first and rest.startswith(_BOM):
            rest = rest[3:]
        text = decode_line_bytes(rest, encoding)
        yield row, [text[:-1] if text.endswith("\r") else text]


_NUL = (
    "holds a NUL byte: not Windows-1252 or UTF-8 text (a UTF-16 file? save the entry as UTF-8 or "
    "ANSI); refused before reading further"
)


def _long_line(size: int, max_line: int) -> str:
    return (
        f"line longer than {max_line:,} bytes (at least {size:,}): not a Data Stage line "
        "(refused before reading further)"
    )


def _text_lines(
    stream: IO[bytes], encoding: str, max_line: int = DEFAULT_LIMITS.max_line_bytes
) -> Iterator[tuple[int, str]]:
    """(row, line) for every line of an entry (see :func:`_text_blocks`)."""
    for row, lines in _text_blocks(stream, encoding, max_line=max_line):
        yield from enumerate(lines, row)


def _pieces(line: str) -> list[str]:
    pieces = line.split("|")
    if line.endswith("|"):
        pieces.pop()
    return pieces


def _header_problem(entry_name: str, tipo: str, names: list[str] | None) -> Problem | None:
    expected = LAYOUTS[tipo]
    if names is None:
        return Problem(entry_name, 1, "", f"missing header line of {tipo}")
    got = [n.strip().lower() for n in names]
    for position, name in enumerate(expected):
        if position >= len(got):
            return Problem(
                entry_name,
                1,
                "",
                f"header has {len(got)} names, {tipo} needs at least {len(expected)} (missing {name})",
            )
        if got[position] != name.lower():
            return Problem(
                entry_name,
                1,
                "",
                f"header name {position + 1} is {names[position].strip()!r}, expected {name!r}",
            )
    return None


@dataclass(slots=True)
class _RefState:
    """Compact key sets for the reference checks."""

    ids: dict[PedimentoKey, int] = field(default_factory=dict)
    known: dict[tuple[str, str, str], tuple[int, PedimentoKey]] = field(default_factory=dict)
    """Raw (Patente, Pedimento, SeccionAduanera) already seen valid → (id, normalized key)."""
    good_dates: set[str] = field(default_factory=set)
    first_501: dict[int, int] = field(default_factory=dict)
    partidas: dict[int | tuple[int, str | int], int] = field(default_factory=dict)

    def key_id(self, key: PedimentoKey) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids)
        return found


def _partida_id(pid: int, seq_text: str) -> int | tuple[int, str | int]:
    """Compact identity of a partida: ``seq << 24 ^ pid`` (fast path inlined in the loop), else a tuple."""
    if _DIGITS.fullmatch(seq_text):
        seq = int(seq_text)
        if seq < (1 << 40) and pid < (1 << 24):
            return (seq << 24) ^ pid
        return (pid, seq)
    return (pid, seq_text)


@dataclass(frozen=True, slots=True)
class DataStageRead:
    """The result of :func:`read_zip`: entries, problems, warnings, and streaming access to lines."""

    path: Path
    entries: dict[str, Entry]
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    counts: dict[str, int]
    """Data lines with the right number of fields, per type."""
    keys: frozenset[PedimentoKey]
    """Every pedimento key that occurs in any file (Sel and Inci included)."""
    folios: tuple[str, ...]
    """``Folio`` of every Resumen line."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @staticmethod
    def index(tipo: str, name: str) -> int:
        """Position of field ``name`` in the values of a ``tipo`` line."""
        return LAYOUTS[tipo].index(name)

    def lines(self, tipo: str) -> Iterator[Line]:
        """Stream the data lines of ``tipo`` that have the right number of fields."""
        entry = self.entries.get(tipo)
        if entry is None:
            return
        with zipfile.ZipFile(self.path) as archive, archive.open(entry.name) as stream:
            yield from _data_lines(stream, entry)

    def records(self, tipo: str) -> Iterator[dict[str, str]]:
        """Like :meth:`lines`, each line as ``{field name: value}`` (plus ``_row``)."""
        names = LAYOUTS[tipo]
        for line in self.lines(tipo):
            record = dict(zip(names, line.values, strict=True))
            record["_row"] = str(line.row)
            yield record


def _data_lines(stream: IO[bytes], entry: Entry) -> Iterator[Line]:
    size = len(LAYOUTS[entry.tipo])
    header_seen = False
    for row, raw in _text_lines(stream, entry.encoding):
        if not raw.strip():
            continue
        if not header_seen:
            header_seen = True
            continue
        pieces = raw.split("|")
        if raw.endswith("|"):
            pieces.pop()
        if len(pieces) != entry.width:
            continue
        yield Line(row, tuple([p.strip() for p in pieces[:size]]))


LineSink = Callable[[str, int, list[str], "PedimentoKey | None"], None]
"""``on_line(tipo, row, values, key)``: see :func:`read_zip`."""


def read_zip(
    path: str | Path,
    on_line: LineSink | None = None,
    progress: Progress = QUIET,
    label: str = "validating",
    limits: Limits = DEFAULT_LIMITS,
) -> DataStageRead:
    """Read and validate a Data Stage ZIP (see the module docstring).

    ``progress`` sees two steps, both in uncompressed bytes of the entries (sizes from the
    ZIP's directory): ``scanning`` (the encoding scan, entry by entry) and ``label`` (the
    checks, and whatever ``on_line`` does with the lines, every 4 MiB read).

    ``on_line``, when given, is called during validation for every data line that
    is valid so far — as long as no problem at all has been found yet — with its
    type, row, trimmed values (layout order) and normalized pedimento key (None for
    Resumen), in processing order: 501, 551, then the other types in layout order.
    A caller that stores these lines must discard them unless the result is ``ok``
    (the import writes them inside one transaction and rolls it back).

    ``limits`` (:class:`Limits`): the sizes the ZIP's directory declares are checked
    before any entry is opened (a ZIP bomb is refused in milliseconds), and line length
    and header width while streaming; each excess is one problem naming the entry.
    """
    path = Path(path)
    empty: dict[str, int] = {}
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        problem = Problem(path.name, None, "", f"cannot read the ZIP: {exc}")
        return DataStageRead(path, {}, (problem,), (), empty, frozenset(), ())
    with archive:
        oversized = _size_problems(path.name, archive, limits)
        if oversized:
            return DataStageRead(path, {}, tuple(oversized), (), empty, frozenset(), ())
        progress.phase(f"scanning {path.name}", total=_entries_size(archive), unit="bytes")
        entries, problems = _structure(archive, progress, limits)
        if problems:
            return DataStageRead(path, entries, tuple(problems), (), empty, frozenset(), ())
        progress.phase(f"{label} {path.name}", total=sum(e.size for e in entries.values()), unit="bytes")
        with _without_cyclic_gc():
            return _validate(path, archive, entries, on_line, progress, limits)


def _size_problems(zip_name: str, archive: zipfile.ZipFile, limits: Limits) -> list[Problem]:
    """Entries whose declared uncompressed size is beyond :class:`Limits` (nothing is decompressed)."""
    problems = []
    total = 0
    for info in archive.infolist():
        if info.is_dir() or entry_type(info.filename) is None:
            continue
        size, packed = info.file_size, max(info.compress_size, 1)
        total += size
        if size > limits.max_entry_bytes:
            problems.append(
                Problem(
                    info.filename,
                    None,
                    "",
                    f"expands to {size:,} bytes, more than the {limits.max_entry_bytes:,} "
                    "a Data Stage entry may have: refused without reading it",
                )
            )
        elif size > limits.ratio_floor_bytes and size > limits.max_ratio * packed:
            problems.append(
                Problem(
                    info.filename,
                    None,
                    "",
                    f"expands from {packed:,} to {size:,} bytes (ratio {size // packed:,}:1, "
                    f"more than {limits.max_ratio}:1): refused as a likely ZIP bomb "
                    "without reading it; Data Stage text compresses far less",
                )
            )
    if total > limits.max_total_bytes and not problems:
        problems.append(
            Problem(
                zip_name,
                None,
                "",
                f"its Data Stage entries expand to {total:,} bytes, more than the "
                f"{limits.max_total_bytes:,} accepted: refused without reading them",
            )
        )
    return problems


def _entries_size(archive: zipfile.ZipFile) -> int:
    """Uncompressed bytes of the recognized entries: what the encoding scan reads."""
    return sum(
        info.file_size
        for info in archive.infolist()
        if not info.is_dir() and entry_type(info.filename) is not None
    )


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while lines stream through.

    Millions of short-lived lists (one per line) trigger collections that scan every
    long-lived object again and again; the reader creates no reference cycles. Measured on
    a million partidas: import 50 s instead of 63–71 s. Reference counting still frees
    everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _structure(
    archive: zipfile.ZipFile, progress: Progress = QUIET, limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, Entry], list[Problem]]:
    problems: list[Problem] = []
    found: dict[str, Entry] = {}
    folios: list[str] = []
    for position, info in enumerate(archive.infolist()):
        recognized = entry_type(info.filename)
        if recognized is None or info.is_dir():
            continue
        folio, tipo = recognized
        folios.append(folio)
        if tipo in found:
            problems.append(
                Problem(
                    info.filename, None, "", f"second entry of type {tipo} (the first is {found[tipo].name})"
                )
            )
            continue
        names: list[str] | None = None
        try:
            with archive.open(info) as stream:
                encoding = _detect_encoding(stream)
            with archive.open(info) as stream:
                for _row, line in _text_lines(stream, encoding, limits.max_line_bytes):
                    if line.strip():
                        names = _pieces(line)
                        break
        except _TooLarge as exc:
            found[tipo] = Entry(tipo, info.filename, folio, "utf-8", 0, position)
            problems.append(Problem(info.filename, exc.row, "", exc.message))
            continue
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            found[tipo] = Entry(tipo, info.filename, folio, "utf-8", 0, position)
            problems.append(Problem(info.filename, None, "", f"cannot read the entry: {exc}"))
            continue
        # Whole entries: the scan stops at the first byte that is not UTF-8, so its reads do not add up.
        progress.advance(info.file_size)
        entry = Entry(tipo, info.filename, folio, encoding, len(names or ()), position, info.file_size)
        found[tipo] = entry
        header = _header_problem(info.filename, tipo, names)
        if names is not None and len(names) > limits.max_fields:
            header = Problem(
                info.filename,
                1,
                "",
                f"header has {len(names):,} names, more than the "
                f"{limits.max_fields:,} accepted (a {tipo} line has "
                f"{len(LAYOUTS[tipo])} fields)",
            )
        if header is not None:
            problems.append(header)
    folio = folios[0] if folios else "*"
    for tipo in REQUIRED_TYPES:
        if tipo not in found:
            problems.append(
                Problem(f"{folio}_{tipo}.asc", None, "", f"required entry <folio>_{tipo}.asc is missing")
            )
    return found, problems


def _validate(
    path: Path,
    archive: zipfile.ZipFile,
    entries: dict[str, Entry],
    on_line: LineSink | None,
    progress: Progress = QUIET,
    limits: Limits = DEFAULT_LIMITS,
) -> DataStageRead:
    state = _RefState()
    problems: list[tuple[int, Problem]] = []
    warnings: list[Problem] = []
    counts: dict[str, int] = {}
    folios: list[str] = []
    order: list[str] = [t for t in ("501", "551") if t in entries]
    order += [t for t in TYPES if t in entries and t not in order]
    resumen_lines: list[Line] = []
    for tipo in order:
        entry = entries[tipo]
        try:
            found = _validate_entry(archive, entry, state, problems, on_line, progress, limits.max_line_bytes)
        except _TooLarge as exc:  # nothing after this line is read (nor the other entries)
            problems.append((entry.position, Problem(entry.name, exc.row, "", exc.message)))
            break
        counts[tipo] = found[0]
        if tipo == "Resumen":
            resumen_lines = found[1]
    folio_index = LAYOUTS["Resumen"].index("Folio")
    for line in resumen_lines:
        folios.append(line.values[folio_index])
        warnings.extend(_resumen_warnings(entries["Resumen"].name, line, counts))
    problems.sort(key=lambda item: (item[0], item[1].row or 0))
    return DataStageRead(
        path,
        entries,
        tuple(p for _, p in problems),
        tuple(warnings),
        counts,
        frozenset(state.ids),
        tuple(folios),
    )


def _resumen_warnings(name: str, line: Line, counts: dict[str, int]) -> Iterator[Problem]:
    for total, tipo in (("Total_Fracciones", "551"), ("Total_Contribuciones", "557")):
        value = line.values[LAYOUTS["Resumen"].index(total)]
        actual = counts.get(tipo, 0)
        if not (_DIGITS.fullmatch(value) and int(value) == actual):
            yield Problem(
                name, line.row, total, f"Resumen {total} is {value!r} but {tipo} has {actual} lines"
            )


_KEY_CHECK_LIST = tuple((i, n, _KEY_CHECKS[n]) for i, n in enumerate(KEY_FIELDS))


def _validate_entry(  # noqa: C901
    archive: zipfile.ZipFile,
    entry: Entry,
    state: _RefState,
    problems: list[tuple[int, Problem]],
    on_line: LineSink | None,
    progress: Progress = QUIET,
    max_line: int = DEFAULT_LIMITS.max_line_bytes,
) -> tuple[int, list[Line]]:
    """Check every line of one entry; the hot loop of the reader (kept flat on purpose)."""
    tipo = entry.tipo
    name = entry.name
    width = entry.width
    size = len(LAYOUTS[tipo])
    keyed = tipo in PEDIMENTO_TYPES
    # field checks other than the key and the plain date checks, which have fast paths below
    date_indexes = tuple(i for i, n, c in CHECKS[tipo] if c is _check_date)
    other_checks = tuple(
        (i, n, c) for i, n, c in CHECKS[tipo] if c is not _check_date and not (keyed and n in KEY_FIELDS)
    )
    good_dates = state.good_dates
    position = entry.position
    is_501 = tipo == "501"
    is_551 = tipo == "551"
    needs_501 = tipo in REFERENCES_501
    needs_551 = tipo in REFERENCES_551
    seq_index = LAYOUTS[tipo].index("SecuenciaFraccion") if (is_551 or needs_551) else -1
    ids = state.ids
    known = state.known
    first_501 = state.first_501
    partida_rows = state.partidas
    keep = tipo == "Resumen"
    kept: list[Line] = []
    count = 0
    add = problems.append
    header_seen = False
    strip = str.strip
    with archive.open(entry.name) as stream:
        for first_row, block in _text_blocks(stream, entry.encoding, progress.advance, max_line):
            for row, raw in enumerate(block, first_row):
                if not raw or raw.isspace():
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                pieces = raw.split("|")
                if raw[-1] == "|":
                    pieces.pop()
                if len(pieces) != width:
                    add((position, Problem(name, row, "", f"expected {width} fields, got {len(pieces)}")))
                    continue
                count += 1
                values = list(map(strip, pieces if width == size else pieces[:size]))
                errors: list[tuple[int, Problem]] | None = None
                for index, field_name, check in other_checks:
                    message = check(values[index])
                    if message is not None:
                        errors = errors or []
                        errors.append((index, Problem(name, row, field_name, f"{field_name} {message}")))
                for index in date_indexes:
                    value = values[index]
                    if value and value not in good_dates:
                        message = _check_date(value)
                        if message is None:
                            if len(good_dates) < 100_000:
                                good_dates.add(value)
                        else:
                            field_name = LAYOUTS[tipo][index]
                            errors = errors or []
                            errors.append((index, Problem(name, row, field_name, f"{field_name} {message}")))
                key: PedimentoKey | None = None
                if keyed:
                    raw_key = (values[0], values[1], values[2])
                    found = known.get(raw_key)
                    if found is None:
                        key_ok = True
                        for index, field_name, check in _KEY_CHECK_LIST:
                            message = check(values[index])
                            if message is not None:
                                key_ok = False
                                errors = errors or []
                                errors.append(
                                    (index, Problem(name, row, field_name, f"{field_name} {message}"))
                                )
                        key = pedimento_key(*raw_key)
                        pid = ids.get(key)
                        if pid is None:
                            pid = ids[key] = len(ids)
                        if key_ok:
                            known[raw_key] = (pid, key)
                    else:
                        pid, key = found
                    if errors is not None:
                        errors.sort(key=lambda item: item[0])
                        problems.extend((position, p) for _, p in errors)
                        errors = None
                    if is_501:
                        first = first_501.get(pid)
                        if first is None:
                            first_501[pid] = row
                        else:
                            add(
                                (
                                    position,
                                    Problem(
                                        name,
                                        row,
                                        "",
                                        f"pedimento {'/'.join(key)} repeated in 501 (first at row {first})",
                                    ),
                                )
                            )
                    elif needs_501 and pid not in first_501:
                        add((position, Problem(name, row, "", f"pedimento {'/'.join(key)} is not in 501")))
                    if seq_index >= 0:
                        seq = values[seq_index]
                        fast = seq.isascii() and seq.isdigit() and len(seq) < 12 and pid < 16_777_216
                        partida = (int(seq) << 24) ^ pid if fast else _partida_id(pid, seq)
                    if is_551:
                        first = partida_rows.get(partida)
                        if first is None:
                            partida_rows[partida] = row
                        else:
                            add(
                                (
                                    position,
                                    Problem(
                                        name,
                                        row,
                                        "",
                                        f"partida {values[seq_index]} of pedimento "
                                        f"{'/'.join(key)} repeated in 551"
                                        f" (first at row {first})",
                                    ),
                                )
                            )
                    elif needs_551 and partida not in partida_rows:
                        add(
                            (
                                position,
                                Problem(
                                    name,
                                    row,
                                    "",
                                    f"partida {values[seq_index]} of pedimento {'/'.join(key)} is not in 551",
                                ),
                            )
                        )
                elif errors is not None:
                    errors.sort(key=lambda item: item[0])
                    problems.extend((position, p) for _, p in errors)
                if keep:
                    kept.append(Line(row, tuple(values)))
                if on_line is not None and not problems:
                    on_line(tipo, row, values, key)
    return count, kept


# --------------------------------------------------------------------------- typed views


def _require_ok(read: DataStageRead) -> None:
    if not read.ok:
        raise ValueError(f"the Data Stage {read.path.name} has {len(read.problems)} problem(s)")


def data_stage_date(fecha_pago_real: dt.datetime, fecha_operacion_tipo2: dt.date | None) -> dt.date:
    """The fecha de pago of a pedimento: 506 ``TipoFecha`` 2 if any, else the date of ``FechaPagoReal``."""
    return fecha_operacion_tipo2 if fecha_operacion_tipo2 is not None else fecha_pago_real.date()


def payment_dates(read: DataStageRead) -> dict[PedimentoKey, dt.date]:
    """``FechaOperacion`` of the first 506 line with ``TipoFecha`` 2, per pedimento."""
    _require_ok(read)
    tipo_i, fecha_i = read.index("506", "TipoFecha"), read.index("506", "FechaOperacion")
    found: dict[PedimentoKey, dt.date] = {}
    for line in read.lines("506"):
        v = line.values
        if int(v[tipo_i]) != 2:
            continue
        key = pedimento_key(v[0], v[1], v[2])
        if key not in found:
            parsed = parse_datetime(v[fecha_i])
            assert parsed is not None  # validated
            found[key] = parsed.date()
    return found


def pedimentos(read: DataStageRead) -> list[DsPedimento]:
    """Every 501 line as a :class:`DsPedimento`, in file order."""
    _require_ok(read)
    dates = payment_dates(read)
    idx = {
        n: read.index("501", n) for n in ("TipoOperacion", "ClaveDocumento", "TipoPedimento", "FechaPagoReal")
    }
    result = []
    for line in read.lines("501"):
        v = line.values
        key = pedimento_key(v[0], v[1], v[2])
        paid = parse_datetime(v[idx["FechaPagoReal"]])
        assert paid is not None  # validated
        result.append(
            DsPedimento(
                key=key,
                number=pedimento_number(v[idx["FechaPagoReal"]], key[2], key[0], key[1]),
                clave=v[idx["ClaveDocumento"]].upper(),
                tipo_operacion=v[idx["TipoOperacion"]],
                tipo_pedimento=v[idx["TipoPedimento"]],
                fecha_pago_real=paid,
                fecha_pago=data_stage_date(paid, dates.get(key)),
                row=line.row,
            )
        )
    return result


def partidas(read: DataStageRead) -> Iterator[DsPartida]:
    """Stream every 551 line as a :class:`DsPartida`, in file order."""
    _require_ok(read)
    numbers = {p.key: p.number for p in pedimentos(read)}
    idx = {
        n: read.index("551", n)
        for n in (
            "SecuenciaFraccion",
            "Fraccion",
            "SubdivisionFraccion",
            "PaisOrigenDestino",
            "UnidadMedidaComercial",
            "CantidadUMComercial",
            "ValorDolares",
        )
    }
    for line in read.lines("551"):
        v = line.values
        key = pedimento_key(v[0], v[1], v[2])
        fraccion, nico = v[idx["Fraccion"]], v[idx["SubdivisionFraccion"]]
        yield DsPartida(
            key=key,
            number=numbers[key],
            secuencia=int(v[idx["SecuenciaFraccion"]]),
            fraccion=fraccion,
            subdivision=nico,
            hs=fraccion + nico,
            pais=v[idx["PaisOrigenDestino"]].upper(),
            unidad=int(v[idx["UnidadMedidaComercial"]]),
            cantidad=Decimal(v[idx["CantidadUMComercial"]]),
            valor_dolares=Decimal(v[idx["ValorDolares"]]),
            row=line.row,
        )


def duplicate_numbers(read: DataStageRead) -> list[Problem]:
    """One problem per 501 line whose 15-digit number an earlier 501 line already gave."""
    entry = read.entries.get("501")
    seen: dict[str, int] = {}
    found = []
    for ped in pedimentos(read):
        first = seen.setdefault(ped.number, ped.row)
        if first != ped.row:
            assert entry is not None
            found.append(
                Problem(
                    entry.name,
                    ped.row,
                    "",
                    f"pedimento number {ped.number} repeated in 501 (first at row {first})",
                )
            )
    return found


KEY_INDEXES = tuple(LAYOUTS["501"].index(n) for n in KEY_FIELDS)
assert KEY_INDEXES == (0, 1, 2), "every keyed layout starts with Patente|Pedimento|SeccionAduanera"
