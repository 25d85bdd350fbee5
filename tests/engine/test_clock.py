"""The simulator's clock in its three modes."""

from __future__ import annotations

import pytest

from hzsim.engine.clock import Clock, ClockSetting


class Wall:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("text,mode,rate", [("manual", "manual", 0.0), ("realtime", "realtime", 1.0),
                                            ("x60", "scaled", 60.0), ("X2.5", "scaled", 2.5)])
def test_settings_parse(text: str, mode: str, rate: float) -> None:
    assert ClockSetting.parse(text) == ClockSetting(mode, rate)


@pytest.mark.parametrize("text", ["x0", "x", "fast", "60", "x-1"])
def test_bad_settings_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        ClockSetting.parse(text)


def test_manual_time_moves_only_when_told() -> None:
    wall = Wall()
    clock = Clock(ClockSetting.parse("manual"), start_ms=1_000, wall=wall)
    wall.now += 3600
    assert clock.now() == 1_000
    clock.set_time(5_000)
    assert clock.now() == 5_000
    clock.set_time(4_000)  # never backwards
    assert clock.now() == 5_000


def test_realtime_follows_the_wall() -> None:
    wall = Wall()
    clock = Clock(ClockSetting.parse("realtime"), wall=wall)
    wall.now += 2
    assert clock.now() == int(wall.now * 1000)


def test_scaled_runs_n_times_faster() -> None:
    wall = Wall()
    clock = Clock(ClockSetting.parse("x60"), start_ms=0, wall=wall)
    wall.now += 1.5
    assert clock.now() == 90_000


def test_switching_modes_keeps_the_current_time() -> None:
    wall = Wall()
    clock = Clock(ClockSetting.parse("x10"), start_ms=0, wall=wall)
    wall.now += 1
    clock.configure(ClockSetting.parse("manual"))
    wall.now += 100
    assert clock.now() == 10_000
    clock.configure(ClockSetting.parse("x2"))
    wall.now += 1
    assert clock.now() == 12_000


def test_restore_resumes_manual_time_and_realtime_catches_up() -> None:
    wall = Wall()
    saved = {"now": 42_000, "mode": "manual", "rate": 0.0}
    assert Clock.restore(saved, None, wall=wall).now() == 42_000
    assert Clock.restore(saved, ClockSetting.parse("realtime"), wall=wall).now() == int(wall.now * 1000)
    fresh = Clock.restore(None, ClockSetting.parse("manual"), wall=wall)
    assert fresh.mode == "manual" and fresh.now() == int(wall.now * 1000)
