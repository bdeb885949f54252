"""Sub-maquila (operations contract §4): shipments reported per (shipment, part), never discharged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.movements.files import RFC, RFC_2, discharge, harness_ledger, move, read_rows, write_rows


def test_a_shipment_out_and_partly_back_is_reported_with_what_is_still_out(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in")
    write_rows(
        folder,
        "submaquila.csv",
        [
            move("SM-1", "out", "2025-02-01", "CABLE", "50"),
            move("SM-1", "in", "2025-02-20", "CABLE", "30"),
            move("SM-1", "out", "2025-02-05", "CLIP", "40", "pcs"),
            move("SM-2", "OUT", "2025-06-01", "CABLE", "100", "ft"),  # 30.48 m
            move("SM-1", "in", "2025-03-01", "CABLE", "20"),
        ],
    )
    code, problems, _ = discharge(folder, tmp_path / "out", as_of="2025-06-30")
    assert code == 0, problems
    assert read_rows(tmp_path / "out" / "submaquila.csv") == [
        # days_out counts to --as-of also once everything came back
        {"shipment": "SM-1", "part": "CABLE", "qty_out": "50", "qty_in": "50", "qty_outstanding": "0",
         "first_out": "2025-02-01", "days_out": "149"},
        {"shipment": "SM-1", "part": "CLIP", "qty_out": "40", "qty_in": "0", "qty_outstanding": "40",
         "first_out": "2025-02-05", "days_out": "145"},
        {"shipment": "SM-2", "part": "CABLE", "qty_out": "30.48", "qty_in": "0", "qty_outstanding": "30.48",
         "first_out": "2025-06-01", "days_out": "29"},
    ]  # fmt: skip


def test_sub_maquila_never_changes_allocations_shortfalls_or_balances(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in", cable_imported="300")
    discharge(folder, tmp_path / "before")
    write_rows(folder, "submaquila.csv", [move("SM-1", "out", "2025-01-20", "CABLE", "300")])
    discharge(folder, tmp_path / "after")
    for name in ("allocations.csv", "shortfalls.csv", "balances.csv"):
        assert (tmp_path / "before" / name).read_bytes() == (tmp_path / "after" / name).read_bytes()
    assert read_rows(tmp_path / "after" / "submaquila.csv")[0]["qty_outstanding"] == "300"


def test_an_empty_submaquila_csv_gives_an_empty_report(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in")
    write_rows(folder, "submaquila.csv", [])
    code, _, _ = discharge(folder, tmp_path / "out")
    assert code == 0
    expected = "shipment,part,qty_out,qty_in,qty_outstanding,first_out,days_out\n"
    assert (tmp_path / "out" / "submaquila.csv").read_text() == expected


ERRORS = {
    "more received than sent by that date": (
        [move("SM-1", "out", "2025-02-01", "CABLE", "50"), move("SM-1", "in", "2025-02-10", "CABLE", "50.5")],
        ["submaquila.csv", "3", "qty"],
    ),
    "received before it was sent": (
        [move("SM-1", "in", "2025-01-31", "CABLE", "5"), move("SM-1", "out", "2025-02-01", "CABLE", "50")],
        ["submaquila.csv", "2", "qty"],
    ),
    "received from a shipment of another part": (
        [
            move("SM-1", "out", "2025-02-01", "CABLE", "50"),
            move("SM-1", "in", "2025-02-10", "CLIP", "1", "pcs"),
        ],
        ["submaquila.csv", "3", "qty"],
    ),
    "malformed RFC": (
        [move("SM-1", "out", "2025-02-01", "CABLE", "5", rfc="XYZ-123")],
        ["submaquila.csv", "2", "submaquilador_rfc"],
    ),
    "wrong check digit": (
        [move("SM-1", "out", "2025-02-01", "CABLE", "5", rfc=RFC[:-1] + "8")],
        ["submaquila.csv", "2", "submaquilador_rfc"],
    ),
    "unknown part": ([move("SM-1", "out", "2025-02-01", "WIRE", "5")], ["submaquila.csv", "2", "part"]),
    "unit not convertible": (
        [move("SM-1", "out", "2025-02-01", "CABLE", "5", "kg")],
        ["submaquila.csv", "2", "uom"],
    ),
    "bad direction": (
        [move("SM-1", "sent", "2025-02-01", "CABLE", "5")],
        ["submaquila.csv", "2", "direction"],
    ),
    "bad date": ([move("SM-1", "out", "2025-02-30", "CABLE", "5")], ["submaquila.csv", "2", "date"]),
    "quantity not positive": (
        [move("SM-1", "out", "2025-02-01", "CABLE", "0")],
        ["submaquila.csv", "2", "qty"],
    ),
    "a row twice": (
        [move("SM-1", "out", "2025-02-01", "CABLE", "5"), move("SM-1", "out", "2025-02-01", "CABLE", "6")],
        ["submaquila.csv", "3", "part"],
    ),
    "one shipment, two sub-maquiladoras": (
        [
            move("SM-1", "out", "2025-02-01", "CABLE", "5"),
            move("SM-1", "in", "2025-02-02", "CABLE", "5", rfc=RFC_2),
        ],
        ["submaquila.csv", "3", "submaquilador_rfc"],
    ),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_each_submaquila_input_error_exits_2_naming_file_row_and_column(tmp_path: Path, case: str) -> None:
    rows, where = ERRORS[case]
    folder = harness_ledger(tmp_path / "in")
    write_rows(folder, "submaquila.csv", rows)
    out = tmp_path / "out"
    code, problems, _ = discharge(folder, out)
    assert code == 2
    assert problems[0] == ["file", "row", "column", "message"]
    assert [p[:3] for p in problems[1:]] == [where]
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv"]


def test_the_rfc_message_says_what_is_wrong(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in")
    write_rows(
        folder, "submaquila.csv", [move("SM-1", "out", "2025-02-01", "CABLE", "5", rfc="EKU9003173C8")]
    )
    _, problems, _ = discharge(folder, tmp_path / "out")
    assert (
        problems[1][3] == "RFC 'EKU9003173C8' is not valid: The number's checksum or check digit is invalid."
    )


def test_a_submaquila_error_is_listed_with_the_ledger_errors_in_one_pass(tmp_path: Path) -> None:
    folder = harness_ledger(tmp_path / "in")
    (folder / "imports.csv").write_text(
        (folder / "imports.csv").read_text().replace("2025-01-10", "2025-13-10", 1), encoding="utf-8"
    )
    write_rows(folder, "submaquila.csv", [move("SM-1", "out", "2025-02-01", "CABLE", "5", rfc="nope")])
    code, problems, _ = discharge(folder, tmp_path / "out")
    assert code == 2
    assert {p[0] for p in problems[1:]} == {"imports.csv", "submaquila.csv"}


def test_a_workbook_sheet_named_submaquila_is_read_too(tmp_path: Path) -> None:
    from openpyxl import Workbook

    folder = harness_ledger(tmp_path / "in")
    write_rows(folder, "submaquila.csv", [move("SM-1", "out", "2025-02-01", "CABLE", "5")])
    book = Workbook()
    book.remove(book.active)
    for path in sorted(folder.glob("*.csv")):
        sheet = book.create_sheet(path.stem)
        for line in path.read_text(encoding="utf-8").splitlines():
            sheet.append(line.split(","))
    book.save(tmp_path / "ledger.xlsx")
    code, problems, _ = discharge(tmp_path / "ledger.xlsx", tmp_path / "out")
    assert code == 0, problems
    assert read_rows(tmp_path / "out" / "submaquila.csv")[0]["qty_out"] == "5"
