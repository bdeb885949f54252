"""A small literal ledger for origin tests, and a way to put it in a store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

from sqlalchemy.orm import Session

from immex.ledger.model import BomComponent, BomVersion, ExportLine, ImportLine, Ledger, Part
from immex.ledger.service import company_id, store_ledger
from immex.store.db import open_database

DAY = dt.date(2025, 3, 1)


def sample_ledger() -> Ledger:
    """MOTOR (8501.10) = ROTOR subassembly (8503.00, own BOM) + HOUSING (US) + SCREW (CN) + LABEL (no lot)."""
    parts = {
        p.part: p
        for p in (
            Part("MOTOR", "pc", "finished", "electric motor < 37.5 W", "8501.10", "MX"),
            Part("ROTOR", "pc", "subassembly", "rotor", "8503.00", "MX"),
            Part("WIRE", "kg", "raw", "copper winding wire", "8544.11", ""),
            Part("MAGNET", "pc", "raw", "ferrite magnet", "8505.11", "CN"),
            Part("HOUSING", "pc", "raw", "aluminium housing", "7616.99", "US"),
            Part("SCREW", "pc", "raw", "steel screw", "7318.15", "CN"),
            Part("LABEL", "pc", "raw", "label", "4821.10", "MX"),
        )
    }
    boms = {
        "MOTOR": (
            BomVersion(
                "MOTOR",
                dt.date(2024, 1, 1),
                None,
                (
                    BomComponent("ROTOR", D(1)),
                    BomComponent("HOUSING", D(1)),
                    BomComponent("SCREW", D(4)),
                    BomComponent("LABEL", D(1)),
                ),
            ),
        ),
        "ROTOR": (
            BomVersion(
                "ROTOR",
                dt.date(2024, 1, 1),
                None,
                (BomComponent("WIRE", D("0.2")), BomComponent("MAGNET", D(2))),
            ),
        ),
    }
    imports = (
        ImportLine(
            "250000000000001",
            1,
            "WIRE",
            "IN",
            dt.date(2025, 1, 10),
            D(100),
            "kg",
            unit_value_usd=D("10.00"),
            country_of_origin="US",
        ),
        ImportLine(
            "250000000000001",
            2,
            "MAGNET",
            "IN",
            dt.date(2025, 1, 10),
            D(1000),
            "pc",
            unit_value_usd=D("3.00"),
            country_of_origin="CN",
        ),
        ImportLine(
            "250000000000002",
            1,
            "HOUSING",
            "IN",
            dt.date(2025, 1, 12),
            D(500),
            "pc",
            unit_value_usd=D("20.00"),
            country_of_origin="US",
        ),
        ImportLine(
            "250000000000002",
            2,
            "SCREW",
            "IN",
            dt.date(2025, 1, 12),
            D(5000),
            "pc",
            unit_value_usd=D("0.25"),
            country_of_origin="CN",
        ),
        ImportLine(
            "250000000000003",
            1,
            "HOUSING",
            "IN",
            dt.date(2025, 2, 20),
            D(500),
            "pc",
            unit_value_usd=D("22.00"),
            country_of_origin="US",
        ),
    )
    exports = (
        ExportLine(
            "250000000000101",
            1,
            "MOTOR",
            "RT",
            dt.date(2025, 2, 25),
            D(10),
            "pc",
            unit_value_usd=D("100.00"),
            destination_country="US",
        ),
        ExportLine(
            "250000000000102",
            1,
            "MOTOR",
            "RT",
            dt.date(2025, 3, 5),
            D(10),
            "pc",
            unit_value_usd=D("104.00"),
            destination_country="US",
        ),
    )
    return Ledger(parts, imports, exports, boms)


def store_sample(url: str, ledger: Ledger | None = None) -> None:
    engine = open_database(url)
    with Session(engine) as session, session.begin():
        key = company_id(session)
        _counts, problems = store_ledger(session, ledger or sample_ledger(), key)
        assert not problems
    engine.dispose()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
