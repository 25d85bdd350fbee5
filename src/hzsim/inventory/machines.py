"""Machines: the canonical machine document and the operations on it."""

from __future__ import annotations

from typing import Any

from hzsim.resources import get_document, list_documents
from hzsim.operations import OperationRequest, Page, operation

KIND = "machine"


@operation("listMachines", "listMachinesV2", "listMachinesV3", "listMachinesV4", "listMachinesV5")
def list_machines(request: OperationRequest) -> Page:
    return list_documents(request, KIND)


@operation("getMachine", "getMachineV2", "getMachineV3", "getMachineV4", "getMachineV5")
def get_machine(request: OperationRequest) -> dict[str, Any]:
    return get_document(request, KIND, "inventory.machine.not.found", "Machine")
