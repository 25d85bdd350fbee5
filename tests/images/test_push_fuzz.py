"""Whatever JSON a client sends to the image operations, the answer is a Horizon answer: never a
5xx, never a traceback, and a refusal leaves the store as it was."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import HorizonClient
from tests.images.helpers import image_pool
from tests.inventory.pools import dump

FIELDS = ["logoff_policy", "parent_vm_id", "snapshot_id", "im_stream_id", "im_tag_id", "start_time",
          "stop_on_first_error", "add_virtual_tpm", "compute_profile_num_cpus", "compute_profile_num_cores_per_socket",
          "compute_profile_ram_mb", "selective_push_image", "machine_ids", "retry_failed_vms", "stop_on_error"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=12), st.sampled_from(["FORCE_LOGOFF", "WAIT_FOR_LOGOFF", "vm-1", "snapshot-3"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                             max_size=3), max_leaves=6)
BODIES = st.one_of(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6), VALUES)


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from starlette.testclient import TestClient

    from hzsim.http.app import create_app
    from tests.conftest import make_sim

    sim = make_sim()
    with TestClient(create_app(sim)) as client:
        api = HorizonClient(client)
        api.login()
        yield api, image_pool(api, machines=2)
    sim.close()


ACTIONS = ["v1/desktop-pools/{id}/action/schedule-push-image", "v2/desktop-pools/{id}/action/schedule-push-image",
           "v1/desktop-pools/{id}/action/apply-image?pending_image=true",
           "v1/desktop-pools/{id}/action/cancel-scheduled-push-image",
           "v1/desktop-pools/{id}/action/promote-pending-image", "v1/desktop-pools/{id}/tasks/nope/action/resume"]


@pytest.mark.parametrize("action", ACTIONS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_any_json_gets_a_horizon_answer(fuzz_world: Any, action: str, body: Any) -> None:
    api, pool = fuzz_world
    before = dump(api)
    response = api.post("/rest/inventory/" + action.format(id=pool["id"]), json=body)  # HorizonClient checks bodies
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert dump(api) == before
    else:  # a push that was accepted: undo it so the next example starts from the same pool
        api.post(f"/rest/inventory/v1/desktop-pools/{pool['id']}/action/cancel-scheduled-push-image")
        api.client.post("/hzsim/v1/clock/advance", json={"seconds": 120})
