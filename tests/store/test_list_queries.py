"""Lists filter, sort and page in SQL with the same answers on SQLite and PostgreSQL.

A Python reference evaluator states what each filter type means; Hypothesis draws
documents and filter trees, and the database must agree with the reference.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hzsim.contract.listing import (Between, Chain, Comparison, Filter, ListField, ListQuery, Negation, Sort,
                                    list_fields)
from hzsim.store import Store

MACHINE = list_fields("MachineInfoV5")
CREATED = ListField("created_timestamp", ("created_timestamp",), "integer", None,
                    frozenset({"Equals", "Between"}), True)
NAME, DNS, HELD, USERS, PATH, STATE = (MACHINE[n] for n in (
    "name", "dns_name", "held_machine", "user_ids", "managedMachineData.path", "state"))

text = st.text(alphabet="aAbB_%/.-", min_size=0, max_size=4)
maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731
# epoch milliseconds and small numbers: int64 values must not overflow an SQL INTEGER
stamps = st.one_of(st.integers(0, 20), st.integers(1_796_000_000_000, 1_796_000_000_020))

documents = st.lists(
    st.fixed_dictionaries({
        "name": maybe(text), "dns_name": maybe(text), "held_machine": maybe(st.booleans()),
        "user_ids": maybe(st.lists(st.sampled_from(["u1", "u2", "u3"]), max_size=3, unique=True)),
        "managed_machine_data": maybe(st.fixed_dictionaries({"path": maybe(text)})),
        "state": maybe(st.sampled_from(["AVAILABLE", "CONNECTED"])),
        "created_timestamp": maybe(stamps),
    }),
    max_size=12,
)

leaf = st.one_of(
    st.builds(Comparison, st.just(NAME), st.sampled_from(["Equals", "Contains", "StartsWith"]), st.tuples(text)),
    st.builds(Comparison, st.just(NAME), st.just("Contains"), st.lists(text, min_size=1, max_size=3).map(tuple)),
    st.builds(Comparison, st.just(DNS), st.sampled_from(["Equals", "EndsWith", "StartsWith", "Contains"]),
              st.tuples(text)),
    st.builds(Comparison, st.just(HELD), st.just("Equals"), st.tuples(st.booleans())),
    st.builds(Comparison, st.just(STATE), st.just("Equals"), st.tuples(st.sampled_from(["AVAILABLE", "X"]))),
    st.builds(Comparison, st.just(USERS), st.sampled_from(["Equals", "NotEquals"]), st.tuples(st.sampled_from(
        ["u1", "u2", "u4"]))),
    st.builds(Comparison, st.just(USERS), st.just("Contains"),
              st.lists(st.sampled_from(["u1", "u2", "u4"]), min_size=1, max_size=2).map(tuple)),
    st.builds(Comparison, st.just(PATH), st.sampled_from(["StartsWith", "EndsWith", "Equals"]), st.tuples(text)),
    st.builds(Between, st.just(CREATED), stamps, stamps),
)
filters = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(Chain, st.sampled_from(["And", "Or"]), st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(Negation, inner),
    ),
    max_leaves=6,
)


def lookup(doc: dict[str, Any], field: ListField) -> Any:
    value: Any = doc
    for part in field.path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def matches(doc: dict[str, Any], node: Filter) -> bool:
    """What each filter type means (text matches ignore case; a missing value matches nothing)."""
    if isinstance(node, Chain):
        results = [matches(doc, part) for part in node.parts]
        return all(results) if node.op == "And" else any(results)
    if isinstance(node, Negation):
        return not matches(doc, node.part)
    value = lookup(doc, node.field)
    if isinstance(node, Between):
        return value is not None and node.low <= value <= node.high
    if node.field.kind == "array":
        has = value is not None and any(v in value for v in node.values)
        return not has if node.op == "NotEquals" else has
    if node.op == "NotEquals":
        return value is None or value != node.values[0]
    if value is None:
        return False
    if node.op == "Equals":
        return value == node.values[0]
    test = {"Contains": lambda v: v.lower() in value.lower(),
            "StartsWith": lambda v: value.lower().startswith(v.lower()),
            "EndsWith": lambda v: value.lower().endswith(v.lower())}[node.op]
    return any(test(v) for v in node.values)


def load(store: Store, docs: list[dict[str, Any]]) -> None:
    store.wipe()
    with store.transaction() as tx:
        for index, doc in enumerate(docs):
            tx.insert("machine", f"m{index:02d}", {"id": f"m{index:02d}", **doc})


EMPTY_DOC = {"name": None, "dns_name": None, "held_machine": None, "user_ids": None, "managed_machine_data": None,
             "state": None, "created_timestamp": None}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=documents, node=filters)
@example(docs=[EMPTY_DOC, {k: v for k, v in EMPTY_DOC.items() if k != "user_ids"}],
         node=Negation(Comparison(USERS, "NotEquals", ("u1",))))
@example(docs=[EMPTY_DOC, {**EMPTY_DOC, "name": "a"}], node=Negation(Comparison(NAME, "Equals", ("a",))))
def test_database_filter_agrees_with_the_reference(store: Store, docs: list[dict[str, Any]], node: Filter) -> None:
    load(store, docs)
    with store.transaction(write=False) as tx:
        found, total = tx.list("machine", ListQuery(filter=node))
    expected = sorted(f"m{i:02d}" for i, doc in enumerate(docs) if matches(doc, node))
    assert sorted(d["id"] for d in found) == expected
    assert total == len(expected)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=documents, descending=st.booleans(), size=st.integers(1, 5))
def test_sort_and_pages_agree_with_the_reference(store: Store, docs: list[dict[str, Any]], descending: bool,
                                                  size: int) -> None:
    load(store, docs)
    ids = [f"m{i:02d}" for i in range(len(docs))]
    # Missing values first when ascending, last when descending; ties in id order.
    present = sorted((i for i in ids if docs[int(i[1:])]["name"] is not None),
                     key=lambda i: (docs[int(i[1:])]["name"].encode(), i), reverse=False)
    if descending:
        present = sorted(present, key=lambda i: docs[int(i[1:])]["name"].encode(), reverse=True)
    missing = [i for i in ids if docs[int(i[1:])]["name"] is None]
    expected = missing + present if not descending else present + missing
    pages = []
    with store.transaction(write=False) as tx:
        for page in range(1, len(docs) // size + 2):
            found, total = tx.list("machine", ListQuery(sort=Sort(NAME, descending), page=page, size=size))
            assert total == len(docs)
            pages.extend(d["id"] for d in found)
    assert pages == expected


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=documents, descending=st.booleans())
def test_sort_on_int64_fields_agrees_with_the_reference(store: Store, docs: list[dict[str, Any]],
                                                        descending: bool) -> None:
    load(store, docs)
    ids = [f"m{i:02d}" for i in range(len(docs))]
    stamp = {i: docs[int(i[1:])]["created_timestamp"] for i in ids}
    present = sorted((i for i in ids if stamp[i] is not None), key=lambda i: (stamp[i], i))
    if descending:
        present = sorted(present, key=lambda i: stamp[i], reverse=True)
    missing = [i for i in ids if stamp[i] is None]
    expected = missing + present if not descending else present + missing
    with store.transaction(write=False) as tx:
        found, _ = tx.list("machine", ListQuery(sort=Sort(CREATED, descending)))
    assert [d["id"] for d in found] == expected
