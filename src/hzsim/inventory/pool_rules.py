"""The rules a desktop pool must keep, checked on create and update (400 naming the field).

Each rule reads the canonical pool document (the union of every version's fields) and the
world it refers to. A rule that is broken raises `BadRequest` with a stable key
`inventory.desktop.pool.<rule>` and a message naming the field.
"""

from __future__ import annotations

import re
from typing import Any

from hzsim.errors import BadRequest
from hzsim.store import Transaction
from hzsim.world.active_directory import AD_CONTAINER, IC_DOMAIN_ACCOUNT
from hzsim.world.vcenter import (BASE_SNAPSHOT, BASE_VM, CUSTOMIZATION_SPEC, DATACENTER, DATASTORE, HOST_OR_CLUSTER,
                                 IM_STREAM, IM_TAG, NETWORK_LABEL, RESOURCE_POOL, VCENTER, VM_FOLDER,
                                 VM_TEMPLATE, network_interface_cards)

NETBIOS_NAME_LIMIT = 15
_PATTERN_TOKEN = re.compile(r"\{n(?::fixed=(\d+))?\}")
_COMPUTER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


def refuse(rule: str, message: str) -> BadRequest:
    return BadRequest(f"inventory.desktop.pool.{rule}", message)


def _need(value: Any, field: str, when: str) -> None:
    if value in (None, "", []):
        raise refuse("field.required", f"Field '{field}' is required {when}.")


def _ref(tx: Transaction, kind: str, id_: str | None, field: str, what: str) -> dict[str, Any]:
    doc = tx.get(kind, id_) if id_ else None
    if doc is None:
        raise refuse("invalid.reference", f"Field '{field}' names no {what} ({id_!r}).")
    return doc


# -- naming -------------------------------------------------------------------------------

def machine_name(pattern: str, number: int) -> str:
    """The name a pattern gives machine `number`; without {n} the number is appended."""
    match = _PATTERN_TOKEN.search(pattern)
    if match is None:
        return f"{pattern}{number}"
    digits = str(number).zfill(int(match.group(1))) if match.group(1) else str(number)
    return pattern[: match.start()] + digits + pattern[match.end():]


def check_naming_pattern(pattern: str, max_machines: int) -> None:
    tokens = _PATTERN_TOKEN.findall(pattern)
    if len(tokens) > 1 or pattern.count("{") != len(tokens):
        raise refuse("naming.pattern.invalid", "Field 'pattern_naming_settings.naming_pattern' may hold one "
                                               "'{n}' or '{n:fixed=N}' and no other braces.")
    longest = machine_name(pattern, max_machines)
    fixed = _PATTERN_TOKEN.search(pattern)
    if fixed and fixed.group(1) and len(str(max_machines)) > int(fixed.group(1)):
        raise refuse("naming.pattern.invalid", f"Field 'pattern_naming_settings.naming_pattern' fixes {{n}} to "
                                               f"{fixed.group(1)} digits, too few for {max_machines} machines.")
    if not _COMPUTER_NAME.match(longest) or not re.search(r"[A-Za-z]", _PATTERN_TOKEN.sub("", pattern)):
        raise refuse("naming.pattern.invalid", "Field 'pattern_naming_settings.naming_pattern' must give machine "
                                               "names of letters, digits and hyphens, with at least one letter.")
    if len(longest) > NETBIOS_NAME_LIMIT:
        raise refuse("naming.pattern.too.long",
                     f"Field 'pattern_naming_settings.naming_pattern' gives names of up to {len(longest)} "
                     f"characters (e.g. {longest}); machine names are limited to {NETBIOS_NAME_LIMIT}. "
                     "Use a shorter pattern or place '{n}' explicitly.")


NAME_PROBLEMS = {"VM_NAME_TOO_LONG": f"longer than {NETBIOS_NAME_LIMIT} characters",
                  "INVALID_VM_NAME": "not a valid machine name (letters, digits and hyphens, with a letter)",
                  "DUPLICATE_VM_NAME": "already used"}


def specified_name_statuses(name: str, taken: list[str]) -> list[str]:
    """What is wrong with a specified machine name, as validate-specified-names reports it."""
    statuses = []
    if len(name) > NETBIOS_NAME_LIMIT:
        statuses.append("VM_NAME_TOO_LONG")
    if not name or not all(c.isalnum() or c == "-" for c in name) or not any(c.isalpha() for c in name):
        statuses.append("INVALID_VM_NAME")
    if name.lower() in {n.lower() for n in taken}:
        statuses.append("DUPLICATE_VM_NAME")
    return statuses


