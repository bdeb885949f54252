"""Golden outputs of ``immex demo``: the layout by feature changed no number, row or cell.

The digests were taken from ``immex demo --as-of 2026-06-30`` at commit 99394d7, before the
source was re-laid out by feature. A change of output must be deliberate: update the digest
in the same commit and say why.

Workbook digests changed once on purpose (issue 13 point 2, reports a person can sign):
Spanish column headings from the reports' catalog, pedimentos written as the authority
writes them (``24 47 3456 5005150``), statuses and part kinds in Spanish (``vencido``,
``materia prima``); every number and date is the one of before. The
header block above a table (company, RFC, run, generated at: it carries the time) is left
out of the digest.

The expiring workbook changed again on purpose (issue 13 point 4): what to do with each lot
says what each choice costs, and the option columns (IGI, DTA, IVA, recargos, cost_missing)
follow ``what_to_do``; the first ten columns are those of before.
And once more (issue 13 gaps): ``what_to_do`` is written in Spanish by default (the
catalog's sentences), a regularization carries its actualización (CFF Art. 17-A, two new
columns) from rules/inpc.yaml, and an ieps_mxn column follows iva_mxn (0 for the demo's
parts); the demo's dates need INPC months the table does not hold, so its A3 costs are
empty and cost_missing names the months (and the table's span: adding an INPC month to
rules/inpc.yaml changes this digest).
And again (issue 13, session 6: the law behind the reports): two columns,
``change_of_regime_actualizacion_mxn`` and ``actualizacion_inpc``; the change of regime is
updated from the month of entry (Reglamento de la Ley Aduanera Art. 140 fr. III), so an F4
whose entry month's INPC is missing is no longer costed; a regularization after the table's
last month uses its last index (CFF Art. 17-A second paragraph), so the demo's expiring lots
of December 2024 to January 2025 now show their A3 cost; cost_missing names only the month
truly missing.
And once more (issue 13, session 6, point 5): ``cost_missing``, ``igi_rate_source`` and
``actualizacion_inpc`` are written in the report's language like ``what_to_do`` (Spanish by
default, from the label catalog); every number is the one of before.

The demo company changed on purpose (issue 13 point 5): some weeks' returns are virtual
transfers (V1, V5) and one week's imports a virtual transfer in (V1); an F4 of half a
slow-mover lot, an F5 of a press, an A3 of an overdue lot, two sub-maquila shipments and
three waste disposals were added. So allocations, balances, aging and expiring changed
(shortfalls and the first export's trace did not), and the new outputs are pinned too:
the discharge's submaquila.csv and waste.csv, the month's anexo24 and ivacredit and the
year's annual workbooks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from openpyxl import load_workbook

from immex.demo import run_demo

FILES = {
    "discharge/allocations.csv": "5174e2e3ae316d74e8db9fb4be74eba9975b153e7756774ad518b7ec4340ef6f",
    "discharge/balances.csv": "f678b0d18a811400964e7cb6f133aafad2e45efa7893c3d6124417f3df5e2ec3",
    "discharge/shortfalls.csv": "88a5d3bab9a3cbeebfb77d41f296a85480272cf140d113194f90dfc3c36fd67f",
    "discharge/submaquila.csv": "553e9aac1462ca5ab5f691932ce13d049fa5bd93d915fccee1265b3b6693f340",
    "discharge/waste.csv": "75222a83fef6dab55a9a73d62e60ab03317cb0f4c630fabdcc1b1296036bd33b",
    "reports/trace-first-export.csv": "53951a4438dbe7fd8a61a2bebc1ddfc23a92dbf3cf7311d36c4c189a9e312fd4",
}
# SHA-256 of repr() of every row of every sheet (cell values, not the zip bytes, which carry times)
WORKBOOKS = {
    "reports/aging.xlsx": "534dd08a5d13abeb482403c67faa77726ab33f699c8200a2fda089e654353fd4",
    "reports/balances.xlsx": "fdc8a7e044adcba5cc9d9db0a3c3e33329dc3b9a737c60fc56949d29afd26917",
    "reports/expiring.xlsx": "1cd3df6fd22fd033eba1a65e92535f8c55d817c91fde50dc8c8aa3098286f666",
    "reports/shortfalls.xlsx": "f84800e1b6eb789744a37565f4a6a82b7181b9dc4c5596de080e05acfccc0bba",
    "reports/anexo24.xlsx": "2db2d23bacc55f193c88045483797ebe63f7093395e6e742ef96a953573925f4",
    "reports/annual.xlsx": "1c912c3dd4e54e8bcaccb88a8fc6ebd070643e590a888fe24349636e224b118c",
    "reports/ivacredit.xlsx": "34de93bbdcfd54b4bb4c84ea18ba2f54e76d33455ca1b628dd498203d274d2dd",
}


def _table_rows(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """The rows of the table, without the header block (it ends at the first empty row)."""
    if rows and rows[0][0] in ("Reporte", "Report"):
        blank = next(i for i, row in enumerate(rows) if all(v is None for v in row))
        return rows[blank + 1 :]
    return rows


def _cells_digest(path: Path) -> str:
    digest = hashlib.sha256()
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in _table_rows(list(sheet.iter_rows(values_only=True))):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_demo_outputs_are_those_of_before_the_layout_by_feature(tmp_path: Path) -> None:
    run_demo(tmp_path, dt.date(2026, 6, 30))
    for name, expected in FILES.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == expected, name
    for name, expected in WORKBOOKS.items():
        assert _cells_digest(tmp_path / name) == expected, name
