"""Scenarios: YAML descriptions of a whole world, loaded at start-up or on reset.

A scenario is parsed and checked before it touches anything, and it is applied in the same
transaction that wipes the old state, so a bad one (an error names the line and the field)
leaves the running state as it was. The format is documented in docs/scenarios.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hzsim.auth import roles
from hzsim.auth.principals import ROOT_ACCESS_GROUP, stable_id
from hzsim.config import settings as global_settings
from hzsim.store import Transaction
from hzsim.world.active_directory import AD_USER, DomainBuilder
from hzsim.world.scenarios.format import SCENARIO
from hzsim.world.scenarios.schema import ScenarioError, parse_yaml
from hzsim.world import activity, scenario_pools
from hzsim.world.vcenter import VCenterBuilder

if TYPE_CHECKING:
    from hzsim.simulator import Simulator

BUILT_IN = ("default", "empty", "pod-20k")
LOCAL_ACCESS_GROUP, PERMISSION, ROLE = "local_access_group", "permission", "role"
BUILT_IN_ADMINISTRATOR_RID = 500
AGENT_VERSIONS_META_KEY = "agent_versions"
DEFAULT_AGENT_VERSION = "2312.0.0"

__all__ = ["BUILT_IN", "Scenario", "ScenarioError", "apply", "load", "parse"]


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    spec: dict[str, Any]


def _at(item: dict[str, Any], source: str, field: str | None = None) -> str:
    """Where a mapping (or one of its fields) stands in the scenario file."""
    line = item["__lines__"].get(field, item["__line__"]) if field else item["__line__"]
    return f"{source}, line {line}"


def _check_references(spec: dict[str, Any], source: str) -> None:
    """What the shape alone cannot say: names that must refer to something in the scenario."""
    domains = {name.lower() for d in spec["domains"] for name in (d["dns_name"], d["netbios_name"])}
    role_names = {r.name for r in roles.BUILT_IN_ROLES} | {r["name"] for r in spec["roles"]}
    groups = {ROOT_ACCESS_GROUP} | {g["name"] for g in spec["access_groups"]}
    for role in spec["roles"]:
        unknown = sorted(set(role["privileges"]) - roles.ALL_PRIVILEGES)
        if unknown:
            raise ScenarioError(f"{_at(role, source, 'privileges')}: role '{role['name']}' names unknown privileges "
                                f"{', '.join(unknown)}.")
    for admin in spec["administrators"]:
        if admin["domain"].lower() not in domains:
            raise ScenarioError(f"{_at(admin, source, 'domain')}: 'domain' {admin['domain']!r} is not one of the "
                                "scenario's domains.")
        if admin["role"] not in role_names:
            raise ScenarioError(f"{_at(admin, source, 'role')}: 'role' {admin['role']!r} is not a built-in or "
                                "scenario role.")
        if admin["access_group"] not in groups:
            raise ScenarioError(f"{_at(admin, source, 'access_group')}: 'access_group' {admin['access_group']!r} is not "
                                "Root or one of the scenario's access groups.")
    for pool in spec["desktop_pools"]:
        if pool["access_group"] not in groups:
            raise ScenarioError(f"{_at(pool, source, 'access_group')}: 'access_group' {pool['access_group']!r} is "
                                "not Root or one of the scenario's access groups.")
        needed = ("vms",) if pool["kind"] == "MANUAL" else ("base_vm", "snapshot", "cluster", "datastore")
        for field in needed:
            if not pool[field]:
                raise ScenarioError(f"{_at(pool, source)}: a {pool['kind']} desktop pool needs '{field}'.")
    for domain in spec["domains"]:
        names = {u["name"].lower() for u in domain["users"]} | {g["name"].lower() for g in domain["groups"]}
        width = max(3, len(str(domain["user_count"])))
        names |= {f"{domain['user_prefix']}{n:0{width}d}".lower() for n in range(1, domain["user_count"] + 1)}
        for group in domain["groups"]:
            for member in group["members"]:
                if member.lower() not in names:
                    raise ScenarioError(f"{_at(group, source, 'members')}: member {member!r} of group '{group['name']}' "
                                        "is not a user or group of the domain.")
            if group["member_count"] > domain["user_count"]:
                raise ScenarioError(f"{_at(group, source, 'member_count')}: 'member_count' is larger than 'user_count'.")
    for vcenter in spec["vcenters"]:
        for datacenter in vcenter["datacenters"]:
            folders = set(datacenter["vm_folders"])
            for vm in [*datacenter["base_vms"], *datacenter["vm_templates"], *datacenter["vms"]]:
                if vm["folder"] and vm["folder"] not in folders:
                    raise ScenarioError(f"{_at(vm, source, 'folder')}: 'folder' {vm['folder']!r} is not one of the "
                                        "datacenter's vm_folders.")
        for stream in vcenter["im_streams"]:
            for tag in stream["tags"]:
                if tag["version"] not in stream["versions"]:
                    raise ScenarioError(f"{_at(tag, source, 'version')}: 'version' {tag['version']!r} is not one of the "
                                        "stream's versions.")


def parse(text: str, source: str) -> Scenario:
    spec = parse_yaml(text, SCENARIO, source)
    _check_references(spec, source)
    return Scenario(spec["name"], source, spec)


def load(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    if name_or_path in BUILT_IN:
        text = resources.files(__name__).joinpath(f"{name_or_path}.yaml").read_text(encoding="utf-8")
        return parse(text, f"built-in scenario '{name_or_path}'")
    path = Path(name_or_path)
    if not path.is_file():
        raise ScenarioError(f"No built-in scenario or scenario file named '{name_or_path}' "
                            f"(built-in: {', '.join(BUILT_IN)}).")
    return parse(path.read_text(encoding="utf-8"), str(path))


def apply(scenario: Scenario, tx: Transaction, sim: "Simulator") -> None:
    """Create the scenario's world in an empty store, through the same code the API uses."""
    spec = scenario.spec
    now = sim.clock.now()
    for vcenter in spec["vcenters"]:
        VCenterBuilder(tx, vcenter, now).build()
    principals: dict[tuple[str, str], dict[str, Any]] = {}
    for domain in spec["domains"]:
        builder = DomainBuilder(tx, domain)
        builder.build()
        for name, doc in builder.by_name.items():
            principals[(builder.netbios.lower(), name)] = doc
            principals[(builder.dns.lower(), name)] = doc
    roles.create_built_in_roles(tx)
    role_ids = {role.name: stable_id("role", role.name) for role in roles.BUILT_IN_ROLES}
    for role in spec["roles"]:
        role_ids[role["name"]] = roles.create_role(tx, role["name"], role["description"] or "", role["privileges"])
    group_ids = {ROOT_ACCESS_GROUP: roles.create_access_group(tx, ROOT_ACCESS_GROUP, "Root access group", None)}
    for group in spec["access_groups"]:
        group_ids[group["name"]] = roles.create_access_group(tx, group["name"], group["description"] or "",
                                                             group_ids[ROOT_ACCESS_GROUP])
    for admin in spec["administrators"]:
        key = (admin["domain"].lower(), admin["username"].lower())
        principal = principals.get(key)
        if principal is None:
            principal = _create_principal(tx, spec, admin)
            principals[key] = principal
        elif admin["password"] is not None and not principal["group"]:
            principal["password"] = admin["password"]
            tx.update(AD_USER, principal["id"], {**tx.get(AD_USER, principal["id"]), "password": admin["password"]})
        roles.create_permission(tx, principal["id"], role_ids[admin["role"]], group_ids[admin["access_group"]])
    global_settings.create_defaults(tx)
    tx.set_meta(AGENT_VERSIONS_META_KEY, spec["agent_versions"] or [DEFAULT_AGENT_VERSION])
    scenario_pools.create(tx, spec["desktop_pools"], group_ids, scenario.source, now)
    if spec["activity"]:
        profile = dict(spec["activity"])
        profile["session_minutes"] = profile["session_minutes"] or {"mean": 60.0, "stddev": 15.0}
        activity.start(tx, profile, now)