def _check_naming(pool: dict[str, Any]) -> None:
    method = pool.get("naming_method")
    _need(method, "naming_method", "for automated desktop pools")
    if method == "PATTERN":
        settings = pool.get("pattern_naming_settings")
        _need(settings, "pattern_naming_settings", "when naming_method is PATTERN")
        maximum, spare = settings["max_number_of_machines"], settings["number_of_spare_machines"]
        minimum = settings.get("min_number_of_machines", 0)
        if spare > maximum:
            raise refuse("sizing.invalid", "Field 'pattern_naming_settings.number_of_spare_machines' must not "
                                           "exceed max_number_of_machines.")
        if settings["provisioning_time"] == "ON_DEMAND" and minimum > maximum:
            raise refuse("sizing.invalid", "Field 'pattern_naming_settings.min_number_of_machines' must not exceed "
                                           "max_number_of_machines.")
        check_naming_pattern(settings["naming_pattern"], maximum)
    else:
        settings = pool.get("specific_naming_settings")
        _need(settings and settings.get("specified_names"), "specific_naming_settings.specified_names",
              "when naming_method is SPECIFIED")
        names = [entry["name"] for entry in settings["specified_names"]]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise refuse("specified.names.invalid", f"Field 'specific_naming_settings.specified_names' repeats "
                                                    f"{', '.join(duplicates)}.")
        for name in names:
            problems = specified_name_statuses(name, [])
            if problems:
                raise refuse("specified.names.invalid", f"Specified name {name!r} is "
                                                        f"{NAME_PROBLEMS[problems[0]]}.")
        if settings["num_unassigned_machines_kept_powered_on"] > len(names):
            raise refuse("sizing.invalid", "Field 'specific_naming_settings.num_unassigned_machines_kept_powered_on' "
                                           "must not exceed the number of specified names.")
        if pool.get("user_assignment") == "FLOATING" and any(entry.get("user_id") for entry in
                                                             settings["specified_names"]):
            raise refuse("specified.names.invalid", "Users can be assigned to specified names only in dedicated "
                                                    "pools.")


# -- vCenter placement ----------------------------------------------------------------------

def _check_placement(tx: Transaction, pool: dict[str, Any]) -> dict[str, Any]:
    vcenter = _ref(tx, VCENTER, pool.get("vcenter_id"), "vcenter_id", "vCenter")
    settings = pool.get("provisioning_settings")
    _need(settings, "provisioning_settings", "for automated desktop pools")
    cluster = _ref(tx, HOST_OR_CLUSTER, settings.get("host_or_cluster_id"), "provisioning_settings.host_or_cluster_id",
                   "host or cluster")
    if cluster["vcenter_id"] != vcenter["id"]:
        raise refuse("placement.inconsistent", "Field 'provisioning_settings.host_or_cluster_id' is not in the "
                                               "pool's vCenter.")
    datacenter_id = settings.get("datacenter_id") or cluster["datacenter_id"]
    datacenter = _ref(tx, DATACENTER, datacenter_id, "provisioning_settings.datacenter_id", "datacenter")
    if cluster["datacenter_id"] != datacenter["id"]:
        raise refuse("placement.inconsistent", "Field 'provisioning_settings.host_or_cluster_id' is not in the "
                                               "datacenter 'provisioning_settings.datacenter_id'.")
    settings["datacenter_id"] = datacenter["id"]
    resource_pool = _ref(tx, RESOURCE_POOL, settings.get("resource_pool_id"), "provisioning_settings.resource_pool_id",
                         "resource pool")
    if resource_pool["host_or_cluster_id"] != cluster["id"]:
        raise refuse("placement.inconsistent", "Field 'provisioning_settings.resource_pool_id' is not a resource "
                                               "pool of the host or cluster.")
    folder = _ref(tx, VM_FOLDER, settings.get("vm_folder_id"), "provisioning_settings.vm_folder_id", "VM folder")
    if folder["datacenter_id"] != datacenter["id"]:
        raise refuse("placement.inconsistent", "Field 'provisioning_settings.vm_folder_id' is not in the datacenter.")
    storage = pool.get("storage_settings")
    _need(storage and storage.get("datastores"), "storage_settings.datastores", "for automated desktop pools")
    for index, entry in enumerate(storage["datastores"]):
        datastore = _ref(tx, DATASTORE, entry["datastore_id"], f"storage_settings.datastores[{index}].datastore_id",
                         "datastore")
        if datastore["host_or_cluster_id"] != cluster["id"]:
            raise refuse("placement.inconsistent", f"Field 'storage_settings.datastores[{index}].datastore_id' is "
                                                   "not a datastore of the host or cluster.")
    if storage.get("use_separate_datastores_replica_and_os_disks"):
        _need(storage.get("replica_disk_datastore_id"), "storage_settings.replica_disk_datastore_id",
              "when use_separate_datastores_replica_and_os_disks is true")
        _ref(tx, DATASTORE, storage["replica_disk_datastore_id"], "storage_settings.replica_disk_datastore_id",
             "datastore")
    if storage.get("reclaim_vm_disk_space"):
        _need(storage.get("reclamation_threshold_mb"), "storage_settings.reclamation_threshold_mb",
              "when reclaim_vm_disk_space is true")
    return datacenter


