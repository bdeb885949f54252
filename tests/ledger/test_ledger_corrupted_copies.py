"""``immex discharge`` on corrupted copies of a valid folder: the same verdict on every engine.

Independent checks corrupt copies of a ledger (issue 11, point 4). Each copy
here is one corruption of a units folder (pounds, grams, boxes, two BOM levels):
a cut last line (mid field, mid multi-byte character), NUL bytes, empty
files, UTF-16, CRLF, byte order marks, repeated headers, quoted fields with
commas and line breaks, Excel's trailing empty columns, headers in other case
or with spaces, a workbook saved as ``.csv``, extra files, out-of-range cells.
Every one is exit 0 with the clean folder's files (when it means the same
ledger) or exit 2 with ``errors.csv`` naming file, row, column and reason; the
same on the columnar, partitioned and per-row engines and for LIFO; never a
traceback.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from immex.cli import app
from tests.discharge_scale.synth import write_units_folder

RUNS = (
    ("auto", "fifo"),
    ("partitioned", "fifo"),
    ("per-row", "fifo"),
    ("auto", "lifo"),
    ("partitioned", "lifo"),
)
OUTPUTS = ("allocations.csv", "shortfalls.csv", "balances.csv")
Corruption = Callable[[Path], None]


def _text(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def _lines(folder: Path, name: str) -> list[str]:
    return _text(folder, name).splitlines(keepends=True)


def _write_rows(folder: Path, name: str, rows: list[list[str]], **options: object) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", **options).writerows(rows)  # type: ignore[arg-type]
    (folder / name).write_text(out.getvalue(), encoding="utf-8")


def _rows(folder: Path, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_text(folder, name))))


def _set_cell(name: str, column: str, value: str) -> Corruption:
    def corrupt(folder: Path) -> None:
        rows = _rows(folder, name)
        rows[3][rows[0].index(column)] = value  # file row 4
        _write_rows(folder, name, rows)

    return corrupt


def _cut_last_line(folder: Path) -> None:
    data = (folder / "imports.csv").read_bytes().rstrip(b"\n")
    start = data.rfind(b"\n") + 1
    (folder / "imports.csv").write_bytes(data[: start + (len(data) - start) // 2])


def _cut_mid_character(folder: Path) -> None:
    data = (folder / "parts.csv").read_bytes() + "CAÑO,KG,raw\n".encode()
    (folder / "parts.csv").write_bytes(data[: data.index("Ñ".encode()) + 1])


def _last_row_without_optional_cells_or_line_break(folder: Path) -> None:
    """A last row that has every required cell: the columnar reader would take it as whole."""
    lines = _lines(folder, "uom_conversions.csv")
    generic = next(line for line in lines[1:] if line.endswith(",\n"))  # no part: its last cell empty
    lines.remove(generic)
    (folder / "uom_conversions.csv").write_text(
        "".join(lines) + generic.removesuffix(",\n"), encoding="utf-8"
    )


def _mark_inside_a_description(folder: Path) -> None:
    rows = _rows(folder, "parts.csv")
    rows[0].append("description")
    for i, row in enumerate(rows[1:]):
        row.append("\ufeffVálvula" if i == 4 else "Válvula")
    _write_rows(folder, "parts.csv", rows)


def _header_only(folder: Path) -> None:
    (folder / "imports.csv").write_text(_lines(folder, "imports.csv")[0], encoding="utf-8")


def _crlf(folder: Path) -> None:
    for name in ("imports.csv", "exports.csv", "bom.csv", "parts.csv"):
        (folder / name).write_bytes(_text(folder, name).replace("\n", "\r\n").encode())


def _bom_in_the_middle(folder: Path) -> None:
    lines = _lines(folder, "imports.csv")
    lines[5] = "\ufeff" + lines[5]
    (folder / "imports.csv").write_text("".join(lines), encoding="utf-8")


def _header_again(at: int) -> Corruption:
    def corrupt(folder: Path) -> None:
        lines = _lines(folder, "imports.csv")
        lines.insert(at, lines[0])
        (folder / "imports.csv").write_text("".join(lines), encoding="utf-8")

    return corrupt


def _descriptions_with_commas_and_line_breaks(folder: Path) -> None:
    rows = _rows(folder, "parts.csv")
    rows[0].append("description")
    for i, row in enumerate(rows[1:]):
        row.append('Válvula, 3/4" latón\nsegunda línea' if i % 2 == 0 else "plain")
    _write_rows(folder, "parts.csv", rows)


def _every_cell_quoted(folder: Path) -> None:
    _write_rows(folder, "imports.csv", _rows(folder, "imports.csv"), quoting=csv.QUOTE_ALL)


def _excel_trailing_columns(folder: Path) -> None:
    for name in ("imports.csv", "exports.csv"):
        lines = [line.rstrip("\n") + ",,,\n" for line in _lines(folder, name)]
        (folder / name).write_text("".join(lines), encoding="utf-8")


def _excel_trailing_rows(folder: Path) -> None:
    (folder / "imports.csv").write_text(_text(folder, "imports.csv") + ",,,,,,,\n,,,,,,,\n", encoding="utf-8")


def _header(old: str, new: str) -> Corruption:
    def corrupt(folder: Path) -> None:
        lines = _lines(folder, "imports.csv")
        lines[0] = lines[0].replace(old, new)
        (folder / "imports.csv").write_text("".join(lines), encoding="utf-8")

    return corrupt


def _workbook_as_csv(folder: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    (folder / "imports.csv").write_bytes(buffer.getvalue())


def _extra_files(folder: Path) -> None:
    (folder / "notes.txt").write_text("hola\n", encoding="utf-8")
    (folder / "extra.csv").write_text("a,b\n1,2\n", encoding="utf-8")


def _spaced_pedimento(folder: Path) -> None:
    rows = _rows(folder, "imports.csv")
    number = rows[3][0].replace(" ", "")
    rows[3][0] = f"{number[:2]} {number[2:4]} {number[4:8]} {number[8:]}"
    _write_rows(folder, "imports.csv", rows)


def _windows_1252(folder: Path) -> None:
    rows = _rows(folder, "parts.csv")
    rows[0].append("description")
    for row in rows[1:]:
        row.append("Válvula")
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    (folder / "parts.csv").write_bytes(out.getvalue().encode("cp1252"))


def _semicolons(folder: Path) -> None:
    (folder / "imports.csv").write_text(_text(folder, "imports.csv").replace(",", ";"), encoding="utf-8")


def _bytes(name: str, make: Callable[[Path], bytes]) -> Corruption:
    def corrupt(folder: Path) -> None:
        (folder / name).write_bytes(make(folder))

    return corrupt


# (corruption, exit code, first errors.csv row as (file, row, column, message start), or None)
SAME = None  # exit 0 with the clean folder's files
CASES: dict[str, tuple[Corruption, int, tuple[str, str, str, str] | None]] = {
    "last line cut mid field": (
        _cut_last_line,
        2,
        ("imports.csv", "121", "", "the file ends in the middle of row 121 (cut short?): the row has 3 of"),
    ),
    "last line cut mid character": (
        _cut_mid_character,
        2,
        (
            "parts.csv",
            "",
            "",
            "ends in the middle of a character (byte offset 136, line 11): the file looks cut",
        ),
    ),
    "last row without its optional cells or line break": (
        _last_row_without_optional_cells_or_line_break,
        2,
        (
            "uom_conversions.csv",
            "5",
            "",
            "the file ends in the middle of row 5 (cut short?): the row has 3 of",
        ),
    ),
    "a byte order mark inside a free-text cell": (
        _mark_inside_a_description,
        2,
        (
            "parts.csv",
            "6",
            "",
            "has a byte order mark (the invisible mark U+FEFF that begins a UTF-8 file) at row 6",
        ),
    ),
    "a file of NUL bytes": (
        _bytes("imports.csv", lambda _: b"\0" * 4096),
        2,
        ("imports.csv", "", "", "has a NUL byte at byte offset 0"),
    ),
    "imports.csv header only": (
        _header_only,
        2,
        ("exports.csv", "2", "product", "'R1' has no BOM version valid on 2025-07-24"),
    ),
    "imports.csv of zero bytes": (
        _bytes("imports.csv", lambda _: b""),
        2,
        ("imports.csv", "1", "", "the file is empty"),
    ),
    "UTF-16 with a byte order mark": (
        _bytes("imports.csv", lambda f: _text(f, "imports.csv").encode("utf-16")),
        0,
        SAME,
    ),
    "UTF-16 without a byte order mark": (
        _bytes("imports.csv", lambda f: _text(f, "imports.csv").encode("utf-16-le")),
        2,
        ("imports.csv", "", "", "has a NUL byte at byte offset 1 (it looks like UTF-16"),
    ),
    "CRLF line ends": (_crlf, 0, SAME),
    "a UTF-8 byte order mark": (
        _bytes("imports.csv", lambda f: b"\xef\xbb\xbf" + _text(f, "imports.csv").encode()),
        0,
        SAME,
    ),
    "a byte order mark in the middle": (
        _bom_in_the_middle,
        2,
        (
            "imports.csv",
            "6",
            "",
            "has a byte order mark (the invisible mark U+FEFF that begins a UTF-8 file) at row 6",
        ),
    ),
    "the header again on row 2": (
        _header_again(1),
        2,
        ("imports.csv", "2", "", "repeats the header row (two files pasted into one?)"),
    ),
    "the header again on row 51": (
        _header_again(50),
        2,
        ("imports.csv", "51", "", "repeats the header row (two files pasted into one?)"),
    ),
    "quoted commas and line breaks": (_descriptions_with_commas_and_line_breaks, 0, SAME),
    "every cell quoted": (_every_cell_quoted, 0, SAME),
    "Excel's trailing empty columns": (_excel_trailing_columns, 0, SAME),
    "Excel's trailing empty rows": (_excel_trailing_rows, 0, SAME),
    "a column name in capitals": (
        _header("qty", "QTY"),
        2,
        ("imports.csv", "1", "qty", "required column is missing: the header has 'QTY'"),
    ),
    "a column name with spaces": (_header("qty", " qty "), 0, SAME),
    "a workbook saved as .csv": (
        _workbook_as_csv,
        2,
        ("imports.csv", "", "", "is a workbook (ZIP) file, not CSV text: save it as UTF-8 CSV"),
    ),
    "an extra unknown file": (_extra_files, 0, SAME),
    "a negative quantity": (
        _set_cell("imports.csv", "qty", "-5"),
        2,
        ("imports.csv", "4", "qty", "'-5' must be"),
    ),
    "a date as 07/12/2026": (
        _set_cell("imports.csv", "cleared_on", "07/12/2026"),
        2,
        ("imports.csv", "4", "cleared_on", "'07/12/2026' is not a date in YYYY-MM-DD form"),
    ),
    "a pedimento with spaces": (_spaced_pedimento, 0, SAME),
    "Windows-1252": (_windows_1252, 0, SAME),
    "semicolons": (_semicolons, 0, SAME),
    "undefined Windows-1252 bytes": (
        _bytes("imports.csv", lambda f: f.joinpath("imports.csv").read_bytes()[:227] + b"\x81\x8d"),
        2,
        ("imports.csv", "", "", "is neither UTF-8 (invalid byte at byte offset 227)"),
    ),
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple[str, str], dict[str, bytes]]]:
    """The clean folder and its output files on every engine and method."""
    root = tmp_path_factory.mktemp("clean")
    write_units_folder(root / "in", 120, 90, 4)
    want = {}
    for engine, method in RUNS:
        code, out = _discharge(root / "in", root / f"{engine}-{method}", engine, method)
        assert code == 0
        want[(engine, method)] = {name: (out / name).read_bytes() for name in OUTPUTS}
    return root / "in", want


def _discharge(folder: Path, out: Path, engine: str, method: str) -> tuple[int, Path]:
    result = CliRunner().invoke(
        app,
        [
            "discharge",
            *("--input", str(folder), "--output", str(out), "--as-of", "2025-06-30"),
            *("--engine", engine, "--method", method),
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, out


@pytest.mark.parametrize("case", list(CASES))
def test_a_corrupted_copy_gets_one_verdict_on_every_engine(
    tmp_path: Path, clean: tuple[Path, dict[tuple[str, str], dict[str, bytes]]], case: str
) -> None:
    source, want = clean
    folder = tmp_path / "in"
    folder.mkdir()
    for path in source.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    corrupt, expected_code, first_error = CASES[case]
    corrupt(folder)
    reports = set()
    for engine, method in RUNS:
        code, out = _discharge(folder, tmp_path / f"{engine}-{method}", engine, method)
        assert code == expected_code, (engine, method)
        if code == 0:
            assert {name: (out / name).read_bytes() for name in OUTPUTS} == want[(engine, method)]
            continue
        with (out / "errors.csv").open(encoding="utf-8", newline="") as handle:
            rows = [tuple(row) for row in csv.reader(handle)][1:]
        assert first_error is not None and rows
        assert rows[0][:3] == first_error[:3] and rows[0][3].startswith(first_error[3]), rows[0]
        reports.add(tuple(rows))
        assert not any(path.name.endswith(".csv") for path in out.iterdir() if path.name != "errors.csv")
    assert len(reports) <= 1  # the same errors.csv on every engine
