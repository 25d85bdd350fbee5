"""The simulated vCenter inventory: servers, datacenters, clusters, hosts, resource pools,
VM folders, datastores, networks, base VMs and their snapshot chains, templates,
customization specifications and image-management streams.

Objects are stored as documents. vSphere objects get managed-object ids shaped like the
real ones (`datacenter-3`, `domain-c7`, `host-12`, `resgroup-9`, `group-v5`,
`datastore-11`, `network-14`, `vm-123`, `snapshot-4`); Horizon objects get UUIDs.
"""

from __future__ import annotations

from typing import Any

from hzsim.ids import stable_id
from hzsim.store import Transaction

VCENTER, DATACENTER, HOST_OR_CLUSTER, HOST = "vcenter", "datacenter", "host_or_cluster", "host"
RESOURCE_POOL, VM_FOLDER, DATASTORE, NETWORK_LABEL = "resource_pool", "vm_folder", "datastore", "network_label"
BASE_VM, BASE_SNAPSHOT, VM_TEMPLATE, CUSTOMIZATION_SPEC = "base_vm", "base_snapshot", "vm_template", "customization_spec"
IM_STREAM, IM_TAG, IM_VERSION = "im_stream", "im_tag", "im_version"
VIRTUAL_MACHINE = "virtual_machine"  # plain VMs, for manual desktop pools

# What a gold image has installed when its scenario does not say.
DEFAULT_APPLICATIONS = [
    {"name": "Microsoft Edge", "executable_path": "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
     "publisher": "Microsoft Corporation", "version": "131.0.2903.70"},
    {"name": "Notepad", "executable_path": "C:\\Windows\\System32\\notepad.exe", "publisher": "Microsoft Corporation",
     "version": "10.0.22621.1"},
    {"name": "Calculator", "executable_path": "C:\\Windows\\System32\\calc.exe", "publisher": "Microsoft Corporation",
     "version": "10.0.22621.1"},
]

OS_DISPLAY_NAMES = {
    "WINDOWS_11": "Microsoft Windows 11 (64-bit)", "WINDOWS_10": "Microsoft Windows 10 (64-bit)",
    "WINDOWS_SERVER_2016_OR_ABOVE": "Microsoft Windows Server 2022 (64-bit)",
    "LINUX_UBUNTU": "Ubuntu Linux (64-bit)", "LINUX_RHEL": "Red Hat Enterprise Linux 9 (64-bit)",
}


def network_interface_cards(vm: dict[str, Any]) -> list[dict[str, Any]]:
    """The network adapters of a base VM or template (its snapshots share them), derived from its id."""
    cards = []
    for index in range(vm.get("num_nics", 1)):
        card_id = stable_id("nic", vm["vcenter_id"], vm["id"], str(index))
        mac = "00:50:56:" + ":".join(card_id.replace("-", "")[i:i + 2] for i in (0, 2, 4))
        cards.append({"id": card_id, "name": f"Network adapter {index + 1}", "mac_address": mac,
                      "network_type": "NETWORK"})
    return cards


def moid(tx: Transaction, prefix: str) -> str:
    """The next managed-object id of a kind: `vm-123`, `domain-c7`, ..."""
    return f"{prefix}-{tx.next_sequence('moid:' + prefix, 1)}"


