"""Compile the list grammar (`hzsim.contract.listing`) into SQL over the document column.

Values are read out of the JSON document with the dialect's JSON operators, typed by the
field's contract type, so that filtering, sorting and paging all happen in the database.
Text matches (Contains, StartsWith, EndsWith) ignore case on both dialects; Equals does not.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, false, func, literal, not_, or_, select, true, type_coerce
from sqlalchemy.sql import Select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from dataclasses import replace

from hzsim.contract.listing import Between, Chain, Comparison, Filter, ListField, ListQuery, Negation, Sort
from hzsim.store.tables import documents


# Document fields every kind copies into an indexed column: filters and sorts on them use the index.
_COLUMNS = {("name",): documents.c.name, ("access_group_id",): documents.c.access_group_id}


COLUMN_PATH = "__column__"  # a field path ("__column__", name) reads the indexed column `name`


def _value(field: ListField) -> ColumnElement[Any]:
    if field.path in _COLUMNS and field.kind == "string":
        return _COLUMNS[field.path]
    if field.path[0] == COLUMN_PATH:
        return documents.c[field.path[1]]
    element = documents.c.doc[field.path]
    if field.kind == "integer":
        return element.as_numeric(20, 0)  # int64 values (epoch milliseconds) overflow an SQL INTEGER
    if field.kind == "number":
        return element.as_float()
    if field.kind == "boolean":
        return element.as_boolean()
    return element.as_string()


def _array_has(field: ListField, value: Any, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # A missing list holds nothing (false, not NULL), so NotEquals and Not read it right.
        return func.coalesce(type_coerce(documents.c.doc, JSONB)[field.path].contains([value]), false())
    path = "$." + ".".join(f'"{part}"' for part in field.path)
    each = func.json_each(documents.c.doc, path).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == value))


def _text_match(column: ColumnElement[Any], op: str, value: str) -> ColumnElement[bool]:
    if op == "StartsWith":
        return column.istartswith(value, autoescape=True)
    if op == "EndsWith":
        return column.iendswith(value, autoescape=True)
    return column.icontains(value, autoescape=True)


def _comparison(node: Comparison, dialect: str) -> ColumnElement[bool]:
    field = node.field
    if field.kind == "array":
        has_any = or_(*(_array_has(field, v, dialect) for v in node.values))
        return not_(has_any) if node.op == "NotEquals" else has_any
    column = _value(field)
    if node.op == "Equals":
        return column == node.values[0]
    if node.op == "NotEquals":
        # A document without the field is not equal to any value.
        return or_(column.is_(None), column != node.values[0])
    return or_(*(_text_match(column, node.op, v) for v in node.values))


def compile_filter(node: Filter, dialect: str) -> ColumnElement[bool]:
    if isinstance(node, Comparison):
        return _comparison(node, dialect)
    if isinstance(node, Between):
        return _value(node.field).between(node.low, node.high)
    if isinstance(node, Negation):
        # A comparison with a missing value is NULL, which counts as no match: NOT makes it one.
        return not_(func.coalesce(compile_filter(node.part, dialect), false()))
    if isinstance(node, Chain):
        parts = [compile_filter(part, dialect) for part in node.parts]
        return and_(true(), *parts) if node.op == "And" else or_(false(), *parts)
    raise TypeError(f"not a filter node: {node!r}")


def compile_sort(sort: Sort | None, dialect: str) -> list[ColumnElement[Any]]:
    if sort is None:
        return []
    column = _value(sort.field)
    if dialect == "postgresql" and sort.field.kind == "string":
        # Byte order, as SQLite sorts, whatever the database's collation.
        column = column.collate("C")
    return [column.desc().nulls_last()] if sort.descending else [column.asc().nulls_first()]


def _conditions(condition: ColumnElement[bool] | None, with_groups: bool,
                columns: tuple[str, ...]) -> list[ColumnElement[bool]]:
    conditions = [documents.c.kind == bindparam("kind")]
    conditions += [documents.c[column] == bindparam(column) for column in columns]
    if with_groups:
        conditions.append(documents.c.access_group_id.in_(bindparam("groups", expanding=True)))
    if condition is not None:
        conditions.append(condition)
    return conditions


def count_statement(node: Filter | None, dialect: str, columns: tuple[str, ...]) -> Select[Any]:
    condition = compile_filter(node, dialect) if node is not None else None
    return select(func.count()).select_from(documents).where(*_conditions(condition, False, columns))


def names_statement(node: Filter | None, dialect: str, columns: tuple[str, ...]) -> Select[Any]:
    condition = compile_filter(node, dialect) if node is not None else None
    return select(documents.c.name).where(*_conditions(condition, False, columns))


def _statements(condition: ColumnElement[bool] | None, with_groups: bool, sort: Sort | None, paged: bool,
                dialect: str, columns: tuple[str, ...] = ()) -> tuple[Select[Any], Select[Any]]:
    """The page query and the count query; kind, groups, columns, limit and offset are bound at execution."""
    conditions = _conditions(condition, with_groups, columns)
    page = select(documents.c.doc, documents.c.version).where(*conditions).order_by(*compile_sort(sort, dialect), documents.c.id)
    if paged:
        page = page.limit(bindparam("limit")).offset(bindparam("offset"))
    count = select(func.count()).select_from(documents).where(*conditions)
    return page, count


@lru_cache(maxsize=256)
def list_statements(with_groups: bool, sort: Sort | None, paged: bool, dialect: str,
                    columns: tuple[str, ...] = ()) -> tuple[Select[Any], Select[Any]]:
    """Unfiltered lists are the hot path: their statements are built once and reused."""
    return _statements(None, with_groups, sort, paged, dialect, columns)


def filtered_statements(node: Filter, with_groups: bool, sort: Sort | None, paged: bool,
                        dialect: str, columns: tuple[str, ...] = ()) -> tuple[Select[Any], Select[Any]]:
    return _statements(compile_filter(node, dialect), with_groups, sort, paged, dialect, columns)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "number" if isinstance(value, float) else "string"


def with_conditions(query: ListQuery, where: dict[str, Any]) -> ListQuery:
    """The query with equality conditions on document fields added to its filter."""
    parts: list[Filter] = [
        Comparison(ListField(name, (name,), _kind_of(value), None, frozenset({"Equals"}), False), "Equals", (value,))
        for name, value in where.items()
    ]
    if query.filter is not None:
        parts.append(query.filter)
    return replace(query, filter=parts[0] if len(parts) == 1 else Chain("And", tuple(parts)))


def _on_columns(node: Filter, columns: dict[tuple[str, ...], str]) -> Filter:
    if isinstance(node, Chain):
        return replace(node, parts=tuple(_on_columns(part, columns) for part in node.parts))
    if isinstance(node, Negation):
        return replace(node, part=_on_columns(node.part, columns))
    column = columns.get(node.field.path)
    if column is None or node.field.kind != "string":
        return node
    return replace(node, field=replace(node.field, path=(COLUMN_PATH, column)))


def on_columns(query: ListQuery, columns: dict[tuple[str, ...], str]) -> ListQuery:
    """The query with fields a kind copies into indexed columns read from those columns."""
    if not columns:
        return query
    sort = query.sort
    if sort is not None and sort.field.path in columns and sort.field.kind == "string":
        sort = replace(sort, field=replace(sort.field, path=(COLUMN_PATH, columns[sort.field.path])))
    node = _on_columns(query.filter, columns) if query.filter is not None else None
    return replace(query, filter=node, sort=sort)
