"""Desktop pool tasks: list, get, pause, resume and cancel (the PUSH_IMAGE task of `rollout`)."""

from __future__ import annotations

from typing import Any

from hzsim.errors import BadRequest, NotFound
from hzsim.images import rollout
from hzsim.images.rollout import TASK
from hzsim.inventory.desktop_pools import find_pool
from hzsim.operations import OperationRequest, operation


def _task(request: OperationRequest, privilege: str) -> dict[str, Any]:
    pool = find_pool(request, privilege)
    task = request.tx.get(TASK, request.path["taskId"])
    if task is None or task["desktop_pool_id"] != pool["id"]:
        raise NotFound("inventory.desktop.pool.task.not.found",
                       f"Desktop pool task with id {request.path['taskId']} not found.")
    return task


def _not_running(what: str, task: dict[str, Any]) -> BadRequest:
    state = {"SCHEDULED": "has not started", "PAUSED": "is paused", "HALTED": "is halted by an error",
             "CANCELLING": "is being cancelled", "RUNNING": "is running"}[task["_state"]]
    return BadRequest("inventory.desktop.pool.task.invalid.state", f"The task cannot be {what}: it {state}.")


@operation("listDesktopPoolTasks")
def list_desktop_pool_tasks(request: OperationRequest) -> list[dict[str, Any]]:
    pool = find_pool(request, "POOL_VIEW")
    tasks = request.tx.list(TASK, where={"desktop_pool_id": pool["id"]})[0]
    return [rollout.task_view(task) for task in tasks]


@operation("getDesktopPoolTask")
def get_desktop_pool_task(request: OperationRequest) -> dict[str, Any]:
    return rollout.task_view(_task(request, "POOL_VIEW"))


@operation("pauseDesktopPoolTask")
def pause_desktop_pool_task(request: OperationRequest) -> None:
    task = _task(request, "POOL_SVI_IMAGE_MANAGEMENT")
    if task["_state"] != "RUNNING" or not rollout.has_work(task):
        raise _not_running("paused", task)
    rollout.hold(request.tx, task, "PAUSED")
    request.tx.update(TASK, task["id"], task)


@operation("resumeDesktopPoolTask", empty_body=True)
def resume_desktop_pool_task(request: OperationRequest) -> None:
    task = _task(request, "POOL_SVI_IMAGE_MANAGEMENT")
    if task["_state"] not in ("PAUSED", "HALTED") and not (rollout.idle(task) and task["_failed"]):
        raise _not_running("resumed", task)
    spec = request.body or {}
    rollout.resume(request.tx, task, bool(spec.get("retry_failed_vms", False)),
                   bool(spec.get("stop_on_error", True)), request.now)


@operation("cancelDesktopPoolTask")
def cancel_desktop_pool_task(request: OperationRequest) -> None:
    task = _task(request, "POOL_SVI_IMAGE_MANAGEMENT")
    if task["_state"] not in ("RUNNING", "PAUSED", "HALTED"):
        raise _not_running("cancelled", task)
    rollout.cancel(request.tx, task, request.now)
