"""Desktop pools: the canonical pool document and the operations on it.

One document per pool holds the union of every versioned field (shaped like the newest
version, DesktopPoolInfoV8); GET v1..v8 project it through each version's response schema,
after the small per-version mapping in `view` (v1 nests its settings; v2..v4 call the
shortcut locations `shortcut_locations`). Create specs of every version map onto it directly:
they only add fields from version to version.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from hzsim.auth.principals import ROOT_ACCESS_GROUP_ID, Caller
from hzsim.errors import BadRequest, Conflict, Forbidden, NotFound
from hzsim.inventory import manual_machines, provisioning, sessions
from hzsim.inventory.pool_rules import NAME_PROBLEMS, check_pool, refuse, specified_name_statuses
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import bulk_item, find_resource, for_each, get_document, list_documents
from hzsim.store import Transaction
from hzsim.world.active_directory import AD_DOMAIN, AD_USER, IC_DOMAIN_ACCOUNT
from hzsim.world.vcenter import DEFAULT_APPLICATIONS, VM_FOLDER

KIND = "desktop_pool"
LOCAL_ACCESS_GROUP = "local_access_group"

# Defaults Horizon applies to fields a create spec leaves out.
_DEFAULTS: dict[str, Any] = {
    "enabled": True, "enable_provisioning": True, "stop_provisioning_on_error": True,
    "allow_multiple_user_assignments": False, "allow_users_to_choose_machines": False,
    "display_assigned_machine_name": False, "display_machine_alias": False, "enable_client_restrictions": False,
    "cloud_managed": False, "cloud_assigned": False, "cloud_brokered": False, "session_type": "DESKTOP",
    "transparent_page_sharing_scope": "VM", "allow_rds_pool_multi_session_per_user": False,
}
_PATTERN_DEFAULTS = {"max_number_of_machines": 1, "number_of_spare_machines": 1, "min_number_of_machines": 0,
                     "provisioning_time": "UP_FRONT"}
_SESSION_DEFAULTS = {"allow_multiple_sessions_per_user": False, "allow_users_to_reset_machines": False,
                     "delete_or_refresh_machine_after_logoff": "NEVER", "disconnected_session_timeout_policy": "NEVER",
                     "power_policy": "TAKE_NO_POWER_ACTION", "refresh_os_disk_after_logoff": "NEVER",
                     "session_timeout_policy": "DEFAULT"}
_DISPLAY_DEFAULTS = {"allow_users_to_choose_protocol": True, "default_display_protocol": "BLAST",
                     "renderer3d": "DISABLED", "grid_vgpus_enabled": False, "session_collaboration_enabled": False,
                     "max_number_of_monitors": 2, "max_resolution_of_any_one_monitor": "WUXGA"}


def _same_name(tx: Transaction, name: str) -> dict[str, Any] | None:
    for pool in tx.list(KIND)[0]:
        if pool["name"].lower() == name.lower():
            return pool
    return None


def pool_from_spec(spec: dict[str, Any], now: int) -> dict[str, Any]:
    """The canonical pool a create spec describes, with Horizon's defaults filled in."""
    pool = {**_DEFAULTS, **copy.deepcopy({k: v for k, v in spec.items() if k not in ("machines",)})}
    pool.update({"id": str(uuid.uuid4()), "created_at": now, "updated_at": now, "delete_in_progress": False})
    pool.setdefault("display_name", pool["name"])
    pool.setdefault("access_group_id", ROOT_ACCESS_GROUP_ID)
    if pool["type"] == "AUTOMATED":
        if pool.get("naming_method") == "PATTERN" and pool.get("pattern_naming_settings"):
            pool["pattern_naming_settings"] = {**_PATTERN_DEFAULTS, **pool["pattern_naming_settings"]}
        if pool.get("naming_method") == "SPECIFIED" and pool.get("specific_naming_settings"):
            settings = pool["specific_naming_settings"]
            settings.setdefault("num_unassigned_machines_kept_powered_on", 1)
            settings.setdefault("start_machines_in_maintenance_mode", False)
        if pool.get("provisioning_settings") is not None:
            pool["provisioning_settings"].setdefault("add_virtual_tpm", False)
        pool.setdefault("customization_settings", {})
        accelerator = pool.get("view_storage_accelerator_settings") or {}
        if accelerator.get("use_view_storage_accelerator"):
            accelerator.setdefault("regenerate_view_storage_accelerator_days", 7)
    if pool["type"] != "RDS":
        pool["session_settings"] = {**_SESSION_DEFAULTS, **(pool.get("session_settings") or {})}
        pool["display_protocol_settings"] = {**_DISPLAY_DEFAULTS, **(pool.get("display_protocol_settings") or {})}
    if pool.get("user_assignment") == "DEDICATED":
        pool.setdefault("automatic_user_assignment", True)
    return pool


