"""Ledger upload, runs as jobs, and the lists: the same numbers as the CLI's files, on both stores."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import text
from typer.testing import CliRunner

from immex.cli import app as cli
from tests.api.conftest import COMPANY_A, Api
from tests.api.ledgers import AS_OF, multipart, small_ledger
from tests.ledger.ledger_files import read_csv

BASE = f"/api/v1/companies/{COMPANY_A}"


def _run(api: Api, **body: str) -> dict[str, object]:
    started = api.post("analyst", f"{BASE}/runs", json={"method": "fifo", "as_of": AS_OF, **body})
    assert started.status_code == 202, started.text
    assert started.headers["location"] == f"/api/v1/jobs/{started.json()['job']}"
    job = api.wait("analyst", started.headers["location"])
    assert job["status"] == "done", job
    return job


def _cli_outputs(folder: Path, out: Path) -> Path:
    result = CliRunner().invoke(
        cli, ["discharge", "--input", str(folder), "--output", str(out), "--as-of", AS_OF]
    )
    assert result.exit_code == 0, result.output
    return out


def _as_strings(items: list[dict[str, object]]) -> list[dict[str, str]]:
    """API items as the CLI's CSV cells (decimals compared as decimals by the caller)."""

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return [{k: cell(v) for k, v in item.items()} for item in items]


def _same_rows(api_rows: list[dict[str, str]], cli_rows: list[dict[str, str]], decimals: set[str]) -> None:
    assert len(api_rows) == len(cli_rows)
    for mine, theirs in zip(api_rows, cli_rows, strict=True):
        for key, value in theirs.items():
            if key in decimals:
                assert Decimal(mine[key]) == Decimal(value), key
            else:
                assert mine[key] == value, key


def test_invalid_upload_answers_every_problem_the_cli_writes_and_stores_nothing(
    api: Api, tmp_path: Path
) -> None:
    folder = small_ledger(tmp_path / "bad")
    (folder / "imports.csv").write_text(
        (folder / "imports.csv").read_text().replace("2025-03-01", "2025-13-01").replace(",10,", ",-3,")
    )
    answer = api.post("analyst", f"{BASE}/ledger", files=multipart(folder))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    cli_run = CliRunner().invoke(cli, ["discharge", "--input", str(folder), "--output", str(tmp_path / "o")])
    assert cli_run.exit_code == 2
    expected = [
        {**r, "row": int(r["row"]) if r["row"] else None} for r in read_csv(tmp_path / "o" / "errors.csv")
    ]
    assert body["errors"] == expected and len(expected) >= 2
    assert str(tmp_path) not in answer.text and "/tmp" not in answer.text
    assert api.get("analyst", f"{BASE}/balances").json()["items"] == []


def test_upload_stores_once_then_the_same_files_change_nothing(api: Api, tmp_path: Path) -> None:
    folder = small_ledger(tmp_path / "in")
    first = api.post("analyst", f"{BASE}/ledger", files=multipart(folder))
    assert first.status_code == 201, first.text
    assert first.json()["counts"] == {
        "parts": 2,
        "conversions": 0,
        "bom_versions": 0,
        "imports": 3,
        "exports": 2,
    }
    again = api.post("broker", f"{BASE}/ledger", files=multipart(folder))
    assert again.status_code == 201
    assert set(again.json()["counts"].values()) == {0}


def test_run_result_and_lists_equal_the_cli_files(api: Api, tmp_path: Path) -> None:
    folder = small_ledger(tmp_path / "in")
    assert api.post("analyst", f"{BASE}/ledger", files=multipart(folder)).status_code == 201
    job = _run(api)
    out = _cli_outputs(folder, tmp_path / "cli")
    result = job["result"]
    assert isinstance(result, dict)
    assert result["counts"]["allocations"] == len(read_csv(out / "allocations.csv")) == 3
    assert result["totals"]["qty_missing"] == "2"
    balances = api.get("auditor", f"{BASE}/balances", params={"as_of": AS_OF}).json()
    _same_rows(
        _as_strings(balances["items"]),
        read_csv(out / "balances.csv"),
        {"qty_imported", "qty_discharged", "qty_remaining"},
    )
    allocations = api.get("analyst", f"{BASE}/allocations").json()["items"]
    _same_rows(_as_strings(allocations), read_csv(out / "allocations.csv"), {"qty"})
    shortfalls = api.get("analyst", f"{BASE}/shortfalls").json()["items"]
    _same_rows(_as_strings(shortfalls), read_csv(out / "shortfalls.csv"), {"qty_missing"})
    assert all(isinstance(item["qty"], str) for item in allocations)  # decimals are JSON strings


