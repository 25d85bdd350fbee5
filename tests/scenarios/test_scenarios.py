"""Scenarios: built-ins load, files load, malformed ones are refused without touching state."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hzsim.world import scenarios
from tests.helpers import HorizonClient, assert_error_body

GOOD = """\
name: two-admins
domains:
  - dns_name: corp.example
    netbios_name: CORP
administrators:
  - username: alice
    domain: CORP
    password: wonderland
"""


@pytest.mark.parametrize("name", scenarios.BUILT_IN)
def test_built_in_scenarios_parse(name: str) -> None:
    assert scenarios.load(name).name == name


def test_health(client: TestClient) -> None:
    assert client.get("/hzsim/v1/health").json() == {"status": "UP", "release": "2312"}


def test_reset_to_a_scenario_file(api: HorizonClient, tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(GOOD)
    assert api.client.post("/hzsim/v1/reset", json={"scenario": str(path)}).status_code == 200
    assert api.post("/rest/login", auth=False, json={"domain": "EXAMPLE", "username": "administrator",
                                                     "password": "hzsim"}).status_code == 401
    api.login(domain="corp.example", username="alice", password="wonderland")


@pytest.mark.parametrize("text,where", [
    ("name: x\nadministrators:\n  - username: a\n    domian: EXAMPLE\n", "line 4"),
    ("name: x\ncolour: blue\n", "line 2"),
    ("name: x\nadministrators: [\n", "line 3"),
    ("name: x\ndomains:\n  - dns_name: a.b\n    netbios_name: A\nadministrators:\n  - username: u\n"
     "    domain: A\n    role: Wizard\n", "line 8"),
    ("administrators: []\n", "line 1"),
])
def test_malformed_scenarios_name_the_line_and_leave_state_alone(api: HorizonClient, tmp_path: Path, text: str,
                                                                   where: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    before = api.client.get("/hzsim/v1/clock").json()
    response = api.client.post("/hzsim/v1/reset", json={"scenario": str(path)})
    body = assert_error_body(response, 400, "hzsim.scenario.invalid")
    assert where in body["error_message"], body["error_message"]
    assert api.get("/rest/inventory/v1/desktop-pools").status_code == 200  # the old world still answers
    assert api.client.get("/hzsim/v1/clock").json()["now"] == before["now"]


def test_unknown_scenario_is_400(client: TestClient) -> None:
    response = client.post("/hzsim/v1/reset", json={"scenario": "no-such-world"})
    assert response.status_code == 400 and "no-such-world" in response.json()["error_message"]


def test_reset_wipes_state(api: HorizonClient) -> None:
    sim = api.client.app.sim
    with sim.store.transaction() as tx:
        tx.insert("machine", "m1", {"id": "m1"})
    assert api.client.post("/hzsim/v1/reset", json={"scenario": "empty"}).status_code == 200
    with sim.store.transaction(write=False) as tx:
        assert tx.get("machine", "m1") is None
    assert api.get("/rest/inventory/v1/desktop-pools").status_code == 200  # tokens outlive a reset


def test_control_errors_use_the_horizon_body(client: TestClient) -> None:
    assert_error_body(client.get("/hzsim/v1/nothing"), 404, "common.path.not.found")
    assert_error_body(client.post("/hzsim/v1/reset", content=b"{oops"), 400, "common.invalid.json")
