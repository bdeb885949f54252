"""schemathesis against /openapi.json: generated requests to every operation, never a 500.

The calls are made as the admin (who may reach every operation) on a store with two
companies; a few examples per operation keep the suite fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.api.conftest import Api, make_api


@pytest.fixture(scope="module")
def admin_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from argon2 import PasswordHasher, profiles

    from immex.api import security
    from immex.store.db import open_database

    saved = security._HASHER, security._DUMMY_HASH
    security._HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)
    security._DUMMY_HASH = security._HASHER.hash("dummy")
    folder = tmp_path_factory.mktemp("schema")
    open_database(f"sqlite:///{folder / 'immex.db'}").dispose()
    try:
        yield from make_api(f"sqlite:///{folder / 'immex.db'}", folder / "files")
    finally:
        security._HASHER, security._DUMMY_HASH = saved

    folder = Path(__import__("tempfile").mkdtemp(prefix="immex-schema-"))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def api_schema(admin_api: Api) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", admin_api.app)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_500(case: schemathesis.Case[Any], admin_api: Api) -> None:
    case.call_and_validate(headers=admin_api.auth("admin"), checks=[not_a_server_error])
