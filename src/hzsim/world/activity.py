"""User activity: a scenario's profile of logons and session lengths, driven by the clock.

Every simulated minute a durable tick draws how many users log on (Poisson around
`logons_per_hour / 60`), picks them among the entitled users not logged on, and gives each
session a length (normal around `session_minutes.mean`, at least one minute); a share of
sessions disconnects for a while before logging off. Draws come from a generator seeded with
the profile's seed and the tick number, so a scenario replays the same way every time.
"""

from __future__ import annotations

import math
import random
from typing import Any

from hzsim.engine.jobs import JobContext, job_handler, schedule
from hzsim.entitlements.desktop_pools import entitled_user_ids
from hzsim.inventory import sessions
from hzsim.store import Transaction
from hzsim.world.active_directory import AD_USER

MINUTE = 60 * 1000
PROFILE_META_KEY = "activity_profile"


def start(tx: Transaction, profile: dict[str, Any], now: int) -> None:
    tx.set_meta(PROFILE_META_KEY, {k: v for k, v in profile.items() if not k.startswith("__")})
    schedule(tx, "activity.tick", now + MINUTE, {"tick": 1}, key="activity.tick")


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@job_handler("activity.tick")
def tick(ctx: JobContext, payload: dict[str, Any]) -> None:
    tx = ctx.tx
    profile = tx.get_meta(PROFILE_META_KEY)
    if not profile:
        return
    rng = random.Random(f"{profile['seed']}:{payload['tick']}")
    pools = [p for p in tx.list(sessions.POOL)[0] if not profile["pools"] or p["name"] in profile["pools"]]
    for _ in range(_poisson(rng, profile["logons_per_hour"] / 60)):
        if not pools:
            break
        pool = pools[rng.randrange(len(pools))]
        on = {s["user_id"] for s in tx.list(sessions.KIND)[0]}
        candidates = sorted(entitled_user_ids(tx, pool["id"]) - on)
        if not candidates:
            continue
        user = tx.get(AD_USER, candidates[rng.randrange(len(candidates))])
        try:
            session = sessions.logon(tx, user, pool, ctx.now)
        except sessions.LogonRefused:
            continue
        length = max(1.0, rng.gauss(profile["session_minutes"]["mean"], profile["session_minutes"]["stddev"]))
        if rng.random() < profile["disconnect_ratio"]:
            schedule(tx, "activity.disconnect", ctx.now + int(length * MINUTE * 0.6), {"session_id": session["id"]})
        schedule(tx, "activity.logoff", ctx.now + int(length * MINUTE), {"session_id": session["id"]})
    ctx.schedule("activity.tick", ctx.now + MINUTE, {"tick": payload["tick"] + 1}, key="activity.tick")


@job_handler("activity.disconnect")
def disconnect(ctx: JobContext, payload: dict[str, Any]) -> None:
    session = ctx.tx.get(sessions.KIND, payload["session_id"])
    if session is not None and session["session_state"] == "CONNECTED":
        sessions.disconnect(ctx.tx, session, ctx.now)


@job_handler("activity.logoff")
def logoff(ctx: JobContext, payload: dict[str, Any]) -> None:
    session = ctx.tx.get(sessions.KIND, payload["session_id"])
    if session is not None:
        sessions.end(ctx.tx, session, ctx.now)
