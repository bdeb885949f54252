"""Hostile Data Stage ZIPs: refused quickly, with a clear problem, before memory is spent.

A 1 MB ZIP expanding to 1 GB of zeros, a line without end, a header with a hundred
thousand names: each is one ``file,row,column,message`` problem, exit 2, nothing stored.
"""

from __future__ import annotations

import csv
import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from immex.cli import app
from immex.datastage.layout import LAYOUTS
from immex.datastage.read import Limits, read_zip

from .helpers import small_lines, zip_of

GIB = 1 << 30


def _deflated_zeros(size: int, block: int = 16 << 20) -> tuple[bytes, int]:
    """Raw deflate data and CRC-32 of ``size`` zero bytes, built in seconds.

    After a full flush the compressor starts afresh, so every block of zeros compresses to
    the same bytes: compress one, repeat it.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    once = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    zeros = bytes(block)
    for _ in range(size // block):
        crc = zlib.crc32(zeros, crc)
    return once * (size // block) + compressor.flush(), crc


def _raw_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> Path:
    """A ZIP of already-deflated entries ``(name, data, crc, declared size)`` (APPNOTE 4.3)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in entries:
        offset, raw = out.tell(), name.encode()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + raw + data)
        directory.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, offset) + raw)
    start = out.tell()
    out.write(directory.getvalue())
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory.getvalue()), start, 0
        )
    )
    path.write_bytes(out.getvalue())
    return path


def _deflated(text: str) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = text.encode()
    return compressor.compress(raw) + compressor.flush(), zlib.crc32(raw), len(raw)


def _bomb(path: Path, size: int) -> Path:
    """A valid 501 entry and a 551 entry of ``size`` zero bytes (about 1 MB per GB)."""
    header, header_crc, header_size = _deflated("|".join(LAYOUTS["501"]) + "\r\n")
    zeros, crc = _deflated_zeros(size)
    return _raw_zip(
        path, [("7300001_501.asc", header, header_crc, header_size), ("7300001_551.asc", zeros, crc, size)]
    )


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _bomb(tmp_path_factory.mktemp("bomb") / "bomb.zip", GIB)


def test_a_zip_of_a_gigabyte_of_zeros_is_refused_at_once(bomb: Path) -> None:
    assert bomb.stat().st_size < 2 << 20  # about 1 MB on disk
    tracemalloc.start()
    start = time.perf_counter()
    read = read_zip(bomb)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 8 << 20  # nothing was decompressed
    [problem] = read.problems
    assert problem.file == "7300001_551.asc" and problem.row is None
    assert "ZIP bomb" in problem.message and "1,073,741,824" in problem.message


def test_cli_import_of_the_bomb_exits_2_and_creates_no_store(bomb: Path, tmp_path: Path) -> None:
    store = tmp_path / "x.db"
    result = CliRunner().invoke(app, ["datastage", "import", str(bomb), "--db", f"sqlite:///{store}"])
    assert result.exit_code == 2
    rows = list(csv.reader(io.StringIO(result.stderr)))
    assert rows[0] == ["file", "row", "column", "message"]
    assert rows[1][:3] == ["7300001_551.asc", "", ""] and "ZIP bomb" in rows[1][3]
    assert "Traceback" not in result.output and not store.exists()


def test_declared_sizes_per_entry_and_in_total_are_bounded(tmp_path: Path) -> None:
    path = zip_of(tmp_path, small_lines())
    sizes = {i.filename: i.file_size for i in zipfile.ZipFile(path).infolist()}
    biggest = max(sizes, key=lambda name: sizes[name])
    per_entry = read_zip(path, limits=Limits(max_entry_bytes=sizes[biggest] - 1))
    assert [p.file for p in per_entry.problems] == [biggest]
    assert "refused without reading it" in per_entry.problems[0].message
    total = read_zip(path, limits=Limits(max_total_bytes=sum(sizes.values()) - 1))
    assert [p.file for p in total.problems] == ["ds.zip"]
    assert read_zip(path, limits=Limits(max_total_bytes=sum(sizes.values()))).ok


