"""Helpers for the image-lifecycle scenarios: an instant-clone pool on the older snapshot of
win11-gold, provisioned and entitled, and short ways to read what a client would see."""

from __future__ import annotations

from typing import Any

from tests.helpers import HorizonClient
from tests.inventory.pools import instant_clone_spec, world_ids
from tests.inventory.test_pool_lifecycle import advance, machines_of  # noqa: F401 (advance: for the image tests)

POOLS = "/rest/inventory/v8/desktop-pools"


def now_ms(api: HorizonClient) -> int:
    return api.client.get("/hzsim/v1/clock").json()["now"]


def image_pool(api: HorizonClient, machines: int = 4, pattern: str = "p-{n}") -> dict[str, Any]:
    """An instant-clone pool of `machines` on win11-gold 2026-11, provisioned and entitled to VDI-Users."""
    ids = world_ids(api)
    spec = instant_clone_spec(ids, machines=machines, pattern_naming_settings={
        "naming_pattern": pattern, "max_number_of_machines": machines, "number_of_spare_machines": 1,
        "provisioning_time": "UP_FRONT"})
    spec["provisioning_settings"]["base_snapshot_id"] = ids["old_snapshot"]
    assert api.post(POOLS, json=spec).status_code == 201
    advance(api, 300 + 60 * (machines // 20 + 1))
    pool = next(p for p in api.get(POOLS).json() if p["name"] == "IC-Win11")
    group = next(g["id"] for g in api.get("/rest/external/v1/ad-users-or-groups?group_only=true").json()
                 if g["login_name"] == "VDI-Users")
    api.post("/rest/entitlements/v1/desktop-pools", json=[{"id": pool["id"], "ad_user_or_group_ids": [group]}])
    return {**pool, "ids": ids}


def get_pool(api: HorizonClient, pool: dict, version: int = 8) -> dict[str, Any]:
    return api.get(f"/rest/inventory/v{version}/desktop-pools/{pool['id']}").json()


def pool_status(api: HorizonClient, pool: dict, version: int = 8) -> dict[str, Any]:
    return get_pool(api, pool, version)["provisioning_status_data"]


def machines(api: HorizonClient, pool: dict) -> list[dict[str, Any]]:
    """The pool's machines (GET v5 machines filtered on the pool), in name order."""
    return machines_of(api, pool["id"])


def by_name(api: HorizonClient, pool: dict) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in machines(api, pool)}


def tasks(api: HorizonClient, pool: dict) -> list[dict[str, Any]]:
    response = api.get(f"/rest/inventory/v1/desktop-pools/{pool['id']}/tasks")
    assert response.status_code == 200, response.text
    return response.json()


def push(api: HorizonClient, pool: dict, version: int = 1, **spec: Any) -> Any:
    body = {"parent_vm_id": pool["ids"]["vm"], "snapshot_id": pool["ids"]["snapshot"],
            "logoff_policy": "WAIT_FOR_LOGOFF", **spec}
    body = {k: v for k, v in body.items() if v is not None}
    return api.post(f"/rest/inventory/v{version}/desktop-pools/{pool['id']}/action/schedule-push-image", json=body)


def logon(api: HorizonClient, user: str, pool: dict) -> dict[str, Any]:
    response = api.client.post("/hzsim/v1/user-sessions", json={"user": user, "desktop_pool_id": pool["id"]})
    assert response.status_code == 201, response.text
    return response.json()


def logoff(api: HorizonClient, session: dict) -> None:
    assert api.client.delete(f"/hzsim/v1/user-sessions/{session['id']}").status_code == 204


def pool_action(api: HorizonClient, pool: dict, action: str, **kwargs: Any) -> Any:
    return api.post(f"/rest/inventory/v1/desktop-pools/{pool['id']}/action/{action}", **kwargs)


def task_action(api: HorizonClient, pool: dict, task_id: str, action: str, **kwargs: Any) -> Any:
    return api.post(f"/rest/inventory/v1/desktop-pools/{pool['id']}/tasks/{task_id}/action/{action}", **kwargs)
