"""Tenant isolation and roles, for every company endpoint the application declares.

The endpoints are read from the application's own routes, so a new company endpoint is
tested without editing this file; the expected roles are the contract's table, written here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import COMPANY_A, COMPANY_B, Api

# method, path → roles (besides admin) the contract lets act.
CONTRACT_ROLES: dict[tuple[str, str], set[str]] = {
    ("POST", "/ledger"): {"analyst", "broker"},
    ("POST", "/runs"): {"analyst"},
    ("GET", "/runs"): {"analyst", "auditor"},
    ("POST", "/runs/{run_id}/reverse"): {"analyst"},
    ("GET", "/balances"): {"analyst", "auditor"},
    ("GET", "/allocations"): {"analyst", "auditor"},
    ("GET", "/shortfalls"): {"analyst", "auditor"},
    ("GET", "/exports/{pedimento}/{line}/trace"): {"analyst", "auditor"},
    ("GET", "/imports/{pedimento}/{line}/trace"): {"analyst", "auditor"},
    ("POST", "/adjustments"): {"analyst"},
    ("POST", "/datastage"): {"analyst", "broker"},
    ("POST", "/compulsa"): {"analyst"},
    ("GET", "/audit"): {"auditor"},
    ("POST", "/origin/batch"): {"analyst", "auditor"},  # batch origin: a job over the stored ledger
}
OTHER_ROLES: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/companies"): set(),
    ("GET", "/api/v1/users"): set(),
    ("POST", "/api/v1/users"): set(),
    ("PATCH", "/api/v1/users/{email}"): set(),
    ("POST", "/api/v1/origin/qualify"): {"analyst", "auditor"},
    ("POST", "/api/v1/duties/pedimento"): {"analyst", "auditor"},
    ("POST", "/api/v1/duties/tmec25"): {"analyst", "auditor"},
}
PREFIX = "/api/v1/companies/{rfc}"
VALUES = {"run_id": "1", "pedimento": "254734566000001", "line": "1", "email": "nobody@example.mx"}


def endpoints(api: Api) -> list[tuple[str, str]]:
    """(method, path) of every operation of the OpenAPI document."""
    return [(method.upper(), path) for path, item in api.app.openapi()["paths"].items() for method in item]


def company_routes(api: Api) -> list[tuple[str, str]]:
    return [(m, p.removeprefix(PREFIX)) for m, p in endpoints(api) if p.startswith(PREFIX)]


def call(api: Api, who: str, method: str, path: str, rfc: str = "") -> Any:
    url = path.replace("{rfc}", rfc)
    for name, value in VALUES.items():
        url = url.replace("{" + name + "}", value)
    return api.client.request(method, url, headers=api.auth(who), json={} if method != "GET" else None)


def acted(answer: Any) -> bool:
    """Let through: neither refused nor hidden (a 404 of the entity asked for is an answer)."""
    if answer.status_code in (401, 403):
        return False
    return answer.status_code != 404 or not answer.json()["detail"].startswith("company ")


def test_the_contract_table_covers_every_company_endpoint(sqlite_api: Api) -> None:
    assert sorted(company_routes(sqlite_api)) == sorted(CONTRACT_ROLES)


@pytest.mark.parametrize("who", ["analyst", "auditor", "broker"])
def test_a_company_not_granted_is_404_exactly_like_one_that_does_not_exist(sqlite_api: Api, who: str) -> None:
    for method, path in company_routes(sqlite_api):
        hidden = call(sqlite_api, who, method, PREFIX + path, COMPANY_B)
        missing = call(sqlite_api, who, method, PREFIX + path, "CIN030303AB7")
        assert hidden.status_code == missing.status_code == 404, (method, path)
        assert hidden.json() == {
            **missing.json(),
            "detail": missing.json()["detail"].replace("CIN030303AB7", COMPANY_B),
        }


def test_a_user_of_another_company_sees_nothing_of_it(api: Api) -> None:
    for method, path in company_routes(api):
        assert call(api, "other", method, PREFIX + path, COMPANY_A).status_code == 404, (method, path)
    assert [c["rfc"] for c in api.get("other", "/api/v1/companies").json()["items"]] == [COMPANY_B]
    assert {c["rfc"] for c in api.get("admin", "/api/v1/companies").json()["items"]} == {COMPANY_A, COMPANY_B}


@pytest.mark.parametrize("who", ["analyst", "auditor", "broker"])
def test_roles_may_do_exactly_what_the_contract_says(sqlite_api: Api, who: str) -> None:
    for (method, path), roles in {
        **{(m, PREFIX + p): r for (m, p), r in CONTRACT_ROLES.items()},
        **OTHER_ROLES,
    }.items():
        answer = call(sqlite_api, who, method, path, COMPANY_A)
        if who in roles:
            assert acted(answer), (method, path, answer.status_code)
        else:
            assert answer.status_code == 403, (method, path, answer.status_code)


def test_admin_may_do_everything(sqlite_api: Api) -> None:
    for method, path in [*((m, PREFIX + p) for m, p in CONTRACT_ROLES), *OTHER_ROLES]:
        assert acted(call(sqlite_api, "admin", method, path, COMPANY_A)), (method, path)


def test_every_endpoint_but_health_and_token_needs_a_token(sqlite_api: Api) -> None:
    for method, path in endpoints(sqlite_api):
        if path in ("/api/v1/health", "/api/v1/auth/token"):
            continue
        url = path.replace("{rfc}", COMPANY_A)
        for name, value in {**VALUES, "job_id": "1", "name": "x.csv"}.items():
            url = url.replace("{" + name + "}", value)
        answer = sqlite_api.client.request(method, url)
        assert answer.status_code == 401, (method, path)
        assert answer.headers["www-authenticate"] == "Bearer"
