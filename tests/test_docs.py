"""Every error key hzsim can answer is documented."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r'"((?:common|login|hzsim|inventory|auth|images|world|config|external|monitor)\.[a-z0-9.-]+)"')


def test_every_error_key_in_the_source_is_in_docs_errors() -> None:
    documented = set(re.findall(r"`([a-z0-9.-]+)`", (ROOT / "docs" / "errors.md").read_text()))
    used = {key for path in (ROOT / "src").rglob("*.py") for key in KEY.findall(path.read_text())}
    used.discard("hzsim.contract")  # a package name, not a key
    assert used, "the pattern found no keys: fix the test"
    assert sorted(used - documented) == []


def test_every_fault_kind_is_documented() -> None:
    from hzsim.world.faults import FAULT_KINDS

    text = (ROOT / "docs" / "faults.md").read_text()
    errors = (ROOT / "docs" / "errors.md").read_text()
    for kind in FAULT_KINDS:
        assert f"`{kind}`" in text
        assert f"`world.fault.{kind}`" in errors
