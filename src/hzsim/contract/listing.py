"""The list grammar of Horizon's guide: paging, filter expressions and sorting.

Which fields a list can be filtered or sorted on, and with which filter types, comes from
the contract's list facts for the list's item schema. Parsing turns the query parameters
into a `ListQuery`; the store compiles it to SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Union

import orjson

from hzsim.contract.model import Contract, Operation, load_contract
from hzsim.errors import BadRequest

MAX_PAGE_SIZE = 1000
MAX_FILTER_DEPTH = 16
FIELD_FILTERS = ("Equals", "NotEquals", "Contains", "StartsWith", "EndsWith", "Between")
CHAIN_FILTERS = ("And", "Or")


@dataclass(frozen=True, slots=True)
class ListField:
    name: str  # as written in `filter` and `sort_by`
    path: tuple[str, ...]  # where the value lives in the canonical document
    kind: str  # string, integer, number, boolean or array
    item_kind: str | None
    filters: frozenset[str]
    sortable: bool


@dataclass(frozen=True, slots=True)
class Comparison:
    field: ListField
    op: str  # Equals, NotEquals, Contains, StartsWith, EndsWith
    values: tuple[Any, ...]  # several values are alternatives (Contains with a list)


@dataclass(frozen=True, slots=True)
class Between:
    field: ListField
    low: Any
    high: Any


@dataclass(frozen=True, slots=True)
class Chain:
    op: str  # And or Or
    parts: tuple["Filter", ...]


@dataclass(frozen=True, slots=True)
class Negation:
    part: "Filter"


Filter = Union[Comparison, Between, Chain, Negation]


@dataclass(frozen=True, slots=True)
class Sort:
    field: ListField
    descending: bool


@dataclass(frozen=True, slots=True)
class ListQuery:
    filter: Filter | None = None
    sort: Sort | None = None
    page: int | None = None
    size: int | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size if self.page and self.size else 0


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _kinds(contract: Contract, schema: dict[str, Any]) -> tuple[str, str | None]:
    schema = contract.resolve(schema)
    kind = schema.get("type", "object")
    if kind == "array":
        return kind, contract.resolve(schema.get("items", {})).get("type", "object")
    return kind, None


def _schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


@cache
def list_fields(item_schema: str, contract: Contract | None = None) -> dict[str, ListField]:
    """Every filterable or sortable field of a list's items, by the name clients use."""
    contract = contract or load_contract()
    schema = contract.schema(item_schema)
    fields: dict[str, ListField] = {}
    facts = contract.list_fields.get(item_schema, {})
    for name, prop in (schema.get("properties") or {}).items():
        fact = facts.get(name)
        if fact:
            kind, item_kind = _kinds(contract, prop)
            fields[name] = ListField(name, (name,), kind, item_kind, frozenset(fact.get("filters", ())),
                                     bool(fact.get("sortable")))
        nested = _schema_name(prop)
        for child, child_fact in contract.list_fields.get(nested or "", {}).items():
            child_schema = contract.schema(nested)["properties"][child]
            kind, item_kind = _kinds(contract, child_schema)
            names = {child_fact.get("filter_name") or f"{_camel(name)}.{_camel(child)}", f"{name}.{child}"}
            for alias in names:
                fields[alias] = ListField(alias, (name, child), kind, item_kind,
                                          frozenset(child_fact.get("filters", ())),
                                          bool(child_fact.get("sortable")))
    return fields


# ---- paging -------------------------------------------------------------------------------

def _positive(name: str, raw: str) -> int:
    if not re.fullmatch(r"\s*\+?\d+\s*", raw) or int(raw) <= 0:
        raise BadRequest("common.pagination.invalid", f"Query parameter '{name}' must be a positive integer.")
    return int(raw)


def parse_paging(page: str | None, size: str | None) -> tuple[int | None, int | None]:
    if page is None and size is None:
        return None, None
    if page is None or size is None:
        raise BadRequest("common.pagination.invalid",
                         "Query parameters 'page' and 'size' must be passed together.")
    page_number, page_size = _positive("page", page), _positive("size", size)
    if page_size > MAX_PAGE_SIZE:
        raise BadRequest("common.pagination.invalid",
                         f"Query parameter 'size' must not be greater than {MAX_PAGE_SIZE}.")
    return page_number, page_size


# ---- sorting ------------------------------------------------------------------------------

def parse_sort(sort_by: str | None, order_by: str | None, fields: dict[str, ListField]) -> Sort | None:
    if sort_by is None:
        if order_by is not None:
            raise BadRequest("common.sort.invalid", "Query parameter 'order_by' requires 'sort_by'.")
        return None
    field = fields.get(sort_by)
    if field is None or not field.sortable:
        raise BadRequest("common.sort.unsupported.field", f"Sorting is not supported on field '{sort_by}'.")
    order = (order_by or "ASC").upper()
    if order not in ("ASC", "DESC"):
        raise BadRequest("common.sort.invalid", "Query parameter 'order_by' must be ASC or DESC.")
    return Sort(field, order == "DESC")