def _prepare_automated(tx: Transaction, pool: dict[str, Any]) -> None:
    """Facts the engine needs later, kept on the document outside every version's schema."""
    settings = pool["provisioning_settings"]
    folder = tx.get(VM_FOLDER, settings["vm_folder_id"])
    pool["_vm_folder_path"] = folder["path"] if folder else "/vm"
    pool["_datastore_ids"] = [d["datastore_id"] for d in pool["storage_settings"]["datastores"]]
    account = tx.get(IC_DOMAIN_ACCOUNT, pool["customization_settings"].get("instant_clone_domain_account_id") or "")
    domain = tx.get(AD_DOMAIN, account["ad_domain_id"]) if account else None
    pool["_dns_domain"] = domain["dns_name"] if domain else "example.com"
    if pool.get("naming_method") == "SPECIFIED":
        entries = pool["specific_naming_settings"].pop("specified_names")
        pool["_specified_names"] = [e["name"] for e in entries]
        pool["_specified_users"] = {e["name"]: e["user_id"] for e in entries if e.get("user_id")}
    status: dict[str, Any] = {}
    pool["provisioning_status_data"] = status
    if pool["source"] == "INSTANT_CLONE":
        status.update({"instant_clone_operation": "NONE"})


def create_pool(tx: Transaction, spec: dict[str, Any], now: int, caller: Caller | None = None) -> dict[str, Any]:
    """Create a desktop pool from a create spec of any version; the API and scenarios both come here."""
    if _same_name(tx, spec["name"]):
        raise Conflict("inventory.desktop.pool.name.in.use", f"A desktop pool named {spec['name']!r} already exists.")
    pool = pool_from_spec(spec, now)
    if tx.get(LOCAL_ACCESS_GROUP, pool["access_group_id"]) is None:
        raise refuse("invalid.reference", f"Field 'access_group_id' names no access group ({pool['access_group_id']!r}).")
    if caller is not None and not caller.has("POOL_MANAGEMENT", pool["access_group_id"]):
        raise Forbidden("common.forbidden", "The caller lacks POOL_MANAGEMENT on the pool's access group.")
    check_pool(tx, pool)
    if pool["type"] == "AUTOMATED":
        _prepare_automated(tx, pool)
        if pool["source"] == "INSTANT_CLONE":
            provisioning.start_initial_publish(tx, pool, now)
        else:
            provisioning.request_reconcile(tx, pool["id"], now)
    tx.insert(KIND, pool["id"], pool)
    if pool["type"] == "MANUAL" and spec.get("machines"):
        failures = [item for item in manual_machines.add(tx, tx.get(KIND, pool["id"]), spec["machines"], now)
                    if item["status_code"] >= 400]
        if failures:
            error = failures[0]["errors"][0]
            raise refuse("machine.invalid", f"Field 'machines': {error['error_message']}")
    return pool


