"""Reads of the simulated vCenter: datacenters, hosts or clusters, resource pools, VM
folders, datastores, network labels, VM templates, customization specifications, base VMs
and base snapshots. Required parameters that name an unknown object answer 400 naming
the parameter; lists that the contract pages, filters and sorts do so in the database.
"""

from __future__ import annotations

from typing import Any

from hzsim.errors import BadRequest, NotFound
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import page_of, require
from hzsim.world import faults
from hzsim.world.vcenter import (BASE_SNAPSHOT, BASE_VM, CUSTOMIZATION_SPEC, DATACENTER, DATASTORE, HOST_OR_CLUSTER,
                                 NETWORK_LABEL, RESOURCE_POOL, VCENTER, VIRTUAL_MACHINE, VM_FOLDER, VM_TEMPLATE,
                                 network_interface_cards)




def vcenter_of(request: OperationRequest) -> dict[str, Any]:
    vcenter = require(request, VCENTER, request.query.get("vcenter_id"), "vcenter_id", "vCenter",
                      "external.vcenter.id.invalid")
    faults.check(request.tx, "vcenter_unreachable", vcenter["id"])
    return vcenter


def datacenter_of(request: OperationRequest, vcenter: dict[str, Any], required: bool = True) -> dict[str, Any] | None:
    id_ = request.query.get("datacenter_id")
    if id_ is None and not required:
        return None
    return require(request, DATACENTER, id_, "datacenter_id", "datacenter", "external.datacenter.id.invalid",
                   vcenter["id"])


def host_or_cluster_of(request: OperationRequest, vcenter: dict[str, Any]) -> dict[str, Any]:
    return require(request, HOST_OR_CLUSTER, request.query.get("host_or_cluster_id"), "host_or_cluster_id",
                   "host or cluster", "external.host.or.cluster.id.invalid", vcenter["id"])


def _in(request: OperationRequest, kind: str, **where: Any) -> list[dict[str, Any]]:
    return request.tx.list(kind, where={k: v for k, v in where.items() if v is not None})[0]


@operation("listDatacenters")
def list_datacenters(request: OperationRequest) -> Page:
    return page_of(_in(request, DATACENTER, vcenter_id=vcenter_of(request)["id"]))


@operation("listHostsOrClusters")
def list_hosts_or_clusters(request: OperationRequest) -> Page:
    vcenter = vcenter_of(request)
    datacenter = datacenter_of(request, vcenter)
    items = []
    for doc in _in(request, HOST_OR_CLUSTER, datacenter_id=datacenter["id"]):
        details = {k: doc[k] for k in ("cluster", "datacenter_id", "incompatible_reasons", "name", "path",
                                       "vcenter_id", "vgpu_types")}
        items.append({"id": doc["id"], "details": details, "container": {**doc["container"], "children": []}})
    return page_of(items)


def _tree(nodes: list[dict[str, Any]], parent_key: str, root: dict[str, Any]) -> dict[str, Any]:
    children = [_tree(nodes, parent_key, node) for node in nodes if node.get(parent_key) == root["id"]]
    return {**root, "children": children}


@operation("listResourcePools")
def list_resource_pools(request: OperationRequest) -> Page:
    cluster = host_or_cluster_of(request, vcenter_of(request))
    pools = _in(request, RESOURCE_POOL, host_or_cluster_id=cluster["id"])
    return page_of([_tree(pools, "parent_id", pool) for pool in pools if pool.get("parent_id") is None])


@operation("listVMFolders")
def list_vm_folders(request: OperationRequest) -> Page:
    datacenter = datacenter_of(request, vcenter_of(request))
    folders = _in(request, VM_FOLDER, datacenter_id=datacenter["id"])
    roots = [f for f in folders if f["type"] == "DATACENTER"]
    for root in roots:
        root["children"] = [{**f, "children": []} for f in folders if f["type"] != "DATACENTER"]
    return page_of(roots)


@operation("listdatastores")
def list_datastores(request: OperationRequest) -> Page:
    cluster = host_or_cluster_of(request, vcenter_of(request))
    return page_of(_in(request, DATASTORE, host_or_cluster_id=cluster["id"]))


