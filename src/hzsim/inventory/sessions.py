"""Sessions: users logged on to machines, and the operations on them.

The world side (a user logging on through a client, disconnecting, logging off) and the
API side (disconnect, log off, reset, restart, send message) change sessions through the
same functions here, so the machine's state always follows its session: CONNECTED,
DISCONNECTED, then AVAILABLE once the user is gone (a dedicated machine keeps its user).
"""

from __future__ import annotations

import uuid
from typing import Any

from hzsim.auth import principals
from hzsim.engine.jobs import JobContext, job_handler, schedule
from hzsim.contract.listing import Comparison, ListQuery, Sort, list_fields
from hzsim.entitlements.desktop_pools import entitled_ids
from hzsim.errors import BadRequest, NotFound
from hzsim.inventory import provisioning
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import for_each, get_document, list_documents
from hzsim.store import Transaction
from hzsim.store.tables import index_fields
from hzsim.monitor.pods import POD_ID, SITE_ID
from hzsim.world import faults
from hzsim.world.active_directory import AD_USER, expand_groups

KIND, MACHINE, POOL = "session", "machine", "desktop_pool"
index_fields(KIND, "desktop_pool_id", "session_state")
RESTART_TIME = 60 * 1000  # a reset or restarted machine is back after a simulated minute


class LogonRefused(BadRequest):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"hzsim.user.session.{key}", message)


# -- the user's side ----------------------------------------------------------------------

_USER_IDS = list_fields("MachineInfoV5")["user_ids"]
_BY_NAME = Sort(list_fields("MachineInfoV5")["name"], False)
_PAGE = 50


def _free_machine(tx: Transaction, pool: dict[str, Any], user_id: str) -> dict[str, Any] | None:
    dedicated = pool.get("user_assignment") == "DEDICATED"
    if dedicated:
        mine = tx.list(MACHINE, ListQuery(filter=Comparison(_USER_IDS, "Equals", (user_id,)), sort=_BY_NAME),
                       where={"desktop_pool_id": pool["id"]})[0]
        if mine:
            return mine[0]
        if not pool.get("automatic_user_assignment", True):
            return None
    where = {"desktop_pool_id": pool["id"], "state": "AVAILABLE"}
    waiting, page = None, 1
    while True:  # free machines in name order, a page at a time (a pool may hold thousands)
        batch = tx.list(MACHINE, ListQuery(sort=_BY_NAME, page=page, size=_PAGE), where=where)[0]
        for machine in batch:
            data = machine.get("managed_machine_data") or {}
            if data.get("in_maintenance_mode") or (dedicated and machine.get("user_ids")):
                continue
            if data.get("operation") != "PUSH_IMAGE":
                return machine
            # A machine waiting for a new image is handed out only when no updated one is free.
            waiting = waiting or machine
        if len(batch) < _PAGE:
            return waiting
        page += 1


def logon(tx: Transaction, user: dict[str, Any], pool: dict[str, Any], now: int,
          client: dict[str, Any] | None = None) -> dict[str, Any]:
    """A user logs on to a desktop of `pool` through a client: reconnect, or a new session."""
    if pool.get("delete_in_progress") or not pool.get("enabled", True):
        raise LogonRefused("pool.unavailable", f"Desktop pool {pool['name']} is disabled or being deleted.")
    principals = expand_groups(tx, user)
    if not principals & set(entitled_ids(tx, pool["id"])):
        raise LogonRefused("not.entitled", f"{user['domain']}\\{user['login_name']} is not entitled to "
                                           f"{pool['name']}.")
    for session in tx.list(KIND, where={"user_id": user["id"], "desktop_pool_id": pool["id"]})[0]:
        session.update({"session_state": "CONNECTED", "disconnected_time": None})
        tx.update(KIND, session["id"], session)
        _machine_follows(tx, session["machine_id"], "CONNECTED")
        return session
    machine = _free_machine(tx, pool, user["id"])
    if machine is None:
        provisioning.request_reconcile(tx, pool["id"], now)
        raise LogonRefused("no.machine", f"No machine of {pool['name']} is available for "
                                         f"{user['domain']}\\{user['login_name']}.")
    if pool.get("user_assignment") == "DEDICATED" and user["id"] not in machine.get("user_ids", []):
        machine["user_ids"] = [*machine.get("user_ids", []), user["id"]]
    session = {
        "id": str(uuid.uuid4()), "user_id": user["id"], "broker_user_id": user["id"], "machine_id": machine["id"],
        "desktop_pool_id": pool["id"], "access_group_id": pool["access_group_id"], "session_type": "DESKTOP",
        "session_protocol": (pool.get("display_protocol_settings") or {}).get("default_display_protocol", "BLAST"),
        "session_state": "CONNECTED", "start_time": now, "agent_version": machine.get("agent_version"),
        "brokered_remotely": False, "resourced_remotely": False, "unauthenticated": False, "idle_duration": 0,
        "guid": str(uuid.uuid4()), "client_data": client or {"type": "WINDOWS", "name": "client-pc",
                                                             "address": "10.0.0.10", "version": "2312.0"},
        "messages": [],
        # What the global (Cloud Pod Architecture) view of the session shows and filters on.
        "pod_id": POD_ID, "brokering_pod_id": POD_ID, "site_id": SITE_ID, "local_access_group_id": pool["access_group_id"],
        "desktop_pool_or_farm_name": pool["name"], "desktop_pool_or_farm_type": pool["type"],
        "desktop_pool_or_farm_source": pool.get("source"), "machine_or_rds_server_dns_name": machine.get("dns_name"),
        "forever_session": False,
    }
    tx.insert(KIND, session["id"], session)
    machine.update({"state": "CONNECTED", "session_id": session["id"]})
    tx.update(MACHINE, machine["id"], machine)
    provisioning.request_reconcile(tx, pool["id"], now)  # an on-demand pool keeps its spare machines
    return session