@operation("createDesktopPool", "createDesktopPoolV2", "createDesktopPoolV7", "createDesktopPoolV8")
def create_desktop_pool(request: OperationRequest) -> None:
    create_pool(request.tx, request.body, request.now, request.caller)


# -- reads --------------------------------------------------------------------------------

def view(doc: dict[str, Any], version: int) -> dict[str, Any]:
    """The per-version mapping of the canonical document, before projection."""
    if 2 <= version <= 4 and "shortcut_locations_v2" in doc:
        doc = {**doc, "shortcut_locations": doc["shortcut_locations_v2"]}
    if version == 1:
        session = doc.get("session_settings") or {}
        doc = {**doc, "settings": {
            "session_type": doc.get("session_type"), "enable_client_restrictions": doc.get("enable_client_restrictions"),
            "category_folder_name": doc.get("category_folder_name"), "cloud_managed": doc.get("cloud_managed"),
            "cloud_assigned": doc.get("cloud_assigned"), "cs_restriction_tags": doc.get("cs_restriction_tags"),
            "delete_in_progress": doc.get("delete_in_progress"), "shortcut_locations": doc.get("shortcut_locations_v2"),
            "allow_mutilple_sessions_per_user": session.get("allow_multiple_sessions_per_user"),
            "session_settings": session, "display_protocol_settings": doc.get("display_protocol_settings")}}
    return doc


@operation("listDesktopPools", "listDesktopPoolsV2", "listDesktopPoolsV3", "listDesktopPoolsV4",
           "listDesktopPoolsV5", "listDesktopPoolsV6", "listDesktopPoolsV7", "listDesktopPoolsV8")
def list_desktop_pools(request: OperationRequest) -> Page:
    page = list_documents(request, KIND)
    return Page([view(doc, request.op.version) for doc in page.items], page.total)


@operation("getDesktopPool", "getDesktopPoolV2", "getDesktopPoolV3", "getDesktopPoolV4",
           "getDesktopPoolV5", "getDesktopPoolV6", "getDesktopPoolV7", "getDesktopPoolV8")
def get_desktop_pool(request: OperationRequest) -> dict[str, Any]:
    return view(get_document(request, KIND, "inventory.desktop.pool.not.found", "Desktop pool"), request.op.version)


def find_pool(request: OperationRequest, privilege: str) -> dict[str, Any]:
    """The pool of the path, visible to the caller, who must hold `privilege` on its access group."""
    return find_resource(request, KIND, request.path["id"], view="POOL_VIEW", privilege=privilege,
                         not_found_key="inventory.desktop.pool.not.found", what="Desktop pool")


@operation("checkDesktopPoolNameAvailability")
def check_name_availability(request: OperationRequest) -> dict[str, Any]:
    return {"available": _same_name(request.tx, request.body["name"]) is None}


# -- delete -------------------------------------------------------------------------------

@operation("deleteDesktopPool", "deleteDesktopPoolV7", "deleteDesktopPoolV8", empty_body=True)
def delete_desktop_pool(request: OperationRequest) -> None:
    tx = request.tx
    pool = find_pool(request, "POOL_MANAGEMENT")
    if pool.get("delete_in_progress"):
        raise refuse("delete.in.progress", "The desktop pool is already being deleted.")
    machines = provisioning.pool_machines(tx, pool["id"])
    if request.query.get("enforce_associated_session_check") and tx.list(
            "session", where={"desktop_pool_id": pool["id"]})[1]:
        raise refuse("has.sessions", "The desktop pool has sessions; log them off or delete without the session "
                                     "check.")
    for task in tx.list("desktop_pool_task", where={"desktop_pool_id": pool["id"]})[0]:
        tx.delete("desktop_pool_task", task["id"])  # the pool's push image task (images.rollout) ends with it
    pool["_task_id"] = None
    if not machines:
        tx.delete(KIND, pool["id"])
        return
    pool.update({"delete_in_progress": True, "enabled": False, "enable_provisioning": False,
                 "_delete_from_disk": bool((request.body or {}).get("delete_from_disk"))})
    tx.update(KIND, pool["id"], pool)
    for machine in machines:
        if machine["state"] != "DELETING":
            provisioning.start_machine_delete(tx, machine, request.now)


