"""The shape of a scenario file (documented in docs/scenarios.md)."""

from __future__ import annotations

from hzsim.contract import load_contract
from hzsim.world.scenarios.schema import (BOOL, INT, TEXT, Mapping, Scalar, Sequence, many, optional,
                                          required)

_CONTRACT = load_contract()
OPERATING_SYSTEMS = tuple(_CONTRACT.schema("BaseVMInfoV3")["properties"]["operating_system"]["enum"])
GUEST_OS = tuple(_CONTRACT.schema("CustomizationSpecInfo")["properties"]["guest_os"]["enum"])
DATASTORE_TYPES = ("VMFS", "NFS", "VSAN", "VVOL")
INCOMPATIBLE_REASONS = tuple(_CONTRACT.schema("BaseVMInfoV2")["properties"]["incompatible_reasons"]["items"]["enum"])
NATURAL = Scalar(int, minimum=0)
POSITIVE = Scalar(int, minimum=1)

BASE_VM = Mapping({
    "name": required(TEXT),
    "folder": optional(TEXT),
    "operating_system": optional(Scalar(str, OPERATING_SYSTEMS), "WINDOWS_11"),
    "hardware_version": optional(POSITIVE, 19),
    "vtpm": optional(BOOL, True),
    "num_cpus": optional(POSITIVE, 2),
    "num_cores_per_socket": optional(POSITIVE, 1),
    "memory_mb": optional(POSITIVE, 8192),
    "disk_size_mb": optional(POSITIVE, 61440),
    "num_nics": optional(NATURAL, 1),
    "incompatible_reasons": many(Scalar(str, INCOMPATIBLE_REASONS)),
    "snapshots": many(TEXT),  # a chain: each snapshot is the child of the one before
    "applications": many(Mapping({"name": required(TEXT), "executable_path": required(TEXT),
                                  "publisher": optional(TEXT), "version": optional(TEXT)})),
})

VM_TEMPLATE = Mapping({
    "name": required(TEXT),
    "folder": optional(TEXT),
    "operating_system": optional(Scalar(str, OPERATING_SYSTEMS), "WINDOWS_11"),
    "memory_mb": optional(POSITIVE, 8192),
    "disk_size_mb": optional(POSITIVE, 61440),
})

DATASTORE = Mapping({
    "name": required(TEXT),
    "capacity_gb": optional(POSITIVE, 4096),
    "free_gb": optional(NATURAL, 2048),
    "type": optional(Scalar(str, DATASTORE_TYPES), "VSAN"),
})

CLUSTER = Mapping({
    "name": required(TEXT),
    "hosts": optional(POSITIVE, 4),
    "datastores": many(DATASTORE),
    "networks": many(TEXT),
    "resource_pools": many(TEXT),
})

DATACENTER = Mapping({
    "name": required(TEXT),
    "clusters": many(CLUSTER),
    "vm_folders": many(TEXT),
    "base_vms": many(BASE_VM),
    "vm_templates": many(VM_TEMPLATE),
    "vms": many(Mapping({"name": required(TEXT), "folder": optional(TEXT),
                         "operating_system": optional(Scalar(str, OPERATING_SYSTEMS), "WINDOWS_11")})),
})

LIMITS = Mapping({
    "provisioning_limit": optional(POSITIVE, 20),
    "power_operations_limit": optional(POSITIVE, 50),
    "instant_clone_engine_provisioning_limit": optional(POSITIVE, 20),
    "instant_clone_maintenance_limit": optional(POSITIVE, 12),
})

IM_STREAM = Mapping({
    "name": required(TEXT),
    "operating_system": optional(Scalar(str, OPERATING_SYSTEMS), "WINDOWS_11"),
    "versions": many(TEXT),
    "tags": many(Mapping({"name": required(TEXT), "version": required(TEXT)})),
})

