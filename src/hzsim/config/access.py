"""Roles, privileges, permissions and local access groups (reads).

Lists follow the privilege tables: GLOBAL_PERMISSION_VIEW reads every access group and
their permission ids, FOLDER_VIEW only the groups the caller holds it on.
"""

from __future__ import annotations

from typing import Any

from hzsim.auth import roles
from hzsim.errors import NotFound
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import page_of
from hzsim.world.active_directory import AD_USER


def _permissions(request: OperationRequest) -> list[dict[str, Any]]:
    return request.tx.list(roles.PERMISSION)[0]


def _role_view(request: OperationRequest, role: dict[str, Any]) -> dict[str, Any]:
    out = dict(role)
    if request.caller is not None and request.caller.has("GLOBAL_PERMISSION_VIEW"):
        out["permission_ids"] = [p["id"] for p in _permissions(request) if p["role_id"] == role["id"]]
    return out


@operation("listRoles")
def list_roles(request: OperationRequest) -> Page:
    return page_of([_role_view(request, role) for role in request.tx.list(roles.ROLE)[0]])


@operation("getRole")
def get_role(request: OperationRequest) -> dict[str, Any]:
    role = request.tx.get(roles.ROLE, request.path["id"])
    if role is None:
        raise NotFound("config.role.not.found", f"Role with id {request.path['id']} not found.")
    return _role_view(request, role)


@operation("listSelectablePrivileges")
def list_selectable_privileges(request: OperationRequest) -> Page:
    items = []
    for name in sorted(roles.SELECTABLE):
        subtree = sorted(roles.expand(name) - {name, "GLOBAL_ADMIN_UI_INTERACTIVE", "GLOBAL_ADMIN_SDK_INTERACTIVE"})
        items.append({"name": name, **({"sub_privileges": subtree} if subtree else {})})
    return page_of(items)


def _permission_view(request: OperationRequest, permission: dict[str, Any]) -> dict[str, Any]:
    principal = request.tx.get(AD_USER, permission["ad_user_or_group_id"]) or {}
    return {**permission, "group": principal.get("group", False), "display_name": principal.get("display_name")}


@operation("listPermissions", "listPermissionsV2")
def list_permissions(request: OperationRequest) -> Page:
    ids = set(request.query.get("ids") or [])
    items = [_permission_view(request, p) for p in _permissions(request) if not ids or p["id"] in ids]
    return page_of(items)


@operation("getPermission", "getPermissionV2")
def get_permission(request: OperationRequest) -> dict[str, Any]:
    permission = request.tx.get(roles.PERMISSION, request.path["id"])
    if permission is None:
        raise NotFound("config.permission.not.found", f"Permission with id {request.path['id']} not found.")
    return _permission_view(request, permission)


def _visible_groups(request: OperationRequest) -> list[dict[str, Any]]:
    groups = request.tx.list(roles.LOCAL_ACCESS_GROUP)[0]
    caller = request.caller
    if caller is None or caller.has("GLOBAL_PERMISSION_VIEW"):
        permissions = _permissions(request)
        for group in groups:
            group["permission_ids"] = [p["id"] for p in permissions if p["local_access_group_id"] == group["id"]]
        return groups
    return [group for group in groups if caller.has("FOLDER_VIEW", group["id"])]


@operation("listLocalAccessGroups", "listLocalAccessGroupsV2")
def list_local_access_groups(request: OperationRequest) -> Page:
    return page_of(_visible_groups(request))


@operation("getLocalAccessGroup", "getLocalAccessGroupV2")
def get_local_access_group(request: OperationRequest) -> dict[str, Any]:
    for group in _visible_groups(request):
        if group["id"] == request.path["id"]:
            return group
    raise NotFound("config.local.access.group.not.found", f"Local access group with id {request.path['id']} "
                                                          "not found.")
