"""Who is calling and what they may do: AD principals, roles, access groups, permissions.

Stored as documents: `ad_user` (SID, domain, login name, password), `role` (name and
privileges), `local_access_group` (Root and children) and `permission` (a principal, a role
and an access group). A caller's privileges are the union over their permissions, kept
per access group so that resource checks can ask about the group a resource is in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cache

from hzsim.contract import load_contract
from hzsim.errors import Unauthorized
from hzsim.store import Transaction

ROOT_ACCESS_GROUP = "Root"
ADMINISTRATORS_ROLE = "Administrators"
# Kinds whose change alters what some caller may do.
AUTH_KINDS = frozenset({"ad_user", "role", "permission", "local_access_group"})


def stable_id(*parts: str) -> str:
    """A UUID that is the same for the same name in every run (scenario objects)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "hzsim:" + ":".join(parts)))


@cache
def all_privileges() -> frozenset[str]:
    """Every privilege the contract names."""
    contract = load_contract()
    names = set()
    for op in contract.operations.values():
        for group in (op.privileges.required, op.privileges.any_of, op.privileges.optional):
            names.update(p.name for p in group)
    return frozenset(names)


def built_in_roles() -> dict[str, frozenset[str]]:
    """Horizon's built-in roles hzsim knows so far, with their privileges."""
    return {ADMINISTRATORS_ROLE: all_privileges()}


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


def find_user(tx: Transaction, domain: str, username: str) -> dict | None:
    domain, username = domain.strip().lower(), username.strip().lower()
    users, _ = tx.list("ad_user")
    for user in users:
        domains = {user.get("domain", "").lower(), user.get("dns_domain", "").lower()}
        if domain in domains and user.get("login_name", "").lower() == username:
            return user
    return None


def privileges_of(tx: Transaction, user: dict) -> dict[str, frozenset[str]]:
    principals = {user["id"], *user.get("group_ids", [])}
    roles = {role["id"]: role for role in tx.list("role")[0]}
    groups: dict[str, set[str]] = {}
    for permission in tx.list("permission")[0]:
        if permission.get("ad_user_or_group_id") not in principals:
            continue
        role = roles.get(permission.get("role_id"))
        if role:
            groups.setdefault(permission["local_access_group_id"], set()).update(role.get("privileges", []))
    return {group: frozenset(held) for group, held in groups.items()}


def authenticate(tx: Transaction, domain: str, username: str, password: str, settings_password: str) -> dict:
    """The user for these credentials, if they hold at least one permission."""
    user = find_user(tx, domain, username)
    expected = settings_password if user and user.get("password_from_settings") else (user or {}).get("password")
    if user is None or expected != password or not privileges_of(tx, user):
        raise Unauthorized("login.invalid.credentials", "Invalid user name, password or domain.")
    return user


def add_administrator(tx: Transaction, *, domain: str, dns_domain: str, username: str, password: str | None,
                      role_name: str = ADMINISTRATORS_ROLE) -> dict:
    """Create (or keep) the built-in pieces and one administrator holding `role_name` on Root."""
    root_id = stable_id("local_access_group", ROOT_ACCESS_GROUP)
    if tx.get("local_access_group", root_id) is None:
        tx.insert("local_access_group", root_id, {"id": root_id, "name": ROOT_ACCESS_GROUP, "children": []})
    role_id = stable_id("role", role_name)
    if tx.get("role", role_id) is None:
        tx.insert("role", role_id, {"id": role_id, "name": role_name, "built_in": True,
                                    "privileges": sorted(built_in_roles()[role_name])})
    user_id = stable_id("ad_user", domain.lower(), username.lower())
    # Without a password of its own the administrator logs on with the server's --admin-password.
    user = {"id": user_id, "domain": domain, "dns_domain": dns_domain, "login_name": username,
            "password": password, "password_from_settings": password is None, "group": False}
    if tx.get("ad_user", user_id) is None:
        tx.insert("ad_user", user_id, user)
    permission_id = stable_id("permission", user_id, role_id, root_id)
    if tx.get("permission", permission_id) is None:
        tx.insert("permission", permission_id, {"id": permission_id, "ad_user_or_group_id": user_id,
                                                "role_id": role_id, "local_access_group_id": root_id})
    return user
