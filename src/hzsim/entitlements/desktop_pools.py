"""Desktop pool entitlements: the AD users and groups allowed to log on to a pool.

One document per pool (kind `desktop_pool_entitlement`, id = the pool's id) lists the
principals. Bulk answers carry one item per pool; one bad item never undoes the others.
"""

from __future__ import annotations

from typing import Any

from hzsim.errors import NotFound
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import page_of
from hzsim.store import Transaction
from hzsim.world.active_directory import AD_USER

KIND = "desktop_pool_entitlement"
POOL = "desktop_pool"


def entitled_ids(tx: Transaction, pool_id: str) -> list[str]:
    doc = tx.get(KIND, pool_id)
    return list(doc["ad_user_or_group_ids"]) if doc else []


def entitled_user_ids(tx: Transaction, pool_id: str) -> set[str]:
    """Every AD user entitled to the pool, directly or as a member of an entitled group (nested)."""
    users: set[str] = set()
    seen: set[str] = set()
    pending = entitled_ids(tx, pool_id)
    while pending:
        principal = tx.get(AD_USER, pending.pop())
        if principal is None or principal["id"] in seen:
            continue
        seen.add(principal["id"])
        if principal.get("group"):
            pending.extend(principal.get("member_ids", []))
        else:
            users.add(principal["id"])
    return users


def entitle(tx: Transaction, pool_id: str, principal_ids: list[str]) -> None:
    doc = tx.get(KIND, pool_id)
    if doc is None:
        tx.insert(KIND, pool_id, {"id": pool_id, "ad_user_or_group_ids": sorted(set(principal_ids))})
    else:
        doc["ad_user_or_group_ids"] = sorted(set(doc["ad_user_or_group_ids"]) | set(principal_ids))
        tx.update(KIND, pool_id, doc)


def _visible(request: OperationRequest, pool: dict[str, Any] | None) -> bool:
    return pool is not None and (request.caller is None or request.caller.has("POOL_VIEW", pool["access_group_id"]))


@operation("listDesktopPoolEntitlements")
def list_entitlements(request: OperationRequest) -> Page:
    items = []
    for pool in request.tx.list(POOL)[0]:
        if _visible(request, pool):
            items.append({"id": pool["id"], "ad_user_or_group_ids": entitled_ids(request.tx, pool["id"])})
    return page_of(items)


@operation("getDesktopPoolEntitlements")
def get_entitlements(request: OperationRequest) -> dict[str, Any]:
    pool = request.tx.get(POOL, request.path["id"])
    if not _visible(request, pool):
        raise NotFound("inventory.desktop.pool.not.found", f"Desktop pool with id {request.path['id']} not found.")
    return {"id": pool["id"], "ad_user_or_group_ids": entitled_ids(request.tx, pool["id"])}


def _bulk(request: OperationRequest, add: bool) -> list[dict[str, Any]]:
    results = []
    for spec in request.body:
        pool = request.tx.get(POOL, spec["id"])
        error = None
        if not _visible(request, pool):
            error = (404, "inventory.desktop.pool.not.found", "Desktop pool not found.")
        elif request.caller is not None and not request.caller.has("POOL_ENTITLE", pool["access_group_id"]):
            error = (403, "common.forbidden", "The caller lacks POOL_ENTITLE on the pool's access group.")
        else:
            unknown = [i for i in spec["ad_user_or_group_ids"] if request.tx.get(AD_USER, i) is None]
            if unknown:
                error = (400, "entitlements.ad.user.or.group.invalid", f"No AD user or group {unknown[0]}.")
        if error:
            results.append({"id": spec["id"], "status_code": error[0],
                            "errors": [{"error_key": error[1], "error_message": error[2]}]})
            continue
        if add:
            entitle(request.tx, pool["id"], spec["ad_user_or_group_ids"])
            refresh_unentitled(request.tx, pool["id"])
        else:
            doc = request.tx.get(KIND, pool["id"])
            if doc is not None:
                doc["ad_user_or_group_ids"] = [i for i in doc["ad_user_or_group_ids"]
                                               if i not in set(spec["ad_user_or_group_ids"])]
                request.tx.update(KIND, pool["id"], doc)
            refresh_unentitled(request.tx, pool["id"])
        results.append({"id": spec["id"], "status_code": 200})
    return results


@operation("bulkCreateDesktopPoolEntitlements")
def create_entitlements(request: OperationRequest) -> list[dict[str, Any]]:
    return _bulk(request, add=True)


@operation("bulkDeleteDesktopPoolEntitlements")
def delete_entitlements(request: OperationRequest) -> list[dict[str, Any]]:
    return _bulk(request, add=False)


def refresh_unentitled(tx: Transaction, pool_id: str) -> None:
    """Recompute, for the pool's assigned machines, which assigned users are no longer entitled."""
    entitled = entitled_user_ids(tx, pool_id)
    for machine in tx.list("machine", where={"desktop_pool_id": pool_id})[0]:
        unentitled = sorted(u for u in machine.get("user_ids") or [] if u not in entitled)
        if unentitled != machine.get("unentitled_assigned_users", []):
            machine["unentitled_assigned_users"] = unentitled
            machine["has_unentitled_users"] = bool(unentitled)
            tx.update("machine", machine["id"], machine)
