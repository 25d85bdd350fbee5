"""Desktop pool policies and per-user policy overrides.

A policy value is ALLOW, DENY or INHERIT; the effective value resolves INHERIT from the user
override to the pool's policy to the global default (ALLOW; PCoIP hardware acceleration
priority MEDIUM). Overrides are documents (kind `user_policy_override`) so that their list
pages, filters and sorts in the database like any other list.
"""

from __future__ import annotations

from typing import Any

from hzsim.entitlements.desktop_pools import entitled_user_ids

from hzsim.inventory.desktop_pools import find_pool
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import bulk_item
from hzsim.world.active_directory import AD_USER

OVERRIDE = "user_policy_override"
POOL = "desktop_pool"
GLOBAL_DEFAULTS = {"allow_multimedia_redirection": "ALLOW", "allow_pcoip_hardware_acceleration": "ALLOW",
                   "allow_remote_mode": "ALLOW", "allow_usb_access": "ALLOW",
                   "pcoip_hardware_acceleration_priority": "MEDIUM"}
POOL_DEFAULTS = {name: "INHERIT" for name in GLOBAL_DEFAULTS if name != "pcoip_hardware_acceleration_priority"}


def pool_policies(pool: dict[str, Any]) -> dict[str, Any]:
    return {**POOL_DEFAULTS, **(pool.get("_policies") or {})}


def effective(*layers: dict[str, Any]) -> dict[str, Any]:
    """Resolve INHERIT through the layers, most specific first, down to the global defaults."""
    result = {}
    for name, default in GLOBAL_DEFAULTS.items():
        value = next((layer[name] for layer in layers if layer.get(name) not in (None, "INHERIT")), default)
        result[name] = value
    return result


@operation("listPoliciesOnDesktopPool")
def list_pool_policies(request: OperationRequest) -> dict[str, Any]:
    pool = find_pool(request, "POOL_VIEW")
    policies = pool_policies(pool)
    return {"resource_policies": policies, "effective_policies": effective(policies)}


@operation("updatesPoliciesOnDesktopPool")
def update_pool_policies(request: OperationRequest) -> None:
    pool = find_pool(request, "POOL_MANAGEMENT")
    pool["_policies"] = {**pool_policies(pool), **request.body}
    request.tx.update(POOL, pool["id"], pool)


def _override_view(request: OperationRequest, override: dict[str, Any]) -> dict[str, Any]:
    pool = request.tx.get(POOL, override["desktop_pool_id"]) or {}
    return {**override, "effective_policies": effective(override["user_policies"], pool_policies(pool))}


@operation("listUserPoliciesOverrides")
def list_overrides(request: OperationRequest) -> Page:
    where = {"desktop_pool_id": request.query["desktop_pool_id"]} if request.query.get("desktop_pool_id") else None
    caller = request.caller
    groups = caller.groups_with("POOL_VIEW") if caller is not None else None
    items, total = request.tx.list(OVERRIDE, request.list_query, access_groups=groups, where=where)
    if request.query.get("unentitled_policies"):
        # Overrides of users who are no longer entitled to the pool.
        items = [o for o in items if o["user_id"] not in entitled_user_ids(request.tx, o["desktop_pool_id"])]
        total = len(items)
    return Page([_override_view(request, o) for o in items], total)


def _override_id(pool_id: str, user_id: str) -> str:
    return f"{pool_id}:{user_id}"


@operation("createPolicyOverridesForUsers")
def create_overrides(request: OperationRequest) -> list[dict[str, Any]]:
    pool = find_pool(request, "POOL_MANAGEMENT")
    results = []
    for spec in request.body:
        user = request.tx.get(AD_USER, spec["user_id"])
        override_id = _override_id(pool["id"], spec["user_id"])
        if user is None:
            results.append(bulk_item(spec["user_id"], 404, "inventory.policy.user.not.found",
                                     f"No AD user or group {spec['user_id']}."))
        elif request.tx.get(OVERRIDE, override_id) is not None:
            results.append(bulk_item(spec["user_id"], 409, "inventory.policy.override.exists",
                                     "The user already has policy overrides on this pool; update them."))
        else:
            request.tx.insert(OVERRIDE, override_id, {
                "id": override_id, "desktop_pool_id": pool["id"], "desktop_pool_name": pool["name"],
                "access_group_id": pool["access_group_id"], "user_id": user["id"],
                "user_display_name": user.get("display_name"), "user_principal_name": user.get("user_principal_name"),
                "name": user.get("display_name"), "user_policies": spec["user_policies"]})
            results.append(bulk_item(spec["user_id"], 200))
    return results


@operation("updatePolicyOverridesForUsers")
def update_overrides(request: OperationRequest) -> list[dict[str, Any]]:
    pool = find_pool(request, "POOL_MANAGEMENT")
    results = []
    for spec in request.body:
        override = request.tx.get(OVERRIDE, _override_id(pool["id"], spec["user_id"]))
        if override is None:
            results.append(bulk_item(spec["user_id"], 404, "inventory.policy.override.not.found",
                                     "The user has no policy overrides on this pool."))
            continue
        override["user_policies"] = spec["user_policies"]
        request.tx.update(OVERRIDE, override["id"], override)
        results.append(bulk_item(spec["user_id"], 200))
    return results


@operation("DeletePolicyOverridesForUsers")
def delete_overrides(request: OperationRequest) -> list[dict[str, Any]]:
    pool = find_pool(request, "POOL_MANAGEMENT")
    results = []
    for user_id in request.body:
        if request.tx.delete(OVERRIDE, _override_id(pool["id"], user_id)):
            results.append(bulk_item(user_id, 200))
        else:
            results.append(bulk_item(user_id, 404, "inventory.policy.override.not.found",
                                     "The user has no policy overrides on this pool."))
    return results



