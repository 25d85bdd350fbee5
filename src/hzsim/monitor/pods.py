"""Pods of the Cloud Pod Architecture federation: hzsim simulates one pod, with one
connection server endpoint."""

from __future__ import annotations

from typing import Any

from hzsim.errors import NotFound
from hzsim.ids import stable_id
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import page_of
from hzsim.monitor.virtual_centers import CONNECTION_SERVER_NAME

POD_ID = stable_id("pod", "Cluster-CS01")
SITE_ID = stable_id("site", "Default-First-Site")


def _pod(request: OperationRequest) -> dict[str, Any]:
    return {"id": POD_ID, "name": "Cluster-CS01", "site_id": SITE_ID,
            "endpoints": [{"id": stable_id("pod-endpoint", CONNECTION_SERVER_NAME), "name": CONNECTION_SERVER_NAME,
                           "url": f"https://{CONNECTION_SERVER_NAME}:8472", "enabled": True, "status": "ONLINE",
                           "roundtrip_time": 1, "last_updated_timestamp": request.now}]}


@operation("listPodMonitorInfosV1", "listPodMonitorInfosV2")
def list_pods(request: OperationRequest) -> Page:
    return page_of([_pod(request)])


@operation("getPodMonitorInfoV2")
def get_pod(request: OperationRequest) -> dict[str, Any]:
    if request.path["id"] != POD_ID:
        raise NotFound("monitor.pod.not.found", f"Pod with id {request.path['id']} not found.")
    return _pod(request)