def test_drill_down_from_an_export_line_to_its_lots_and_back(api: Api, tmp_path: Path) -> None:
    api.post("analyst", f"{BASE}/ledger", files=multipart(small_ledger(tmp_path / "in")))
    _run(api)
    lots = api.get("analyst", f"{BASE}/exports/254734566000001/1/trace").json()["items"]
    assert [(x["import_pedimento"], x["qty"]) for x in lots] == [
        ("254734565000001", "10"),
        ("254734565000002", "2"),
    ]
    back = api.get("auditor", f"{BASE}/imports/254734565000002/1/trace").json()["items"]
    assert [(x["export_pedimento"], x["export_line"], x["qty"]) for x in back] == [
        ("254734566000001", 1, "2")
    ]
    missing = api.get("analyst", f"{BASE}/exports/254734566000009/1/trace")
    assert missing.status_code == 404


def test_filters_paging_and_downloads(api: Api, tmp_path: Path) -> None:
    api.post("analyst", f"{BASE}/ledger", files=multipart(small_ledger(tmp_path / "in")))
    _run(api)
    by_part = api.get("analyst", f"{BASE}/balances", params={"part": "A", "as_of": AS_OF}).json()["items"]
    assert {row["part"] for row in by_part} == {"A"} and len(by_part) == 2
    by_ped = api.get("analyst", f"{BASE}/balances", params={"pedimento": "25 47 3456 5000002"}).json()[
        "items"
    ]
    assert {row["import_pedimento"] for row in by_ped} == {"254734565000002"}
    pages, cursor = [], None
    while True:
        page = api.get(
            "analyst", f"{BASE}/balances", params={"limit": 1, **({"cursor": cursor} if cursor else {})}
        )
        pages += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(pages) == 3 and len({(p["import_pedimento"], p["import_line"]) for p in pages}) == 3
    assert api.get("analyst", f"{BASE}/balances", params={"cursor": "nonsense"}).status_code == 422
    assert api.get("analyst", f"{BASE}/balances", params={"limit": 1001}).status_code == 422
    csv_answer = api.get("auditor", f"{BASE}/allocations", params={"format": "csv"})
    assert csv_answer.headers["content-disposition"].startswith("attachment")
    assert (
        csv_answer.text.splitlines()[0]
        == "export_pedimento,export_line,product,part,import_pedimento,import_line,qty,late"
    )
    assert len(csv_answer.text.splitlines()) == 4
    xlsx = api.get("auditor", f"{BASE}/balances", params={"format": "xlsx"})
    assert xlsx.headers["content-disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 4


def test_adjustment_reversal_and_the_audit_log(api: Api, tmp_path: Path) -> None:
    api.post("analyst", f"{BASE}/ledger", files=multipart(small_ledger(tmp_path / "in")))
    run_id = _run(api)["result"]["run_id"]  # type: ignore[index]
    adjusted = api.post(
        "analyst",
        f"{BASE}/adjustments",
        json={"pedimento": "25 47 3456 5000002", "line": 1, "part": "A", "qty": "0.5", "reason": "count"},
    )
    assert adjusted.status_code == 201, adjusted.text
    too_much = api.post(
        "analyst",
        f"{BASE}/adjustments",
        json={"pedimento": "254734565000002", "line": 1, "part": "A", "qty": "99", "reason": "count"},
    )
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["column"] == "qty"
    reversed_ = api.post("analyst", f"{BASE}/runs/{run_id}/reverse", json={"reason": "wrong cut-off"})
    assert reversed_.status_code == 200
    assert api.post("analyst", f"{BASE}/runs/{run_id}/reverse", json={"reason": "again"}).status_code == 422
    assert api.get("analyst", f"{BASE}/allocations").json()["items"] == []
    runs = api.get("auditor", f"{BASE}/runs").json()["items"]
    assert runs[0]["run_id"] == run_id and runs[0]["reversal_reason"] == "wrong cut-off"
    log = api.get("auditor", f"{BASE}/audit").json()["items"]
    actions = [entry["action"] for entry in log]
    assert actions[:4] == ["run.reverse", "adjustment.create", "run.create", "ledger.upload"]
    assert log[1]["actor"] == "analyst@example.mx" and log[1]["after"]["qty"] == "0.5"
    assert all(entry["at"].endswith("+00:00") for entry in log)


def test_the_audit_log_refuses_updates_and_deletes(api: Api) -> None:
    engine = api.app.state.store.engine
    for statement in ("UPDATE api_audit SET actor = 'x'", "DELETE FROM api_audit"):
        with engine.connect() as conn:
            try:
                conn.execute(text(statement))
                conn.commit()
            except Exception as error:  # the database's own trigger
                assert "append-only" in str(error)
            else:
                raise AssertionError(f"{statement} was allowed")
