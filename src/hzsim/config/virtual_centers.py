"""Virtual centers as configured in Horizon (`/config/v1..v6/virtual-centers`)."""

from __future__ import annotations

from typing import Any

from hzsim.errors import NotFound
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import page_of
from hzsim.world.vcenter import VCENTER


@operation("listVCInfo", "listVCInfoV2", "listVCInfoV3", "listVCInfoV4", "listVCInfoV5", "listVCInfoV6")
def list_virtual_centers(request: OperationRequest) -> Page:
    return page_of(request.tx.list(VCENTER)[0])


@operation("getVirtualCenter", "getVirtualCenterV4", "getVirtualCenterV5")
def get_virtual_center(request: OperationRequest) -> dict[str, Any]:
    vcenter = request.tx.get(VCENTER, request.path["id"])
    if vcenter is None:
        raise NotFound("config.virtual.center.not.found", f"Virtual center with id {request.path['id']} not found.")
    return vcenter
