"""The README's two set-up commands stay true, and CI runs the test one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(python3 -m venv[^\n]*)\n```", (ROOT / "README.md").read_text())


def test_readme_has_exactly_two_set_up_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("hzsim serve")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    assert readme_commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()
