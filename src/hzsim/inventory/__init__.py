"""Inventory operations, one module per resource family; importing registers the handlers."""

from hzsim.inventory import desktop_pools, machine_actions, machines, policies, sessions  # noqa: F401
