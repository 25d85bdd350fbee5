"""Roles, privileges and access groups, as Horizon defines them.

A role holds privileges; some privileges are umbrellas that include others (ADMINISTRATOR
includes everything; INVENTORY_ADMINISTRATOR the pool and machine privileges). Holding a
privilege means holding its whole subtree. A permission grants a role to an AD user or group
on a local access group; a permission on a group also applies to the groups below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hzsim.ids import stable_id
from hzsim.contract import load_contract
from hzsim.store import Transaction

ROLE, PERMISSION, LOCAL_ACCESS_GROUP = "role", "permission", "local_access_group"

ALL_PRIVILEGES = frozenset(load_contract().schema("RoleInfo")["properties"]["privileges"]["items"]["enum"]) - {
    "UNKNOWN_PRIVILEGE"}

# Privileges a role may be created with; the others are umbrellas and parts of them.
SELECTABLE = frozenset({
    "VC_CONFIG_VIEW", "LOG_COLLECTION", "FORENSICS", "MANAGE_CERTIFICATES", "HELPDESK_ADMINISTRATOR_VIEW",
    "FEDERATED_LDAP_MANAGE", "FEDERATED_SESSIONS_MANAGE", "GLOBAL_MACHINE_REGISTER", "GLOBAL_ROLE_PERMISSION_MANAGEMENT",
    "GLOBAL_CONFIG_MANAGEMENT", "FOLDER_MANAGEMENT", "POOL_MANAGEMENT", "POOL_ENABLE", "POOL_ENTITLE",
    "POOL_SVI_IMAGE_MANAGEMENT", "MACHINE_MANAGEMENT", "MACHINE_REBOOT", "MACHINE_MANAGE_VDI_SESSION",
    "MACHINE_MANAGE_OFFLINE_SESSION", "MACHINE_USER_MANAGEMENT", "MACHINE_MAINTENANCE", "MANAGE_REMOTE_PROCESS",
    "REMOTE_ASSISTANCE", "API_SMART_CARD_BYPASS", "UDD_MANAGEMENT", "HORIZON_CLOUD_SERVICE", "SUBSCRIPTION_LICENSE_ADD",
    "CLOUD_ADMIN"})
# Inventory privileges: a role with one of them applies to local access groups.
INVENTORY = frozenset({"POOL_VIEW", "POOL_MANAGEMENT", "POOL_ENABLE", "POOL_ENTITLE", "POOL_SVI_IMAGE_MANAGEMENT",
                       "MACHINE_VIEW", "MACHINE_MANAGEMENT", "MACHINE_REBOOT", "MACHINE_MANAGE_VDI_SESSION",
                       "MACHINE_MANAGE_OFFLINE_SESSION", "MACHINE_USER_MANAGEMENT", "MACHINE_MAINTENANCE",
                       "MANAGE_REMOTE_PROCESS", "REMOTE_ASSISTANCE", "UDD_VIEW", "UDD_MANAGEMENT", "FOLDER_VIEW"})
FEDERATED = frozenset({"FEDERATED_LDAP_MANAGE", "FEDERATED_LDAP_VIEW", "FEDERATED_SESSIONS_MANAGE",
                       "FEDERATED_SESSIONS_VIEW"})
_VIEWS = ("MACHINE_VIEW", "POOL_VIEW")

# Privilege -> the privileges it includes (expanded transitively by `expand`). Docs/notes: docs/roles.md.
PRIVILEGE_TREE: dict[str, tuple[str, ...]] = {
    "FORENSICS": ("MACHINE_VIEW",),
    "POOL_MANAGEMENT": ("POOL_ENABLE", "POOL_ENTITLE", "POOL_SVI_IMAGE_MANAGEMENT", *_VIEWS),
    "POOL_ENABLE": _VIEWS, "POOL_ENTITLE": _VIEWS, "POOL_SVI_IMAGE_MANAGEMENT": _VIEWS,
    "MACHINE_MANAGEMENT": ("MACHINE_REBOOT", "MACHINE_MANAGE_VDI_SESSION", "MACHINE_MANAGE_OFFLINE_SESSION",
                           "MACHINE_USER_MANAGEMENT", "MACHINE_MAINTENANCE", "MANAGE_REMOTE_PROCESS", "REMOTE_ASSISTANCE",
                           *_VIEWS),
    "MACHINE_REBOOT": _VIEWS, "MACHINE_MANAGE_VDI_SESSION": _VIEWS, "MACHINE_MANAGE_OFFLINE_SESSION": _VIEWS,
    "MACHINE_USER_MANAGEMENT": _VIEWS, "MACHINE_MAINTENANCE": _VIEWS, "MANAGE_REMOTE_PROCESS": _VIEWS,
    "REMOTE_ASSISTANCE": _VIEWS,
    "UDD_MANAGEMENT": ("UDD_VIEW",),
    "FEDERATED_LDAP_MANAGE": ("FEDERATED_LDAP_VIEW", *_VIEWS),
    "FEDERATED_SESSIONS_MANAGE": ("FEDERATED_SESSIONS_VIEW",),
    "GLOBAL_CONFIG_MANAGEMENT": ("GLOBAL_CONFIG_VIEW",),
    "FOLDER_MANAGEMENT": ("FOLDER_VIEW", "GLOBAL_ROLE_VIEW", "GLOBAL_PERMISSION_VIEW"),
    "GLOBAL_ROLE_PERMISSION_MANAGEMENT": ("GLOBAL_ROLE_MANAGEMENT", "GLOBAL_ROLE_VIEW", "GLOBAL_PERMISSION_MANAGEMENT",
                                          "GLOBAL_PERMISSION_VIEW"),
    "GLOBAL_ROLE_MANAGEMENT": ("GLOBAL_ROLE_VIEW",),
    "GLOBAL_PERMISSION_MANAGEMENT": ("GLOBAL_PERMISSION_VIEW",),
    "HELPDESK_ADMINISTRATOR_VIEW": ("GLOBAL_CONFIG_VIEW", *_VIEWS, "FEDERATED_SESSIONS_VIEW"),
    "HORIZON_CLOUD_SERVICE": ("SUBSCRIPTION_LICENSE_ADD", "GLOBAL_CVP_REGISTER", "GLOBAL_CONFIG_VIEW", "POOL_VIEW",
                              "CLOUD_ADMIN"),
    "ADMINISTRATOR_VIEW": ("LOCAL_ADMINISTRATOR_VIEW", "INVENTORY_ADMINISTRATOR_VIEW", "GLOBAL_ADMINISTRATOR_VIEW",
                           "GLOBAL_CONFIG_VIEW", "HELPDESK_ADMINISTRATOR_VIEW", "GLOBAL_ROLE_VIEW", "GLOBAL_PERMISSION_VIEW",
                           "FOLDER_VIEW", *_VIEWS, "UDD_VIEW", "VC_CONFIG_VIEW", "FEDERATED_LDAP_VIEW",
                           "FEDERATED_SESSIONS_VIEW", "CVP_VIEW"),
    "LOCAL_ADMINISTRATOR_VIEW": ("INVENTORY_ADMINISTRATOR_VIEW", "GLOBAL_CONFIG_VIEW", "HELPDESK_ADMINISTRATOR_VIEW",
                                 "FOLDER_VIEW", *_VIEWS, "UDD_VIEW", "VC_CONFIG_VIEW"),
    "INVENTORY_ADMINISTRATOR_VIEW": (*_VIEWS, "UDD_VIEW", "FOLDER_VIEW"),
    "INVENTORY_ADMINISTRATOR": ("INVENTORY_ADMINISTRATOR_VIEW", "POOL_MANAGEMENT", "MACHINE_MANAGEMENT", "UDD_MANAGEMENT"),
    "GLOBAL_ADMINISTRATOR_VIEW": ("GLOBAL_CONFIG_VIEW", "FEDERATED_LDAP_VIEW"),
    "GLOBAL_ADMINISTRATOR": ("GLOBAL_ADMINISTRATOR_VIEW", "GLOBAL_CONFIG_MANAGEMENT"),
    "HELPDESK_ADMINISTRATOR": ("HELPDESK_ADMINISTRATOR_VIEW", "MACHINE_MANAGEMENT", "FEDERATED_SESSIONS_MANAGE"),
    "LOCAL_ADMINISTRATOR": ("LOCAL_ADMINISTRATOR_VIEW", "INVENTORY_ADMINISTRATOR", "HELPDESK_ADMINISTRATOR",
                            "GLOBAL_CONFIG_MANAGEMENT", "FOLDER_MANAGEMENT", "VC_CONFIG_VIEW", "GLOBAL_MACHINE_REGISTER"),
    "ADMINISTRATOR": ("ADMINISTRATOR_VIEW", "LOCAL_ADMINISTRATOR", "GLOBAL_ADMINISTRATOR",
                      "GLOBAL_ROLE_PERMISSION_MANAGEMENT", "FEDERATED_LDAP_MANAGE", "FEDERATED_SESSIONS_MANAGE",
                      "GLOBAL_ADMIN_SDK_INTERACTIVE", "GLOBAL_ADMIN_UI_INTERACTIVE", "LOG_COLLECTION", "FORENSICS",
                      "MANAGE_CERTIFICATES", "GLOBAL_CVP_REGISTER", "GLOBAL_CVP_PUBLICATION", "CVP_INTERACTIVE",
                      "CVP_MANAGEMENT", "CVP_OWNERSHIP"),
}


@dataclass(frozen=True)
class BuiltInRole:
    name: str
    role_type: str  # RoleInfo.built_in_role_type
    privileges: tuple[str, ...]  # as the role lists them; holders get their subtrees too
    applies_to_local_access_group: bool
    applies_to_federation_access_group: bool


_UI = "GLOBAL_ADMIN_UI_INTERACTIVE"
BUILT_IN_ROLES: tuple[BuiltInRole, ...] = (
    BuiltInRole("Administrators", "ADMINISTRATOR", ("ADMINISTRATOR",), True, True),
    BuiltInRole("Administrators (Read only)", "ADMINISTRATOR_READ_ONLY",
                ("ADMINISTRATOR_VIEW", _UI, "GLOBAL_ADMIN_SDK_INTERACTIVE"), True, True),
    BuiltInRole("Agent Registration Administrators", "AGENT_REGISTRATION_ADMIN", ("GLOBAL_MACHINE_REGISTER",),
                False, False),
    BuiltInRole("Global Configuration and Policy Administrators", "GLOBAL_CONFIG_AND_POLICY_ADMIN",
                (_UI, "GLOBAL_CONFIG_MANAGEMENT", "GLOBAL_CONFIG_VIEW", "GLOBAL_CVP_PUBLICATION"), False, False),
    BuiltInRole("Global Configuration and Policy Administrators (Read only)",
                "GLOBAL_CONFIG_AND_POLICY_ADMIN_READ_ONLY", (_UI, "GLOBAL_CONFIG_VIEW"), False, False),
    BuiltInRole("Help Desk Administrators", "HELP_DESK_ADMIN", ("HELPDESK_ADMINISTRATOR", _UI), True, True),
    BuiltInRole("Help Desk Administrators (Read only)", "HELP_DESK_ADMIN_READ_ONLY",
                ("HELPDESK_ADMINISTRATOR_VIEW", _UI), True, True),
    BuiltInRole("Inventory Administrators", "INVENTORY_ADMIN", ("INVENTORY_ADMINISTRATOR", _UI), True, False),
    BuiltInRole("Inventory Administrators (Read only)", "INVENTORY_ADMIN_READ_ONLY",
                ("INVENTORY_ADMINISTRATOR_VIEW", _UI), True, False),
    BuiltInRole("Local Administrators", "LOCAL_ADMIN", ("LOCAL_ADMINISTRATOR", _UI), True, False),
    BuiltInRole("Local Administrators (Read only)", "LOCAL_ADMIN_READ_ONLY", ("LOCAL_ADMINISTRATOR_VIEW", _UI),
                True, False),
)
BUILT_IN_BY_NAME = {role.name: role for role in BUILT_IN_ROLES}


@cache
def expand(privilege: str) -> frozenset[str]:
    """A privilege and everything it includes."""
    found = {privilege}
    for child in PRIVILEGE_TREE.get(privilege, ()):
        found |= expand(child)
    return frozenset(found)


def effective(privileges: list[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(expand(p) for p in privileges)) if privileges else frozenset()


def create_built_in_roles(tx: Transaction) -> None:
    for role in BUILT_IN_ROLES:
        role_id = stable_id("role", role.name)
        if tx.get(ROLE, role_id) is None:
            # A built-in role lists every privilege it grants, umbrellas expanded.
            tx.insert(ROLE, role_id, {
                "id": role_id, "name": role.name, "description": "", "built_in_role_type": role.role_type,
                "privileges": sorted(effective(role.privileges)),
                "applies_to_local_access_group": role.applies_to_local_access_group,
                "applies_to_federation_access_group": role.applies_to_federation_access_group, "built_in": True})


def create_role(tx: Transaction, name: str, description: str, privileges: list[str]) -> str:
    """A custom role. Its privileges are listed with what they include; Console Interaction is
    added as Horizon adds it to every new role."""
    role_id = stable_id("role", name)
    granted = effective(tuple(privileges) + (_UI,))
    tx.insert(ROLE, role_id, {
        "id": role_id, "name": name, "description": description, "privileges": sorted(granted),
        "applies_to_local_access_group": bool(granted & INVENTORY),
        "applies_to_federation_access_group": bool(granted & FEDERATED), "built_in": False})
    return role_id


def create_access_group(tx: Transaction, name: str, description: str, parent_id: str | None) -> str:
    group_id = stable_id("local_access_group", name)
    if tx.get(LOCAL_ACCESS_GROUP, group_id) is None:
        tx.insert(LOCAL_ACCESS_GROUP, group_id, {"id": group_id, "name": name, "description": description,
                                                 "parent_id": parent_id, "deletable": parent_id is not None})
    return group_id


def create_permission(tx: Transaction, principal_id: str, role_id: str, access_group_id: str) -> str:
    permission_id = stable_id("permission", principal_id, role_id, access_group_id)
    if tx.get(PERMISSION, permission_id) is None:
        tx.insert(PERMISSION, permission_id, {"id": permission_id, "ad_user_or_group_id": principal_id,
                                              "role_id": role_id, "local_access_group_id": access_group_id})
    return permission_id
