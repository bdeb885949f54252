"""What makes a request cheap must not change its answer: the one-statement token check,
the JSON of list pages written by orjson, and the server's defaults."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import Session

from immex.api import listing, users
from immex.api.orm import TokenRow
from immex.cli import serve
from tests.api.conftest import COMPANY_A, COMPANY_B, Api

zones = st.sampled_from(
    [None, dt.UTC, dt.timezone(dt.timedelta(hours=-6)), dt.timezone(dt.timedelta(hours=5, minutes=30))]
)
values = (
    st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates()
    | st.builds(lambda moment, zone: moment.replace(tzinfo=zone), st.datetimes(), zones)
    | st.integers(-(2**53), 2**53)
    | st.text()
    | st.booleans()
    | st.none()
)


@given(st.lists(st.dictionaries(st.text(max_size=5), values, max_size=6), max_size=5))
def test_a_page_written_by_orjson_reads_as_json_value_writes_it(items: list[dict[str, Any]]) -> None:
    body = {"items": items, "next_cursor": None}
    expected = {
        "items": [{k: listing.json_value(v) for k, v in item.items()} for item in items],
        "next_cursor": None,
    }
    assert json.loads(listing.json_body(body)) == expected


def _access(api: Api, who: str) -> tuple[int, users.Access] | None:
    with api.app.state.store.autocommit.connect() as connection:
        return users.access_for_token(connection, api.tokens[who])


def test_the_one_statement_token_check_equals_the_user_and_its_grants(api: Api) -> None:
    store = api.app.state.store
    with store.writing() as session:
        users.grant(session, "other@example.mx", COMPANY_A, "auditor", "test")
    for who in ("admin", "analyst", "auditor", "broker", "other"):
        found = _access(api, who)
        assert found is not None
        with Session(store.engine) as session:
            user = users.user_for_token(session, api.tokens[who])
            assert user is not None
            assert found == (user.id, users.access_of(session, user))
    other = _access(api, "other")
    assert other is not None and other[1].grants == {COMPANY_B: "analyst", COMPANY_A: "auditor"}
    admin = _access(api, "admin")
    assert admin is not None and admin[1].grants == {}  # no grant rows: still one row, no grant
    with store.writing() as session:
        users.revoke(session, "other@example.mx", COMPANY_A, "test")
    assert _access(api, "other") == (
        other[0],
        users.Access("other@example.mx", "analyst", {COMPANY_B: "analyst"}),
    )


def test_a_disabled_user_or_an_expired_token_fails_the_next_request(api: Api) -> None:
    store = api.app.state.store
    assert api.get("auditor", f"/api/v1/companies/{COMPANY_A}/balances").status_code == 200
    with store.writing() as session:
        users.disable(session, "auditor@example.mx", "test")
    assert _access(api, "auditor") is None
    assert api.get("auditor", f"/api/v1/companies/{COMPANY_A}/balances").status_code == 401
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with store.writing() as session:
        session.execute(update(TokenRow).values(expires_at=past))
    assert _access(api, "analyst") is None
    assert api.get("analyst", "/api/v1/me").status_code == 401
    with store.autocommit.connect() as connection:
        assert users.access_for_token(connection, "not a token") is None


def test_serve_defaults_one_process_per_core_on_postgresql_and_one_on_sqlite() -> None:
    assert serve.default_workers("sqlite:///plant.db") == 1
    assert serve.default_workers("postgresql+psycopg://immex@127.0.0.1/plant") == max(1, os.cpu_count() or 1)


def test_uvicorn_picks_the_c_event_loop_and_http_parser() -> None:
    """uvloop and httptools are dependencies: uvicorn's "auto" chooses them."""
    from uvicorn.loops.auto import auto_loop_factory
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert serve.LOOP == serve.HTTP == "auto"
    assert AutoHTTPProtocol is HttpToolsProtocol
    loop = auto_loop_factory()()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
