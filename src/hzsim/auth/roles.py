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

# Object privileges: held on an access group, they apply to the resources in it.
POOL_AND_MACHINE = ("POOL_VIEW", "POOL_MANAGEMENT", "POOL_ENABLE", "POOL_ENTITLE", "POOL_SVI_IMAGE_MANAGEMENT",
                    "MACHINE_VIEW", "MACHINE_MANAGEMENT", "MACHINE_REBOOT", "MACHINE_MANAGE_VDI_SESSION",
                    "MACHINE_MANAGE_OFFLINE_SESSION", "MACHINE_USER_MANAGEMENT", "MACHINE_MAINTENANCE")
VIEWS = ("FOLDER_VIEW", "POOL_VIEW", "MACHINE_VIEW")

# Umbrella privilege -> the privileges it includes (transitively expanded by `expand`).
PRIVILEGE_TREE: dict[str, tuple[str, ...]] = {
    "ADMINISTRATOR": tuple(sorted(ALL_PRIVILEGES - {"ADMINISTRATOR", "API_SMART_CARD_BYPASS", "CLOUD_ADMIN",
                                                    "HORIZON_CLOUD_SERVICE"})),
    "ADMINISTRATOR_VIEW": ("LOCAL_ADMINISTRATOR_VIEW", "GLOBAL_ADMINISTRATOR_VIEW", "HELPDESK_ADMINISTRATOR_VIEW"),
    "GLOBAL_ADMINISTRATOR": ("GLOBAL_ADMINISTRATOR_VIEW", "GLOBAL_ADMIN_UI_INTERACTIVE",
                             "GLOBAL_ADMIN_SDK_INTERACTIVE", "GLOBAL_ROLE_PERMISSION_MANAGEMENT",
                             "GLOBAL_CONFIG_MANAGEMENT", "GLOBAL_MACHINE_REGISTER", "MANAGE_CERTIFICATES",
                             "LOG_COLLECTION", "FEDERATED_LDAP_MANAGE", "FEDERATED_SESSIONS_MANAGE", "UDD_MANAGEMENT",
                             "GLOBAL_CVP_REGISTER", "GLOBAL_CVP_PUBLICATION", "FORENSICS"),
    "GLOBAL_ADMINISTRATOR_VIEW": ("GLOBAL_CONFIG_VIEW", "GLOBAL_ROLE_VIEW", "GLOBAL_PERMISSION_VIEW",
                                  "FEDERATED_LDAP_VIEW", "FEDERATED_SESSIONS_VIEW", "VC_CONFIG_VIEW", "UDD_VIEW",
                                  "CVP_VIEW"),
    "GLOBAL_ROLE_PERMISSION_MANAGEMENT": ("GLOBAL_ROLE_MANAGEMENT", "GLOBAL_PERMISSION_MANAGEMENT"),
    "GLOBAL_ROLE_MANAGEMENT": ("GLOBAL_ROLE_VIEW",),
    "GLOBAL_PERMISSION_MANAGEMENT": ("GLOBAL_PERMISSION_VIEW",),
    "GLOBAL_CONFIG_MANAGEMENT": ("GLOBAL_CONFIG_VIEW", "VC_CONFIG_VIEW"),
    "GLOBAL_CONFIG_VIEW": ("VC_CONFIG_VIEW",),
    "FEDERATED_LDAP_MANAGE": ("FEDERATED_LDAP_VIEW",),
    "FEDERATED_SESSIONS_MANAGE": ("FEDERATED_SESSIONS_VIEW",),
    "UDD_MANAGEMENT": ("UDD_VIEW",),
    "LOCAL_ADMINISTRATOR": ("LOCAL_ADMINISTRATOR_VIEW", "INVENTORY_ADMINISTRATOR", "FOLDER_MANAGEMENT",
                            "CVP_MANAGEMENT", "CVP_INTERACTIVE", "CVP_OWNERSHIP"),
    "LOCAL_ADMINISTRATOR_VIEW": ("INVENTORY_ADMINISTRATOR_VIEW", "CVP_VIEW"),
    "INVENTORY_ADMINISTRATOR": ("INVENTORY_ADMINISTRATOR_VIEW", *POOL_AND_MACHINE, "MANAGE_REMOTE_PROCESS",
                                "REMOTE_ASSISTANCE"),
    "INVENTORY_ADMINISTRATOR_VIEW": VIEWS,
    "HELPDESK_ADMINISTRATOR": ("HELPDESK_ADMINISTRATOR_VIEW", "MACHINE_MANAGE_VDI_SESSION", "MACHINE_REBOOT",
                               "REMOTE_ASSISTANCE", "MANAGE_REMOTE_PROCESS", "GLOBAL_ADMIN_UI_INTERACTIVE"),
    "HELPDESK_ADMINISTRATOR_VIEW": ("POOL_VIEW", "MACHINE_VIEW", "FOLDER_VIEW", "GLOBAL_CONFIG_VIEW",
                                    "FEDERATED_SESSIONS_VIEW"),
    "FOLDER_MANAGEMENT": ("FOLDER_VIEW",),
    "POOL_MANAGEMENT": ("POOL_VIEW",),
    "MACHINE_MANAGEMENT": ("MACHINE_VIEW",),
    "CVP_MANAGEMENT": ("CVP_VIEW",),
}


