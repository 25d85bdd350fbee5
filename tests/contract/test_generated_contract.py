"""The shipped contract is current, complete and free of the spec's prose."""

from __future__ import annotations

import collections
import json
import sys
from importlib import resources
from pathlib import Path

import pytest

from hzsim.contract import load_contract

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "horizon-api" / "2312" / "rest-api-swagger-docs.json"


def shipped_text() -> str:
    return resources.files("hzsim.contract").joinpath("horizon-2312.json").read_text(encoding="utf-8")


@pytest.mark.skipif(not SPEC.exists(), reason="../shared is not beside this checkout")
def test_shipped_contract_is_regenerated_from_the_shared_spec() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_contract
    finally:
        sys.path.pop(0)
    assert gen_contract.render(SPEC) == shipped_text(), "run: python tools/gen_contract.py"


def test_contract_has_every_inventory_operation_and_auth() -> None:
    contract = load_contract()
    tags = collections.Counter(op.tag for op in contract.operations.values())
    assert tags["Inventory"] == 255
    assert {"loginUser", "refreshAccessToken", "logoutUser"} <= set(contract.operations)
    assert contract.release == "2312"


def test_contract_ships_no_prose() -> None:
    def keys(node: object) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for v in node.values() for k in keys(v)}
        if isinstance(node, list):
            return {k for v in node for k in keys(v)}
        return set()

    data = json.loads(shipped_text())
    # "description" may be a property name in a schema, never a prose key of an operation or schema node.
    for op in data["operations"]:
        assert not {"description", "summary", "example"} & set(op)
    for schema in data["schemas"].values():
        assert "example" not in keys(schema)
        assert not isinstance(schema.get("description"), str)


def test_privileges_and_list_facts_are_parsed() -> None:
    contract = load_contract()
    push = contract.operation("schedulePushImage")
    assert [p.name for p in push.privileges.required] == ["POOL_SVI_IMAGE_MANAGEMENT"]
    assert push.privileges.required[0].scope == "access_group"
    pools = contract.operation("listDesktopPoolsV8")
    assert pools.privileges.required[0].filters_results
    assert pools.list_params == {"page", "size", "filter", "sort_by", "order_by"}
    assert contract.operation("listDesktopPools").list_params == frozenset()
    facts = contract.list_fields["MachineInfoV5"]
    assert set(facts["dns_name"]["filters"]) == {"Equals", "StartsWith", "EndsWith", "Contains"}
    assert facts["name"]["sortable"]
    assert contract.list_fields["ManagedMachineDataV3"]["path"]["filter_name"] == "managedMachineData.path"
