"""Identifiers that stay the same for the same name in every run (scenario objects)."""

from __future__ import annotations

import uuid


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "hzsim:" + ":".join(parts)))
