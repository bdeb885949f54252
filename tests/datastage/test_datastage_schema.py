"""The datastage migration creates exactly the tables the models describe, on both stores."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData

from immex.datastage.layout import LAYOUTS, TABLE_NAMES, TYPES, column_name
from immex.datastage.orm import TABLES
from immex.datastage.read import read_zip
from immex.store.base import Base
from immex.store.db import open_database

from .helpers import small_lines, zip_of


def test_migration_matches_models(db_url: str) -> None:
    engine = open_database(db_url)
    ours = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in TABLES.values():
        table.to_metadata(ours)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), ours)
    engine.dispose()
    mine = [d for d in diffs if "ds_" in repr(d)]
    assert [d for d in mine if d[0] != "remove_table"] == []


def test_every_field_has_a_column() -> None:
    for tipo in TYPES:
        columns = set(TABLES[tipo].c.keys())
        assert {column_name(f) for f in LAYOUTS[tipo]} <= columns, tipo
        assert TABLES[tipo].name == TABLE_NAMES[tipo]


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_line_with_a_pipe_more_or_less_is_exactly_one_field_count_error(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    lines = small_lines()
    tipo = data.draw(st.sampled_from([t for t in TYPES if len(lines[t]) > 1]))
    index = data.draw(st.integers(1, len(lines[tipo]) - 1))
    line = lines[tipo][index].rstrip("\r\n")
    width = len(LAYOUTS[tipo])
    if data.draw(st.booleans()):
        corrupted, got = line[:-1] + "|extra|", width + 1
    else:
        cut = random.Random(data.draw(st.integers(0, 99))).randrange(line.count("|"))
        pieces = line.split("|")
        corrupted, got = "|".join(pieces[:cut] + pieces[cut + 1 :]), width - 1
    lines[tipo][index] = corrupted + "\r\n"
    read = read_zip(zip_of(tmp_path_factory.mktemp("f"), lines))
    problems = [(p.file, p.row, p.column, p.message) for p in read.problems]
    assert (f"7300001_{tipo}.asc", index + 1, "", f"expected {width} fields, got {got}") in problems
    assert all(p[1] == index + 1 or p[2] == "" for p in problems if p[0] == f"7300001_{tipo}.asc")


def test_nothing_path_like_in_problem_files(tmp_path: Path) -> None:
    lines = small_lines()
    lines["551"][1] = lines["551"][1].replace("|", "||", 1)
    read = read_zip(zip_of(tmp_path, lines))
    assert all(not p.file.startswith("/") for p in read.problems)
