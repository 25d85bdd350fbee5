"""Random sequences of image operations, user logons and logoffs, faults and clock steps on one
instant-clone pool, through HTTP (Hypothesis stateful testing). After every step the pool and
its machines must be in a state a client could see on a real server: never a 5xx, at most one
task, counters that add up, machines marked only while an operation concerns them; and once
everything is cancelled and time passes, the pool settles with every machine available."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from starlette.testclient import TestClient

from hzsim.http.app import create_app
from tests.conftest import make_sim
from tests.helpers import HorizonClient
from tests.images.helpers import advance, image_pool, logoff, machines, pool_action, pool_status, push, task_action, tasks

USERS = [f"EXAMPLE\\user{n:03d}" for n in range(1, 7)]


class PushImageMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.sim = make_sim()
        self.client = TestClient(create_app(self.sim)).__enter__()
        self.api = HorizonClient(self.client)
        self.api.login()
        self.pool = image_pool(self.api, machines=5, pattern="h-{n}")
        self.sessions: dict[str, dict[str, Any]] = {}

    def teardown(self) -> None:
        if hasattr(self, "client"):
            self.client.__exit__(None, None, None)
            self.sim.close()

    def _ok(self, response: Any) -> None:
        assert response.status_code < 500, response.text

    @rule(version=st.sampled_from([1, 2]), policy=st.sampled_from(["WAIT_FOR_LOGOFF", "FORCE_LOGOFF"]),
          later=st.sampled_from([0, 120, 900]), stop=st.booleans(), selective=st.booleans(),
          snapshot=st.sampled_from(["snapshot", "old_snapshot"]))
    def schedule(self, version: int, policy: str, later: int, stop: bool, selective: bool, snapshot: str) -> None:
        extra: dict[str, Any] = {}
        if version == 2 and selective:
            extra = {"selective_push_image": True, "machine_ids": [m["id"] for m in machines(self.api, self.pool)][:2]}
        now = self.client.get("/hzsim/v1/clock").json()["now"]
        self._ok(push(self.api, self.pool, version=version, logoff_policy=policy, stop_on_first_error=stop,
                      snapshot_id=self.pool["ids"][snapshot], start_time=now + later * 1000, **extra))

    @rule(action=st.sampled_from(["cancel-scheduled-push-image", "promote-pending-image"]))
    def pool_action(self, action: str) -> None:
        self._ok(pool_action(self.api, self.pool, action))

    @rule(pending=st.booleans(), count=st.integers(1, 3))
    def apply_image(self, pending: bool, count: int) -> None:
        ids = [m["id"] for m in machines(self.api, self.pool)][-count:]
        self._ok(pool_action(self.api, self.pool, f"apply-image?pending_image={str(pending).lower()}", json=ids))

    @rule(action=st.sampled_from(["pause", "resume", "cancel"]), retry=st.booleans())
    def task_control(self, action: str, retry: bool) -> None:
        for task in tasks(self.api, self.pool):
            body = {"retry_failed_vms": retry} if action == "resume" else None
            self._ok(task_action(self.api, self.pool, task["id"], action, json=body))

    @rule(user=st.sampled_from(USERS))
    def log_on_or_off(self, user: str) -> None:
        if user in self.sessions:
            session = self.sessions.pop(user)
            if self.client.get(f"/hzsim/v1/user-sessions/{session['id']}").status_code == 200:
                logoff(self.api, session)
            return
        response = self.client.post("/hzsim/v1/user-sessions", json={"user": user,
                                                                     "desktop_pool_id": self.pool["id"]})
        assert response.status_code in (201, 400), response.text
        if response.status_code == 201:
            self.sessions[user] = response.json()

    @rule(kind=st.sampled_from(["clone_failure", "customization_timeout", "image_publish_failure"]))
    def fault(self, kind: str) -> None:
        body = {"kind": kind, "target": self.pool["id"], "times": "once"}
        assert self.client.post("/hzsim/v1/faults", json=body).status_code == 201

    @rule(seconds=st.sampled_from([10, 30, 60, 300, 900]))
    def wait(self, seconds: int) -> None:
        advance(self.api, seconds)

    @invariant()
    def consistent(self) -> None:
        if not hasattr(self, "pool"):
            return
        listed = tasks(self.api, self.pool)
        assert len(listed) <= 1
        everything = machines(self.api, self.pool)
        states = [m["managed_machine_data"].get("operation_state") for m in everything]
        for task in listed:
            counted = sum(task[k] for k in ("remaining_vmtask_count", "error_vmtask_count", "halted_vmtask_count",
                                            "cancelled_vmtask_count"))
            assert 0 <= counted <= len(everything)
            assert task["halted_vmtask_count"] == states.count("HOLDING")
            assert task["cancelled_vmtask_count"] == states.count("CANCELLING")
            assert task["error_vmtask_count"] == states.count("FAULT")
        for machine in everything:
            if machine["managed_machine_data"].get("operation_state") in ("CREATE", "PROGRESSING"):
                assert machine["state"] in ("PROVISIONING", "CUSTOMIZING"), machine
        status = pool_status(self.api, self.pool)
        held = status.get("instant_clone_pending_image_state") == "READY_HELD"
        scheduled = status.get("instant_clone_operation") in ("SCHEDULE_PUSH_IMAGE", "CANCEL_SCHEDULED_PUSH_IMAGE")
        if not listed and not held and not scheduled:
            marked = [m["name"] for m in everything if "operation" in m["managed_machine_data"]]
            assert not marked, (marked, status)

    def settle(self) -> None:
        """Cancel whatever runs and let time pass: the pool comes to rest."""
        self.client.delete("/hzsim/v1/faults")
        for user, session in list(self.sessions.items()):
            if self.client.get(f"/hzsim/v1/user-sessions/{session['id']}").status_code == 200:
                logoff(self.api, session)
        for _ in range(3):
            for task in tasks(self.api, self.pool):
                task_action(self.api, self.pool, task["id"], "cancel")
            pool_action(self.api, self.pool, "cancel-scheduled-push-image")
            advance(self.api, 1800)
        assert tasks(self.api, self.pool) == []
        status = pool_status(self.api, self.pool)
        assert status["instant_clone_operation"] == "NONE", status
        assert status.get("instant_clone_pending_image_state") in (None, "FAILED"), status


PushImageMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None,
                                              suppress_health_check=[HealthCheck.too_slow])


class SettlingPushImageMachine(PushImageMachine):
    def teardown(self) -> None:
        if hasattr(self, "pool"):
            self.settle()
        super().teardown()


SettlingPushImageMachine.TestCase.settings = PushImageMachine.TestCase.settings
TestPushImageStates = SettlingPushImageMachine.TestCase
