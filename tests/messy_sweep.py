"""Every command that reads a user's file, run on messy copies of a valid input (issue 11, point 4).

A *scenario* is one command with a valid input (mostly ``docs/examples``) and
the files of it a user edits; a *corruption* turns each of those files into
what a real spreadsheet or a broken copy makes of it (Windows-1252, a byte
order mark, Spanish Excel's semicolons and decimal commas, CRLF, trailing
empty columns, a cut last line, UTF-16, a workbook renamed ``.csv``, an empty
file, two files joined). :func:`sweep` runs the command on the clean and on
the corrupted copy and says what happened: exit code, traceback or not,
the same answer as the clean run or not, the store unchanged or not.

``python3 -m tests.messy_sweep`` prints the table (command × corruption);
``tests/test_messy_inputs.py`` asserts every cell of it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from typer.testing import CliRunner

from immex.cli import app
from tests.ledger.ledger_files import bom, exp, imp, part, write_ledger

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
AS_OF = "2025-12-31"


# --------------------------------------------------------------------------- corruptions


def _cells_with_decimal_commas(text: str) -> str:
    """What Excel in a Spanish locale saves: ``;`` between cells, ``,`` in decimals, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in csv.reader(io.StringIO(text)):
        writer.writerow([re.sub(r"^(-?[0-9]+)\.([0-9]+)$", r"\1,\2", cell) for cell in row])
    return out.getvalue()


