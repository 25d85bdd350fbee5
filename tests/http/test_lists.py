"""Lists over HTTP: paging headers, filters and sorting exactly as the vendor's guide states."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from hzsim.auth.principals import ROOT_ACCESS_GROUP, stable_id
from hzsim.simulator import Simulator
from tests.helpers import HorizonClient, assert_error_body

ROOT = stable_id("local_access_group", ROOT_ACCESS_GROUP)
MACHINES = "/rest/inventory/v5/machines"


def seed_machines(sim: Simulator, count: int, access_group_id: str = ROOT) -> None:
    with sim.store.transaction() as tx:
        for n in range(1, count + 1):
            machine_id = f"m-{n:03d}-{access_group_id[:4]}"
            tx.insert("machine", machine_id, {
                "id": machine_id, "name": f"Win11-{n:03d}", "dns_name": f"win11-{n:03d}.example.com",
                "state": "AVAILABLE" if n % 2 else "CONNECTED", "access_group_id": access_group_id,
                "user_ids": [f"S-1-5-21-{n}"] if n % 2 == 0 else [],
                "managed_machine_data": {"path": f"/Datacenter/vm/Pool{n % 3}/Win11-{n:03d}"},
            })


def names(response) -> list[str]:
    return [machine["name"] for machine in response.json()]


@pytest.fixture
def machines(sim: Simulator) -> Simulator:
    seed_machines(sim, 100)
    return sim


def test_without_paging_everything_comes_with_the_total(api: HorizonClient, machines: Simulator) -> None:
    response = api.get(MACHINES)
    assert response.status_code == 200 and len(response.json()) == 100
    assert response.headers["X-TOTAL-COUNT"] == "100"
    assert "HAS_MORE_RECORDS" not in response.headers


@pytest.mark.parametrize("page,size,first,count,more", [
    (1, 10, 1, 10, True), (3, 30, 61, 30, True), (4, 30, 91, 10, False), (1, 1000, 1, 100, False)])
def test_pages_as_in_the_guide(api: HorizonClient, machines: Simulator, page: int, size: int, first: int,
                               count: int, more: bool) -> None:
    response = api.get(f"{MACHINES}?page={page}&size={size}&sort_by=name")
    assert response.status_code == 200
    assert names(response) == [f"Win11-{n:03d}" for n in range(first, first + count)]
    assert response.headers["X-TOTAL-COUNT"] == "100"
    assert ("HAS_MORE_RECORDS" in response.headers) is more
    if more:
        assert response.headers["HAS_MORE_RECORDS"] == "TRUE"


def test_a_page_past_the_last_is_400_with_the_total(api: HorizonClient, machines: Simulator) -> None:
    response = api.get(f"{MACHINES}?page=5&size=30")
    assert_error_body(response, 400, "common.page.out.of.range")
    assert response.headers["X-TOTAL-COUNT"] == "100"


def test_first_page_of_an_empty_list_is_empty(api: HorizonClient) -> None:
    response = api.get(f"{MACHINES}?page=1&size=10")
    assert response.status_code == 200 and response.json() == []
    assert response.headers["X-TOTAL-COUNT"] == "0"


@pytest.mark.parametrize("query", ["page=1", "size=10", "page=0&size=10", "page=1&size=0", "page=-1&size=5",
                                   "page=a&size=5", "page=1&size=1001"])
def test_bad_paging_is_400(api: HorizonClient, machines: Simulator, query: str) -> None:
    assert_error_body(api.get(f"{MACHINES}?{query}"), 400, "common.pagination.invalid")


def test_clients_loop_while_more_records_exist(api: HorizonClient, machines: Simulator) -> None:
    seen, page = [], 1
    while True:
        response = api.get(f"{MACHINES}?page={page}&size=7")
        seen += names(response)
        if "HAS_MORE_RECORDS" not in response.headers:
            break
        page += 1
    assert len(seen) == len(set(seen)) == 100


def filtered(api: HorizonClient, expression: object, extra: str = "") -> list[str]:
    text = expression if isinstance(expression, str) else json.dumps(expression, separators=(",", ":"))
    response = api.get(f"{MACHINES}?filter={quote(text)}{extra}")
    assert response.status_code == 200, response.text
    return names(response)


def test_equals_and_startswith_filters(api: HorizonClient, machines: Simulator) -> None:
    assert filtered(api, {"type": "Equals", "name": "name", "value": "Win11-007"}) == ["Win11-007"]
    assert len(filtered(api, {"type": "StartsWith", "name": "name", "value": "win11-09"})) == 10


def test_the_guides_and_filter_whitespace_and_all(api: HorizonClient, machines: Simulator) -> None:
    text = """{
      "type" : "And",
      "filters" : [ { "type" : "Equals", "name" : "state", "value" : "CONNECTED" },
                    { "type" : "EndsWith", "name" : "dns_name", "value" : "0.example.com" } ]
    }"""
    assert filtered(api, text) == [f"Win11-{n:03d}" for n in range(10, 101, 10)]


def test_or_not_contains_and_nested_field(api: HorizonClient, machines: Simulator) -> None:
    expression = {"type": "Or", "filters": [
        {"type": "Contains", "name": "name", "value": ["-001", "-002"]},
        {"type": "Not", "filter": {"type": "StartsWith", "name": "managedMachineData.path",
                                   "value": "/Datacenter/vm/Pool"}}]}
    assert filtered(api, expression) == ["Win11-001", "Win11-002"]
    pool0 = filtered(api, {"type": "Contains", "name": "managedMachineData.path", "value": "/pool0/"})
    assert len(pool0) == 33


def test_array_field_filters(api: HorizonClient, machines: Simulator) -> None:
    assert filtered(api, {"type": "Equals", "name": "user_ids", "value": "S-1-5-21-4"}) == ["Win11-004"]
    assert len(filtered(api, {"type": "NotEquals", "name": "user_ids", "value": "S-1-5-21-4"})) == 99


def test_filter_sort_and_page_together(api: HorizonClient, machines: Simulator) -> None:
    expression = {"type": "Equals", "name": "state", "value": "AVAILABLE"}
    response = api.get(f"{MACHINES}?filter={quote(json.dumps(expression))}&sort_by=name&order_by=DESC"
                       "&page=2&size=10")
    assert names(response) == [f"Win11-{n:03d}" for n in range(79, 59, -2)]
    assert response.headers["X-TOTAL-COUNT"] == "50" and response.headers["HAS_MORE_RECORDS"] == "TRUE"


@pytest.mark.parametrize("expression,key", [
    ("{not json", "common.filter.invalid"),
    ({"type": "Equals", "name": "operating_system", "value": "x"}, "common.filter.unsupported.field"),
    ({"type": "EndsWith", "name": "name", "value": "x"}, "common.filter.unsupported.type"),
    ({"type": "Like", "name": "name", "value": "x"}, "common.filter.invalid"),
])
def test_bad_filters_are_400(api: HorizonClient, machines: Simulator, expression: object, key: str) -> None:
    text = expression if isinstance(expression, str) else json.dumps(expression)
    assert_error_body(api.get(f"{MACHINES}?filter={quote(text)}"), 400, key)


def test_sorting(api: HorizonClient, machines: Simulator) -> None:
    assert names(api.get(f"{MACHINES}?sort_by=name"))[:2] == ["Win11-001", "Win11-002"]
    assert names(api.get(f"{MACHINES}?sort_by=name&order_by=ASC"))[:2] == ["Win11-001", "Win11-002"]
    assert names(api.get(f"{MACHINES}?sort_by=name&order_by=DESC"))[:2] == ["Win11-100", "Win11-099"]


def test_order_by_alone_is_400(api: HorizonClient, machines: Simulator) -> None:
    assert_error_body(api.get(f"{MACHINES}?order_by=ASC"), 400, "common.sort.invalid")


def test_sort_on_an_unsortable_field_is_400(api: HorizonClient, machines: Simulator) -> None:
    assert_error_body(api.get(f"{MACHINES}?sort_by=desktop_pool_id"), 400, "common.sort.unsupported.field")


def test_lists_show_only_the_callers_access_groups(api: HorizonClient, sim: Simulator) -> None:
    from hzsim.auth import roles
    from tests.auth.test_privileges import grant

    with sim.store.transaction() as tx:
        child = roles.create_access_group(tx, "Lab", "", ROOT)
    seed_machines(sim, 3)
    seed_machines(sim, 2, access_group_id=child)
    assert api.get(MACHINES).headers["X-TOTAL-COUNT"] == "5"  # Root's administrators see the groups below it
    grant(sim, "labadmin", ["MACHINE_VIEW"], access_group_id=child)
    lab = HorizonClient(api.client)
    lab.login(username="labadmin", password="pw")
    assert lab.get(MACHINES).headers["X-TOTAL-COUNT"] == "2"
    assert_error_body(lab.get(f"{MACHINES}/m-001-{ROOT[:4]}"), 404, "inventory.machine.not.found")
    assert lab.get(f"{MACHINES}/m-001-{child[:4]}").json()["name"] == "Win11-001"


def test_versions_project_one_document(api: HorizonClient, machines: Simulator) -> None:
    v1 = api.get("/rest/inventory/v1/machines/m-001-" + ROOT[:4]).json()
    v5 = api.get("/rest/inventory/v5/machines/m-001-" + ROOT[:4]).json()
    assert v1["name"] == v5["name"] == "Win11-001"
    assert "access_group_id" not in v1 or "access_group_id" in v5
