"""Actions on machines: maintenance, reset and restart, recover and rebuild, delete, user
assignment and name checks. Bulk actions answer one BulkItemResponseInfo per machine id;
one bad id (unknown, wrong state, no privilege) never undoes the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hzsim.engine.jobs import schedule
from hzsim.entitlements.desktop_pools import refresh_unentitled
from hzsim.errors import BadRequest, HorizonError
from hzsim.inventory import persistent_disks, provisioning, sessions
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import bulk_item, find_resource, for_each
from hzsim.world.active_directory import AD_USER

MACHINE, POOL = "machine", "desktop_pool"
ERROR_STATES = ("PROVISIONING_ERROR", "ERROR", "AGENT_UNREACHABLE", "AGENT_ERROR_STARTUP_IN_PROGRESS")


def refuse(rule: str, message: str) -> BadRequest:
    return BadRequest(f"inventory.machine.{rule}", message)


def _machine(request: OperationRequest, privilege: str | None) -> dict[str, Any]:
    """The machine of the path, visible to the caller, who must hold `privilege` on its access group."""
    return find_resource(request, MACHINE, request.path["id"], view="MACHINE_VIEW", privilege=privilege,
                         not_found_key="inventory.machine.not.found", what="Machine")


def each_machine(request: OperationRequest, ids: list[str], privileges: tuple[str, ...],
                 act: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    """Run `act` on each machine the caller may act on; one result per id."""
    return for_each(request, MACHINE, ids, view="MACHINE_VIEW", privileges=privileges,
                    not_found_key="inventory.machine.not.found", what="Machine", act=act)


def _session_of(request: OperationRequest, machine: dict[str, Any]) -> dict[str, Any] | None:
    found = request.tx.list(sessions.KIND, where={"machine_id": machine["id"]})[0]
    return found[0] if found else None


# -- maintenance ----------------------------------------------------------------------------

@operation("enterMaintenance")
def enter_maintenance(request: OperationRequest) -> list[dict[str, Any]]:
    def act(machine: dict[str, Any]) -> None:
        data = machine["managed_machine_data"]
        if data.get("in_maintenance_mode"):
            raise refuse("already.in.maintenance", f"Machine {machine['name']} is already in maintenance mode.")
        if machine["state"] in ("PROVISIONING", "CUSTOMIZING", "DELETING"):
            raise refuse("invalid.state", f"Machine {machine['name']} is {machine['state']}.")
        data["in_maintenance_mode"] = True
        data["last_maintenance_time"] = request.now
        if machine["state"] == "AVAILABLE":
            machine["state"] = "MAINTENANCE"  # a machine in use goes to maintenance when its user logs off
        request.tx.update(MACHINE, machine["id"], machine)

    return each_machine(request, request.body, ("MACHINE_MAINTENANCE",), act)


@operation("exitMaintenance")
def exit_maintenance(request: OperationRequest) -> list[dict[str, Any]]:
    def act(machine: dict[str, Any]) -> None:
        data = machine["managed_machine_data"]
        if not data.get("in_maintenance_mode"):
            raise refuse("not.in.maintenance", f"Machine {machine['name']} is not in maintenance mode.")
        data["in_maintenance_mode"] = False
        if machine["state"] == "MAINTENANCE":
            machine["state"] = "AVAILABLE"
        request.tx.update(MACHINE, machine["id"], machine)

    return each_machine(request, request.body, ("MACHINE_MAINTENANCE",), act)


# -- power ----------------------------------------------------------------------------------

def _power_cycle(request: OperationRequest, machine: dict[str, Any]) -> None:
    if machine["state"] in ("PROVISIONING", "CUSTOMIZING", "DELETING", "PROVISIONING_ERROR"):
        raise refuse("invalid.state", f"Machine {machine['name']} is {machine['state']}.")
    sessions.power_cycle(request.tx, machine, request.now)


@operation("resetMachines")
def reset_machines(request: OperationRequest) -> list[dict[str, Any]]:
    return each_machine(request, request.body, ("MACHINE_REBOOT",), lambda m: _power_cycle(request, m))


@operation("restartMachines")
def restart_machines(request: OperationRequest) -> list[dict[str, Any]]:
    return each_machine(request, request.body, ("MACHINE_REBOOT",), lambda m: _power_cycle(request, m))


# -- recover, rebuild ------------------------------------------------------------------------

def _reclone(request: OperationRequest, machine: dict[str, Any]) -> None:
    pool = request.tx.get(POOL, machine["desktop_pool_id"]) or {}
    image = provisioning.current_image(request.tx, pool)
    machine["state"] = "PROVISIONING"
    data = machine["managed_machine_data"]
    for key in ("clone_error_message", "clone_error_time"):
        data.pop(key, None)
    data.update({"base_vm_id": image["parent_vm_id"], "base_vm_snapshot_id": image["snapshot_id"],
                 "virtual_machine_power_state": "POWERED_OFF"})
    request.tx.update(MACHINE, machine["id"], machine)
    schedule(request.tx, "machine.cloned",
                          request.now + provisioning.CLONE_TIME.get(pool.get("source"), 20_000),
                          {"machine_id": machine["id"]}, key=f"machine:{machine['id']}")


@operation("recoverMachines")
def recover_machines(request: OperationRequest) -> list[dict[str, Any]]:
    def act(machine: dict[str, Any]) -> None:
        if machine["state"] not in ERROR_STATES:
            raise refuse("invalid.state", f"Machine {machine['name']} is {machine['state']}; only machines in an "
                                          "error state can be recovered.")
        _reclone(request, machine)

    return each_machine(request, request.body, ("MACHINE_MANAGEMENT",), act)


@operation("rebuildMachines")
def rebuild_machines(request: OperationRequest) -> list[dict[str, Any]]:
    def act(machine: dict[str, Any]) -> None:
        pool = request.tx.get(POOL, machine["desktop_pool_id"]) or {}
        if pool.get("source") != "VIRTUAL_CENTER" or pool.get("type") != "AUTOMATED":
            raise refuse("rebuild.not.supported", f"Machine {machine['name']} is not a full clone; only full clones "
                                                  "can be rebuilt.")
        if _session_of(request, machine) is not None:
            raise refuse("has.session", f"Machine {machine['name']} has a session.")
        _reclone(request, machine)

    return each_machine(request, request.body, ("MACHINE_MANAGEMENT",), act)


# -- delete ---------------------------------------------------------------------------------

def _delete(request: OperationRequest, machine: dict[str, Any], options: dict[str, Any]) -> None:
    if machine["state"] == "DELETING":
        raise refuse("delete.in.progress", f"Machine {machine['name']} is already being deleted.")
    session = _session_of(request, machine)
    if session is not None:
        if not options.get("force_logoff_session"):
            raise refuse("has.session", f"Machine {machine['name']} has a session; set force_logoff_session.")
        request.tx.delete(sessions.KIND, session["id"])
    # The machine's persistent disks are archived (kept, unattached) or deleted with it.
    for disk_id in (machine.get("managed_machine_data") or {}).get("persistent_disk_ids", []):
        disk = request.tx.get("persistent_disk", disk_id)
        if disk is None:
            continue
        if options.get("archive_persistent_disk"):
            persistent_disks.unattach(request.tx, disk)
        else:
            request.tx.delete("persistent_disk", disk_id)
    provisioning.start_machine_delete(request.tx, request.tx.get(MACHINE, machine["id"]), request.now)


@operation("deleteMachines")
def delete_machines(request: OperationRequest) -> list[dict[str, Any]]:
    options = request.body.get("machine_delete_data") or {}
    return each_machine(request, request.body["machine_ids"], ("MACHINE_MANAGEMENT", "POOL_MANAGEMENT"),
                        lambda m: _delete(request, m, options))


@operation("deleteMachine", empty_body=True)
def delete_machine(request: OperationRequest) -> None:
    machine = _machine(request, None)
    caller = request.caller
    if caller is not None and not (caller.has("MACHINE_MANAGEMENT", machine["access_group_id"])
                                   or caller.has("POOL_MANAGEMENT", machine["access_group_id"])):
        raise HorizonError("common.forbidden", "The caller lacks MACHINE_MANAGEMENT on the machine's access group.",
                           status=403)
    _delete(request, machine, request.body or {})


# -- users ----------------------------------------------------------------------------------

def _machine_for_users(request: OperationRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    machine = _machine(request, "MACHINE_USER_MANAGEMENT")
    pool = request.tx.get(POOL, machine["desktop_pool_id"]) or {}
    if pool.get("user_assignment") != "DEDICATED":
        raise refuse("floating.assignment", "Users can be assigned only to machines of dedicated desktop pools.")
    return machine, pool


@operation("assignUsers")
def assign_users(request: OperationRequest) -> list[dict[str, Any]]:
    machine, pool = _machine_for_users(request)
    results = []
    for user_id in request.body:
        user = request.tx.get(AD_USER, user_id)
        assigned = machine.get("user_ids", [])
        if user is None or user.get("group"):
            results.append(bulk_item(user_id, 404, "inventory.machine.user.not.found", f"No AD user {user_id}."))
        elif user_id in assigned:
            results.append(bulk_item(user_id, 400, "inventory.machine.user.already.assigned",
                                 "The user is already assigned to this machine."))
        elif assigned and not pool.get("allow_multiple_user_assignments"):
            results.append(bulk_item(user_id, 400, "inventory.machine.already.assigned",
                                 "The machine is assigned to another user and the pool allows one user per machine."))
        else:
            machine["user_ids"] = [*assigned, user_id]
            results.append(bulk_item(user_id, 200))
    if any(item["status_code"] == 200 for item in results):  # a request that changes nothing writes nothing
        request.tx.update(MACHINE, machine["id"], machine)
        refresh_unentitled(request.tx, pool["id"])
    return results


@operation("unassignUsers")
def unassign_users(request: OperationRequest) -> list[dict[str, Any]]:
    machine, _ = _machine_for_users(request)
    results = []
    for user_id in request.body:
        if user_id not in machine.get("user_ids", []):
            results.append(bulk_item(user_id, 400, "inventory.machine.user.not.assigned",
                                 "The user is not assigned to this machine."))
        else:
            machine["user_ids"] = [u for u in machine["user_ids"] if u != user_id]
            results.append(bulk_item(user_id, 200))
    if any(item["status_code"] == 200 for item in results):
        request.tx.update(MACHINE, machine["id"], machine)
        refresh_unentitled(request.tx, machine["desktop_pool_id"])
    return results


@operation("checkMachinePrefixAvailability")
def check_machine_prefix(request: OperationRequest) -> dict[str, Any]:
    prefix = request.body["name"].lower()
    names = request.tx.names(MACHINE)
    return {"available": not any(name.lower().startswith(prefix) for name in names if name)}


# -- aliases --------------------------------------------------------------------------------

def _save_aliases(request: OperationRequest, machine: dict[str, Any], aliases: dict[str, dict[str, Any]],
                  results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the machine's new aliases when at least one item succeeded; answer the items."""
    if any(item["status_code"] == 200 for item in results):
        machine["aliases"] = list(aliases.values())
        request.tx.update(MACHINE, machine["id"], machine)
    return results