def _workbook(text: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in csv.reader(io.StringIO(text)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cut(data: bytes) -> bytes:
    body = data.rstrip(b"\r\n")
    start = body.rfind(b"\n") + 1
    return body[: start + (len(body) - start) // 2]


def _joined(text: str) -> bytes:
    """Two exports of the same file pasted into one, each with its byte order mark."""
    return codecs.BOM_UTF8 + text.encode() + codecs.BOM_UTF8 + text.encode()


def _trailing_columns(text: str) -> str:
    return "".join(line.rstrip("\n") + ",,\n" for line in text.splitlines(keepends=True))


Corruption = Callable[[str], bytes]
CORRUPTIONS: dict[str, Corruption] = {
    "windows-1252": lambda text: text.encode("cp1252"),
    "utf-8 BOM": lambda text: codecs.BOM_UTF8 + text.encode(),
    "Spanish Excel ; and 0,5": lambda text: _cells_with_decimal_commas(text).encode("cp1252"),
    "CRLF": lambda text: text.replace("\n", "\r\n").encode(),
    "trailing empty columns": lambda text: _trailing_columns(text).encode(),
    "last line cut": lambda text: _cut(text.encode()),
    "UTF-16": lambda text: text.encode("utf-16"),
    "xlsx renamed .csv": _workbook,
    "empty file": lambda text: b"",
    "two files joined": _joined,
}
TEXT_ONLY = ("Spanish Excel ; and 0,5", "trailing empty columns", "two files joined")
"""Corruptions that only mean something for a CSV (a JSON case file gets the others)."""
SAME_MEANING = ("windows-1252", "utf-8 BOM", "CRLF", "trailing empty columns", "UTF-16")
"""A file that means exactly the clean one: the command must answer as on the clean file."""


# --------------------------------------------------------------------------- scenarios


@dataclass
class Setup:
    """A command ready to run: its arguments, the files a user edits, what it answers."""

    args: list[str]
    targets: list[Path]
    outputs: list[Path] = field(default_factory=list)
    database: Path | None = None
    compare_stdout: bool = True
    compare_store: bool = False
    """The store after the corrupted run must be the store after the clean one (both runs start
    from the same store)."""


Scenario = Callable[[Path], Setup]


def _copy(source: Path, to: Path) -> Path:
    shutil.copytree(source, to)
    return to


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _invoke(args: Sequence[str]) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output, result.exception


def _stored_ledger(work: Path) -> Path:
    """A store holding the example ledger and its discharge (for commands that read a store)."""
    database = work / "store.db"
    code, output, _ = _invoke(
        [
            "discharge",
            "--input",
            str(EXAMPLES / "ledger"),
            "--output",
            str(work / "stored-run"),
            "--as-of",
            AS_OF,
            "--db",
            _url(database),
        ]
    )
    assert code == 0, output
    return database


def discharge(work: Path) -> Setup:
    folder = _copy(EXAMPLES / "ledger", work / "ledger")
    out = work / "out"
    return Setup(
        ["discharge", "--input", str(folder), "--output", str(out), "--as-of", AS_OF],
        sorted(folder.glob("*.csv")),
        [out / name for name in ("allocations.csv", "shortfalls.csv", "balances.csv")],
        compare_stdout=False,
    )


def discharge_into_a_store(work: Path) -> Setup:
    database = _stored_ledger(work)
    setup = discharge(work)
    setup.args += ["--db", _url(database)]
    setup.database = database
    return setup


def discharge_movements(work: Path) -> Setup:
    folder = _copy(EXAMPLES / "movements", work / "ledger")
    out = work / "out"
    return Setup(
        ["discharge", "--input", str(folder), "--output", str(out), "--as-of", AS_OF],
        [folder / "submaquila.csv", folder / "waste.csv"],
        [out / name for name in ("allocations.csv", "balances.csv", "waste.csv", "submaquila.csv")],
        compare_stdout=False,
    )


def discharge_regularizations(work: Path) -> Setup:
    folder = _copy(EXAMPLES / "operations", work / "ledger")
    out = work / "out"
    return Setup(
        ["discharge", "--input", str(folder), "--output", str(out), "--as-of", AS_OF],
        [folder / "regularizations.csv"],
        [out / name for name in ("allocations.csv", "balances.csv")],
        compare_stdout=False,
    )


def report_balances(work: Path) -> Setup:
    folder = _copy(EXAMPLES / "ledger", work / "ledger")
    report = work / "balances.csv"
    return Setup(
        ["report", "balances", "--input", str(folder), "--as-of", AS_OF, "--output", str(report)],
        sorted(folder.glob("*.csv")),
        [report],
        compare_stdout=False,
    )


def report_expiring(work: Path) -> Setup:
    folder = _copy(EXAMPLES / "expiring", work / "expiring")
    report = work / "expiring.csv"
    return Setup(
        [
            "report",
            "expiring",
            "--input",
            str(folder / "ledger"),
            "--as-of",
            "2025-06-10",
            "--days",
            "400",
            "--output",
            str(report),
            "--exchange-rates",
            str(folder / "rates.csv"),
            "--terms",
            str(folder / "terms.csv"),
        ],
        [folder / "rates.csv", folder / "terms.csv"],
        [report],
        compare_stdout=False,
    )


def compulsa(work: Path) -> Setup:
    folder = _copy(EXAMPLES / "datastage", work / "datastage")
    out = work / "out"
    return Setup(
        [
            "datastage",
            "compulsa",
            "--datastage",
            str(folder / "datastage-2026-01.zip"),
            "--input",
            str(folder / "ledger"),
            "--output",
            str(out),
            "--no-reports",
        ],
        sorted((folder / "ledger").glob("*.csv")),
        [out / "differences.csv"],
        compare_stdout=False,
    )


CERTIFICATIONS = (
    "supplier,part,valid_from,valid_to,criterion,document_ref,supplier_country\n"
    "Resinas del Bajío,RES-100,2025-01-01,2025-12-31,B,CERT-Ñ-1,US\n"
    "Tornillería Núñez,TORN-M6,2025-01-01,2025-12-31,A,CERT-Ñ-2,US\n"
)
VALUES = "item,valid_from,unit_value_usd,note\nARN-500,2025-01-01,14.50,arnés estándar\n"


def _loaded_into_store(name: str, text: str, command: list[str]) -> Scenario:
    def scenario(work: Path) -> Setup:
        database = _stored_ledger(work)
        path = work / name
        path.write_text(text, encoding="utf-8")
        args = ["origin", *command, str(path), "--db", _url(database)]
        return Setup(args, [path], database=database, compare_store=True)

    return scenario


certs_load = _loaded_into_store("certifications.csv", CERTIFICATIONS, ["certs", "load"])
values_load = _loaded_into_store("values.csv", VALUES, ["values", "load"])


def _ledger_of_2026(work: Path) -> Path:
    """A store with a 2026 discharge (the DTA quotas of the shipped tables start in 2026)."""
    folder = write_ledger(
        work / "ledger-2026",
        [
            part("P1", hs="8504409900", description="Núcleo"),
            part("P2", hs="7326909900"),
            part("FG", kind="finished"),
        ],
        [
            imp("26 47 3456 6000001", 1, "P1", "100", "2026-01-05", unit_value_usd="2.00", hs="8504409900"),
            imp("26 47 3456 6000001", 2, "P2", "50", "2026-01-05", unit_value_usd="4.00", hs="7326909900"),
        ],
        [
            exp(
                "26 47 3456 6000101",
                1,
                "FG",
                "10",
                "2026-03-10",
                unit_value_usd="50",
                destination_country="USA",
            )
        ],
        [bom("FG", "P1", "2"), bom("FG", "P2", "1")],
    )
    database = work / "store-2026.db"
    code, output, _ = _invoke(
        [
            "discharge",
            "--input",
            str(folder),
            "--output",
            str(work / "run-2026"),
            "--as-of",
            "2026-12-31",
            "--db",
            _url(database),
        ]
    )
    assert code == 0, output
    return database


def tmec25_from_store(work: Path) -> Setup:
    database = _ledger_of_2026(work)
    files = {
        "fx.csv": "date,exchange_rate\n2026-01-05,17.00\n2026-03-01,18.25\n",
        "terms.csv": "part,igi_rate,originating\nP1,0.10,false\nP2,0.05,sí\n",
        "us.csv": "product,us_rate\nFG,0.025\n",
    }
    for name, text in files.items():
        (work / name).write_text(text, encoding="utf-8")
    return Setup(
        [
            "duties",
            "tmec25",
            "--db",
            _url(database),
            "--fx",
            str(work / "fx.csv"),
            "--terms",
            str(work / "terms.csv"),
            "--us-rates",
            str(work / "us.csv"),
        ],
        [work / name for name in files],
        database=database,
    )


USITC = (
    '"HTS Number","Indent","Description","Unit of Quantity","General Rate of Duty",'
    '"Special Rate of Duty","Column 2 Rate of Duty"\n'
    '"8708.99.81","2","Other (vehículos)","","2.5%","Free (A+,AU)","25%"\n'
    '"8708.99.81.80","3","Other","No.","","",""\n'
)


def hts_import(work: Path) -> Setup:
    source = work / "hts.csv"
    source.write_text(USITC, encoding="utf-8")
    table = work / "us_hts.csv"
    return Setup(
        ["duties", "hts", "import", "--file", str(source), "--table", str(table), "--source", "HTS 2026"],
        [source],
        [table],
    )


def hts_show(work: Path) -> Setup:
    source = work / "hts.csv"
    source.write_text(USITC, encoding="utf-8")
    table = work / "us_hts.csv"
    code, output, _ = _invoke(
        ["duties", "hts", "import", "--file", str(source), "--table", str(table), "--source", "HTS 2026"]
    )
    assert code == 0, output
    return Setup(["duties", "hts", "show", "8708.99.81.80", "--table", str(table)], [table])


def tariff_update(work: Path) -> Setup:
    source = work / "tigie.csv"
    shutil.copyfile(EXAMPLES / "duties" / "tigie-excerpt.csv", source)
    data = work / "data"
    return Setup(
        [
            "duties",
            "tariff",
            "update",
            "--file",
            str(source),
            "--since",
            "2026-01-01",
            "--source",
            "DOF test",
            "--data-dir",
            str(data),
            "--non-ad-valorem",
            "keep",
        ],
        [source],
        [data / "tariff" / "ligie.csv"],
    )


def _case_file(command: list[str], example: Path) -> Scenario:
    def scenario(work: Path) -> Setup:
        path = work / example.name
        shutil.copyfile(example, path)
        return Setup([*command, "--input", str(path)], [path])

    return scenario


SCENARIOS: dict[str, Scenario] = {
    "discharge": discharge,
    "discharge --db": discharge_into_a_store,
    "discharge (submaquila, waste)": discharge_movements,
    "discharge (regularizations)": discharge_regularizations,
    "report balances --input": report_balances,
    "report expiring (rates, terms)": report_expiring,
    "datastage compulsa --input": compulsa,
    "origin certs load": certs_load,
    "origin values load": values_load,
    "duties tmec25 (fx, terms, us rates)": tmec25_from_store,
    "duties hts import": hts_import,
    "duties hts show --table": hts_show,
    "duties tariff update": tariff_update,
    "duties pedimento (JSON)": _case_file(
        ["duties", "pedimento"], EXAMPLES / "duties" / "pedimento-minimum-dta.json"
    ),
    "duties landed (JSON)": _case_file(
        ["duties", "landed"], EXAMPLES / "duties" / "landed-shipped-rate.json"
    ),
    "origin qualify (JSON)": _case_file(["origin", "qualify"], EXAMPLES / "origin" / "electric-motor.json"),
}


def applies(scenario: str, corruption: str) -> bool:
    return not (scenario.endswith("(JSON)") and corruption in TEXT_ONLY)


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str
    traceback: bool
    same: bool
    """Exit 0 with the clean run's answer (stdout and output files)."""
    store_unchanged: bool | None
    """None when the command has no store."""


def _answer(setup: Setup, output: str) -> tuple[str, dict[str, bytes | None]]:
    files = {str(p.name): (p.read_bytes() if p.exists() else None) for p in setup.outputs}
    return (output if setup.compare_stdout else ""), files


_STAMP = re.compile(r"'[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?'")
"""When a row was stored: it differs between any two runs."""


def _dump(database: Path | None) -> list[str] | None:
    if database is None:
        return None
    with sqlite3.connect(database) as connection:
        return [_STAMP.sub("'<time>'", line) for line in connection.iterdump()]


@dataclass(frozen=True)
class Clean:
    """A scenario set up in ``work`` and run once on its clean input; its store (if any) put
    back as it was before that run, its output files removed."""

    setup: Setup
    work: Path
    want: tuple[str, dict[str, bytes | None]]
    store: list[str] | None


def prepare(scenario: str, work: Path) -> Clean:
    setup = SCENARIOS[scenario](work)
    snapshot = work / "snapshot.db"
    if setup.database is not None:
        shutil.copyfile(setup.database, snapshot)
    code, output, _ = _invoke(setup.args)
    assert code == 0, (scenario, output)
    clean = Clean(setup, work, _answer(setup, output), _dump(setup.database))
    for path in setup.outputs:
        if path.exists():
            path.unlink()
    if setup.database is not None:
        shutil.copyfile(snapshot, setup.database)
    return clean


def _moved(setup: Setup, old: Path, new: Path) -> Setup:
    def path(p: Path) -> Path:
        return new / p.relative_to(old)

    return Setup(
        [arg.replace(str(old), str(new)) for arg in setup.args],
        [path(p) for p in setup.targets],
        [path(p) for p in setup.outputs],
        None if setup.database is None else path(setup.database),
        setup.compare_stdout,
        setup.compare_store,
    )


def corrupted(clean: Clean, corruption: str, work: Path) -> Outcome:
    """The command on a copy of the clean scenario with ``corruption`` applied to its files."""
    shutil.copytree(clean.work, work)
    setup = _moved(clean.setup, clean.work, work)
    for path in setup.targets:
        path.write_bytes(CORRUPTIONS[corruption](path.read_text(encoding="utf-8")))
    before = _dump(setup.database)
    code, output, exception = _invoke(setup.args)
    traceback = "Traceback" in output or not (exception is None or isinstance(exception, SystemExit))
    after = _dump(setup.database)
    same = code == 0 and _answer(setup, output.replace(str(work), str(clean.work))) == clean.want
    same = same and (not setup.compare_store or after == clean.store)
    return Outcome(code, output, traceback, same, None if setup.database is None else after == before)


def verdict(outcome: Outcome) -> str:
    if outcome.traceback:
        return f"exit {outcome.exit_code} TRACEBACK"
    if outcome.exit_code == 0:
        return "exit 0, same answer" if outcome.same else "exit 0, DIFFERENT answer"
    first = next(
        (line for line in outcome.output.splitlines() if line and line != "file,row,column,message"), ""
    )
    store = "" if outcome.store_unchanged in (None, True) else " STORE CHANGED"
    return f"exit {outcome.exit_code}{store}: {first[:150]}"


def main() -> None:
    import tempfile

    for scenario in SCENARIOS:
        print(f"## {scenario}")
        with tempfile.TemporaryDirectory() as work:
            (Path(work) / "clean").mkdir()
            clean = prepare(scenario, Path(work) / "clean")
            for corruption in CORRUPTIONS:
                if applies(scenario, corruption):
                    outcome = corrupted(clean, corruption, Path(work) / corruption)
                    print(f"- {corruption}: {verdict(outcome)}")


if __name__ == "__main__":
    main()