def _machine_follows(tx: Transaction, machine_id: str, state: str) -> None:
    machine = tx.get(MACHINE, machine_id)
    if machine is not None and machine["state"] in ("CONNECTED", "DISCONNECTED", "AVAILABLE"):
        machine["state"] = state
        if state == "AVAILABLE":
            machine.pop("session_id", None)
        tx.update(MACHINE, machine_id, machine)


def disconnect(tx: Transaction, session: dict[str, Any], now: int) -> None:
    session.update({"session_state": "DISCONNECTED", "disconnected_time": now})
    tx.update(KIND, session["id"], session)
    _machine_follows(tx, session["machine_id"], "DISCONNECTED")


def end(tx: Transaction, session: dict[str, Any], now: int, *, machine_state: str = "AVAILABLE") -> None:
    """The session is gone (logged off, reset, restarted); the machine is free again."""
    tx.delete(KIND, session["id"])
    machine = tx.get(MACHINE, session["machine_id"])
    if machine is None:
        return
    machine.pop("session_id", None)
    if (machine.get("managed_machine_data") or {}).get("operation") == "PUSH_IMAGE":
        # a machine waiting for its user before its new image (images.rollout)
        schedule(tx, "image.machine.free", now, {"pool_id": machine["desktop_pool_id"], "machine_id": machine["id"]})
    pool = tx.get(POOL, machine["desktop_pool_id"]) or {}
    after = (pool.get("session_settings") or {}).get("delete_or_refresh_machine_after_logoff")
    if pool.get("user_assignment") == "FLOATING" and after == "DELETE" and machine_state == "AVAILABLE":
        machine["state"] = "AVAILABLE"
        tx.update(MACHINE, machine["id"], machine)
        provisioning.start_machine_delete(tx, tx.get(MACHINE, machine["id"]), now)
        return
    if machine_state == "AVAILABLE" and (machine.get("managed_machine_data") or {}).get("in_maintenance_mode"):
        machine_state = "MAINTENANCE"  # it was put in maintenance while in use
    machine["state"] = machine_state
    tx.update(MACHINE, machine["id"], machine)
    if machine_state == "IN_PROGRESS":
        schedule(tx, "machine.restarted", now + RESTART_TIME, {"machine_id": machine["id"]},
                 key=f"machine:{machine['id']}")
    provisioning.request_reconcile(tx, machine["desktop_pool_id"], now)


@job_handler("machine.restarted")
def machine_restarted(ctx: JobContext, payload: dict[str, Any]) -> None:
    machine = ctx.tx.get(MACHINE, payload["machine_id"])
    if machine is not None and machine["state"] == "IN_PROGRESS":
        in_maintenance = (machine.get("managed_machine_data") or {}).get("in_maintenance_mode")
        machine["state"] = "MAINTENANCE" if in_maintenance else "AVAILABLE"
        ctx.tx.update(MACHINE, machine["id"], machine)


def find_user(tx: Transaction, name: str) -> dict[str, Any]:
    """`DOMAIN\\user`, `user@domain.com` or a SID."""
    if name.startswith("S-1-"):
        user = tx.get(AD_USER, name)
    elif "\\" in name:
        domain, _, login = name.partition("\\")
        user = principals.find_user(tx, domain, login)
    else:
        login, _, domain = name.partition("@")
        user = principals.find_user(tx, domain, login)
    if user is None or user.get("group"):
        raise NotFound("hzsim.user.not.found", f"No AD user {name!r}.")
    return user


# -- the API's side -----------------------------------------------------------------------

@operation("listSessionInfo", "listSessionInfoV2")
def list_sessions(request: OperationRequest) -> Page:
    return list_documents(request, KIND)


@operation("getSessionInfo")
def get_session(request: OperationRequest) -> dict[str, Any]:
    return get_document(request, KIND, "inventory.session.not.found", "Session")


def _each_session(request: OperationRequest, ids: list[str], privilege: str, act) -> list[dict[str, Any]]:
    return for_each(request, KIND, ids, view="MACHINE_VIEW", privileges=(privilege,),
                    not_found_key="inventory.session.not.found", what="Session", act=act)


