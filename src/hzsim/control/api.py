"""Control endpoints for tests and operators, outside the Horizon API.

They answer errors in the same body shape as /rest, so one client helper reads both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hzsim.engine.clock import ClockSetting
from hzsim.errors import BadRequest, NotFound
from hzsim.inventory import sessions
from hzsim.http.responses import JSONResponse
from hzsim.world import faults

if TYPE_CHECKING:
    from hzsim.simulator import Simulator

PREFIX = "/hzsim/v1"


def _without_internals(value):
    """Documents as the control API shows them: without the store's version counter."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "_version"}
    if isinstance(value, list):
        return [_without_internals(v) for v in value]
    return value


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("common.invalid.json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("common.invalid.json", "The request body must be a JSON object.")
    return body


def routes(sim: "Simulator") -> list[Route]:
    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "UP", "release": sim.contract.release})

    async def get_clock(_request: Request) -> Response:
        return JSONResponse(sim.clock.state())

    async def put_clock(request: Request) -> Response:
        body = await _json_body(request)
        mode = body.get("mode")
        rate = body.get("rate")
        if mode not in ("manual", "realtime", "scaled"):
            raise BadRequest("hzsim.clock.invalid", "Field 'mode' must be manual, realtime or scaled.")
        if mode == "scaled":
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
                raise BadRequest("hzsim.clock.invalid", "Field 'rate' must be a number above 0 for a scaled clock.")
            setting = ClockSetting("scaled", float(rate))
        else:
            setting = ClockSetting.parse(mode)
        sim.clock.configure(setting)
        await run_in_threadpool(sim.scheduler.save_clock)
        return JSONResponse(sim.clock.state())

    async def advance_clock(request: Request) -> Response:
        body = await _json_body(request)
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise BadRequest("hzsim.clock.invalid", "Field 'seconds' must be a number of seconds, 0 or more.")
        ran = await run_in_threadpool(sim.scheduler.advance, int(seconds * 1000))
        return JSONResponse({**sim.clock.state(), "jobs_run": ran})

    async def reset(request: Request) -> Response:
        body = await _json_body(request)
        scenario = body.get("scenario", "default")
        if not isinstance(scenario, str) or not scenario:
            raise BadRequest("hzsim.scenario.invalid", "Field 'scenario' must be a scenario name or file path.")
        await run_in_threadpool(sim.reset, scenario)
        return JSONResponse({"scenario": scenario, **sim.clock.state()})

    def _in_transaction(fn):  # run a store function in a write transaction, off the event loop
        def run(*args):
            with sim.store.transaction() as tx:
                return _without_internals(fn(tx, *args))

        return lambda *args: run_in_threadpool(run, *args)

    async def add_fault(request: Request) -> Response:
        body = await _json_body(request)
        fault = await _in_transaction(faults.register)(body, sim.clock.now())
        return JSONResponse(fault, status_code=201)

    async def list_faults(_request: Request) -> Response:
        return JSONResponse(await _in_transaction(faults.listing)())

    async def clear_faults(_request: Request) -> Response:
        return JSONResponse({"cleared": await _in_transaction(faults.clear)()})

    def _session(tx, session_id: str) -> dict:
        session = tx.get(sessions.KIND, session_id)
        if session is None:
            raise NotFound("hzsim.user.session.not.found", f"No session {session_id}.")
        return session

    def _logon(tx, body: dict) -> dict:
        user = body.get("user")
        if not isinstance(user, str) or not user:
            raise BadRequest("hzsim.user.session.invalid", "Field 'user' must name an AD user (DOMAIN\\user).")
        pool_id, machine_id = body.get("desktop_pool_id"), body.get("machine_id")
        if machine_id is not None and pool_id is None:
            machine = tx.get(sessions.MACHINE, machine_id)
            if machine is None:
                raise BadRequest("hzsim.user.session.invalid", f"Field 'machine_id' names no machine ({machine_id!r}).")
            pool_id = machine["desktop_pool_id"]
        pool = tx.get(sessions.POOL, pool_id) if isinstance(pool_id, str) else None
        if pool is None:
            raise BadRequest("hzsim.user.session.invalid", "Field 'desktop_pool_id' (or 'machine_id') must name a "
                                                           "desktop pool.")
        return sessions.logon(tx, sessions.find_user(tx, user), pool, sim.clock.now(), body.get("client_data"))

    async def user_logon(request: Request) -> Response:
        body = await _json_body(request)
        return JSONResponse(await _in_transaction(_logon)(body), status_code=201)

    async def user_disconnect(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        await _in_transaction(lambda tx: sessions.disconnect(tx, _session(tx, session_id), sim.clock.now()))()
        return Response(status_code=204)

    async def user_logoff(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        await _in_transaction(lambda tx: sessions.end(tx, _session(tx, session_id), sim.clock.now()))()
        return Response(status_code=204)

    async def user_session(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        return JSONResponse(await _in_transaction(lambda tx: _session(tx, session_id))())

    return [
        Route(f"{PREFIX}/user-sessions", user_logon, methods=["POST"]),
        Route(f"{PREFIX}/user-sessions/{{session_id}}", user_session, methods=["GET"]),
        Route(f"{PREFIX}/user-sessions/{{session_id}}", user_logoff, methods=["DELETE"]),
        Route(f"{PREFIX}/user-sessions/{{session_id}}/disconnect", user_disconnect, methods=["POST"]),
        Route(f"{PREFIX}/faults", add_fault, methods=["POST"]),
        Route(f"{PREFIX}/faults", list_faults, methods=["GET"]),
        Route(f"{PREFIX}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/clock", get_clock, methods=["GET"]),
        Route(f"{PREFIX}/clock", put_clock, methods=["PUT"]),
        Route(f"{PREFIX}/clock/advance", advance_clock, methods=["POST"]),
        Route(f"{PREFIX}/reset", reset, methods=["POST"]),
    ]