@dataclass(frozen=True)
class BuiltInRole:
    name: str
    role_type: str  # RoleInfo.built_in_role_type
    privileges: tuple[str, ...]  # as the role lists them; holders get their subtrees
    applies_to_local_access_group: bool


BUILT_IN_ROLES: tuple[BuiltInRole, ...] = (
    BuiltInRole("Administrators", "ADMINISTRATOR", ("ADMINISTRATOR",), True),
    BuiltInRole("Administrators (Read only)", "ADMINISTRATOR_READ_ONLY", ("ADMINISTRATOR_VIEW",), True),
    BuiltInRole("Agent Registration Administrators", "AGENT_REGISTRATION_ADMIN", ("GLOBAL_MACHINE_REGISTER",),
                False),
    BuiltInRole("Global Configuration and Policy Administrators", "GLOBAL_CONFIG_AND_POLICY_ADMIN",
                ("GLOBAL_CONFIG_MANAGEMENT",), False),
    BuiltInRole("Global Configuration and Policy Administrators (Read only)",
                "GLOBAL_CONFIG_AND_POLICY_ADMIN_READ_ONLY", ("GLOBAL_CONFIG_VIEW",), False),
    BuiltInRole("Help Desk Administrators", "HELP_DESK_ADMIN", ("HELPDESK_ADMINISTRATOR",), True),
    BuiltInRole("Help Desk Administrators (Read only)", "HELP_DESK_ADMIN_READ_ONLY",
                ("HELPDESK_ADMINISTRATOR_VIEW",), True),
    BuiltInRole("Inventory Administrators", "INVENTORY_ADMIN", ("INVENTORY_ADMINISTRATOR",), True),
    BuiltInRole("Inventory Administrators (Read only)", "INVENTORY_ADMIN_READ_ONLY",
                ("INVENTORY_ADMINISTRATOR_VIEW",), True),
    BuiltInRole("Local Administrators", "LOCAL_ADMIN", ("LOCAL_ADMINISTRATOR",), True),
    BuiltInRole("Local Administrators (Read only)", "LOCAL_ADMIN_READ_ONLY", ("LOCAL_ADMINISTRATOR_VIEW",), True),
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
            tx.insert(ROLE, role_id, {
                "id": role_id, "name": role.name, "description": "", "built_in_role_type": role.role_type,
                "privileges": list(role.privileges), "applies_to_local_access_group": role.applies_to_local_access_group,
                "applies_to_federation_access_group": role.role_type in ("ADMINISTRATOR", "ADMINISTRATOR_READ_ONLY"),
                "built_in": True})


def create_role(tx: Transaction, name: str, description: str, privileges: list[str]) -> str:
    role_id = stable_id("role", name)
    applies_locally = all(expand(p) & set(POOL_AND_MACHINE + VIEWS + ("FOLDER_MANAGEMENT",)) == expand(p)
                          for p in privileges)
    tx.insert(ROLE, role_id, {
        "id": role_id, "name": name, "description": description, "built_in_role_type": "UNKNOWN_ROLE",
        "privileges": list(privileges), "applies_to_local_access_group": applies_locally,
        "applies_to_federation_access_group": False, "built_in": False})
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