# -- bulk switches ------------------------------------------------------------------------

def _clear_provisioning_error(pool: dict[str, Any]) -> None:
    """Switching provisioning back on clears the last error (and provisioning retries)."""
    status = pool.setdefault("provisioning_status_data", {})
    status.pop("last_provisioning_error", None)
    status.pop("last_provisioning_error_time", None)


def _bulk(request: OperationRequest, privilege: str, change: dict[str, Any], automated_only: bool = False) -> list:
    def act(pool: dict[str, Any]) -> None:
        if automated_only and pool["type"] != "AUTOMATED":
            raise BadRequest("inventory.desktop.pool.not.automated", "Provisioning applies to automated desktop pools "
                                                                      "only.")
        pool.update(change)
        if change.get("enable_provisioning"):
            _clear_provisioning_error(pool)
        request.tx.update(KIND, pool["id"], pool)
        if change.get("enable_provisioning"):
            provisioning.request_reconcile(request.tx, pool["id"], request.now)

    return for_each(request, KIND, request.body, view="POOL_VIEW", privileges=(privilege,),
                    not_found_key="inventory.desktop.pool.not.found", what="Desktop pool", act=act)


@operation("enableDesktopPools")
def enable_desktop_pools(request: OperationRequest) -> list:
    return _bulk(request, "POOL_ENABLE", {"enabled": True})


@operation("disableDesktopPools")
def disable_desktop_pools(request: OperationRequest) -> list:
    return _bulk(request, "POOL_ENABLE", {"enabled": False})


@operation("enableProvisioningForDesktopPools")
def enable_provisioning(request: OperationRequest) -> list:
    return _bulk(request, "POOL_MANAGEMENT", {"enable_provisioning": True}, automated_only=True)


@operation("disableProvisioningForDesktopPools")
def disable_provisioning(request: OperationRequest) -> list:
    return _bulk(request, "POOL_MANAGEMENT", {"enable_provisioning": False}, automated_only=True)


@operation("addMachines")
def add_machines(request: OperationRequest) -> list[dict[str, Any]]:
    pool = find_pool(request, "POOL_MANAGEMENT")
    if pool["type"] != "MANUAL" or pool.get("source") != "VIRTUAL_CENTER":
        raise refuse("not.manual", "Machines can be added only to manual desktop pools of vCenter virtual machines.")
    return manual_machines.add(request.tx, pool, request.body, request.now)


# -- update -------------------------------------------------------------------------------

# Fields an update may not change: they are not in any update spec.
_FIXED = ("name", "type", "source", "user_assignment", "naming_method", "vcenter_id", "farm_id")
_REQUIRED_ON_UPDATE = {
    "access_group_id": lambda pool: pool["type"] != "RDS",
    "allow_multiple_user_assignments": lambda pool: pool.get("user_assignment") == "DEDICATED",
    "enable_provisioning": lambda pool: pool["type"] == "AUTOMATED",
    "stop_provisioning_on_error": lambda pool: pool["type"] == "AUTOMATED",
    "transparent_page_sharing_scope": lambda pool: pool["type"] in ("MANUAL", "AUTOMATED"),
    "allow_rds_pool_multi_session_per_user": lambda pool: pool["type"] == "RDS",
    "cloud_brokered": lambda pool: pool["type"] == "RDS",
}


