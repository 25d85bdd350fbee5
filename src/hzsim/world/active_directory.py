"""The simulated Active Directory: domains, containers, users and groups with SIDs.

Users and groups are `ad_user` documents (groups carry `group: true`); ids are SIDs
(`S-1-5-21-a-b-c-RID`) built from the domain, so the same scenario always gives the same ids.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from hzsim.ids import stable_id
from hzsim.store import Transaction

AD_DOMAIN, AD_CONTAINER, AD_USER = "ad_domain", "ad_container", "ad_user"
IC_DOMAIN_ACCOUNT = "ic_domain_account"
FIRST_RID = 1104


def domain_sid(dns_name: str) -> str:
    digest = hashlib.sha256(dns_name.lower().encode()).digest()
    parts = [int.from_bytes(digest[i:i + 4], "big") % 4_000_000_000 for i in (0, 4, 8)]
    return "S-1-5-21-" + "-".join(str(p) for p in parts)


def _dc(dns_name: str) -> str:
    return ",".join(f"DC={part}" for part in dns_name.split("."))


class DomainBuilder:
    """Creates one domain with its containers, users and groups."""

    def __init__(self, tx: Transaction, spec: dict[str, Any]) -> None:
        self.tx = tx
        self.spec = spec
        self.dns = spec["dns_name"].lower()
        self.netbios = spec["netbios_name"].upper()
        self.sid = domain_sid(self.dns)
        self.next_rid = FIRST_RID
        self.by_name: dict[str, dict[str, Any]] = {}

    def build(self) -> None:
        domain_id = stable_id("ad_domain", self.dns)
        self.tx.insert(AD_DOMAIN, domain_id, {
            "id": domain_id, "dns_name": self.dns, "netbios_name": self.netbios,
            "domain_type": "CONNECTION_SERVER_DOMAIN", "primary_account": {"username": f"svc-horizon@{self.dns}"},
            "auxiliary_accounts": [], "sid": self.sid})
        # The service account instant clones join machines to the domain with.
        account_id = stable_id("ic_domain_account", self.dns)
        self.tx.insert(IC_DOMAIN_ACCOUNT, account_id, {"id": account_id, "ad_domain_id": domain_id,
                                                       "username": self.spec["instant_clone_account"]})
        for rdn in ["CN=Users", "CN=Computers", *self.spec["containers"]]:
            container_id = stable_id("ad_container", self.dns, rdn)
            self.tx.insert(AD_CONTAINER, container_id, {"id": container_id, "domain_id": domain_id, "rdn": rdn})
        width = max(3, len(str(self.spec["user_count"])))
        for n in range(1, self.spec["user_count"] + 1):
            self.add_user(f"{self.spec['user_prefix']}{n:0{width}d}", self.spec["user_password"],
                          first_name="User", last_name=f"{n:0{width}d}")
        for user in self.spec["users"]:
            self.add_user(user["name"], user["password"] or self.spec["user_password"],
                          first_name=user["first_name"], last_name=user["last_name"], email=user["email"])
        generated = [u for u in self.by_name.values() if not u["group"]]
        for group in self.spec["groups"]:
            self.add_group(group["name"], group["description"])
        for group in self.spec["groups"]:
            members = [self.by_name[name.lower()] for name in group["members"]]
            members += generated[: group["member_count"]]
            for member in members:
                self._add_member(self.by_name[group["name"].lower()], member)
        for doc in self.by_name.values():
            self.tx.insert(AD_USER, doc["id"], doc)

    def _principal(self, name: str, group: bool, display: str) -> dict[str, Any]:
        rid = self.next_rid
        self.next_rid += 1
        container = "CN=Users," + _dc(self.dns)
        return {
            "id": f"{self.sid}-{rid}", "guid": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{self.dns}/{name.lower()}")),
            "domain": self.netbios, "dns_domain": self.dns, "login_name": name, "name": display,
            "display_name": f"{self.dns}\\{name}", "long_display_name": f"{name}@{self.dns} ({display})",
            "distinguished_name": f"CN={display},{container}", "container": container, "group": group,
            "group_ids": [], "member_ids": [], "kiosk_user": False, "description": "",
        }

    def add_user(self, name: str, password: str, *, first_name: str | None = None, last_name: str | None = None,
                 email: str | None = None) -> dict[str, Any]:
        display = " ".join(part for part in (first_name, last_name) if part) or name
        user = self._principal(name, False, display)
        user.update({"password": password, "first_name": first_name, "last_name": last_name,
                     "email": email or f"{name}@{self.dns}", "user_principal_name": f"{name}@{self.dns}",
                     "user_display_name": display})
        self.by_name[name.lower()] = user
        return user

    def add_group(self, name: str, description: str | None) -> dict[str, Any]:
        group = self._principal(name, True, name)
        group["description"] = description or ""
        self.by_name[name.lower()] = group
        return group

    def _add_member(self, group: dict[str, Any], member: dict[str, Any]) -> None:
        if member["id"] not in group["member_ids"]:
            group["member_ids"].append(member["id"])
        if group["id"] not in member["group_ids"]:
            member["group_ids"].append(group["id"])


def expand_groups(tx: Transaction, principal: dict[str, Any]) -> set[str]:
    """The principal's own id and every group it belongs to, directly or through other groups."""
    found = {principal["id"]}
    pending = list(principal.get("group_ids", []))
    while pending:
        group_id = pending.pop()
        if group_id in found:
            continue
        found.add(group_id)
        group = tx.get(AD_USER, group_id)
        if group:
            pending.extend(group.get("group_ids", []))
    return found
