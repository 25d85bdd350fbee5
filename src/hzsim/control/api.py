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
from hzsim.errors import BadRequest
from hzsim.http.responses import JSONResponse
from hzsim.world import faults

if TYPE_CHECKING:
    from hzsim.simulator import Simulator

PREFIX = "/hzsim/v1"


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
                return fn(tx, *args)

        return lambda *args: run_in_threadpool(run, *args)

    async def add_fault(request: Request) -> Response:
        body = await _json_body(request)
        fault = await _in_transaction(faults.register)(body, sim.clock.now())
        return JSONResponse(fault, status_code=201)

    async def list_faults(_request: Request) -> Response:
        return JSONResponse(await _in_transaction(faults.listing)())

    async def clear_faults(_request: Request) -> Response:
        return JSONResponse({"cleared": await _in_transaction(faults.clear)()})

    return [
        Route(f"{PREFIX}/faults", add_fault, methods=["POST"]),
        Route(f"{PREFIX}/faults", list_faults, methods=["GET"]),
        Route(f"{PREFIX}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/clock", get_clock, methods=["GET"]),
        Route(f"{PREFIX}/clock", put_clock, methods=["PUT"]),
        Route(f"{PREFIX}/clock/advance", advance_clock, methods=["POST"]),
        Route(f"{PREFIX}/reset", reset, methods=["POST"]),
    ]
