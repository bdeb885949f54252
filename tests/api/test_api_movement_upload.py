"""The ledger upload takes every file of the input folder: regularizations, sub-maquila, waste.

The same files as ``immex discharge --db`` reads: stored all or nothing, and
discharged by the company's next run as the CLI discharges them.
"""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import COMPANY_A, Api
from tests.api.ledgers import AS_OF, E1, I1, multipart, small_ledger
from tests.movements.files import RFC

BASE = f"/api/v1/companies/{COMPANY_A}"
A3 = "25 47 3456 7000001"


def _with_movements(folder: Path, rfc: str = RFC) -> dict[str, tuple[str, bytes, str]]:
    small_ledger(folder)
    (folder / "regularizations.csv").write_text(
        "pedimento,line,clave,cleared_on,part,qty,uom,import_pedimento,import_line\n"
        f"{A3},1,A3,2025-02-01,A,2,pcs,{I1},1\n"
    )
    (folder / "submaquila.csv").write_text(
        "shipment,direction,date,part,qty,uom,submaquilador_rfc\n"
        f"S-1,out,2025-03-05,B,3,pcs,{rfc}\nS-1,in,2025-03-20,B,1,pcs,{rfc}\n"
    )
    files = multipart(folder)
    for name in ("regularizations.csv", "submaquila.csv"):
        files[name] = (name, (folder / name).read_bytes(), "text/csv")
    return files


def test_the_upload_stores_regularizations_and_submaquila_and_the_run_discharges_them(
    api: Api, tmp_path: Path
) -> None:
    answer = api.post("analyst", f"{BASE}/ledger", files=_with_movements(tmp_path / "in"))
    assert answer.status_code == 201, answer.text
    counts = answer.json()["counts"]
    assert counts["submaquila"] == 2 and counts["disposals"] == 0
    assert counts["exports"] == 3  # two export lines and the A3, stored as an outgoing line
    started = api.post("analyst", f"{BASE}/runs", json={"method": "fifo", "as_of": AS_OF})
    job = api.wait("analyst", started.headers["location"])
    assert job["status"] == "done", job
    allocations = api.get("analyst", f"{BASE}/allocations").json()["items"]
    by_export = {(a["export_pedimento"], a["import_pedimento"]): a["qty"] for a in allocations}
    digits = "".join  # pedimentos come back as 15 digits
    assert by_export[(digits(A3.split()), digits(I1.split()))] == "2"  # the A3 took its named lot
    assert by_export[(digits(E1.split()), digits(I1.split()))] == "8"  # the export got what was left


def test_a_bad_submaquila_row_refuses_the_whole_upload(api: Api, tmp_path: Path) -> None:
    answer = api.post("analyst", f"{BASE}/ledger", files=_with_movements(tmp_path / "in", rfc="XXX010101XX1"))
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert errors and {e["file"] for e in errors} == {"submaquila.csv"}
    assert {e["column"] for e in errors} == {"submaquilador_rfc"}
    assert api.get("analyst", f"{BASE}/balances").json()["items"] == []  # nothing stored
