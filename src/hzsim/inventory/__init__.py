"""Inventory operations, one module per resource family; importing registers the handlers."""

from hzsim.inventory import (agent_upgrades, desktop_pools, machine_actions, machines,  # noqa: F401
                             persistent_disks, policies, sessions)