def test_the_ratio_is_judged_only_above_its_floor(tmp_path: Path) -> None:
    path = zip_of(tmp_path, small_lines())
    infos = [i for i in zipfile.ZipFile(path).infolist() if i.file_size > 1024]
    strict = read_zip(path, limits=Limits(ratio_floor_bytes=1024, max_ratio=2))
    expected = {i.filename for i in infos if i.file_size > 2 * i.compress_size}
    assert expected and {p.file for p in strict.problems} == expected
    assert read_zip(path).ok  # the same entries under the default floor (32 MiB)


@pytest.mark.parametrize("where", ["header", "data"])
def test_a_line_longer_than_the_limit_is_refused_where_it_is(tmp_path: Path, where: str) -> None:
    lines = small_lines()
    long_line = "X" * (3 << 20)  # 3 MiB without a line end
    if where == "header":
        lines["503"] = [long_line]
    else:
        lines["551"].insert(3, long_line + "\r\n")
    read = read_zip(zip_of(tmp_path, lines))
    [problem] = read.problems
    entry, row = ("7300001_503.asc", 1) if where == "header" else ("7300001_551.asc", 4)
    assert (problem.file, problem.row, problem.column) == (entry, row, "")
    assert "line longer than 1,048,576 bytes" in problem.message


def test_line_limit_holds_in_the_middle_of_a_block(tmp_path: Path) -> None:
    lines = small_lines()
    lines["505"].insert(2, "Y" * 5000 + "\r\n")
    read = read_zip(zip_of(tmp_path, lines), limits=Limits(max_line_bytes=4096))
    assert [(p.file, p.row) for p in read.problems] == [("7300001_505.asc", 3)]


def test_a_header_with_a_hundred_thousand_names_is_one_problem(tmp_path: Path) -> None:
    lines = small_lines()
    lines["551"][0] = "|".join([*LAYOUTS["551"], *(f"x{n}" for n in range(100_000))]) + "\r\n"
    read = read_zip(zip_of(tmp_path, lines))
    [problem] = read.problems
    assert (problem.file, problem.row) == ("7300001_551.asc", 1)
    assert "header has 100,030 names, more than the 1,000 accepted" in problem.message


def test_an_entry_that_lies_about_its_size_is_read_no_further(tmp_path: Path) -> None:
    """Declared 1 MB, really 1 GB: the ZIP layer stops at the declared size and the CRC fails."""
    header, header_crc, header_size = _deflated("|".join(LAYOUTS["501"]) + "\r\n")
    zeros, crc = _deflated_zeros(GIB)
    path = _raw_zip(
        tmp_path / "liar.zip",
        [("7300001_501.asc", header, header_crc, header_size), ("7300001_551.asc", zeros, crc, 1_000_000)],
    )
    tracemalloc.start()
    start = time.perf_counter()
    read = read_zip(path)
    elapsed, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 16 << 20
    [problem] = read.problems
    assert problem.file == "7300001_551.asc" and "cannot read the entry" in problem.message


def test_a_utf16_entry_is_named_as_such_not_a_garbled_header(tmp_path: Path) -> None:
    lines = small_lines()
    path = zip_of(tmp_path, {t: v for t, v in lines.items() if t != "505"})
    with zipfile.ZipFile(path, "a") as archive:  # with BOM, as Notepad's "Unicode" writes it
        archive.writestr("7300001_505.asc", "".join(lines["505"]).encode("utf-16"))
    [problem] = read_zip(path).problems
    assert (problem.file, problem.row, problem.column) == ("7300001_505.asc", 1, "")
    assert "NUL byte" in problem.message and "UTF-16" in problem.message


def test_a_nul_byte_in_a_data_line_is_refused_at_its_row(tmp_path: Path) -> None:
    lines = small_lines()
    lines["551"][3] = lines["551"][3][:40] + "\x00" + lines["551"][3][40:]
    [problem] = read_zip(zip_of(tmp_path, lines)).problems
    assert (problem.file, problem.row) == ("7300001_551.asc", 4) and "NUL byte" in problem.message