@operation("updateDesktopPool", "updateDesktopPoolv7", "updateDesktopPoolv8")
def update_desktop_pool(request: OperationRequest) -> None:
    """A full replacement of the updatable fields; what the spec cannot name stays as it was."""
    tx, spec = request.tx, request.body
    pool = find_pool(request, "POOL_MANAGEMENT")
    if pool.get("delete_in_progress"):
        raise refuse("delete.in.progress", "The desktop pool is being deleted.")
    for field, applies in _REQUIRED_ON_UPDATE.items():
        if applies(pool) and spec.get(field) is None:
            raise refuse("field.required", f"Field '{field}' is required to update this desktop pool.")
    new_group = spec.get("access_group_id", pool["access_group_id"])
    if new_group != pool["access_group_id"]:
        if tx.get(LOCAL_ACCESS_GROUP, new_group) is None:
            raise refuse("invalid.reference", f"Field 'access_group_id' names no access group ({new_group!r}).")
        if request.caller is not None and not request.caller.has("POOL_MANAGEMENT", new_group):
            raise Forbidden("common.forbidden", "The caller lacks POOL_MANAGEMENT on the new access group.")
    updated = copy.deepcopy(pool)
    for field, value in spec.items():
        if field in _FIXED:
            continue
        if isinstance(value, dict) and isinstance(updated.get(field), dict):
            updated[field] = {**updated[field], **value}
        else:
            updated[field] = value
    check_pool(tx, updated)
    if updated.get("enable_provisioning") and not pool.get("enable_provisioning"):
        _clear_provisioning_error(updated)
    updated["updated_at"] = request.now
    tx.update(KIND, pool["id"], updated)
    if updated["access_group_id"] != pool["access_group_id"]:
        for machine in provisioning.pool_machines(tx, pool["id"]):
            machine["access_group_id"] = updated["access_group_id"]
            tx.update(provisioning.MACHINE, machine["id"], machine)
    if updated["type"] == "AUTOMATED":
        provisioning.request_reconcile(tx, pool["id"], request.now)


@operation("addMachinesByName")
def add_machines_by_name(request: OperationRequest) -> list[dict[str, Any]]:
    """Add specified names to an automated pool named by specified names; they are provisioned next."""
    tx = request.tx
    pool = find_pool(request, "POOL_MANAGEMENT")
    if pool["type"] != "AUTOMATED" or pool.get("naming_method") != "SPECIFIED":
        raise refuse("not.specified.naming", "Machines can be added by name only to automated pools that use "
                                             "specified names.")
    names = pool.setdefault("_specified_names", [])
    assignments = pool.setdefault("_specified_users", {})
    results = []
    for entry in request.body:
        name, user_id = entry["name"], entry.get("user_id")
        problems = [NAME_PROBLEMS[status] for status in specified_name_statuses(name, names)]
        if user_id is not None and pool.get("user_assignment") != "DEDICATED":
            problems.append("users can be assigned to specified names only in dedicated pools")
        elif user_id is not None and tx.get(AD_USER, user_id) is None:
            problems.append(f"no AD user {user_id}")
        if problems:
            results.append(bulk_item(name, 400, "inventory.desktop.pool.specified.names.invalid",
                                     f"Specified name {name!r}: {'; '.join(problems)}."))
            continue
        names.append(name)
        if user_id:
            assignments[name] = user_id
        results.append(bulk_item(name, 200))
    if any(item["status_code"] == 200 for item in results):
        tx.update(KIND, pool["id"], pool)
        provisioning.request_reconcile(tx, pool["id"], request.now)
    return results


