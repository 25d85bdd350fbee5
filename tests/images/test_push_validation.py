"""Schedule Push Image refuses bad requests with a stable error key and changes nothing; one of
many concurrent schedules wins; a restarted server finishes a roll-out it was in the middle of."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from hzsim.http.app import create_app
from hzsim.store.tables import documents
from tests.auth.test_privileges import grant
from tests.conftest import make_sim, wiped_postgres
from tests.helpers import HorizonClient, assert_error_body
from tests.images.helpers import advance, by_name, image_pool, machines, pool_status, push, tasks
from tests.inventory.pools import dump

P = "inventory.desktop.pool."


def _other_snapshot(api: HorizonClient, pool: dict) -> str:
    ids = pool["ids"]
    return api.get(f"/rest/external/v1/base-snapshots?vcenter_id={ids['vc']}&base_vm_id={ids['other_vm']}"
                   ).json()[0]["id"]


def _stream_and_tag(api: HorizonClient) -> tuple[str, str]:
    stream = api.get("/rest/config/v1/im-streams").json()[0]["id"]
    return stream, api.get(f"/rest/config/v1/im-tags?im_stream_id={stream}").json()[0]["id"]


# (case, API version, body changes or a builder, status, error key)
CASES: list[tuple[str, int, Any, int, str]] = [
    ("logoff policy missing", 1, {"logoff_policy": None}, 400, "common.field.required"),
    ("logoff policy unknown", 1, {"logoff_policy": "SOMETIMES"}, 400, "common.field.invalid.value"),
    ("parent VM without snapshot", 1, {"snapshot_id": None}, 400, P + "field.required"),
    ("snapshot without parent VM", 1, {"parent_vm_id": None}, 400, P + "field.required"),
    ("no image at all", 1, {"parent_vm_id": None, "snapshot_id": None}, 400, P + "image.source.invalid"),
    ("both image sources", 1, lambda api, pool: dict(zip(("im_stream_id", "im_tag_id"), _stream_and_tag(api),
                                                         strict=True)), 400, P + "image.source.invalid"),
    ("stream without tag", 1, lambda api, pool: {"parent_vm_id": None, "snapshot_id": None,
                                                 "im_stream_id": _stream_and_tag(api)[0]}, 400, P + "field.required"),
    ("unknown tag", 1, lambda api, pool: {"parent_vm_id": None, "snapshot_id": None,
                                          "im_stream_id": _stream_and_tag(api)[0], "im_tag_id": "nope"},
     400, P + "invalid.reference"),
    ("unknown parent VM", 1, {"parent_vm_id": "vm-9999"}, 400, P + "invalid.reference"),
    ("unknown snapshot", 1, {"snapshot_id": "snapshot-9999"}, 400, P + "invalid.reference"),
    ("snapshot of another VM", 1, lambda api, pool: {"snapshot_id": _other_snapshot(api, pool)}, 400,
     P + "image.source.invalid"),
    ("cores without cpus and RAM", 2, {"compute_profile_num_cores_per_socket": 2}, 400, P + "compute.profile.invalid"),
    ("cpus not a multiple of cores", 2, {"compute_profile_num_cores_per_socket": 2, "compute_profile_num_cpus": 3,
                                         "compute_profile_ram_mb": 4096}, 400, P + "compute.profile.invalid"),
    ("cores below 1", 2, {"compute_profile_num_cores_per_socket": 0, "compute_profile_num_cpus": 2,
                          "compute_profile_ram_mb": 4096}, 400, "common.field.out.of.range"),
    ("RAM below 1024", 2, {"compute_profile_num_cores_per_socket": 1, "compute_profile_num_cpus": 2,
                           "compute_profile_ram_mb": 512}, 400, "common.field.out.of.range"),
    ("selective without machines", 2, {"selective_push_image": True}, 400, P + "push.image.selective.invalid"),
    ("selective with no machines", 2, {"selective_push_image": True, "machine_ids": []}, 400,
     P + "push.image.selective.invalid"),
    ("machines without selective", 2, lambda api, pool: {"machine_ids": [machines(api, pool)[0]["id"]]}, 400,
     P + "push.image.selective.invalid"),
    ("selective with a foreign machine", 2, {"selective_push_image": True, "machine_ids": ["not-a-machine"]}, 400,
     P + "push.image.selective.invalid"),
    ("start time not a number", 1, {"start_time": "tomorrow"}, 400, "common.field.invalid.type"),
]


@pytest.fixture
def pool(api: HorizonClient) -> dict:
    return image_pool(api, machines=2)


@pytest.mark.parametrize("case,version,changes,status,key", CASES, ids=[case[0] for case in CASES])
def test_a_bad_schedule_is_refused_and_changes_nothing(api: HorizonClient, pool: dict, case: str, version: int,
                                                       changes: Any, status: int, key: str) -> None:
    body = changes(api, pool) if callable(changes) else changes
    before = dump(api)
    assert_error_body(push(api, pool, version=version, **body), status, key)
    assert dump(api) == before


def test_refusals_of_the_pool_itself(api: HorizonClient, pool: dict) -> None:
    assert_error_body(api.post("/rest/inventory/v1/desktop-pools/nope/action/schedule-push-image",
                               json={"logoff_policy": "WAIT_FOR_LOGOFF"}), 404, P + "not.found")
    manual = api.post("/rest/inventory/v8/desktop-pools", json={
        "name": "Manual", "type": "MANUAL", "source": "UNMANAGED", "user_assignment": "FLOATING"})
    assert manual.status_code == 201, manual.text
    manual_pool = next(p for p in api.get("/rest/inventory/v8/desktop-pools").json() if p["name"] == "Manual")
    before = dump(api)
    assert_error_body(push(api, {**manual_pool, "ids": pool["ids"]}), 400, P + "not.instant.clone")
    assert dump(api) == before


def test_a_pool_with_an_operation_in_progress_refuses_a_new_push(api: HorizonClient, pool: dict) -> None:
    assert push(api, pool).status_code == 204  # starts at once: no reschedule possible
    before = dump(api)
    assert_error_body(push(api, pool), 400, P + "operation.in.progress")
    assert dump(api) == before
    advance(api, 301)  # the roll-out runs
    before = dump(api)
    assert_error_body(push(api, pool), 400, P + "operation.in.progress")
    assert dump(api) == before


def test_privileges(api: HorizonClient, pool: dict) -> None:
    grant(api.client.app.sim, "viewer", ["POOL_VIEW"])
    viewer = HorizonClient(api.client)
    viewer.login(username="viewer", password="pw")
    before = dump(api)
    assert_error_body(push(viewer, pool), 403, "common.forbidden")
    for action in ("cancel-scheduled-push-image", "promote-pending-image"):
        assert_error_body(viewer.post(f"/rest/inventory/v1/desktop-pools/{pool['id']}/action/{action}"), 403,
                          "common.forbidden")
    assert dump(api) == before
    assert viewer.get(f"/rest/inventory/v1/desktop-pools/{pool['id']}/tasks").status_code == 200
    grant(api.client.app.sim, "nobody", ["MACHINE_VIEW"])
    nobody = HorizonClient(api.client)
    nobody.login(username="nobody", password="pw")
    assert_error_body(nobody.get(f"/rest/inventory/v1/desktop-pools/{pool['id']}/tasks"), 403, "common.forbidden")


# -- concurrency --------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_of_twenty_concurrent_schedules_exactly_one_wins(tmp_path: Path, backend: str) -> None:
    overrides = {"db_url": wiped_postgres() if backend == "postgresql" else None}
    sim = make_sim(tmp_path, **overrides)
    try:
        with TestClient(create_app(sim)) as client:
            api = HorizonClient(client)
            api.login()
            pool = image_pool(api, machines=2)
            barrier = threading.Barrier(20)
            statuses: list[tuple[int, str | None]] = []

            def schedule() -> None:
                barrier.wait()
                response = push(api, pool)
                statuses.append((response.status_code, None if response.status_code == 204
                                 else response.json()["error_key"]))

            workers = [threading.Thread(target=schedule) for _ in range(20)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert sorted(statuses, key=str) == [(204, None)] + [(400, P + "operation.in.progress")] * 19
            assert len(tasks(api, pool)) == 1
            with sim.store.transaction(write=False) as tx:
                assert len(tx.list("desktop_pool_task")[0]) == 1
    finally:
        sim.close()


# -- durability ---------------------------------------------------------------------------

# Where the server stops: seconds after the schedule, and what a client sees then.
STOPS = {"publishing": (60, "SCHEDULED"), "first wave customizing": (331, "PROGRESSING"),
         "users warned of the logoff": (420, "COMPLETED")}


RESTARTS = [("sqlite-file", stop) for stop in STOPS] + [
    pytest.param("postgresql", "first wave customizing", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend,stop", RESTARTS)
def test_a_restarted_server_finishes_the_roll_out_recreating_each_machine_once(tmp_path: Path, backend: str,
                                                                              stop: str) -> None:
    seconds, seen = STOPS[stop]
    overrides = {"db_url": wiped_postgres() if backend == "postgresql" else None}
    sim = make_sim(tmp_path, **overrides)
    with TestClient(create_app(sim)) as client:
        api = HorizonClient(client)
        api.login()
        limit = api.get("/rest/config/v2/virtual-centers").json()[0]["limits"][
            "instant_clone_engine_provisioning_limit"]
        pool = image_pool(api, machines=limit + 6, pattern="d-{n}")
        session = client.post("/hzsim/v1/user-sessions", json={"user": "EXAMPLE\\user001",
                                                              "desktop_pool_id": pool["id"]}).json()
        assert push(api, pool, logoff_policy="FORCE_LOGOFF").status_code == 204
        advance(api, seconds)
        states = {m["managed_machine_data"].get("operation_state") for m in machines(api, pool)}
        assert seen in states and "SCHEDULED" in states
    sim.close()  # the server stops here: nothing of the roll-out lives outside the database

    again = make_sim(tmp_path, **overrides)  # the same database, not wiped
    try:
        with TestClient(create_app(again)) as client:
            api = HorizonClient(client)
            api.login()
            assert tasks(api, pool)[0]["remaining_vmtask_count"] > 0
            advance(api, 3600)
            assert tasks(api, pool) == []
            named = by_name(api, pool)
            assert len(named) == limit + 6
            for machine in named.values():
                assert machine["managed_machine_data"]["base_vm_snapshot_id"] == pool["ids"]["snapshot"]
                assert "operation" not in machine["managed_machine_data"]
            assert client.get(f"/hzsim/v1/user-sessions/{session['id']}").status_code == 404
            with again.store.transaction(write=False) as tx:
                rows = tx.connection.execute(select(documents.c.doc).where(documents.c.kind == "machine")).all()
            assert [row.doc.get("_recreations") for row in rows] == [1] * (limit + 6)
    finally:
        again.close()


def test_the_image_must_be_in_the_pools_datacenter_and_the_tag_in_its_stream(client: TestClient,
                                                                            tmp_path: Path) -> None:
    world = (Path(__file__).parents[1] / "fixtures" / "world.yaml").read_text()
    second = world.replace("    customization_specs:", """\
      - name: DR-Datacenter
        vm_folders: [Gold]
        clusters:
          - {name: DR-Cluster, hosts: 2, datastores: [{name: dr-ds, capacity_gb: 1024, free_gb: 512}]}
        base_vms:
          - {name: dr-gold, folder: Gold, snapshots: [Base]}
    customization_specs:""", 1).replace("    im_streams:", """\
    im_streams:
      - name: Win10-Stream
        operating_system: WINDOWS_10
        versions: ["2.0"]
        tags:
          - {name: legacy, version: "2.0"}""", 1)
    path = tmp_path / "two-datacenters.yaml"
    path.write_text(second)
    assert client.post("/hzsim/v1/reset", json={"scenario": str(path)}).status_code == 200
    api = HorizonClient(client)
    api.login()
    pool = image_pool(api, machines=2)
    vc = pool["ids"]["vc"]
    dr_vm = next(v for v in api.get(f"/rest/external/v1/base-vms?vcenter_id={vc}").json() if v["name"] == "dr-gold")
    dr_snapshot = api.get(f"/rest/external/v1/base-snapshots?vcenter_id={vc}&base_vm_id={dr_vm['id']}").json()[0]
    before = dump(api)
    body = assert_error_body(push(api, pool, parent_vm_id=dr_vm["id"], snapshot_id=dr_snapshot["id"]), 400,
                             P + "image.source.invalid")
    assert "parent_vm_id" in body["error_message"] and "datacenter" in body["error_message"]
    streams = {s["name"]: s["id"] for s in api.get("/rest/config/v1/im-streams").json()}
    legacy = api.get(f"/rest/config/v1/im-tags?im_stream_id={streams['Win10-Stream']}").json()[0]["id"]
    body = assert_error_body(push(api, pool, parent_vm_id=None, snapshot_id=None, im_stream_id=streams["Win11-Stream"],
                                  im_tag_id=legacy), 400, P + "image.source.invalid")
    assert "im_tag_id" in body["error_message"]
    assert dump(api) == before


def test_a_restart_during_a_selective_push_and_during_its_revert(tmp_path: Path) -> None:
    def serve(*same_database: str | None) -> tuple[Any, TestClient, HorizonClient]:
        # the first start picks the test backend; restarts reuse its database (None: the SQLite file)
        sim = make_sim(tmp_path, **({"db_url": same_database[0]} if same_database else {}))
        client = TestClient(create_app(sim)).__enter__()
        api = HorizonClient(client)
        api.login()
        return sim, client, api

    def stop(sim: Any, client: TestClient) -> None:
        client.__exit__(None, None, None)
        sim.close()

    def recreations(sim: Any) -> dict[str, int]:
        with sim.store.transaction(write=False) as tx:
            return {m["name"]: m.get("_recreations", 0) for m in tx.list("machine")[0]}

    sim, client, api = serve()
    db_url = sim.settings.db_url
    pool = image_pool(api, machines=4, pattern="v-{n}")
    chosen = [by_name(api, pool)[name]["id"] for name in ("v-1", "v-2")]
    assert push(api, pool, version=2, selective_push_image=True, machine_ids=chosen).status_code == 200
    advance(api, 301 + 30)  # the two chosen machines are customizing
    stop(sim, client)

    sim, client, api = serve(db_url)
    advance(api, 60)
    assert pool_status(api, pool)["instant_clone_pending_image_state"] == "READY_HELD"
    assert tasks(api, pool) == []
    assert recreations(sim) == {"v-1": 1, "v-2": 1, "v-3": 0, "v-4": 0}
    assert api.post(f"/rest/inventory/v1/desktop-pools/{pool['id']}/action/cancel-scheduled-push-image"
                    ).status_code == 204
    advance(api, 25)  # reverting: the two machines are being recreated on the current image
    stop(sim, client)

    sim, client, api = serve(db_url)
    try:
        advance(api, 600)
        status = pool_status(api, pool)
        assert status["instant_clone_operation"] == "NONE"
        assert "instant_clone_pending_image_state" not in status
        assert {m["managed_machine_data"]["base_vm_snapshot_id"] for m in machines(api, pool)} == {
            pool["ids"]["old_snapshot"]}
        assert all("operation" not in m["managed_machine_data"] for m in machines(api, pool))
        assert recreations(sim) == {"v-1": 2, "v-2": 2, "v-3": 0, "v-4": 0}
    finally:
        stop(sim, client)
