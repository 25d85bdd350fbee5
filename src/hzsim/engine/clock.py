"""The simulator's clock. Everything reads `clock.now()`; only token expiry uses the wall clock.

Modes: `realtime` (simulated time is wall time), scaled (`x60`: a simulated minute per wall
second) and `manual` (time moves only when told to, by `advance`).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

MODES = ("manual", "realtime", "scaled")
_SCALED = re.compile(r"^x(\d+(?:\.\d+)?)$")


@dataclass(frozen=True, slots=True)
class ClockSetting:
    mode: str
    rate: float

    @classmethod
    def parse(cls, text: str) -> "ClockSetting":
        """`manual`, `realtime` or `xN` (N simulated seconds per wall second)."""
        text = text.strip().lower()
        if text in ("manual", "realtime"):
            return cls(text, 0.0 if text == "manual" else 1.0)
        match = _SCALED.match(text)
        if match and float(match.group(1)) > 0:
            return cls("scaled", float(match.group(1)))
        raise ValueError(f"clock must be manual, realtime or xN (N > 0), not {text!r}")


class Clock:
    """Simulated time in epoch milliseconds."""

    def __init__(self, setting: ClockSetting, start_ms: int | None = None,
                 wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self.mode = setting.mode
        self.rate = setting.rate
        self._anchor_sim = start_ms if start_ms is not None else int(wall() * 1000)
        self._anchor_wall = wall()

    def now(self) -> int:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> int:
        if self.mode == "manual":
            return self._anchor_sim
        if self.mode == "realtime":
            return int(self._wall() * 1000)
        return self._anchor_sim + int((self._wall() - self._anchor_wall) * 1000 * self.rate)

    def set_time(self, sim_ms: int) -> None:
        """Move simulated time to `sim_ms` (never backwards)."""
        with self._lock:
            if self.mode == "realtime":
                return
            self._anchor_sim = max(sim_ms, self._now_locked())
            self._anchor_wall = self._wall()

    def configure(self, setting: ClockSetting) -> None:
        with self._lock:
            current = self._now_locked()
            self.mode, self.rate = setting.mode, setting.rate
            self._anchor_sim, self._anchor_wall = current, self._wall()

    def state(self) -> dict[str, Any]:
        return {"now": self.now(), "mode": self.mode, "rate": self.rate}

    @classmethod
    def restore(cls, saved: dict[str, Any] | None, setting: ClockSetting | None,
                wall: Callable[[], float] = time.time) -> "Clock":
        """Resume a persisted clock; `setting`, when given, overrides its mode."""
        if saved is None:
            return cls(setting or ClockSetting("realtime", 1.0), wall=wall)
        setting = setting or ClockSetting(saved["mode"], saved["rate"])
        start = int(saved["now"])
        if setting.mode == "realtime":
            start = max(start, int(wall() * 1000))
        return cls(setting, start_ms=start, wall=wall)