def check_image(tx: Transaction, settings: dict[str, Any], datacenter_id: str, prefix: str,
                parent_field: str = "parent_vm_id", snapshot_field: str = "base_snapshot_id") -> None:
    """Exactly one image source: a parent VM with one of its snapshots, or a stream with one of its tags."""
    parent, snapshot = settings.get(parent_field), settings.get(snapshot_field)
    stream, tag = settings.get("im_stream_id"), settings.get("im_tag_id")
    by_vm, by_stream = bool(parent or snapshot), bool(stream or tag)
    if by_vm == by_stream:
        raise refuse("image.source.invalid", f"Give either '{prefix}{parent_field}' and '{prefix}{snapshot_field}', "
                                             f"or '{prefix}im_stream_id' and '{prefix}im_tag_id'.")
    if by_vm:
        _need(parent, f"{prefix}{parent_field}", f"with '{prefix}{snapshot_field}'")
        _need(snapshot, f"{prefix}{snapshot_field}", f"with '{prefix}{parent_field}'")
        vm = _ref(tx, BASE_VM, parent, f"{prefix}{parent_field}", "base VM")
        snap = _ref(tx, BASE_SNAPSHOT, snapshot, f"{prefix}{snapshot_field}", "snapshot")
        if snap["base_vm_id"] != vm["id"]:
            raise refuse("image.source.invalid", f"Field '{prefix}{snapshot_field}' is not a snapshot of "
                                                 f"'{prefix}{parent_field}'.")
        if vm["datacenter_id"] != datacenter_id:
            raise refuse("image.source.invalid", f"Field '{prefix}{parent_field}' is not in the pool's datacenter.")
        blocking = [r for r in vm.get("incompatible_reasons", []) if r not in (
            "IN_USE_BY_DESKTOP_POOL", "IN_USE_BY_INSTANT_CLONE_DESKTOP_POOL")]
        if blocking:
            raise refuse("image.source.invalid", f"Field '{prefix}{parent_field}' cannot be an instant-clone image: "
                                                 f"{', '.join(blocking)}.")
    else:
        _need(stream, f"{prefix}im_stream_id", f"with '{prefix}im_tag_id'")
        _need(tag, f"{prefix}im_tag_id", f"with '{prefix}im_stream_id'")
        _ref(tx, IM_STREAM, stream, f"{prefix}im_stream_id", "image-management stream")
        tag_doc = _ref(tx, IM_TAG, tag, f"{prefix}im_tag_id", "image-management tag")
        if tag_doc["im_stream_id"] != stream:
            raise refuse("image.source.invalid", f"Field '{prefix}im_tag_id' is not a tag of '{prefix}im_stream_id'.")


def check_compute_profile(settings: dict[str, Any], prefix: str) -> None:
    cores = settings.get(f"{prefix}num_cores_per_socket")
    cpus, ram = settings.get(f"{prefix}num_cpus"), settings.get(f"{prefix}ram_mb")
    if cores is None and cpus is None and ram is None:
        return
    if cores is None or cpus is None or ram is None:
        raise refuse("compute.profile.invalid", f"Fields '{prefix}num_cores_per_socket', '{prefix}num_cpus' and "
                                                f"'{prefix}ram_mb' go together.")
    if cores < 1 or cpus < 1 or cpus % cores:
        raise refuse("compute.profile.invalid", f"Field '{prefix}num_cpus' must be a positive multiple of "
                                                f"'{prefix}num_cores_per_socket'.")
    if ram < 1024:
        raise refuse("compute.profile.invalid", f"Field '{prefix}ram_mb' must be at least 1024.")


