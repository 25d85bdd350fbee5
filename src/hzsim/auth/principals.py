"""Who is calling and what they may do.

The caller is an AD user (`ad_user` document). Their privileges are the union, over every
permission granted to them or to a group they belong to (directly or through other groups),
of the permission's role privileges with their subtrees, held on the permission's access
group and on every group below it. They are kept per access group so that a resource check
can ask about the group the resource is in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hzsim.auth import roles
from hzsim.errors import Unauthorized
from hzsim.ids import stable_id
from hzsim.store import Transaction
from hzsim.world.active_directory import expand_groups

ROOT_ACCESS_GROUP = "Root"
ROOT_ACCESS_GROUP_ID = stable_id("local_access_group", ROOT_ACCESS_GROUP)
# Kinds whose change alters what some caller may do.
AUTH_KINDS = frozenset({"ad_user", "role", "permission", "local_access_group"})

__all__ = ["AUTH_KINDS", "ROOT_ACCESS_GROUP", "ROOT_ACCESS_GROUP_ID", "Caller", "authenticate", "find_user",
           "privileges_of", "stable_id"]


@dataclass(frozen=True)
class Caller:
    user_id: str
    domain: str
    username: str
    session_id: str
    privileges: dict[str, frozenset[str]] = field(default_factory=dict)  # access group id -> privileges

    def has(self, privilege: str, access_group_id: str | None = None) -> bool:
        """Whether the caller holds `privilege` on the group (or on any group when None)."""
        if access_group_id is not None:
            return privilege in self.privileges.get(access_group_id, frozenset())
        return any(privilege in held for held in self.privileges.values())

    def groups_with(self, privilege: str) -> set[str]:
        return {group for group, held in self.privileges.items() if privilege in held}


def find_user(tx: Transaction, domain: str, username: str) -> dict[str, Any] | None:
    domain, username = domain.strip().lower(), username.strip().lower()
    # UPN-style and down-level names name the same user.
    if "@" in username and not domain:
        username, domain = username.split("@", 1)
    for user in tx.list("ad_user", where={"group": False})[0]:
        if user.get("login_name", "").lower() == username and domain in (
                user.get("domain", "").lower(), user.get("dns_domain", "").lower()):
            return user
    return None


def _descendants(groups: list[dict[str, Any]], group_id: str) -> set[str]:
    found = {group_id}
    changed = True
    while changed:
        changed = False
        for group in groups:
            if group.get("parent_id") in found and group["id"] not in found:
                found.add(group["id"])
                changed = True
    return found


def privileges_of(tx: Transaction, user: dict[str, Any]) -> dict[str, frozenset[str]]:
    principals = expand_groups(tx, user)
    role_privileges = {role["id"]: roles.effective(role.get("privileges", [])) for role in tx.list("role")[0]}
    access_groups = tx.list("local_access_group")[0]
    held: dict[str, set[str]] = {}
    for permission in tx.list("permission")[0]:
        if permission.get("ad_user_or_group_id") not in principals:
            continue
        privileges = role_privileges.get(permission.get("role_id"), frozenset())
        for group_id in _descendants(access_groups, permission["local_access_group_id"]):
            held.setdefault(group_id, set()).update(privileges)
    return {group: frozenset(privileges) for group, privileges in held.items()}


def authenticate(tx: Transaction, domain: str, username: str, password: str, settings_password: str) -> dict:
    """The user for these credentials, if they hold at least one permission."""
    user = find_user(tx, domain, username)
    expected = settings_password if user and user.get("password_from_settings") else (user or {}).get("password")
    if user is None or not expected or expected != password or not privileges_of(tx, user):
        raise Unauthorized("login.invalid.credentials", "Invalid user name, password or domain.")
    return user