@operation("assignMachineAliases")
def assign_aliases(request: OperationRequest) -> list[dict[str, Any]]:
    """Name the machine for a user (an existing alias of the user is replaced)."""
    machine = _machine(request, "MACHINE_USER_MANAGEMENT")
    aliases = {a["ad_user_id"]: a for a in machine.get("aliases", [])}
    results = []
    for spec in request.body:
        if request.tx.get(AD_USER, spec["ad_user_id"]) is None:
            results.append(bulk_item(spec["ad_user_id"], 404, "inventory.machine.user.not.found",
                                     f"No AD user {spec['ad_user_id']}."))
            continue
        aliases[spec["ad_user_id"]] = {"ad_user_id": spec["ad_user_id"], "alias_name": spec["alias_name"]}
        results.append(bulk_item(spec["ad_user_id"], 200))
    return _save_aliases(request, machine, aliases, results)


@operation("unassignMachineAliases")
def unassign_aliases(request: OperationRequest) -> list[dict[str, Any]]:
    machine = _machine(request, "MACHINE_USER_MANAGEMENT")
    aliases = {a["ad_user_id"]: a for a in machine.get("aliases", [])}
    results = []
    for user_id in request.body:
        if aliases.pop(user_id, None) is None:
            results.append(bulk_item(user_id, 400, "inventory.machine.alias.not.assigned",
                                     "The user has no alias on this machine."))
        else:
            results.append(bulk_item(user_id, 200))
    return _save_aliases(request, machine, aliases, results)


@operation("archiveMachines")
def archive_machines(request: OperationRequest) -> list[dict[str, Any]]:
    """Archive the disks of held machines (forensics); a machine that is not held cannot be archived."""
    def act(machine: dict[str, Any]) -> None:
        if not machine.get("held_machine"):
            raise refuse("not.held", f"Machine {machine['name']} is not held; only held machines can be archived.")
        machine["managed_machine_data"]["operation"] = "ARCHIVE"
        machine["managed_machine_data"]["operation_state"] = "COMPLETED"
        request.tx.update(MACHINE, machine["id"], machine)

    return each_machine(request, request.body, ("MACHINE_MANAGEMENT",), act)


@operation("listUnentitledMachines")
def list_unentitled_machines(request: OperationRequest) -> Page:
    """Machines assigned to users who are no longer entitled to their pool."""
    groups = request.caller.groups_with("MACHINE_VIEW") if request.caller is not None else None
    items, total = request.tx.list(MACHINE, request.list_query, access_groups=groups,
                                   where={"has_unentitled_users": True})
    return Page(items, total)
