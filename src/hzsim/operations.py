"""The registry of operation handlers, keyed by the contract's operationId.

Resource modules register handlers with `@operation("listDesktopPools", ...)`. A handler
receives an `OperationRequest` (validated parameters and body, the caller, the open
transaction) and returns the canonical result, a `Page` for lists, or None; it raises a
`HorizonError` to refuse. It never builds HTTP responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from hzsim.contract.listing import ListQuery
from hzsim.contract.model import Operation

if TYPE_CHECKING:
    from hzsim.auth.principals import Caller
    from hzsim.simulator import Simulator
    from hzsim.store import Transaction


@dataclass
class OperationRequest:
    op: Operation
    path: dict[str, str]
    query: dict[str, Any]
    body: Any
    caller: "Caller | None"
    tx: "Transaction"
    sim: "Simulator"
    list_query: ListQuery = field(default_factory=ListQuery)

    @property
    def now(self) -> int:
        return self.sim.clock.now()


@dataclass
class Page:
    """One page of a list and the size of the whole list."""

    items: list[Any]
    total: int


@dataclass(frozen=True)
class Handler:
    fn: Callable[[OperationRequest], Any]
    # Some clients send an empty body (or none) to actions whose contract declares one.
    empty_body: bool = False
    # The handler reads whatever JSON arrives (logout must never fail on a client's leftovers).
    validate_body: bool = True


HANDLERS: dict[str, Handler] = {}


def operation(*operation_ids: str, empty_body: bool = False, validate_body: bool = True
              ) -> Callable[[Callable[[OperationRequest], Any]], Callable[[OperationRequest], Any]]:
    def register(fn: Callable[[OperationRequest], Any]) -> Callable[[OperationRequest], Any]:
        for operation_id in operation_ids:
            if operation_id in HANDLERS:
                raise RuntimeError(f"two handlers for {operation_id}")
            HANDLERS[operation_id] = Handler(fn, empty_body, validate_body)
        return fn

    return register


def load_handlers() -> dict[str, Handler]:
    """Import every module that registers handlers; return the registry."""
    import hzsim.auth.operations  # noqa: F401
    import hzsim.config.access  # noqa: F401
    import hzsim.config.image_management  # noqa: F401
    import hzsim.config.settings  # noqa: F401
    import hzsim.config.virtual_centers  # noqa: F401
    import hzsim.entitlements.desktop_pools  # noqa: F401
    import hzsim.external.active_directory  # noqa: F401
    import hzsim.external.vcenter_objects  # noqa: F401
    import hzsim.images  # noqa: F401
    import hzsim.inventory  # noqa: F401
    import hzsim.monitor.pods  # noqa: F401
    import hzsim.monitor.virtual_centers  # noqa: F401

    return HANDLERS
