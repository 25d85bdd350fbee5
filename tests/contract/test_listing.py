"""The list grammar: paging, filter expressions and sorting, as the vendor guide states them."""

from __future__ import annotations

import json

import pytest

from hzsim.contract.listing import (MAX_FILTER_DEPTH, Between, Chain, Comparison, Negation, parse_filter,
                                    parse_paging, parse_sort)
from hzsim.errors import BadRequest

FIELDS_FROM = "MachineInfoV5"


@pytest.fixture
def fields():
    from hzsim.contract.listing import list_fields

    return list_fields(FIELDS_FROM)


def refused(key: str, fn, *args) -> str:
    with pytest.raises(BadRequest) as caught:
        fn(*args)
    assert caught.value.error_key == key
    return caught.value.message


@pytest.mark.parametrize("kind", ["Equals", "StartsWith", "Contains"])
def test_single_value_filters(fields, kind: str) -> None:
    node = parse_filter(json.dumps({"type": kind, "name": "name", "value": "win"}), fields)
    assert node == Comparison(fields["name"], kind, ("win",))


def test_ends_with_and_not_equals(fields) -> None:
    assert parse_filter('{"type":"EndsWith","name":"dns_name","value":".com"}', fields).op == "EndsWith"
    assert parse_filter('{"type":"NotEquals","name":"user_ids","value":"S-1"}', fields).op == "NotEquals"


def test_contains_takes_a_list_of_values(fields) -> None:
    node = parse_filter('{"type":"Contains","name":"name","value":["a","b"]}', fields)
    assert node.values == ("a", "b")


def test_between_accepts_both_spellings() -> None:
    from hzsim.contract.listing import list_fields

    snapshot = list_fields("BaseSnapshotInfo")
    for low, high in (("from_value", "to_value"), ("fromValue", "toValue")):
        node = parse_filter(json.dumps({"type": "Between", "name": "created_timestamp", low: "10", high: 20}),
                            snapshot)
        assert node == Between(snapshot["created_timestamp"], 10, 20)


def test_between_needs_both_bounds() -> None:
    from hzsim.contract.listing import list_fields

    refused("common.filter.invalid", parse_filter, '{"type":"Between","name":"created_timestamp","fromValue":1}',
            list_fields("BaseSnapshotInfo"))


def test_nested_chains_and_not(fields) -> None:
    text = """
      { "type" : "And",
        "filters" : [ {"type":"Equals","name":"state","value":"AVAILABLE"},
                      {"type":"Or","filters":[{"type":"Not","filter":{"type":"Equals","name":"held_machine",
                                                                      "value":true}}]} ] }"""
    node = parse_filter(text, fields)
    assert isinstance(node, Chain) and node.op == "And"
    inner = node.parts[1]
    assert isinstance(inner, Chain) and isinstance(inner.parts[0], Negation)
    assert inner.parts[0].part.values == (True,)


def test_nested_field_by_the_name_the_contract_gives(fields) -> None:
    node = parse_filter('{"type":"StartsWith","name":"managedMachineData.path","value":"/dc"}', fields)
    assert node.field.path == ("managed_machine_data", "path")


def test_boolean_values_as_strings(fields) -> None:
    assert parse_filter('{"type":"Equals","name":"held_machine","value":"TRUE"}', fields).values == (True,)
    refused("common.filter.invalid", parse_filter, '{"type":"Equals","name":"held_machine","value":"yes"}', fields)


@pytest.mark.parametrize("text", ["{", "not json", '{"type":"And","filters":[', ""])
def test_bad_json_is_refused(fields, text: str) -> None:
    refused("common.filter.invalid", parse_filter, text, fields)


@pytest.mark.parametrize("text", [
    "[]", '"Equals"', '{"name":"name","value":"x"}', '{"type":"Like","name":"name","value":"x"}',
    '{"type":"And","filters":[]}', '{"type":"Or"}', '{"type":"Not"}', '{"type":"Equals","value":"x"}',
    '{"type":"StartsWith","name":"name"}', '{"type":"Equals","name":"name","value":{"a":1}}',
    '{"type":"Contains","name":"name","value":[]}',
])
def test_malformed_filters_are_refused(fields, text: str) -> None:
    refused("common.filter.invalid", parse_filter, text, fields)


def test_unsupported_field_is_refused(fields) -> None:
    message = refused("common.filter.unsupported.field", parse_filter,
                      '{"type":"Equals","name":"operating_system","value":"x"}', fields)
    assert "operating_system" in message
    refused("common.filter.unsupported.field", parse_filter, '{"type":"Equals","name":"nope","value":"x"}', fields)


def test_unsupported_filter_type_on_a_field_is_refused(fields) -> None:
    message = refused("common.filter.unsupported.type", parse_filter,
                      '{"type":"EndsWith","name":"name","value":"x"}', fields)
    assert "EndsWith" in message and "name" in message


def test_depth_is_bounded(fields) -> None:
    node = {"type": "Equals", "name": "name", "value": "x"}
    for _ in range(MAX_FILTER_DEPTH + 1):
        node = {"type": "Not", "filter": node}
    refused("common.filter.invalid", parse_filter, json.dumps(node), fields)


# -- paging -------------------------------------------------------------------------------

def test_paging_together_or_not_at_all() -> None:
    assert parse_paging(None, None) == (None, None)
    assert parse_paging("2", "10") == (2, 10)
    refused("common.pagination.invalid", parse_paging, "1", None)
    refused("common.pagination.invalid", parse_paging, None, "10")


@pytest.mark.parametrize("page,size", [("0", "10"), ("1", "0"), ("-1", "5"), ("a", "5"), ("1", "1.5"),
                                       ("1", "1001")])
def test_paging_must_be_positive_and_size_at_most_1000(page: str, size: str) -> None:
    refused("common.pagination.invalid", parse_paging, page, size)


def test_size_1000_is_allowed() -> None:
    assert parse_paging("1", "1000") == (1, 1000)


# -- sorting ------------------------------------------------------------------------------

def test_sort_ascending_by_default(fields) -> None:
    sort = parse_sort("name", None, fields)
    assert sort.field.name == "name" and not sort.descending
    assert parse_sort("name", "DESC", fields).descending


def test_order_by_alone_is_refused(fields) -> None:
    refused("common.sort.invalid", parse_sort, None, "ASC", fields)


def test_sort_on_an_unsortable_field_is_refused(fields) -> None:
    refused("common.sort.unsupported.field", parse_sort, "desktop_pool_id", None, fields)
    refused("common.sort.invalid", parse_sort, "name", "UP", fields)