def _disconnect(request: OperationRequest, ids: list[str]) -> list[dict[str, Any]]:
    def act(session: dict[str, Any]) -> None:
        if session["session_state"] != "CONNECTED":
            raise BadRequest("inventory.session.not.connected", "The session is not connected.")
        disconnect(request.tx, session, request.now)

    return _each_session(request, ids, "MACHINE_MANAGE_VDI_SESSION", act)


def _log_off(request: OperationRequest, ids: list[str]) -> list[dict[str, Any]]:
    forced = bool(request.query.get("forced"))

    def act(session: dict[str, Any]) -> None:
        # Windows locks a disconnected session; only a forced logoff ends a locked one.
        if (session["session_state"] == "DISCONNECTED" or session.get("locked")) and not forced:
            raise BadRequest("inventory.session.locked", "The session is locked; log it off with forced=true.")
        end(request.tx, session, request.now)

    return _each_session(request, ids, "MACHINE_MANAGE_VDI_SESSION", act)


@operation("disconnectSessions")
def disconnect_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    return _disconnect(request, request.body)


@operation("logOffSessions")
def log_off_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    return _log_off(request, request.body)


def power_cycle(tx: Transaction, machine: dict[str, Any], now: int) -> None:
    """Reset or restart a machine: a power operation, which an injected fault can fail. Its session
    ends; the machine is back a minute later."""
    message = faults.fire(tx, "power_operation_failure", machine["id"], machine["desktop_pool_id"],
                          machine["vcenter_id"])
    if message is not None:
        raise faults.WorldFault("power_operation_failure", message)
    session = next(iter(tx.list(KIND, where={"machine_id": machine["id"]})[0]), None)
    if session is not None:
        end(tx, session, now, machine_state="IN_PROGRESS")
        return
    machine["state"] = "IN_PROGRESS"
    tx.update(MACHINE, machine["id"], machine)
    schedule(tx, "machine.restarted", now + RESTART_TIME, {"machine_id": machine["id"]}, key=f"machine:{machine['id']}")


def _power_cycle(request: OperationRequest, session: dict[str, Any]) -> None:
    """Reset or restart the session's machine."""
    machine = request.tx.get(MACHINE, session["machine_id"])
    if machine is None:
        end(request.tx, session, request.now)
        return
    power_cycle(request.tx, machine, request.now)


@operation("resetSessions")
def reset_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    return _each_session(request, request.body, "MACHINE_REBOOT", lambda session: _power_cycle(request, session))


@operation("restartSessions")
def restart_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    return _each_session(request, request.body, "MACHINE_REBOOT", lambda session: _power_cycle(request, session))


def _send(request: OperationRequest, ids: list[str], message: str, message_type: str) -> list[dict[str, Any]]:
    def act(session: dict[str, Any]) -> None:
        session["messages"] = [*session.get("messages", []), {"message": message, "message_type": message_type,
                                                              "time": request.now}]
        request.tx.update(KIND, session["id"], session)

    return _each_session(request, ids, "MACHINE_MANAGE_VDI_SESSION", act)


@operation("sendMessageToSessions")
def send_message(request: OperationRequest) -> list[dict[str, Any]]:
    return _send(request, request.body["session_ids"], request.body["message"], request.body["message_type"])


# -- global sessions (the Cloud Pod Architecture view; hzsim simulates one pod) -------------

@operation("queryGlobalSessions")
def query_global_sessions(request: OperationRequest) -> Page:
    where = {key: request.query[key] for key in ("user_id", "pod_id", "brokering_pod_id") if request.query.get(key)}
    items, total = request.tx.list(KIND, request.list_query, where=where)
    return Page(items, total)


def _per_pod(request: OperationRequest, specs: list[dict[str, Any]], each) -> list[dict[str, Any]]:
    results = []
    for spec in specs:
        if spec["pod_id"] != POD_ID:
            results.append({"pod_id": spec["pod_id"], "status_code": 404, "errors": [
                {"error_key": "inventory.pod.not.found", "error_message": f"No pod {spec['pod_id']}."}]})
        else:
            results.append({"pod_id": spec["pod_id"], "status_code": 200, "details": each(list(spec["ids"]))})
    return results


@operation("disconnectGlobalSessions")
def disconnect_global_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    return _per_pod(request, request.body, lambda ids: _disconnect(request, ids))


@operation("logOffGlobalSessions")
def log_off_global_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    return _per_pod(request, request.body, lambda ids: _log_off(request, ids))


@operation("resetGlobalSessions")
def reset_global_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    return _per_pod(request, request.body, lambda ids: _each_session(
        request, ids, "MACHINE_REBOOT", lambda session: _power_cycle(request, session)))


@operation("restartGlobalSessions")
def restart_global_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    return _per_pod(request, request.body, lambda ids: _each_session(
        request, ids, "MACHINE_REBOOT", lambda session: _power_cycle(request, session)))


@operation("sendMessageToGlobalSessions")
def send_message_to_global_sessions(request: OperationRequest) -> list[dict[str, Any]]:
    spec = request.body
    return _per_pod(request, spec["global_session_action_specs"],
                    lambda ids: _send(request, ids, spec["message"], spec["message_type"]))
