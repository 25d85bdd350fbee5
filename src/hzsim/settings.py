"""Run-time settings, from CLI flags and HZSIM_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ADMIN_PASSWORD = "hzsim"


def default_data_dir() -> Path:
    return Path(os.environ.get("HZSIM_DATA_DIR", Path.home() / ".local" / "share" / "hzsim"))


@dataclass
class Settings:
    data_dir: Path | None = field(default_factory=default_data_dir)
    db_url: str | None = None  # default: SQLite file in the data directory
    clock: str | None = None  # manual, realtime or xN; default: as persisted, else realtime
    scenario: str = "default"
    admin_password: str = field(default_factory=lambda: os.environ.get("HZSIM_ADMIN_PASSWORD",
                                                                      DEFAULT_ADMIN_PASSWORD))
    access_token_ttl: int = 30 * 60
    refresh_token_ttl: int = 8 * 60 * 60
    tick_seconds: float = 0.1  # how often realtime and scaled clocks run due jobs

    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        if self.data_dir is None:
            return "sqlite:///:memory:"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'hzsim.db'}"
