"""Horizon agent upgrades: installer packages, upgrade tasks and their progress over time.

A task upgrades its machines in batches from its start time: each machine goes
agent_upgrade_state DOWNLOAD -> UPDATING -> DONE with result PROGRESS -> OK (its agent
version becomes the package's), or FAILURE under an `agent_upgrade_failure` fault; a machine
with a user logged on waits (WAIT) or, with skip_for_logged_in_users, is skipped. Once as many
machines failed as the failure threshold, the task stops. Machines not started by the end
time are cancelled.
"""

from __future__ import annotations

import uuid
from typing import Any

from hzsim.engine.jobs import JobContext, job_handler, schedule
from hzsim.errors import BadRequest, NotFound
from hzsim.ids import stable_id
from hzsim.inventory import sessions
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import for_each, page_of
from hzsim.store import Transaction
from hzsim.world import faults

TASK, MACHINE = "agent_upgrade_task", "machine"
STEP = 60 * 1000  # download, then install: a simulated minute each
LISTS = ("not_started", "in_progress", "succeeded", "failed", "skipped", "cancelled")


def packages(tx: Transaction) -> list[dict[str, Any]]:
    versions = tx.get_meta("agent_versions") or ["2312.0.0"]
    return [{"id": stable_id("agent-installer", v), "version": v, "build_number": str(23000000 + i),
             "url": f"https://downloads.example.com/horizon/agent/{v}/Omnissa-Horizon-Agent-x86_64-{v}.exe"}
            for i, v in enumerate(versions)]


@operation("listAgentInstallerPackages")
def list_packages(request: OperationRequest) -> Page:
    return page_of(packages(request.tx))


@operation("getAgentInstallerPackage")
def get_package(request: OperationRequest) -> dict[str, Any]:
    for package in packages(request.tx):
        if package["id"] == request.path["id"]:
            return package
    raise NotFound("inventory.agent.installer.package.not.found",
                   f"Agent installer package with id {request.path['id']} not found.")


def _field(state: str) -> str:
    return f"{state}_machine_or_rds_server_ids"


def _schedule_task(request: OperationRequest, machine_ids: list[str], batch_size: int,
                   failure_threshold: int) -> dict[str, Any]:
    spec, tx = request.body, request.tx
    package = next((p for p in packages(tx) if p["id"] == spec["agent_installer_package_id"]), None)
    if package is None:
        raise BadRequest("inventory.agent.upgrade.invalid", "Field 'agent_installer_package_id' names no agent "
                                                            "installer package.")
    start, end = max(spec["start_time"], request.now), spec["end_time"]
    if end <= start:
        raise BadRequest("inventory.agent.upgrade.invalid", "Field 'end_time' must come after 'start_time'.")
    accepted: list[str] = []

    def act(machine: dict[str, Any]) -> None:
        if machine["state"] in ("PROVISIONING", "CUSTOMIZING", "DELETING", "PROVISIONING_ERROR"):
            raise BadRequest("inventory.machine.invalid.state", f"Machine {machine['name']} is {machine['state']}.")
        if machine.get("agent_upgrade_state") in ("READY", "DOWNLOAD", "UPDATING", "WAIT"):
            raise BadRequest("inventory.agent.upgrade.in.progress", f"Machine {machine['name']} is already being "
                                                                    "upgraded.")
        machine.update({"agent_upgrade_state": "READY", "agent_upgrade_result": "UNKNOWN"})
        machine.pop("agent_upgrade_error_message", None)
        tx.update(MACHINE, machine["id"], machine)
        accepted.append(machine["id"])

    details = for_each(request, MACHINE, machine_ids, view="MACHINE_VIEW", privileges=("MACHINE_MAINTENANCE",),
                       not_found_key="inventory.machine.not.found", what="Machine", act=act)
    task_id = str(uuid.uuid4())
    task = {"id": task_id, "operation": "UPGRADE", "state": "SCHEDULED", "agent_installer_package_id": package["id"],
            "_version_to": package["version"], "start_time": start, "end_time": end, "batch_size": batch_size,
            "failure_threshold": failure_threshold, "_skip_logged_in": bool(spec.get("skip_for_logged_in_users")),
            **{_field(state): [] for state in LISTS}}
    task[_field("not_started")] = accepted
    if accepted:
        tx.insert(TASK, task_id, task)
        schedule(tx, "agent_upgrade.batch", start, {"task_id": task_id}, key=f"agent_upgrade:{task_id}")
    return {"task_id": task_id, "details": details} if accepted else {"details": details}


@operation("scheduleAgentForUpgrade")
def schedule_upgrade(request: OperationRequest) -> dict[str, Any]:
    return _schedule_task(request, request.body["machine_ids"], 20, 10)


@operation("scheduleAgentForUpgradeV2")
def schedule_upgrade_v2(request: OperationRequest) -> dict[str, Any]:
    spec = request.body
    return _schedule_task(request, spec["machine_or_rds_server_ids"], spec.get("batch_size", 20),
                          spec.get("failure_threshold", 10))


def _move(task: dict[str, Any], machine_id: str, to: str) -> None:
    for state in LISTS:
        if machine_id in task[_field(state)]:
            task[_field(state)].remove(machine_id)
    task[_field(to)].append(machine_id)