# ---- filters ------------------------------------------------------------------------------

def _invalid(message: str) -> BadRequest:
    return BadRequest("common.filter.invalid", message)


def _coerce(field: ListField, value: Any) -> Any:
    kind = field.item_kind if field.kind == "array" else field.kind
    if value is None or isinstance(value, (dict, list)):
        raise _invalid(f"Filter value for field '{field.name}' must be a single {kind} value.")
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            raise _invalid(f"Filter value for field '{field.name}' must be a number.")
        if isinstance(value, str):
            try:
                value = float(value) if kind == "number" or "." in value else int(value)
            except ValueError:
                raise _invalid(f"Filter value for field '{field.name}' must be a number.") from None
        return int(value) if kind == "integer" and float(value).is_integer() else value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _invalid(f"Filter value for field '{field.name}' must be true or false.")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field(node: dict[str, Any], kind: str, fields: dict[str, ListField]) -> ListField:
    name = node.get("name")
    if not isinstance(name, str):
        raise _invalid(f"A filter of type '{kind}' needs a field 'name'.")
    field = fields.get(name)
    if field is None or not field.filters:
        raise BadRequest("common.filter.unsupported.field", f"Filtering is not supported on field '{name}'.")
    if kind not in field.filters:
        raise BadRequest("common.filter.unsupported.type",
                         f"Filter type '{kind}' is not supported on field '{name}'; "
                         f"supported: {', '.join(sorted(field.filters))}.")
    return field


def _parse_node(node: Any, fields: dict[str, ListField], depth: int) -> Filter:
    if depth > MAX_FILTER_DEPTH:
        raise _invalid(f"The filter is nested deeper than {MAX_FILTER_DEPTH} levels.")
    if not isinstance(node, dict):
        raise _invalid("Each filter must be a JSON object.")
    kind = node.get("type")
    if kind in CHAIN_FILTERS:
        parts = node.get("filters")
        if not isinstance(parts, list) or not parts:
            raise _invalid(f"A filter of type '{kind}' needs a non-empty list 'filters'.")
        return Chain(kind, tuple(_parse_node(part, fields, depth + 1) for part in parts))
    if kind == "Not":
        if "filter" not in node:
            raise _invalid("A filter of type 'Not' needs a field 'filter'.")
        return Negation(_parse_node(node["filter"], fields, depth + 1))
    if kind == "Between":
        field = _field(node, kind, fields)
        low = node.get("from_value", node.get("fromValue"))
        high = node.get("to_value", node.get("toValue"))
        if low is None or high is None:
            raise _invalid("A filter of type 'Between' needs 'from_value' and 'to_value'.")
        return Between(field, _coerce(field, low), _coerce(field, high))
    if kind in FIELD_FILTERS:
        field = _field(node, kind, fields)
        if "value" not in node:
            raise _invalid(f"A filter of type '{kind}' needs a field 'value'.")
        raw = node["value"]
        if isinstance(raw, list) and kind == "Contains":
            if not raw:
                raise _invalid("A 'Contains' filter needs at least one value.")
            values = tuple(_coerce(field, item) for item in raw)
        else:
            values = (_coerce(field, raw),)
        if kind in ("Contains", "StartsWith", "EndsWith") and field.kind != "array" and field.kind != "string":
            raise BadRequest("common.filter.unsupported.type",
                             f"Filter type '{kind}' is not supported on field '{field.name}'.")
        return Comparison(field, kind, values)
    raise _invalid(
        f"Unknown filter type {kind!r}; expected one of And, Or, Not, {', '.join(FIELD_FILTERS)}."
    )


def parse_filter(text: str | None, fields: dict[str, ListField]) -> Filter | None:
    if text is None:
        return None
    try:
        node = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _invalid("Query parameter 'filter' is not valid JSON.") from None
    return _parse_node(node, fields, 1)


def parse_list_query(op: Operation, query: dict[str, str]) -> ListQuery:
    """Read an operation's paging, filter and sort parameters, as far as it declares them."""
    declared = op.list_params
    item = op.item_schema_name
    fields = list_fields(item) if item else {}
    page = size = None
    if "page" in declared:
        page, size = parse_paging(query.get("page"), query.get("size"))
    filter_ = parse_filter(query.get("filter"), fields) if "filter" in declared else None
    sort = parse_sort(query.get("sort_by"), query.get("order_by"), fields) if "sort_by" in declared else None
    return ListQuery(filter_, sort, page, size)