def _create_principal(tx: Transaction, spec: dict[str, Any], admin: dict[str, Any]) -> dict[str, Any]:
    """An administrator the domain's user list does not name: add them to that domain."""
    domain = next(d for d in spec["domains"]
                  if admin["domain"].lower() in (d["dns_name"].lower(), d["netbios_name"].lower()))
    builder = DomainBuilder(tx, domain)
    existing = tx.list(AD_USER, where={"dns_domain": builder.dns})[0]
    builder.next_rid = max((int(u["id"].rsplit("-", 1)[1]) for u in existing), default=builder.next_rid - 1) + 1
    if admin["username"].lower() == "administrator":
        builder.next_rid = BUILT_IN_ADMINISTRATOR_RID  # as in every AD domain, so its SID never moves
    if admin["group"]:
        doc = builder.add_group(admin["username"], None)
    else:
        doc = builder.add_user(admin["username"], admin["password"] or "")
        # Without a password of its own, the administrator logs on with the server's --admin-password.
        doc["password_from_settings"] = admin["password"] is None
    tx.insert(AD_USER, doc["id"], doc)
    return doc


def plain(value: Any) -> Any:
    """A parsed scenario without the line bookkeeping: plain data, as YAML would hold it."""
    if isinstance(value, dict):
        # An optional field left out reads as None: leaving it out again says the same.
        return {k: plain(v) for k, v in value.items() if not k.startswith("__") and v is not None}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def dump(scenario: Scenario) -> str:
    """The scenario as YAML with every default spelt out; parsing it gives the same scenario."""
    import yaml

    return yaml.safe_dump(plain(scenario.spec), sort_keys=False, allow_unicode=True)