class VCenterBuilder:
    """Creates one vCenter's inventory from its scenario description."""

    def __init__(self, tx: Transaction, spec: dict[str, Any], now: int) -> None:
        self.tx = tx
        self.spec = spec
        self.now = now
        self.id = stable_id("vcenter", spec["server_name"].lower())

    def build(self) -> str:
        spec = self.spec
        limits = {"provisioning_limit": 20, "power_operations_limit": 50,
                  "instant_clone_engine_provisioning_limit": 20, "instant_clone_maintenance_limit": 12}
        limits.update({k: v for k, v in (spec.get("limits") or {}).items() if not k.startswith("__")})
        self.tx.insert(VCENTER, self.id, {
            "id": self.id, "server_name": spec["server_name"], "port": 443, "use_ssl": True,
            "name": f"https://{spec['server_name']}:443/sdk", "user_name": spec["user_name"],
            "display_name": spec["server_name"], "description": "", "enabled": True, "version": spec["version"],
            "build": spec["build"], "api_version": spec["version"].rsplit(".", 1)[0] + ".0",
            "instance_uuid": stable_id("vcenter-instance", spec["server_name"].lower()), "limits": limits,
            "deployment_type": "GENERAL", "maintenance_mode": False, "se_sparse_reclamation_enabled": False,
            "storage_accelerator_data": {"enabled": False, "default_cache_size_mb": 1024},
            "instant_clone_debug_enabled": False, "vmc_deployment": False, "has_virtual_tpm_pools": False,
            "vsan_validation_status": "OK", "created_at": self.now, "updated_at": self.now,
        })
        for datacenter in spec["datacenters"]:
            self._datacenter(datacenter)
        for custom in spec["customization_specs"]:
            spec_id = stable_id("customization_spec", self.id, custom["name"])
            self.tx.insert(CUSTOMIZATION_SPEC, spec_id, {
                "id": spec_id, "vcenter_id": self.id, "name": custom["name"], "guest_os": custom["guest_os"],
                "description": custom["description"] or "", "incompatible_reasons": []})
        for stream in spec["im_streams"]:
            self._im_stream(stream)
        return self.id

    def _datacenter(self, spec: dict[str, Any]) -> None:
        dc_id = moid(self.tx, "datacenter")
        dc_path = f"/{spec['name']}"
        self.tx.insert(DATACENTER, dc_id, {"id": dc_id, "vcenter_id": self.id, "name": spec["name"], "path": dc_path})
        folders = {None: self._folder(dc_id, spec["name"], "vm", f"{dc_path}/vm", "DATACENTER")}
        for name in spec["vm_folders"]:
            folders[name] = self._folder(dc_id, name, name, f"{dc_path}/vm/{name}", "FOLDER")
        for cluster in spec["clusters"]:
            self._cluster(dc_id, dc_path, cluster)
        for base_vm in spec["base_vms"]:
            self._base_vm(dc_id, dc_path, base_vm, folders)
        for vm in spec["vms"]:
            folder = f"{dc_path}/vm/{vm['folder']}" if vm["folder"] else f"{dc_path}/vm"
            vm_id = moid(self.tx, "vm")
            self.tx.insert(VIRTUAL_MACHINE, vm_id, {
                "id": vm_id, "vcenter_id": self.id, "datacenter_id": dc_id, "name": vm["name"],
                "path": f"{folder}/{vm['name']}", "operating_system": vm["operating_system"],
                "operating_system_display_name": OS_DISPLAY_NAMES.get(vm["operating_system"], vm["operating_system"]),
                "hardware_version": 19, "incompatible_reasons": []})
        for template in spec["vm_templates"]:
            folder = f"{dc_path}/vm/{template['folder']}" if template["folder"] else f"{dc_path}/vm"
            template_id = moid(self.tx, "vm")
            self.tx.insert(VM_TEMPLATE, template_id, {
                "id": template_id, "vcenter_id": self.id, "datacenter_id": dc_id, "name": template["name"],
                "path": f"{folder}/{template['name']}", "operating_system": template["operating_system"],
                "operating_system_display_name": OS_DISPLAY_NAMES.get(template["operating_system"],
                                                                      template["operating_system"]),
                "memory_mb": template["memory_mb"], "disk_size_in_bytes": template["disk_size_mb"] * 1024 * 1024,
                "incompatible_reasons": [], "created_at": self.now, "updated_at": self.now})

    def _folder(self, dc_id: str, name: str, label: str, path: str, kind: str) -> str:
        folder_id = moid(self.tx, "group-v")
        self.tx.insert(VM_FOLDER, folder_id, {
            "id": folder_id, "vcenter_id": self.id, "datacenter_id": dc_id, "name": label if kind == "FOLDER"
            else name, "path": path, "type": kind, "incompatible_reasons": []})
        return path

    def _cluster(self, dc_id: str, dc_path: str, spec: dict[str, Any]) -> None:
        cluster_id = moid(self.tx, "domain-c")
        cluster_path = f"{dc_path}/host/{spec['name']}"
        self.tx.insert(HOST_OR_CLUSTER, cluster_id, {
            "id": cluster_id, "vcenter_id": self.id, "datacenter_id": dc_id, "name": spec["name"],
            "path": cluster_path, "cluster": True, "incompatible_reasons": [], "vgpu_types": [],
            "container": {"name": "host", "path": f"{dc_path}/host", "type": "FOLDER"}})
        for n in range(1, spec["hosts"] + 1):
            host_id = moid(self.tx, "host")
            self.tx.insert(HOST, host_id, {
                "id": host_id, "vcenter_id": self.id, "cluster_id": cluster_id, "datacenter_id": dc_id,
                "name": f"esx{n:02d}.{spec['name'].lower()}.example.com", "status": "CONNECTED",
                "cpu_core_count": 32, "cpu_mhz": 2900, "memory_size_mb": 786432})
        root_pool = moid(self.tx, "resgroup")
        self.tx.insert(RESOURCE_POOL, root_pool, {
            "id": root_pool, "vcenter_id": self.id, "host_or_cluster_id": cluster_id, "name": "Resources",
            "path": f"{cluster_path}/Resources", "type": "CLUSTER", "parent_id": None})
        for name in spec["resource_pools"]:
            pool_id = moid(self.tx, "resgroup")
            self.tx.insert(RESOURCE_POOL, pool_id, {
                "id": pool_id, "vcenter_id": self.id, "host_or_cluster_id": cluster_id, "name": name,
                "path": f"{cluster_path}/Resources/{name}", "type": "RESOURCE_POOL", "parent_id": root_pool})
        for datastore in spec["datastores"]:
            ds_id = moid(self.tx, "datastore")
            self.tx.insert(DATASTORE, ds_id, {
                "id": ds_id, "vcenter_id": self.id, "datacenter_id": dc_id, "host_or_cluster_id": cluster_id,
                "name": datastore["name"], "path": f"{dc_path}/datastore/{datastore['name']}",
                "capacity_mb": datastore["capacity_gb"] * 1024,
                "free_space_mb": min(datastore["free_gb"], datastore["capacity_gb"]) * 1024,
                "file_system_type": datastore["type"] if datastore["type"] != "NFS" else "NFS",
                "disk_type": "SSD", "local_datastore": False, "number_of_vms": 0, "vmfs_major_version": "6",
                "incompatible_reasons": [], "status": "ACCESSIBLE"})
        for name in spec["networks"] or ["VM Network"]:
            network_id = moid(self.tx, "network")
            self.tx.insert(NETWORK_LABEL, network_id, {
                "id": network_id, "vcenter_id": self.id, "host_or_cluster_id": cluster_id, "name": name,
                "switch_type": "STANDARD_SWITCH", "label_type": "EARLY_BINDING", "network_type": "NETWORK",
                "max_ports": 0, "available_ports": 0, "incompatible_reasons": []})

    def _base_vm(self, dc_id: str, dc_path: str, spec: dict[str, Any], folders: dict[str | None, str]) -> None:
        vm_id = moid(self.tx, "vm")
        reasons = list(spec["incompatible_reasons"])
        if not spec["snapshots"] and "NO_SNAPSHOTS" not in reasons:
            reasons.append("NO_SNAPSHOTS")  # a VM without a snapshot cannot be an instant-clone image
        folder = folders.get(spec["folder"], f"{dc_path}/vm/{spec['folder']}" if spec["folder"] else f"{dc_path}/vm")
        self.tx.insert(BASE_VM, vm_id, {
            "id": vm_id, "vcenter_id": self.id, "datacenter_id": dc_id, "name": spec["name"],
            "path": f"{folder}/{spec['name']}", "operating_system": spec["operating_system"],
            "operating_system_display_name": OS_DISPLAY_NAMES.get(spec["operating_system"], spec["operating_system"]),
            "hardware_version": spec["hardware_version"], "vtpm_capable": spec["vtpm"],
            "network_type": "STANDARD_NETWORK", "num_nics": spec["num_nics"],
            "incompatible_reasons": reasons, "compatible": not reasons,
            "applications": [{k: v for k, v in app.items() if not k.startswith("__") and v is not None}
                             for app in spec["applications"]] or DEFAULT_APPLICATIONS,
            "created_at": self.now - 90 * 86_400_000, "updated_at": self.now})
        parent, chain = None, ""
        count = len(spec["snapshots"])
        for index, name in enumerate(spec["snapshots"]):
            snapshot_id = moid(self.tx, "snapshot")
            chain = f"{chain}/{name}"
            self.tx.insert(BASE_SNAPSHOT, snapshot_id, {
                "id": snapshot_id, "vcenter_id": self.id, "base_vm_id": vm_id, "parent_id": parent, "name": name,
                "path": chain, "description": f"{spec['name']} {name}",
                # Older snapshots first: one a week, the newest a day old.
                "created_timestamp": self.now - ((count - index - 1) * 7 + 1) * 86_400_000,
                "hardware_version": spec["hardware_version"], "num_cpus": spec["num_cpus"],
                "num_cores_per_socket": spec["num_cores_per_socket"], "memory_mb": spec["memory_mb"],
                "memory_reservation_mb": 0, "disk_size_mb": spec["disk_size_mb"], "max_number_of_monitors": 4,
                "max_resolution_of_any_one_monitor": "3840x2160", "renderer3d": "AUTOMATIC",
                "total_video_memory_mb": 256.0, "incompatible_reasons": []})
            parent = snapshot_id

    def _im_stream(self, spec: dict[str, Any]) -> None:
        stream_id = stable_id("im_stream", self.id, spec["name"])
        self.tx.insert(IM_STREAM, stream_id, {
            "id": stream_id, "vcenter_id": self.id, "name": spec["name"], "description": "",
            "operating_system": spec["operating_system"], "publisher": "hzsim", "source": "UPLOADED",
            "status": "AVAILABLE", "usable": True, "clone_type": "INSTANT_CLONE", "image_type": "VDI_DESKTOP"})
        versions = {}
        for name in spec["versions"]:
            version_id = stable_id("im_version", stream_id, name)
            versions[name] = version_id
            self.tx.insert(IM_VERSION, version_id, {"id": version_id, "im_stream_id": stream_id, "name": name,
                                                    "description": "", "status": "AVAILABLE"})
        for tag in spec["tags"]:
            tag_id = stable_id("im_tag", stream_id, tag["name"])
            self.tx.insert(IM_TAG, tag_id, {"id": tag_id, "im_stream_id": stream_id, "name": tag["name"],
                                            "description": "", "im_version_id": versions.get(tag["version"])})