def _finish_if_done(task: dict[str, Any]) -> None:
    if not task[_field("not_started")] and not task[_field("in_progress")] and task["state"] == "IN_PROGRESS":
        task["state"] = "COMPLETED"


@job_handler("agent_upgrade.batch")
def start_batch(ctx: JobContext, payload: dict[str, Any]) -> None:
    tx = ctx.tx
    task = tx.get(TASK, payload["task_id"])
    if task is None or task["state"] in ("COMPLETED", "CANCELLED", "FAILED"):
        return
    task["state"] = "IN_PROGRESS"
    if ctx.now >= task["end_time"]:
        for machine_id in list(task[_field("not_started")]):
            _move(task, machine_id, "cancelled")
            _set_machine(tx, machine_id, agent_upgrade_state="DONE", agent_upgrade_result="UNKNOWN")
        _finish_if_done(task)
        task["state"] = "COMPLETED" if task["state"] == "IN_PROGRESS" else task["state"]
        tx.update(TASK, task["id"], task)
        return
    room = task["batch_size"] - len(task[_field("in_progress")])
    for machine_id in list(task[_field("not_started")])[: max(0, room)]:
        machine = tx.get(MACHINE, machine_id)
        if machine is None:
            _move(task, machine_id, "cancelled")
            continue
        if tx.count(sessions.KIND, where={"machine_id": machine_id}):
            if task["_skip_logged_in"]:
                _move(task, machine_id, "skipped")
                _set_machine(tx, machine_id, agent_upgrade_state="DONE", agent_upgrade_result="UNKNOWN")
            else:
                _set_machine(tx, machine_id, agent_upgrade_state="WAIT")
            continue
        _move(task, machine_id, "in_progress")
        _set_machine(tx, machine_id, agent_upgrade_state="DOWNLOAD", agent_upgrade_result="PROGRESS")
        schedule(tx, "agent_upgrade.install", ctx.now + STEP, {"task_id": task["id"], "machine_id": machine_id})
    _finish_if_done(task)
    tx.update(TASK, task["id"], task)
    if task[_field("not_started")] and task["state"] == "IN_PROGRESS":
        ctx.schedule("agent_upgrade.batch", ctx.now + STEP, payload, key=f"agent_upgrade:{task['id']}")


def _set_machine(tx: Transaction, machine_id: str, **fields: Any) -> None:
    machine = tx.get(MACHINE, machine_id)
    if machine is not None:
        machine.update(fields)
        tx.update(MACHINE, machine_id, machine)


@job_handler("agent_upgrade.install")
def install(ctx: JobContext, payload: dict[str, Any]) -> None:
    tx = ctx.tx
    task, machine = tx.get(TASK, payload["task_id"]), tx.get(MACHINE, payload["machine_id"])
    if task is None or machine is None or machine.get("agent_upgrade_state") not in ("DOWNLOAD", "UPDATING"):
        return
    if machine["agent_upgrade_state"] == "DOWNLOAD":
        _set_machine(tx, machine["id"], agent_upgrade_state="UPDATING")
        ctx.schedule("agent_upgrade.install", ctx.now + STEP, payload)
        return
    message = faults.fire(tx, "agent_upgrade_failure", machine["id"], machine.get("desktop_pool_id"),
                          machine.get("vcenter_id"))
    if message is not None:
        _set_machine(tx, machine["id"], agent_upgrade_state="DONE", agent_upgrade_result="FAILURE",
                     agent_upgrade_error_message=message)
        _move(task, machine["id"], "failed")
        if len(task[_field("failed")]) >= task["failure_threshold"]:
            task["state"] = "FAILED"  # too many failures: the rest is not attempted
    else:
        _set_machine(tx, machine["id"], agent_upgrade_state="DONE", agent_upgrade_result="OK",
                     agent_version=task["_version_to"])
        _move(task, machine["id"], "succeeded")
    _finish_if_done(task)
    tx.update(TASK, task["id"], task)


@operation("cancelAgentUpgrades")
def cancel_upgrades(request: OperationRequest) -> list[dict[str, Any]]:
    tx = request.tx
    tasks = tx.list(TASK)[0]

    def act(machine: dict[str, Any]) -> None:
        for task in tasks:
            if machine["id"] in task[_field("not_started")]:
                _move(task, machine["id"], "cancelled")
                _finish_if_done(task)
                tx.update(TASK, task["id"], task)
                _set_machine(tx, machine["id"], agent_upgrade_state="DONE", agent_upgrade_result="UNKNOWN")
                return
        raise BadRequest("inventory.agent.upgrade.not.pending", f"Machine {machine['name']} has no upgrade waiting "
                                                                "to start.")

    return for_each(request, MACHINE, request.body, view="MACHINE_VIEW", privileges=("MACHINE_MAINTENANCE",),
                    not_found_key="inventory.machine.not.found", what="Machine", act=act)


@operation("listAgentUpgradeTasks", "listAgentUpgradeTasksV2")
def list_tasks(request: OperationRequest) -> Page:
    return page_of(request.tx.list(TASK)[0])


@operation("getAgentUpgradeTask", "getAgentUpgradeTaskV2")
def get_task(request: OperationRequest) -> dict[str, Any]:
    task = request.tx.get(TASK, request.path["id"])
    if task is None:
        raise NotFound("inventory.agent.upgrade.task.not.found", f"Agent upgrade task {request.path['id']} not found.")
    return task



