"""The /hzsim/v1 control API: health, clock, reset (and, later, scenarios, faults, user sessions)."""
