"""The Data Stage reader: names, encodings, header, field and reference checks of the contract."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.datastage.layout import LAYOUTS, TYPES
from immex.datastage.read import (
    decode_line_bytes,
    duplicate_numbers,
    entry_type,
    partidas,
    pedimento_number,
    pedimentos,
    read_zip,
)
from tests.datastage.synth import SynthSpec, synthetic_lines, write_synthetic_zip

from .helpers import SMALL, field_of, set_field, small_lines, zip_of


def rows(read) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(p.file, "" if p.row is None else str(p.row), p.column) for p in read.problems]


def test_synthetic_zip_has_all_26_types_and_reads_without_problems(tmp_path: Path) -> None:
    stats = write_synthetic_zip(tmp_path / "ds.zip", SynthSpec(partidas=300))
    read = read_zip(tmp_path / "ds.zip")
    assert read.ok, read.problems
    assert set(read.entries) == set(TYPES)
    assert all(stats.counts[t] > 0 for t in TYPES), stats.counts
    assert read.counts == stats.counts
    assert read.warnings == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("1837205_501.asc", ("1837205", "501")),
        ("a/b/c/1837205_SEL.ASC", ("1837205", "Sel")),
        ("x_y_resumen.asc", ("x_y", "Resumen")),
        ("__MACOSX/._1837205_501.asc", None),
        ("__MACOSX/sub/1837205_501.asc", None),
        (".hidden_501.asc", None),
        ("1837205_514.asc", None),
        ("1837205_501.txt", None),
        ("_501.asc", None),
        ("dir/", None),
    ],
)
def test_entry_names_at_any_depth_and_ignored_entries(name: str, expected: object) -> None:
    assert entry_type(name) == expected


def test_macosx_entries_and_subfolders_are_ignored(tmp_path: Path) -> None:
    spec = SynthSpec(partidas=40, folder="Solicitudes/1837205/", macosx=True)
    write_synthetic_zip(tmp_path / "ds.zip", spec)
    with zipfile.ZipFile(tmp_path / "ds.zip", "a") as archive:
        archive.writestr("Solicitudes/leeme.txt", "not data")
    read = read_zip(tmp_path / "ds.zip")
    assert read.ok, read.problems
    assert read.entries["551"].name == "Solicitudes/1837205/7300001_551.asc"


def test_cp1252_and_utf8_give_the_same_values(tmp_path: Path) -> None:
    values = {}
    for encoding in ("cp1252", "utf-8", "utf-8-sig"):
        spec = SynthSpec(partidas=60, encoding=encoding, seed=5)
        write_synthetic_zip(tmp_path / f"{encoding}.zip", spec)
        read = read_zip(tmp_path / f"{encoding}.zip")
        assert read.ok, read.problems
        values[encoding] = [list(read.lines(t)) for t in TYPES]
    assert values["cp1252"] == values["utf-8"] == values["utf-8-sig"]
    flat = " ".join(v for lines in values["cp1252"] for line in lines for v in line.values)
    assert "COMPAÑÍA" in flat and "–" in flat and "“" in flat


def test_bytes_undefined_in_cp1252_read_as_latin1() -> None:
    assert decode_line_bytes(b"A\x81B\x8dC\x80", "cp1252") == "A\x81B\x8dC€"


def test_lf_line_ends_and_no_trailing_pipe_read_the_same(tmp_path: Path) -> None:
    a = SynthSpec(partidas=25, seed=9)
    b = SynthSpec(partidas=25, seed=9, line_end="\n", trailing_pipe=False)
    write_synthetic_zip(tmp_path / "a.zip", a)
    write_synthetic_zip(tmp_path / "b.zip", b)
    ra, rb = read_zip(tmp_path / "a.zip"), read_zip(tmp_path / "b.zip")
    assert ra.ok and rb.ok
    assert [list(ra.lines(t)) for t in TYPES] == [list(rb.lines(t)) for t in TYPES]


def test_empty_lines_are_skipped_and_rows_count_physical_lines(tmp_path: Path) -> None:
    lines = small_lines()
    lines["551"].insert(2, "\r\n")
    lines["551"].insert(3, "   \r\n")
    read = read_zip(zip_of(tmp_path, lines))
    assert read.ok
    rows_551 = [line.row for line in read.lines("551")]
    assert rows_551[:3] == [2, 5, 6]


def test_missing_required_entries_are_the_only_problems(tmp_path: Path) -> None:
    lines = small_lines()
    del lines["501"]
    del lines["551"]
    lines["557"][1] = "broken line\r\n"
    read = read_zip(zip_of(tmp_path, lines))
    assert [p.file for p in read.problems] == ["7300001_501.asc", "7300001_551.asc"]
    assert all(p.row is None and p.column == "" for p in read.problems)


def test_missing_optional_type_counts_as_empty(tmp_path: Path) -> None:
    lines = small_lines()
    for tipo in ("502", "552", "553", "554", "555", "556", "557", "558", "Sel", "Inci", "Resumen"):
        del lines[tipo]
    read = read_zip(zip_of(tmp_path, lines))
    assert read.ok, read.problems
    assert list(read.lines("557")) == []


def test_two_entries_of_one_type_are_an_error_without_row_and_column(tmp_path: Path) -> None:
    lines = small_lines()
    path = zip_of(tmp_path, lines)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("otra/9999999_557.asc", "".join(lines["557"]))
    read = read_zip(path)
    assert rows(read) == [("otra/9999999_557.asc", "", "")]


def test_bad_header_is_one_error_at_row_1_and_hides_line_errors(tmp_path: Path) -> None:
    lines = small_lines()
    lines["505"][0] = lines["505"][0].replace("IndentFiscalProveedor", "IdentFiscalProveedor")
    lines["551"][3] = "1|2|3\r\n"
    read = read_zip(zip_of(tmp_path, lines))
    assert rows(read) == [("7300001_505.asc", "1", "")]
    assert "IndentFiscalProveedor" in read.problems[0].message


def test_header_case_spaces_and_extra_trailing_names_are_accepted(tmp_path: Path) -> None:
    lines = small_lines()
    names = LAYOUTS["506"]
    lines["506"][0] = "|".join(f" {n.upper()} " for n in names) + "|Extra1|Extra2\r\n"
    lines["506"][1:] = [line.rstrip("\r\n") + "x|y|\r\n" for line in lines["506"][1:]]
    read = read_zip(zip_of(tmp_path, lines))
    assert read.ok, read.problems
    assert all(len(line.values) == len(names) for line in read.lines("506"))


def test_short_header_is_an_error(tmp_path: Path) -> None:
    lines = small_lines()
    lines["Sel"][0] = "|".join(LAYOUTS["Sel"][:-1]) + "\r\n"
    read = read_zip(zip_of(tmp_path, lines))
    assert rows(read) == [("7300001_Sel.asc", "1", "")]


def test_empty_entry_has_a_missing_header(tmp_path: Path) -> None:
    lines = small_lines()
    lines["503"] = []
    read = read_zip(zip_of(tmp_path, lines))
    assert rows(read) == [("7300001_503.asc", "1", "")]


def test_wrong_field_count_names_expected_and_got_and_skips_field_checks(tmp_path: Path) -> None:
    lines = small_lines()
    lines["551"][2] = lines["551"][2].replace("|", "||", 1)  # 31 fields
    lines["551"][3] = "|".join(lines["551"][3].split("|")[:10])  # truncated line, no CRLF needed
    lines["551"][3] += "\r\n"
    read = read_zip(zip_of(tmp_path, lines))
    messages = [(p.row, p.column, p.message) for p in read.problems if p.file.endswith("_551.asc")]
    assert messages[:2] == [(3, "", "expected 30 fields, got 31"), (4, "", "expected 30 fields, got 10")]


def test_line_without_crlf_at_end_of_file_is_read(tmp_path: Path) -> None:
    lines = small_lines()
    lines["Resumen"][-1] = lines["Resumen"][-1].rstrip("\r\n")
    read = read_zip(zip_of(tmp_path, lines))
    assert read.ok
    assert len(list(read.lines("Resumen"))) == 1


@pytest.mark.parametrize(
    ("tipo", "field", "value"),
    [
        ("501", "Patente", "12345"),
        ("501", "Pedimento", "600001"),
        ("501", "SeccionAduanera", "07"),
        ("501", "TipoOperacion", "3"),
        ("501", "ClaveDocumento", "I"),
        ("501", "TipoPedimento", "0"),
        ("501", "FechaPagoReal", ""),
        ("501", "FechaPagoReal", "2026-02-30 10:00:00"),
        ("501", "FechaRecepcionPedimento", "2026-01-05 25:00:00"),
        ("501", "FechaRecepcionPedimento", "2026/01/05"),
        ("506", "TipoFecha", "dos"),
        ("506", "FechaOperacion", ""),
        ("551", "SecuenciaFraccion", "0"),
        ("551", "Fraccion", "7318150"),
        ("551", "SubdivisionFraccion", "1"),
        ("551", "CantidadUMComercial", "-1"),
        ("551", "CantidadUMComercial", ""),
        ("551", "ValorDolares", "1,200.00"),
        ("551", "UnidadMedidaComercial", "PZA"),
        ("557", "Patente", "ABCD"),
        ("Sel", "FechaSeleccion", "2026-13-01"),
        ("Resumen", "Fecha_Final", "2026-01-32"),
    ],
)
def test_field_errors_name_the_field(tmp_path: Path, tipo: str, field: str, value: str) -> None:
    lines = small_lines()
    lines[tipo][1] = set_field(lines[tipo][1], tipo, field, value)
    read = read_zip(zip_of(tmp_path, lines))
    assert (f"7300001_{tipo}.asc", "2", field) in rows(read)


def test_valid_edge_values_are_accepted(tmp_path: Path) -> None:
    lines = small_lines()
    lines["501"][1] = set_field(lines["501"][1], "501", "FechaRecepcionPedimento", "")
    lines["551"][1] = set_field(lines["551"][1], "551", "SubdivisionFraccion", "")
    lines["551"][1] = set_field(lines["551"][1], "551", "ValorDolares", "0")
    lines["506"][1] = set_field(lines["506"][1], "506", "FechaOperacion", "2024-02-29")
    read = read_zip(zip_of(tmp_path, lines))
    assert read.ok, read.problems


def test_reference_errors(tmp_path: Path) -> None:
    lines = small_lines()
    lines["501"].append(lines["501"][1])  # duplicate 501
    lines["551"].append(lines["551"][1])  # duplicate partida
    lines["557"][1] = set_field(lines["557"][1], "557", "SecuenciaFraccion", "999")  # no partida
    lines["505"][1] = set_field(lines["505"][1], "505", "Pedimento", "9999999")  # no pedimento
    lines["Sel"][1] = set_field(lines["Sel"][1], "Sel", "Pedimento", "9999999")  # not checked
    read = read_zip(zip_of(tmp_path, lines))
    found = rows(read)
    assert ("7300001_501.asc", str(len(lines["501"])), "") in found
    assert ("7300001_551.asc", str(len(lines["551"])), "") in found
    assert ("7300001_557.asc", "2", "") in found
    assert ("7300001_505.asc", "2", "") in found
    assert not any(f == "7300001_Sel.asc" for f, _, _ in found)
    assert len(found) == 4


def test_partida_lines_need_the_pedimento_and_the_partida(tmp_path: Path) -> None:
    lines = small_lines()
    lines["554"][1] = set_field(lines["554"][1], "554", "Pedimento", "9999999")
    read = read_zip(zip_of(tmp_path, lines))
    assert [m.message.split(" ")[0] for m in read.problems] == ["pedimento", "partida"]


def test_patente_is_compared_padded(tmp_path: Path) -> None:
    lines = small_lines()
    target = next(i for i, line in enumerate(lines["501"]) if field_of(line, "501", "Patente") == "0311")
    key = tuple(lines["501"][target].split("|")[:3])
    for tipo in TYPES:
        if tipo != "Resumen":
            lines[tipo] = [
                set_field(line, tipo, "Patente", "311") if tuple(line.split("|")[:3]) == key else line
                for line in lines[tipo]
            ]
    read = read_zip(zip_of(tmp_path, lines))
    assert read.ok, read.problems
    assert ("0311", key[1], key[2]) in read.keys
    assert ("311", key[1], key[2]) not in read.keys


def test_resumen_totals_mismatch_is_a_warning(tmp_path: Path) -> None:
    lines = small_lines()
    lines["Resumen"][1] = set_field(lines["Resumen"][1], "Resumen", "Total_Fracciones", "1")
    read = read_zip(zip_of(tmp_path, lines))
    assert read.ok
    assert [(w.column, w.row) for w in read.warnings] == [("Total_Fracciones", 2)]


def test_not_a_zip_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"plain text")
    assert not read_zip(path).ok


def test_pedimento_number_and_fecha_de_pago(tmp_path: Path) -> None:
    lines = small_lines()
    read = read_zip(zip_of(tmp_path, lines))
    peds = pedimentos(read)
    assert len(peds) == len(lines["501"]) - 1
    first = peds[0]
    v = lines["501"][1].split("|")
    assert first.number == "26" + v[2][:2] + v[0].zfill(4) + v[1]
    assert len({p.number for p in peds}) == len(peds)
    rect = [p for p in peds if p.tipo_pedimento == "2"]
    normal = [p for p in peds if p.tipo_pedimento == "1"]
    assert all(p.fecha_pago == p.fecha_pago_real.date() for p in normal)
    for p in rect:  # the synthetic 506 type 2 of a rectification is the original's, earlier
        assert p.fecha_pago <= p.fecha_pago_real.date()


def test_fecha_de_pago_falls_back_to_fecha_pago_real_without_506_type_2(tmp_path: Path) -> None:
    lines = small_lines()
    first = field_of(lines["501"][1], "501", "Pedimento")
    kept = [lines["506"][0]]
    for line in lines["506"][1:]:
        if field_of(line, "506", "TipoFecha") == "2":
            if field_of(line, "506", "Pedimento") == first:
                continue
            line = set_field(line, "506", "FechaOperacion", "2025-12-31")
        kept.append(line)
    lines["506"] = kept
    read = read_zip(zip_of(tmp_path, lines))
    peds = pedimentos(read)
    assert peds[0].fecha_pago == peds[0].fecha_pago_real.date()
    assert all(p.fecha_pago == dt.date(2025, 12, 31) for p in peds[1:])


def test_partidas_typed_view(tmp_path: Path) -> None:
    read = read_zip(zip_of(tmp_path, small_lines()))
    found = list(partidas(read))
    assert len(found) == SMALL.partidas
    assert all(p.hs == p.fraccion + p.subdivision and p.secuencia >= 1 for p in found)
    assert sum((p.valor_dolares for p in found), Decimal(0)) > 0


def test_duplicate_15_digit_numbers_are_exposed(tmp_path: Path) -> None:
    lines = small_lines()
    first = lines["501"][1]
    seccion = field_of(first, "501", "SeccionAduanera")
    twin = set_field(first, "501", "SeccionAduanera", seccion[:2] + str((int(seccion[2]) + 1) % 10))
    lines["501"].append(twin)
    read = read_zip(zip_of(tmp_path, lines))
    assert read.ok, read.problems  # not an import error: the triple differs
    found = duplicate_numbers(read)
    assert [(p.row, p.column) for p in found] == [(len(lines["501"]), "")]


def test_pedimento_number_layout() -> None:
    assert pedimento_number("2025-03-01 10:00:00", "071", "311", "5000211") == "250703115000211"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), partidas_count=st.integers(1, 60))
def test_every_synthetic_zip_is_valid_and_counts_match(
    tmp_path_factory: pytest.TempPathFactory, seed: int, partidas_count: int
) -> None:
    spec = SynthSpec(partidas=partidas_count, seed=seed)
    path = tmp_path_factory.mktemp("h") / "ds.zip"
    stats = write_synthetic_zip(path, spec)
    read = read_zip(path)
    assert read.ok, read.problems[:3]
    assert read.warnings == ()
    assert read.counts == stats.counts
    assert len(list(partidas(read))) == partidas_count
    assert synthetic_lines(spec) == synthetic_lines(spec)


def test_entry_with_one_invalid_utf8_byte_is_read_whole_as_cp1252(tmp_path: Path) -> None:
    lines = small_lines()
    path = zip_of(tmp_path, {t: v for t, v in lines.items() if t != "511"})
    header = "|".join(LAYOUTS["511"]) + "\r\n"
    key = "|".join(lines["501"][1].split("|")[:3])
    body = (header + f"{key}|1|CAMIÑÓN|1|2026-01-05 10:00:00|\r\n").encode("utf-8")
    body += f"{key}|2|".encode() + b"SE\xd1AL|1|2026-01-05 10:00:00|\r\n"
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("7300001_511.asc", body)
    read = read_zip(path)
    assert read.ok, read.problems
    assert read.entries["511"].encoding == "cp1252"
    assert [line.values[4] for line in read.lines("511")] == ["CAMIÃ‘Ã“N", "SEÑAL"]


def test_utf16_entry_fails_its_header(tmp_path: Path) -> None:
    lines = small_lines()
    path = zip_of(tmp_path, {t: v for t, v in lines.items() if t != "503"})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("7300001_503.asc", "".join(lines["503"]).encode("utf-16"))
    assert rows(read_zip(path)) == [("7300001_503.asc", "1", "")]


def test_non_ascii_digits_in_keys_are_field_errors(tmp_path: Path) -> None:
    lines = small_lines()
    lines["502"][1] = set_field(lines["502"][1], "502", "SeccionAduanera", "０７０")
    read = read_zip(zip_of(tmp_path, lines, spec=SynthSpec(encoding="utf-8")))
    assert read.entries["502"].encoding == "utf-8"
    assert ("7300001_502.asc", "2", "SeccionAduanera") in rows(read)


def test_bom_before_a_cp1252_entry_is_dropped(tmp_path: Path) -> None:
    lines = small_lines()
    path = zip_of(tmp_path, {t: v for t, v in lines.items() if t != "511"})
    key = "|".join(lines["501"][1].split("|")[:3])
    body = b"\xef\xbb\xbf" + ("|".join(LAYOUTS["511"]) + "\r\n").encode()
    body += f"{key}|1|".encode() + b"SE\xd1AL|1|2026-01-05 10:00:00|\r\n"
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("7300001_511.asc", body)
    read = read_zip(path)
    assert read.ok, read.problems
    assert [line.values[4] for line in read.lines("511")] == ["SEÑAL"]


def test_corrupt_entry_data_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = zip_of(tmp_path, small_lines())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("7300001_551.asc")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 10, start + 40):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    read = read_zip(path)
    assert [(p.file, p.row, p.column) for p in read.problems] == [("7300001_551.asc", None, "")]
    assert "cannot read the entry" in read.problems[0].message


def test_cyclic_gc_state_is_restored_after_reading(tmp_path: Path) -> None:
    import gc

    path = zip_of(tmp_path, small_lines())
    assert gc.isenabled()
    seen = []
    read_zip(path, lambda tipo, row, values, key: seen.append(gc.isenabled()))
    assert gc.isenabled() and seen and not any(seen)
    gc.disable()
    try:
        read_zip(path)
        assert not gc.isenabled()
    finally:
        gc.enable()