VCENTER = Mapping({
    "server_name": required(TEXT),
    "version": optional(TEXT, "8.0.2"),
    "build": optional(TEXT, "22617221"),
    "user_name": optional(TEXT, "administrator@vsphere.local"),
    "limits": optional(LIMITS),
    "datacenters": many(DATACENTER),
    "customization_specs": many(Mapping({"name": required(TEXT), "guest_os": optional(Scalar(str, GUEST_OS),
                                                                                      "WINDOWS"),
                                         "description": optional(TEXT)})),
    "im_streams": many(IM_STREAM),
})

GROUP = Mapping({
    "name": required(TEXT),
    "members": many(TEXT),  # user or group names of the same domain
    "member_count": optional(NATURAL, 0),  # the first N generated users
    "description": optional(TEXT),
})

DOMAIN = Mapping({
    "dns_name": required(TEXT),
    "netbios_name": required(TEXT),
    "user_count": optional(NATURAL, 0),
    "user_prefix": optional(TEXT, "user"),
    "user_password": optional(TEXT, "Passw0rd!"),
    "users": many(Mapping({"name": required(TEXT), "password": optional(TEXT), "first_name": optional(TEXT),
                           "last_name": optional(TEXT), "email": optional(TEXT)})),
    "groups": many(GROUP),
    "containers": many(TEXT),
    "instant_clone_account": optional(TEXT, "svc-instantclone"),
})

ACCESS_GROUP = Mapping({
    "name": required(TEXT),
    "description": optional(TEXT),
})

ROLE = Mapping({
    "name": required(TEXT),
    "description": optional(TEXT),
    "privileges": many(TEXT),
})

ADMINISTRATOR = Mapping({
    "username": required(TEXT),
    "domain": required(TEXT),
    "password": optional(TEXT),  # without it: the server's --admin-password
    "role": optional(TEXT, "Administrators"),
    "access_group": optional(TEXT, "Root"),
    "group": optional(BOOL, False),  # the principal is an AD group of that name
})

DESKTOP_POOL = Mapping({
    "name": required(TEXT),
    "kind": optional(Scalar(str, ("INSTANT_CLONE", "MANUAL")), "INSTANT_CLONE"),
    "user_assignment": optional(Scalar(str, ("FLOATING", "DEDICATED")), "FLOATING"),
    "machines": optional(POSITIVE, 10),  # instant clones: the pool's size
    "spare_machines": optional(POSITIVE, 1),
    "naming_pattern": optional(TEXT, "vdi-{n:fixed=3}"),
    "base_vm": optional(TEXT),
    "snapshot": optional(TEXT),
    "cluster": optional(TEXT),
    "datastore": optional(TEXT),
    "folder": optional(TEXT, "VDI"),
    "vms": many(TEXT),  # manual pools: the names of the datacenter's vms
    "access_group": optional(TEXT, "Root"),
    "entitled": many(TEXT),  # AD users or groups, by login name
    "sessions": optional(NATURAL, 0),  # users logged on once machines are ready
})

ACTIVITY = Mapping({
    "seed": optional(INT, 1),
    "logons_per_hour": optional(Scalar(float, minimum=0), 30.0),
    "session_minutes": optional(Mapping({"mean": optional(Scalar(float, minimum=1), 60.0),
                                         "stddev": optional(Scalar(float, minimum=0), 15.0)})),
    "disconnect_ratio": optional(Scalar(float, minimum=0), 0.2),
    "pools": many(TEXT),  # by name; none: every pool
})

SCENARIO = Mapping({
    "name": required(TEXT),
    "description": optional(TEXT),
    "vcenters": many(VCENTER),
    "domains": many(DOMAIN),
    "access_groups": many(ACCESS_GROUP),
    "roles": many(ROLE),
    "administrators": many(ADMINISTRATOR),
    "agent_versions": many(TEXT),
    "desktop_pools": many(DESKTOP_POOL),
    "activity": optional(ACTIVITY),
})

__all__ = ["SCENARIO", "Sequence"]