def _check_nics(tx: Transaction, pool: dict[str, Any]) -> None:
    """Network adapter settings name adapters of the pool's image and network labels of its cluster
    (the adapter's name is filled in for the pool's views)."""
    nics = pool.get("nics") or []
    if not nics:
        return
    if pool.get("source") != "INSTANT_CLONE":
        raise refuse("nics.invalid", "Field 'nics' applies to instant-clone pools only.")
    settings = pool["provisioning_settings"]
    vm = tx.get(BASE_VM, settings.get("parent_vm_id") or "")
    cards = {card["id"]: card["name"] for card in network_interface_cards(vm)} if vm else {}
    labels = {label["name"] for label in tx.list(NETWORK_LABEL, where={
        "host_or_cluster_id": settings["host_or_cluster_id"]})[0]}
    seen: set[str] = set()
    for index, nic in enumerate(nics):
        field = f"nics[{index}]"
        if nic["network_interface_card_id"] not in cards:
            raise refuse("nics.invalid", f"Field '{field}.network_interface_card_id' names no network adapter of "
                                         "the pool's image.")
        if nic["network_interface_card_id"] in seen:
            raise refuse("nics.invalid", f"Field '{field}.network_interface_card_id' repeats an adapter.")
        seen.add(nic["network_interface_card_id"])
        nic["network_interface_card_name"] = cards[nic["network_interface_card_id"]]
        for spec_index, spec in enumerate(nic.get("network_label_assignment_specs") or []):
            spec_field = f"{field}.network_label_assignment_specs[{spec_index}]"
            if spec["network_label_name"] not in labels:
                raise refuse("nics.invalid", f"Field '{spec_field}.network_label_name' names no network label of "
                                             "the pool's cluster.")
            if spec["max_label_type"] == "LIMITED":
                _need(spec.get("max_label"), f"{spec_field}.max_label", "when max_label_type is LIMITED")


def _check_vgpus(tx: Transaction, pool: dict[str, Any]) -> None:
    display = pool.get("display_protocol_settings") or {}
    if not display.get("grid_vgpus_enabled"):
        return
    if display.get("renderer3d") != "MANAGE_BY_VSPHERE_CLIENT":
        raise refuse("display.invalid", "Field 'display_protocol_settings.grid_vgpus_enabled' needs renderer3d "
                                        "MANAGE_BY_VSPHERE_CLIENT.")
    cluster = tx.get(HOST_OR_CLUSTER, pool["provisioning_settings"]["host_or_cluster_id"]) or {}
    if not cluster.get("vgpu_types"):
        raise refuse("display.invalid", "Field 'display_protocol_settings.grid_vgpus_enabled' needs a host or "
                                        "cluster with NVIDIA GRID vGPU types.")
    if (pool.get("session_settings") or {}).get("power_policy") == "SUSPEND":
        raise refuse("display.invalid", "Machines with vGPUs cannot be suspended: 'session_settings.power_policy' "
                                        "SUSPEND conflicts with grid_vgpus_enabled.")


def _check_customization(tx: Transaction, pool: dict[str, Any]) -> None:
    settings = pool.get("customization_settings")
    _need(settings, "customization_settings", "for automated desktop pools")
    kind = settings.get("customization_type")
    if pool["source"] == "INSTANT_CLONE":
        if kind != "CLONE_PREP":
            raise refuse("customization.invalid", "Field 'customization_settings.customization_type' must be "
                                                  "CLONE_PREP for instant-clone pools.")
        _need(settings.get("instant_clone_domain_account_id"), "customization_settings.instant_clone_domain_account_id",
              "for instant-clone pools")
        _ref(tx, IC_DOMAIN_ACCOUNT, settings["instant_clone_domain_account_id"],
             "customization_settings.instant_clone_domain_account_id", "instant-clone domain account")
        _need(settings.get("ad_container_rdn"), "customization_settings.ad_container_rdn", "for instant-clone pools")
        if not any(c["rdn"].lower() == settings["ad_container_rdn"].lower() for c in tx.list(AD_CONTAINER)[0]):
            raise refuse("invalid.reference", "Field 'customization_settings.ad_container_rdn' names no AD container.")
    elif kind == "CLONE_PREP":
        raise refuse("customization.invalid", "CLONE_PREP customization is for instant-clone pools only.")
    if pool["source"] != "INSTANT_CLONE" and settings.get("ad_site_name"):
        raise refuse("customization.invalid", "Field 'customization_settings.ad_site_name' applies to instant-clone "
                                              "pools only.")
    elif kind == "NONE":
        if settings.get("do_not_power_on_vms_after_creation") is None:
            _need(None, "customization_settings.do_not_power_on_vms_after_creation", "when customization_type is NONE")
    elif kind == "SYS_PREP":
        _ref(tx, CUSTOMIZATION_SPEC, settings.get("sysprep_customization_spec_id"),
             "customization_settings.sysprep_customization_spec_id", "customization specification")