@operation("listNetworkLabels")
def list_network_labels(request: OperationRequest) -> Page:
    cluster = host_or_cluster_of(request, vcenter_of(request))
    return page_of(_in(request, NETWORK_LABEL, host_or_cluster_id=cluster["id"]))


@operation("listNetworkInterfaceCards", "listNetworkInterfaceCardsV2")
def list_network_interface_cards(request: OperationRequest) -> list[dict[str, Any]]:
    """The adapters of a base VM (with one of its snapshots) or of a template."""
    vcenter, query = vcenter_of(request), request.query
    if query.get("vm_template_id") and not query.get("base_vm_id"):
        source = require(request, VM_TEMPLATE, query["vm_template_id"], "vm_template_id", "VM template",
                         "external.vm.template.id.invalid", vcenter["id"])
    else:
        source = require(request, BASE_VM, query.get("base_vm_id"), "base_vm_id", "base VM",
                         "external.base.vm.id.invalid", vcenter["id"])
        snapshot = require(request, BASE_SNAPSHOT, query.get("base_snapshot_id"), "base_snapshot_id",
                           "base snapshot", "external.base.snapshot.id.invalid", vcenter["id"])
        if snapshot["base_vm_id"] != source["id"]:
            raise BadRequest("external.base.snapshot.id.invalid",
                             "Parameter 'base_snapshot_id' is not a snapshot of 'base_vm_id'.")
    return network_interface_cards(source)


@operation("listVMTemplates", "listVMTemplatesV2")
def list_vm_templates(request: OperationRequest) -> Page:
    vcenter = vcenter_of(request)
    datacenter = datacenter_of(request, vcenter, required=False)
    where = {"vcenter_id": vcenter["id"], **({"datacenter_id": datacenter["id"]} if datacenter else {})}
    return Page(*request.tx.list(VM_TEMPLATE, request.list_query, where=where))


@operation("listCustomizationSpecs")
def list_customization_specs(request: OperationRequest) -> Page:
    return page_of(_in(request, CUSTOMIZATION_SPEC, vcenter_id=vcenter_of(request)["id"]))


def _base_vm_conditions(request: OperationRequest) -> dict[str, Any]:
    vcenter = vcenter_of(request)
    datacenter = datacenter_of(request, vcenter, required=False)
    return {"vcenter_id": vcenter["id"], **({"datacenter_id": datacenter["id"]} if datacenter else {})}


@operation("listBaseVMs", "listBaseVMsV2", "listBaseVMsV3")
def list_base_vms(request: OperationRequest) -> Page:
    where = _base_vm_conditions(request)
    if request.query.get("filter_incompatible_vms"):
        where["compatible"] = True  # kept on the document so that pages stay full
    return Page(*request.tx.list(BASE_VM, request.list_query, where=where))


@operation("getBaseVMsV2")
def get_base_vm(request: OperationRequest) -> dict[str, Any]:
    where = _base_vm_conditions(request)
    vm = request.tx.get(BASE_VM, request.path["id"])
    if vm is None or any(vm.get(k) != v for k, v in where.items()):
        raise NotFound("external.base.vm.not.found", f"Base VM with id {request.path['id']} not found.")
    return vm


@operation("listBaseSnapshots", "listBaseSnapshotsV2")
def list_base_snapshots(request: OperationRequest) -> Page:
    vcenter = vcenter_of(request)
    vm = require(request, BASE_VM, request.query.get("base_vm_id"), "base_vm_id", "base VM",
                 "external.base.vm.id.invalid", vcenter["id"])
    return Page(*request.tx.list(BASE_SNAPSHOT, request.list_query, where={"base_vm_id": vm["id"]}))


@operation("listVirtualMachines")
def list_virtual_machines(request: OperationRequest) -> Page:
    vcenter = vcenter_of(request)
    in_use = {m["_vm_id"] for m in request.tx.list("machine", where={"vcenter_id": vcenter["id"]})[0] if "_vm_id" in m}
    vms = _in(request, VIRTUAL_MACHINE, vcenter_id=vcenter["id"])
    for vm in vms:
        vm["incompatible_reasons"] = ["IN_USE_BY_LOCAL_DESKTOP_POOL"] if vm["id"] in in_use else []
    return page_of(vms)
