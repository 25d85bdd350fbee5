"""Faults injected at the world boundary, so that every failure path is reachable from a test.

A fault has a kind, a target (a machine, pool or vCenter id, or `any`), how often it fires
(`once`, a number of times, or `always`) and the message the world reports. Code that
reaches into the world asks `fire` whether a fault of its kind hits one of its targets;
each firing is counted, and a fault that has fired its last time is removed.
"""

from __future__ import annotations

import uuid
from typing import Any

from hzsim.errors import BadRequest, HorizonError
from hzsim.store import Transaction

KIND = "fault"
ANY = "any"
FAULT_KINDS = {
    "clone_failure": "Cloning or recreating a machine fails (target: machine, pool or vCenter).",
    "image_publish_failure": "Publishing an instant-clone image fails (target: pool or vCenter).",
    "customization_timeout": "Guest customization of a machine times out (target: machine, pool or vCenter).",
    "power_operation_failure": "Powering a machine on, off or resetting it fails (target: machine, pool or vCenter).",
    "vcenter_unreachable": "The vCenter does not answer: its reads and every operation on it fail (target: vCenter).",
    "agent_upgrade_failure": "Installing a Horizon agent upgrade fails (target: machine, pool or vCenter).",
}
DEFAULT_MESSAGES = {
    "clone_failure": "Clone failed: the operation is not allowed in the current state.",
    "image_publish_failure": "Image publish failed: fault injected by hzsim.",
    "customization_timeout": "Customization operation timed out.",
    "power_operation_failure": "Power operation failed: the host is not responding.",
    "vcenter_unreachable": "Unable to connect to the vCenter server.",
    "agent_upgrade_failure": "Agent upgrade failed: the installer exited with code 1603.",
}


class WorldFault(HorizonError):
    """The world refused an operation because an injected fault fired."""

    def __init__(self, kind: str, message: str, targets: tuple[str | None, ...] = ()) -> None:
        status = 503 if kind == "vcenter_unreachable" else 400
        super().__init__(f"world.fault.{kind}", message, status=status)
        self.kind = kind
        self.targets = targets


def register(tx: Transaction, spec: dict[str, Any], now: int) -> dict[str, Any]:
    kind = spec.get("kind")
    if kind not in FAULT_KINDS:
        raise BadRequest("hzsim.fault.invalid", f"Field 'kind' must be one of {', '.join(sorted(FAULT_KINDS))}.")
    target = spec.get("target", ANY)
    if not isinstance(target, str) or not target:
        raise BadRequest("hzsim.fault.invalid", "Field 'target' must be an object id or 'any'.")
    times = spec.get("times", "always")
    if times == "once":
        times = 1
    if not (times == "always" or (isinstance(times, int) and not isinstance(times, bool) and times > 0)):
        raise BadRequest("hzsim.fault.invalid", "Field 'times' must be 'once', 'always' or a positive integer.")
    message = spec.get("message", DEFAULT_MESSAGES[kind])
    if not isinstance(message, str) or not message:
        raise BadRequest("hzsim.fault.invalid", "Field 'message' must be a non-empty string.")
    fault = {"id": str(uuid.uuid4()), "kind": kind, "target": target,
             "remaining": None if times == "always" else times, "message": message, "fired": 0, "created_at": now}
    tx.insert(KIND, fault["id"], fault)
    return fault


def listing(tx: Transaction) -> list[dict[str, Any]]:
    return sorted(tx.list(KIND)[0], key=lambda fault: (fault["created_at"], fault["id"]))


def clear(tx: Transaction) -> int:
    faults = tx.list(KIND)[0]
    for fault in faults:
        tx.delete(KIND, fault["id"])
    return len(faults)


def fire(tx: Transaction, kind: str, *targets: str | None) -> str | None:
    """The message of the first fault of `kind` that hits any of `targets` (or any target), counting it."""
    wanted = {t for t in targets if t} | {ANY}
    for fault in listing(tx):
        if fault["kind"] != kind or fault["target"] not in wanted:
            continue
        fault = tx.get(KIND, fault["id"])
        fault["fired"] += 1
        if fault["remaining"] is not None:
            fault["remaining"] -= 1
        if fault["remaining"] == 0:
            tx.delete(KIND, fault["id"])
        else:
            tx.update(KIND, fault["id"], fault)
        return fault["message"]
    return None


def check(tx: Transaction, kind: str, *targets: str | None) -> None:
    """Raise `WorldFault` when a fault of `kind` fires for one of the targets.

    The refusal rolls the caller's transaction back; whoever catches it records the firing
    again in a transaction of its own (`fire` with the fault's targets), so it still counts.
    """
    message = fire(tx, kind, *targets)
    if message is not None:
        raise WorldFault(kind, message, targets)