def _check_session_settings(pool: dict[str, Any]) -> None:
    settings = pool.get("session_settings") or {}
    for policy, minutes in (("disconnected_session_timeout_policy", "disconnected_session_timeout_minutes"),
                            ("empty_session_timeout_policy", "empty_session_timeout_minutes"),
                            ("pre_launch_session_timeout_policy", "pre_launch_session_timeout_minutes")):
        if settings.get(policy) == "AFTER":
            _need(settings.get(minutes), f"session_settings.{minutes}", f"when {policy} is AFTER")
    if settings.get("refresh_os_disk_after_logoff") == "EVERY":
        _need(settings.get("refresh_period_days_for_replica_os_disk"),
              "session_settings.refresh_period_days_for_replica_os_disk", "when refresh_os_disk_after_logoff is EVERY")
    if settings.get("refresh_os_disk_after_logoff") == "AT_SIZE":
        _need(settings.get("refresh_threshold_percentage_for_replica_os_disk"),
              "session_settings.refresh_threshold_percentage_for_replica_os_disk",
              "when refresh_os_disk_after_logoff is AT_SIZE")


def _check_general(pool: dict[str, Any]) -> None:
    """Rules between the pool's top-level settings."""
    if pool.get("allow_multiple_user_assignments") and pool.get("automatic_user_assignment"):
        raise refuse("user.assignment.invalid", "Field 'allow_multiple_user_assignments' needs "
                                                "'automatic_user_assignment' false.")
    if pool.get("allow_users_to_choose_machines") and pool.get("user_assignment") == "DEDICATED":
        raise refuse("user.assignment.invalid", "Field 'allow_users_to_choose_machines' does not apply to "
                                                "dedicated pools.")
    if pool.get("category_folder_name") and not pool.get("shortcut_locations_v2"):
        _need(None, "shortcut_locations_v2", "when category_folder_name is set")
    if pool.get("cloud_assigned"):
        raise refuse("cloud.invalid", "Field 'cloud_assigned' can be set only from a Horizon Cloud session.")
    display = pool.get("display_protocol_settings") or {}
    renderer = display.get("renderer3d")
    if renderer not in (None, "DISABLED"):
        if display.get("allow_users_to_choose_protocol") or display.get("default_display_protocol") not in (
                "PCOIP", "BLAST"):
            raise refuse("display.invalid", "Field 'display_protocol_settings.renderer3d' needs "
                                            "default_display_protocol PCOIP or BLAST and "
                                            "allow_users_to_choose_protocol false.")
        if renderer in ("AUTOMATIC", "SOFTWARE", "HARDWARE"):
            _need(display.get("vram_size_mb"), "display_protocol_settings.vram_size_mb",
                  f"when renderer3d is {renderer}")
        if pool.get("source") == "INSTANT_CLONE" and renderer != "MANAGE_BY_VSPHERE_CLIENT":
            raise refuse("display.invalid", "Instant-clone pools render 3D only as MANAGE_BY_VSPHERE_CLIENT.")
    after_logoff = (pool.get("session_settings") or {}).get("delete_or_refresh_machine_after_logoff")
    if after_logoff not in (None, "NEVER"):
        if pool.get("user_assignment") != "FLOATING" or pool.get("naming_method") != "PATTERN":
            raise refuse("session.settings.invalid", "Field 'session_settings.delete_or_refresh_machine_after_logoff'"
                                                     " applies to floating automated pools named by pattern.")
        if pool.get("source") == "INSTANT_CLONE" and after_logoff != "DELETE":
            raise refuse("session.settings.invalid", "Instant-clone pools can only DELETE machines after logoff.")


