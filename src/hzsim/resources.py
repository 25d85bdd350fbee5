"""Reads shared by every resource family: one document by id, a page of documents.

Visibility follows the contract's privilege table: where a privilege "returns results
only" for resources the caller may see, lists shrink to the access groups on which the
caller holds it, and a get of an invisible resource is a 404, as on a real server.
"""

from __future__ import annotations

from typing import Any

from hzsim.errors import BadRequest, HorizonError, NotFound
from hzsim.operations import OperationRequest, Page


def visible_access_groups(request: OperationRequest) -> set[str] | None:
    """Access groups whose resources this caller may see here; None when not restricted."""
    caller = request.caller
    privileges = request.op.privileges
    required = [p for p in privileges.required if p.scope == "access_group"]
    any_of = [p for p in privileges.any_of if p.scope == "access_group"]
    if caller is None or not (required or any_of):
        return None
    groups: set[str] | None = None
    for privilege in required:
        held = caller.groups_with(privilege.name)
        groups = held if groups is None else groups & held
    if any_of:
        held = set().union(*(caller.groups_with(p.name) for p in any_of))
        groups = held if groups is None else groups & held
    if groups is not None and groups >= request.sim.access_group_ids():
        return None  # the caller sees every group: no condition to add to the query
    return groups


def list_documents(request: OperationRequest, kind: str) -> Page:
    items, total = request.tx.list(kind, request.list_query, access_groups=visible_access_groups(request))
    return Page(items, total)


def get_document(request: OperationRequest, kind: str, not_found_key: str, what: str) -> dict[str, Any]:
    id_ = request.path["id"]
    doc = request.tx.get(kind, id_)
    groups = visible_access_groups(request)
    if doc is None or (groups is not None and doc.get("access_group_id") not in groups):
        raise NotFound(not_found_key, f"{what} with id {id_} not found.")
    return doc


def require(request: OperationRequest, kind: str, id_: str | None, field: str, what: str,
            error_key: str, vcenter_id: str | None = None) -> dict[str, Any]:
    """A document a query parameter or body field refers to; 400 naming the field if it is unknown
    (or, given `vcenter_id`, if it belongs to another vCenter)."""
    doc = request.tx.get(kind, id_) if id_ else None
    if doc is None or (vcenter_id is not None and doc.get("vcenter_id") != vcenter_id):
        where = " in this vCenter" if vcenter_id is not None else ""
        raise BadRequest(error_key, f"Invalid '{field}': no {what} with id {id_!r}{where}.")
    return doc


def page_of(items: list[dict[str, Any]]) -> Page:
    return Page(items, len(items))


def bulk_item(id_: str, status: int, error_key: str | None = None, message: str | None = None) -> dict[str, Any]:
    """One BulkItemResponseInfo: the item's id, its own status and, when it failed, why."""
    item: dict[str, Any] = {"id": id_, "status_code": status}
    if error_key:
        item["errors"] = [{"error_key": error_key, "error_message": message}]
    return item


def for_each(request: OperationRequest, kind: str, ids: list[str], *, view: str, privileges: tuple[str, ...],
             not_found_key: str, what: str, act: Any) -> list[dict[str, Any]]:
    """A bulk action: `act(doc)` on each document the caller may see (`view`) and act on (any of
    `privileges`, on the document's access group). One item per id; an item that fails (unknown
    id, no privilege, a `HorizonError` from `act`) never undoes the others."""
    results = []
    caller = request.caller
    for id_ in ids:
        doc = request.tx.get(kind, id_)
        if doc is None or (caller is not None and not caller.has(view, doc.get("access_group_id"))):
            results.append(bulk_item(id_, 404, not_found_key, f"{what} with id {id_} not found."))
        elif caller is not None and not any(caller.has(p, doc.get("access_group_id")) for p in privileges):
            results.append(bulk_item(id_, 403, "common.forbidden",
                                     f"The caller lacks {' or '.join(privileges)} on the {what.lower()}'s access group."))
        else:
            try:
                act(doc)
                results.append(bulk_item(id_, 200))
            except HorizonError as error:
                results.append(bulk_item(id_, error.status, error.error_key, error.message))
    return results


def find_resource(request: OperationRequest, kind: str, id_: str, *, view: str, privilege: str | None,
                  not_found_key: str, what: str) -> dict[str, Any]:
    """One resource the caller may see (`view` on its access group, else 404) and act on
    (`privilege` on its access group, else 403)."""
    doc = request.tx.get(kind, id_)
    caller = request.caller
    if doc is None or (caller is not None and not caller.has(view, doc.get("access_group_id"))):
        raise NotFound(not_found_key, f"{what} with id {id_} not found.")
    if privilege is not None and caller is not None and not caller.has(privilege, doc.get("access_group_id")):
        raise HorizonError("common.forbidden", f"The caller lacks {privilege} on the {what.lower()}'s access group.",
                           status=403)
    return doc
