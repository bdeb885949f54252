"""Stores as every released schema made them, for the upgrade tests.

``fixtures/releases/<commit>/`` holds the migration files of ``src/immex/store/migrations/versions``
exactly as they were at that commit (``git show <commit>:<path>``, saved as ``.py.txt`` so no
tool lints them), one folder per distinct released schema: the ledger alone (bca9cf4), then
the three in-place edits of ``datastage_0001`` (23fbb59, dc2afe8, c8cf53f) and its final text
(9139308). ``build_release_store`` runs one of them on an empty database and stores a few rows;
``python -m tests.store.releases`` rebuilds the committed SQLite files ``fixtures/store_<commit>.db``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

FIXTURES = Path(__file__).parent / "fixtures"
RELEASES = ("bca9cf4", "23fbb59", "dc2afe8", "c8cf53f", "9139308")
MIGRATIONS = Path(__file__).parents[2] / "src" / "immex" / "store" / "migrations"


def sqlite_fixture(commit: str) -> Path:
    return FIXTURES / f"store_{commit}.db"


def build_release_store(url: str, commit: str) -> None:
    """The schema of release ``commit`` on the empty database ``url``, with a ledger and a Data Stage row."""
    scripts = Path(tempfile.mkdtemp(prefix=f"immex-release-{commit}-"))
    try:
        shutil.copy(MIGRATIONS / "env.py", scripts / "env.py")
        shutil.copy(MIGRATIONS / "script.py.mako", scripts / "script.py.mako")
        (scripts / "versions").mkdir()
        for source in (FIXTURES / "releases" / commit).glob("*.py.txt"):
            shutil.copy(source, scripts / "versions" / source.name.removesuffix(".txt"))
        config = Config()
        config.set_main_option("script_location", str(scripts))
        engine = create_engine(url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
            _rows(connection, has_datastage=(scripts / "versions" / "datastage_0001_initial.py").exists())
        engine.dispose()
    finally:
        shutil.rmtree(scripts, ignore_errors=True)


def _rows(connection, has_datastage: bool) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        text(
            "INSERT INTO company (id, code, name, rfc, immex_program, modality, certification) "
            "VALUES (1, 'default', 'Old Co', '', '', 'industrial', '')"
        )
    )
    connection.execute(
        text(
            "INSERT INTO part (id, company_id, part, uom, kind, description, hs, country_of_origin) "
            "VALUES (1, 1, 'A', 'pcs', 'raw', '', '', '')"
        )
    )
    connection.execute(
        text(
            "INSERT INTO pedimento (id, company_id, number, operation) "
            "VALUES (1, 1, '254734565000001', 'import')"
        )
    )
    connection.execute(
        text(
            "INSERT INTO import_line (id, company_id, pedimento_id, line, part, clave, cleared_on, qty, uom, "
            "country_of_origin, hs) VALUES (1, 1, 1, 1, 'A', 'IN', :day, :qty, 'pcs', '', '')"
        ),
        {"day": dt.date(2025, 1, 1), "qty": "10"},
    )
    if not has_datastage:
        return
    key = {"patente": "3456", "pedimento": "5000001", "seccion": "470"}
    connection.execute(
        text(
            "INSERT INTO ds_pedimento (patente, pedimento, seccion_aduanera, numero, fecha_pago) "
            "VALUES (:patente, :pedimento, :seccion, '254734565000001', :day)"
        ),
        {**key, "day": dt.date(2025, 1, 1)},
    )
    connection.execute(
        text(
            "INSERT INTO ds_partida (patente, pedimento, seccion_aduanera, secuencia_fraccion, "
            "valor_dolares, cantidad_um_comercial) VALUES (:patente, :pedimento, :seccion, 1, :usd, :qty)"
        ),
        {**key, "usd": "100.00", "qty": "10"},
    )
    connection.execute(
        text(
            "INSERT INTO ds_partida_contribucion (patente, pedimento, seccion_aduanera, linea, "
            "secuencia_fraccion, clave_contribucion, importe_pago) "
            "VALUES (:patente, :pedimento, :seccion, 1, 1, '6', '0')"
        ),
        key,
    )


def main() -> None:
    for commit in RELEASES:
        path = sqlite_fixture(commit)
        path.unlink(missing_ok=True)
        build_release_store(f"sqlite:///{path}", commit)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
