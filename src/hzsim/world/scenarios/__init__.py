"""Scenarios: YAML descriptions of a whole world, loaded at start-up or on reset.

A scenario is read and checked completely before it touches any state; an error names
the line and the field. The format is documented in docs/scenarios.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from hzsim.auth.principals import ADMINISTRATORS_ROLE, add_administrator, built_in_roles
from hzsim.errors import BadRequest
from hzsim.store import Transaction

if TYPE_CHECKING:
    from hzsim.simulator import Simulator

BUILT_IN = ("default", "empty")


class ScenarioError(BadRequest):
    def __init__(self, message: str) -> None:
        super().__init__("hzsim.scenario.invalid", message)


@dataclass(frozen=True)
class Domain:
    dns_name: str
    netbios_name: str


@dataclass(frozen=True)
class Administrator:
    username: str
    domain: str
    password: str | None
    role: str


@dataclass(frozen=True)
class Scenario:
    name: str
    domains: tuple[Domain, ...] = ()
    administrators: tuple[Administrator, ...] = field(default_factory=tuple)


def _where(node: yaml.Node, source: str) -> str:
    return f"{source}, line {node.start_mark.line + 1}"


def _mapping(node: yaml.Node, source: str, what: str, allowed: dict[str, bool]) -> dict[str, yaml.Node]:
    """Check a mapping's keys: `allowed` maps each key to whether it is required."""
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError(f"{_where(node, source)}: {what} must be a mapping.")
    found: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key not in allowed:
            raise ScenarioError(f"{_where(key_node, source)}: unknown field '{key}' in {what}; "
                                f"expected one of {', '.join(sorted(allowed))}.")
        found[key] = value_node
    for key, required in allowed.items():
        if required and key not in found:
            raise ScenarioError(f"{_where(node, source)}: {what} needs the field '{key}'.")
    return found


def _string(node: yaml.Node, source: str, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null") or not str(node.value).strip():
        raise ScenarioError(f"{_where(node, source)}: {what} must be a non-empty string.")
    return str(node.value)


def _sequence(node: yaml.Node, source: str, what: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode):
        raise ScenarioError(f"{_where(node, source)}: {what} must be a list.")
    return list(node.value)


def parse(text: str, source: str) -> Scenario:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise ScenarioError(f"{source}{line}: not valid YAML ({getattr(error, 'problem', error)}).") from None
    if root is None:
        raise ScenarioError(f"{source}: the scenario is empty.")
    top = _mapping(root, source, "the scenario", {"name": True, "description": False, "domains": False,
                                                 "administrators": False})
    domains = []
    for item in _sequence(top["domains"], source, "'domains'") if "domains" in top else []:
        fields = _mapping(item, source, "a domain", {"dns_name": True, "netbios_name": True})
        domains.append(Domain(_string(fields["dns_name"], source, "'dns_name'"),
                              _string(fields["netbios_name"], source, "'netbios_name'")))
    administrators = []
    for item in _sequence(top["administrators"], source, "'administrators'") if "administrators" in top else []:
        fields = _mapping(item, source, "an administrator",
                          {"username": True, "domain": True, "password": False, "role": False})
        administrators.append(Administrator(
            username=_string(fields["username"], source, "'username'"),
            domain=_string(fields["domain"], source, "'domain'"),
            password=_string(fields["password"], source, "'password'") if "password" in fields else None,
            role=_string(fields["role"], source, "'role'") if "role" in fields else ADMINISTRATORS_ROLE,
        ))
        if administrators[-1].role not in built_in_roles():
            raise ScenarioError(f"{_where(fields['role'], source)}: unknown role '{administrators[-1].role}'; "
                                f"expected one of {', '.join(sorted(built_in_roles()))}.")
        if not any(administrators[-1].domain.lower() in (d.netbios_name.lower(), d.dns_name.lower())
                   for d in domains):
            raise ScenarioError(f"{_where(fields['domain'], source)}: domain '{administrators[-1].domain}' "
                                "is not one of the scenario's domains.")
    return Scenario(_string(top["name"], source, "'name'"), tuple(domains), tuple(administrators))


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
    domains = {d.netbios_name.lower(): d for d in scenario.domains}
    domains.update({d.dns_name.lower(): d for d in scenario.domains})
    for admin in scenario.administrators:
        domain = domains[admin.domain.lower()]
        add_administrator(tx, domain=domain.netbios_name, dns_domain=domain.dns_name, username=admin.username,
                          password=admin.password, role_name=admin.role)
