"""Login, refresh and logout as Horizon clients use them."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from starlette.testclient import TestClient

from hzsim.auth.tokens import KEY_FILE
from hzsim.http.app import create_app
from tests.conftest import make_sim
from tests.helpers import ADMIN, HorizonClient, assert_error_body

POOLS = "/rest/inventory/v1/desktop-pools"


def test_login_returns_both_tokens(anonymous: HorizonClient) -> None:
    tokens = anonymous.login()
    assert set(tokens) == {"access_token", "refresh_token"}
    assert anonymous.get(POOLS).status_code == 200


@pytest.mark.parametrize("credentials", [
    {"password": list("hzsim")}, {"domain": "example.com"}, {"domain": "example"}, {"username": "Administrator"},
])
def test_login_variants_real_clients_send(anonymous: HorizonClient, credentials: dict) -> None:
    anonymous.login(**credentials)


@pytest.mark.parametrize("credentials", [
    {"password": "wrong"}, {"username": "nobody"}, {"domain": "OTHER"}, {"password": ""},
])
def test_wrong_credentials_are_401(anonymous: HorizonClient, credentials: dict) -> None:
    response = anonymous.post("/rest/login", auth=False, json={**ADMIN, **credentials})
    assert_error_body(response, 401, "login.invalid.credentials")


def test_login_without_a_field_is_400(anonymous: HorizonClient) -> None:
    body = assert_error_body(anonymous.post("/rest/login", auth=False, json={"domain": "EXAMPLE",
                                                                             "username": "administrator"}), 400)
    assert "password" in body["error_message"]


def test_refresh_gives_a_working_access_token(anonymous: HorizonClient) -> None:
    tokens = anonymous.login()
    response = anonymous.post("/rest/refresh", auth=False, json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    fresh = HorizonClient(anonymous.client, response.json()["access_token"])
    assert fresh.get(POOLS).status_code == 200


def test_an_access_token_is_not_a_refresh_token(anonymous: HorizonClient) -> None:
    tokens = anonymous.login()
    response = anonymous.post("/rest/refresh", auth=False, json={"refresh_token": tokens["access_token"]})
    assert_error_body(response, 401, "common.token.invalid")
    as_access = HorizonClient(anonymous.client, tokens["refresh_token"])
    assert_error_body(as_access.get(POOLS), 401, "common.token.invalid")


def test_logout_revokes_the_session(anonymous: HorizonClient) -> None:
    tokens = anonymous.login()
    response = anonymous.post("/rest/logout", auth=False, json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200 and response.content == b""
    assert_error_body(anonymous.get(POOLS), 401, "common.token.revoked")
    refreshed = anonymous.post("/rest/refresh", auth=False, json={"refresh_token": tokens["refresh_token"]})
    assert_error_body(refreshed, 401, "common.token.revoked")


def test_logout_of_one_session_leaves_the_others(anonymous: HorizonClient) -> None:
    first = anonymous.login()
    second = HorizonClient(anonymous.client)
    second.login()
    anonymous.post("/rest/logout", auth=False, json={"refresh_token": first["refresh_token"]})
    assert second.get(POOLS).status_code == 200


@pytest.mark.parametrize("kwargs", [{}, {"content": b""}, {"json": {}}, {"json": {"refresh_token": "junk"}},
                                    {"json": {"refresh_token": "x", "client": "pyhorizon", "extra": [1]}}])
def test_logout_tolerates_empty_or_extra_bodies(anonymous: HorizonClient, kwargs: dict) -> None:
    assert anonymous.post("/rest/logout", auth=False, **kwargs).status_code == 200


@pytest.mark.parametrize("header,key", [
    ("Bearer", "common.token.invalid"), ("Basic abc", "common.token.invalid"),
    ("Bearer not.a.jwt", "common.token.invalid"), ("Bearer " + "e30.e30.e30", "common.token.invalid"),
])
def test_malformed_authorization_is_401(anonymous: HorizonClient, header: str, key: str) -> None:
    assert_error_body(anonymous.get(POOLS, headers={"Authorization": header}), 401, key)


def test_a_token_signed_with_another_key_is_401(anonymous: HorizonClient) -> None:
    claims = {"sub": "x", "sid": "s", "typ": "access", "iss": "hzsim", "exp": int(time.time()) + 60}
    forged = jwt.encode(claims, b"k" * 32, algorithm="HS256")
    assert_error_body(anonymous.get(POOLS, headers={"Authorization": f"Bearer {forged}"}), 401,
                      "common.token.invalid")


def test_expired_access_token_is_401(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, access_token_ttl=-10)
    with TestClient(create_app(sim)) as test_client:
        client = HorizonClient(test_client)
        client.login()
        assert_error_body(client.get(POOLS), 401, "common.token.expired")
    sim.close()


def test_token_expiry_ignores_the_simulated_clock(api: HorizonClient) -> None:
    api.client.post("/hzsim/v1/clock/advance", json={"seconds": 30 * 24 * 3600})
    assert api.get(POOLS).status_code == 200


def test_signing_key_and_revocations_survive_a_restart(tmp_path: Path) -> None:
    first = make_sim(tmp_path)
    with TestClient(create_app(first)) as test_client:
        client = HorizonClient(test_client)
        kept = client.login()
        ended = HorizonClient(test_client).login()
        client.post("/rest/logout", auth=False, json={"refresh_token": ended["refresh_token"]})
    first.close()
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0
    second = make_sim(tmp_path, db_url=first.settings.db_url)  # the same database (SQLite file or PostgreSQL)
    with TestClient(create_app(second)) as test_client:
        assert HorizonClient(test_client, kept["access_token"]).get(POOLS).status_code == 200
        assert_error_body(HorizonClient(test_client, ended["access_token"]).get(POOLS), 401, "common.token.revoked")
    second.close()


def test_admin_password_can_be_overridden(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, admin_password="s3cret!")
    with TestClient(create_app(sim)) as test_client:
        client = HorizonClient(test_client)
        assert client.post("/rest/login", auth=False, json=ADMIN).status_code == 401
        client.login(password="s3cret!")
    sim.close()