@operation("validateSpecifiedNames")
def validate_specified_names(request: OperationRequest) -> list[dict[str, Any]]:
    """Check machine (and user) names before a pool is created or extended with them."""
    tx, spec = request.tx, request.body
    taken: list[str] = []
    if spec.get("id"):
        pool = tx.get(KIND, spec["id"])
        if pool is None:
            raise NotFound("inventory.desktop.pool.not.found", f"Desktop pool with id {spec['id']} not found.")
        taken = list(tx.names(provisioning.MACHINE, where={"desktop_pool_id": pool["id"]}))
    seen_machines: list[str] = []
    seen_users: set[str] = set()
    results = []
    for entry in spec["names_spec"]:
        name, user_name = entry["machine_name"], entry.get("user_name")
        statuses = specified_name_statuses(name, seen_machines + taken)
        seen_machines.append(name)
        item: dict[str, Any] = {"machine_name": name}
        if user_name:
            item["user_name"] = user_name
            try:
                user = sessions.find_user(tx, user_name)
                item["user_id"] = user["id"]
                if user["id"] in seen_users:
                    statuses.append("DUPLICATE_USER_NAME")
                seen_users.add(user["id"])
            except NotFound:
                statuses.append("INVALID_USER_NAME")
        item["specified_names_statuses"] = statuses or ["SUCCESS"]
        results.append(item)
    return results


@operation("removeMachines")
def remove_machines(request: OperationRequest) -> list[dict[str, Any]]:
    """Take machines out of a manual pool; the virtual machines stay in vCenter."""
    pool = find_pool(request, "POOL_VIEW")  # the privilege to act is checked per machine

    def act(machine: dict[str, Any]) -> None:
        if machine["desktop_pool_id"] != pool["id"]:
            raise NotFound("inventory.machine.not.found", f"Machine {machine['id']} is not in this desktop pool.")
        if pool["type"] != "MANUAL":
            raise refuse("not.manual", "Machines can be removed only from manual pools; delete machines of "
                                       "automated pools instead.")
        if request.tx.list(sessions.KIND, where={"machine_id": machine["id"]})[1]:
            raise BadRequest("inventory.machine.has.session", f"Machine {machine['name']} has a session.")
        request.tx.delete(provisioning.MACHINE, machine["id"])

    return for_each(request, provisioning.MACHINE, request.body, view="MACHINE_VIEW",
                    privileges=("POOL_MANAGEMENT", "MACHINE_MANAGEMENT"), not_found_key="inventory.machine.not.found",
                    what="Machine", act=act)


# -- installed applications (of the pool's machines' images) -------------------------------

def _applications_by_machine(request: OperationRequest, pool: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    if pool["type"] == "RDS":
        raise refuse("rds.not.supported", "Installed applications are not listed for RDS desktop pools.")
    found: dict[str, list[dict[str, Any]]] = {}
    images: dict[str, list[dict[str, Any]]] = {}
    for machine in provisioning.pool_machines(request.tx, pool["id"]):
        vm_id = (machine.get("managed_machine_data") or {}).get("base_vm_id") or machine.get("_vm_id") or ""
        if vm_id not in images:
            vm = request.tx.get("base_vm", vm_id) or {}
            images[vm_id] = vm.get("applications", DEFAULT_APPLICATIONS if vm_id else [])
        found[machine["id"]] = images[vm_id]
    return found


@operation("listInstalledApplicationsOnDesktopPool")
def list_installed_applications(request: OperationRequest) -> list[dict[str, Any]]:
    by_machine = _applications_by_machine(request, find_pool(request, "POOL_VIEW"))
    unique = {app["executable_path"].lower(): app for apps in by_machine.values() for app in apps}
    return [unique[key] for key in sorted(unique)]


@operation("validateInstalledApplicationsOnDesktopPool")
def validate_installed_applications(request: OperationRequest) -> list[dict[str, Any]]:
    """For each executable path: SUCCESS when every machine has it, else NOT_INSTALLED with the machines
    that lack it."""
    by_machine = _applications_by_machine(request, find_pool(request, "POOL_VIEW"))
    results = []
    for path in request.body:
        lacking = [machine_id for machine_id, apps in by_machine.items()
                   if path.lower() not in {app["executable_path"].lower() for app in apps}]
        results.append({"application_exe_path": path, "status": "NOT_INSTALLED" if lacking or not by_machine
                        else "SUCCESS", "machine_or_rds_server_ids": lacking})
    return results