def _check_cloud_managed(tx: Transaction, pool: dict[str, Any]) -> None:
    """What keeps a pool from being managed by Horizon Cloud Services."""
    if not pool.get("cloud_managed"):
        return
    reasons = []
    if not pool.get("enabled", True):
        reasons.append("the pool is disabled")
    if pool.get("session_type") != "DESKTOP":
        reasons.append("session_type is not DESKTOP")
    if pool.get("type") == "MANUAL":
        reasons.append("the pool is MANUAL")
    if pool.get("user_assignment") == "DEDICATED" and not pool.get("automatic_user_assignment", True):
        reasons.append("users are assigned to its machines by hand")
    if not pool.get("cs_restriction_tags"):
        reasons.append("cs_restriction_tags is not set")
    if (tx.get("desktop_pool_entitlement", pool["id"]) or {}).get("ad_user_or_group_ids"):
        reasons.append("it has local entitlements")
    if any(machine.get("user_ids") for machine in tx.list("machine", where={"desktop_pool_id": pool["id"]})[0]):
        reasons.append("machines of the pool have assigned users")
    if reasons:
        raise refuse("cloud.invalid", f"Field 'cloud_managed' cannot be true: {'; '.join(reasons)}.")


def check_pool(tx: Transaction, pool: dict[str, Any]) -> None:
    """Every rule of a desktop pool; raises at the first broken one."""
    _check_general(pool)
    _check_cloud_managed(tx, pool)
    kind = pool["type"]
    if kind in ("AUTOMATED", "MANUAL"):
        _need(pool.get("user_assignment"), "user_assignment", "for automated and manual desktop pools")
        _need(pool.get("source"), "source", "for automated and manual desktop pools")
    if kind == "AUTOMATED":
        if pool["source"] not in ("INSTANT_CLONE", "VIRTUAL_CENTER"):
            raise refuse("source.invalid", "Field 'source' must be INSTANT_CLONE or VIRTUAL_CENTER for automated "
                                           "desktop pools (linked clones are not supported in this release).")
        datacenter = _check_placement(tx, pool)
        settings = pool["provisioning_settings"]
        if pool["source"] == "INSTANT_CLONE":
            cluster = tx.get(HOST_OR_CLUSTER, settings["host_or_cluster_id"]) or {}
            if not cluster.get("cluster"):
                raise refuse("placement.inconsistent", "Field 'provisioning_settings.host_or_cluster_id' must be a "
                                                       "cluster for instant-clone pools.")
            check_image(tx, settings, datacenter["id"], "provisioning_settings.")
            check_compute_profile(settings, "compute_profile_")
        else:
            if settings.get("parent_vm_id") or settings.get("base_snapshot_id"):
                raise refuse("image.source.invalid", "Fields 'provisioning_settings.parent_vm_id' and "
                                                     "'base_snapshot_id' apply to instant-clone pools only.")
            if settings.get("vm_template_id") or not settings.get("im_stream_id"):
                template = _ref(tx, VM_TEMPLATE, settings.get("vm_template_id"),
                                "provisioning_settings.vm_template_id", "VM template")
                if template["datacenter_id"] != datacenter["id"]:
                    raise refuse("placement.inconsistent", "Field 'provisioning_settings.vm_template_id' is not in "
                                                           "the datacenter.")
                if settings.get("im_stream_id") or settings.get("im_tag_id"):
                    raise refuse("image.source.invalid", "Give either 'provisioning_settings.vm_template_id' or "
                                                         "'provisioning_settings.im_stream_id' and 'im_tag_id'.")
            else:
                check_image(tx, settings, datacenter["id"], "provisioning_settings.")
        _check_naming(pool)
        _check_customization(tx, pool)
        _check_nics(tx, pool)
        _check_vgpus(tx, pool)
    elif kind == "MANUAL":
        if pool["source"] not in ("VIRTUAL_CENTER", "UNMANAGED"):
            raise refuse("source.invalid", "Field 'source' must be VIRTUAL_CENTER or UNMANAGED for manual pools.")
        if pool["source"] == "VIRTUAL_CENTER":
            _ref(tx, VCENTER, pool.get("vcenter_id"), "vcenter_id", "vCenter")
    elif kind == "RDS":
        _ref(tx, "farm", pool.get("farm_id"), "farm_id", "farm")
    if pool.get("user_assignment") == "FLOATING" and pool.get("allow_multiple_user_assignments"):
        raise refuse("user.assignment.invalid", "Field 'allow_multiple_user_assignments' applies to dedicated pools "
                                                "only.")
    _check_session_settings(pool)
