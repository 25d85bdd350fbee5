from __future__ import annotations

import pytest

from tests.helpers import HorizonClient
from tests.inventory.pools import provisioned_pool, world_ids


@pytest.fixture
def world(api: HorizonClient) -> dict:
    pool = provisioned_pool(api, 2, "bad-{n}")
    machine = api.get("/rest/inventory/v5/machines").json()[0]
    return {"pool": pool["id"], "machine": machine["id"], "ids": world_ids(api)}
