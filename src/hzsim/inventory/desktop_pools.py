"""Desktop pools: the canonical pool document and the operations on it.

One document per pool holds the union of every versioned field; GET v1..v8 are
projections of it through each version's response schema.
"""

from __future__ import annotations

from typing import Any

from hzsim.resources import get_document, list_documents
from hzsim.operations import OperationRequest, Page, operation

KIND = "desktop_pool"


@operation("listDesktopPools", "listDesktopPoolsV2", "listDesktopPoolsV3", "listDesktopPoolsV4",
           "listDesktopPoolsV5", "listDesktopPoolsV6", "listDesktopPoolsV7", "listDesktopPoolsV8")
def list_desktop_pools(request: OperationRequest) -> Page:
    return list_documents(request, KIND)


@operation("getDesktopPool", "getDesktopPoolV2", "getDesktopPoolV3", "getDesktopPoolV4",
           "getDesktopPoolV5", "getDesktopPoolV6", "getDesktopPoolV7", "getDesktopPoolV8")
def get_desktop_pool(request: OperationRequest) -> dict[str, Any]:
    return get_document(request, KIND, "inventory.desktop.pool.not.found", "Desktop pool")
