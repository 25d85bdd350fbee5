"""Validators and client leniencies, below HTTP."""

from __future__ import annotations

from hzsim.contract import load_contract
from hzsim.contract.projection import Projections
from hzsim.contract.validation import SchemaValidators, coerce_body

CONTRACT = load_contract()
VALIDATORS = SchemaValidators(CONTRACT)
PUSH_SPEC = {"$ref": "#/components/schemas/DesktopPoolPushImageSpecV2"}


def test_int32_fields_have_int32_bounds() -> None:
    spec = {"logoff_policy": "FORCE_LOGOFF", "compute_profile_num_cpus": 2**31}
    errors = VALIDATORS.errors(PUSH_SPEC, spec)
    assert [e.error_key for e in errors] == ["common.field.out.of.range"]
    assert "compute_profile_num_cpus" in errors[0].error_message
    assert VALIDATORS.errors(PUSH_SPEC, {**spec, "compute_profile_num_cpus": 2**31 - 1}) == []


def test_fractional_integers_are_truncated() -> None:
    body = coerce_body(CONTRACT, PUSH_SPEC, {"logoff_policy": "FORCE_LOGOFF", "start_time": 1700000000123.9,
                                             "machine_ids": ["a"]})
    assert body["start_time"] == 1700000000123 and isinstance(body["start_time"], int)
    assert VALIDATORS.errors(PUSH_SPEC, body) == []


def test_fractions_in_number_fields_are_kept() -> None:
    assert coerce_body(CONTRACT, {"type": "number"}, 1.5) == 1.5


def test_password_as_string_or_characters() -> None:
    login = {"$ref": "#/components/schemas/AuthLogin"}
    as_string = coerce_body(CONTRACT, login, {"domain": "D", "username": "u", "password": "pw"})
    assert as_string["password"] == ["p", "w"]
    as_chars = coerce_body(CONTRACT, login, {"domain": "D", "username": "u", "password": ["p", "w"]})
    assert as_chars["password"] == ["p", "w"]
    assert VALIDATORS.errors(login, as_string) == []


def test_strict_validators_refuse_unknown_properties() -> None:
    strict = SchemaValidators(CONTRACT, strict=True)
    tokens = {"$ref": "#/components/schemas/AccessToken"}
    assert strict.errors(tokens, {"access_token": "t"}) == []
    assert strict.errors(tokens, {"access_token": "t", "extra": 1})
    assert VALIDATORS.errors(tokens, {"access_token": "t", "extra": 1}) == []


def test_projection_keeps_the_versions_fields_and_drops_nulls() -> None:
    projections = Projections(CONTRACT)
    machine = {"id": "m1", "name": "win-01", "dns_name": None, "not_in_any_version": 1,
               "managed_machine_data": {"path": "/dc/vm/win-01", "pending_base_vm_id": None, "junk": 2}}
    v5 = projections.project({"$ref": "#/components/schemas/MachineInfoV5"}, machine)
    assert v5 == {"id": "m1", "name": "win-01", "managed_machine_data": {"path": "/dc/vm/win-01"}}
    listed = projections.project({"type": "array", "items": {"$ref": "#/components/schemas/MachineInfoV5"}},
                                 [machine])
    assert listed == [v5]


def test_projection_follows_each_versions_schema() -> None:
    projections = Projections(CONTRACT)
    v1_props = set(CONTRACT.schema("MachineInfo")["properties"])
    v5_props = set(CONTRACT.schema("MachineInfoV5")["properties"])
    only_v5 = sorted(v5_props - v1_props)
    assert only_v5, "MachineInfoV5 adds fields over v1"
    doc = {name: "x" for name in only_v5} | {"id": "m1"}
    assert projections.project({"$ref": "#/components/schemas/MachineInfo"}, doc) == {"id": "m1"}
