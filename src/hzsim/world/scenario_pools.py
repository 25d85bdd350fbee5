"""Desktop pools of a scenario, created through the same code as POST /desktop-pools.

A scenario names its world objects by name (base VM, snapshot, cluster, datastore,
folder, group); this module turns that shorthand into a create spec, entitles the groups,
and leaves a durable job that logs the scenario's users on once machines are ready, so a
scenario provisions in simulated time like anything else, in every clock mode.
"""

from __future__ import annotations

from typing import Any

from hzsim.engine.jobs import JobContext, job_handler, schedule
from hzsim.entitlements.desktop_pools import entitle, entitled_user_ids
from hzsim.errors import BadRequest
from hzsim.inventory import sessions
from hzsim.inventory.desktop_pools import create_pool
from hzsim.store import Transaction
from hzsim.world.active_directory import AD_USER, IC_DOMAIN_ACCOUNT
from hzsim.world.scenarios.schema import ScenarioError
from hzsim.world.vcenter import (BASE_SNAPSHOT, BASE_VM, DATASTORE, HOST_OR_CLUSTER, RESOURCE_POOL, VCENTER,
                                 VIRTUAL_MACHINE, VM_FOLDER)

RETRY = 60 * 1000


def _one(tx: Transaction, kind: str, where: dict[str, Any], what: str, at: str) -> dict[str, Any]:
    found = tx.list(kind, where=where)[0]
    if not found:
        raise ScenarioError(f"{at}: no {what}.")
    return found[0]


def _spec(tx: Transaction, pool: dict[str, Any], at: str, access_group_id: str) -> dict[str, Any]:
    vcenter = tx.list(VCENTER)[0]
    if not vcenter:
        raise ScenarioError(f"{at}: desktop pools need a vCenter in the scenario.")
    vcenter = vcenter[0]
    spec: dict[str, Any] = {"name": pool["name"], "access_group_id": access_group_id,
                            "user_assignment": pool["user_assignment"], "vcenter_id": vcenter["id"]}
    if pool["kind"] == "MANUAL":
        vms = [_one(tx, VIRTUAL_MACHINE, {"name": name}, f"virtual machine {name!r}", at)["id"] for name in pool["vms"]]
        return {**spec, "type": "MANUAL", "source": "VIRTUAL_CENTER", "machines": vms}
    cluster = _one(tx, HOST_OR_CLUSTER, {"name": pool["cluster"]}, f"cluster {pool['cluster']!r}", at)
    vm = _one(tx, BASE_VM, {"name": pool["base_vm"]}, f"base VM {pool['base_vm']!r}", at)
    snapshot = _one(tx, BASE_SNAPSHOT, {"base_vm_id": vm["id"], "name": pool["snapshot"]},
                    f"snapshot {pool['snapshot']!r} of {pool['base_vm']}", at)
    datastore = _one(tx, DATASTORE, {"name": pool["datastore"]}, f"datastore {pool['datastore']!r}", at)
    folder = _one(tx, VM_FOLDER, {"name": pool["folder"], "datacenter_id": cluster["datacenter_id"]},
                  f"VM folder {pool['folder']!r}", at)
    resource_pool = _one(tx, RESOURCE_POOL, {"host_or_cluster_id": cluster["id"], "type": "CLUSTER"},
                         "resource pool", at)
    account = _one(tx, IC_DOMAIN_ACCOUNT, {}, "instant-clone domain account", at)
    return {**spec, "type": "AUTOMATED", "source": "INSTANT_CLONE", "naming_method": "PATTERN",
            "pattern_naming_settings": {"naming_pattern": pool["naming_pattern"],
                                        "max_number_of_machines": pool["machines"],
                                        "number_of_spare_machines": max(1, pool["spare_machines"]),
                                        "provisioning_time": "UP_FRONT"},
            "provisioning_settings": {"host_or_cluster_id": cluster["id"], "resource_pool_id": resource_pool["id"],
                                      "vm_folder_id": folder["id"], "datacenter_id": cluster["datacenter_id"],
                                      "parent_vm_id": vm["id"], "base_snapshot_id": snapshot["id"]},
            "storage_settings": {"datastores": [{"datastore_id": datastore["id"]}]},
            "customization_settings": {"customization_type": "CLONE_PREP", "ad_container_rdn": "CN=Computers",
                                       "instant_clone_domain_account_id": account["id"]}}


def create(tx: Transaction, pools: list[dict[str, Any]], group_ids: dict[str, str], source: str, now: int) -> None:
    for pool in pools:
        at = f"{source}, line {pool['__line__']}"
        spec = _spec(tx, pool, at, group_ids[pool["access_group"]])
        try:
            created = create_pool(tx, spec, now)
        except BadRequest as error:
            raise ScenarioError(f"{at}: desktop pool {pool['name']!r}: {error.message}") from None
        entitled = []
        for name in pool["entitled"]:
            principal = tx.list(AD_USER, where={"login_name": name})[0]
            if not principal:
                raise ScenarioError(f"{at}: 'entitled' names no AD user or group {name!r}.")
            entitled.append(principal[0]["id"])
        entitle(tx, created["id"], entitled)
        if pool["sessions"]:
            schedule(tx, "scenario.logons", now + RETRY, {"pool_id": created["id"], "count": pool["sessions"]})


def _rid(sid: str) -> int:
    return int(sid.rsplit("-", 1)[1])


@job_handler("scenario.logons")
def scenario_logons(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Log the scenario's users on, entitled users in account order, until `count` are on.

    The queue of users still to log on is computed once and kept in the job's payload.
    """
    tx = ctx.tx
    pool = tx.get(sessions.POOL, payload["pool_id"])
    if pool is None:
        return
    queue = payload.get("queue")
    if queue is None:
        queue = sorted(entitled_user_ids(tx, pool["id"]), key=_rid)[: payload["count"] * 2]
    wanted = payload["count"] - tx.count(sessions.KIND, where={"desktop_pool_id": pool["id"]})
    while wanted > 0 and queue:
        user = tx.get(AD_USER, queue[0])
        try:
            if user is not None:
                sessions.logon(tx, user, pool, ctx.now)
                wanted -= 1
        except sessions.LogonRefused as refused:
            if refused.error_key.endswith("no.machine"):
                break  # machines are still provisioning: try again later
        queue.pop(0)
    if wanted > 0 and queue:
        ctx.schedule("scenario.logons", ctx.now + RETRY, {**payload, "queue": queue})
