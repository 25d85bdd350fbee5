"""The ASGI application: `/rest` to the contract-driven API, `/hzsim/v1` to the control API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hzsim.control import api as control_api
from hzsim.errors import HorizonError
from hzsim.http.responses import error_response
from hzsim.http.rest import RestApi
from hzsim.simulator import Simulator

log = logging.getLogger(__name__)


async def _run_clock(sim: Simulator) -> None:
    """For realtime and scaled clocks: run due jobs as wall time passes."""
    while True:
        await asyncio.sleep(sim.settings.tick_seconds)
        if sim.clock.mode != "manual":
            try:
                await asyncio.to_thread(sim.scheduler.run_due)
            except Exception:
                log.exception("scheduler tick failed")


def create_app(sim: Simulator) -> Any:
    rest = RestApi(sim)
    base = sim.contract.base_path

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        ticker = asyncio.create_task(_run_clock(sim))
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        key = {404: "common.path.not.found", 405: "common.method.not.allowed"}.get(exc.status_code, "common.error")
        return error_response(HorizonError(key, str(exc.detail), status=exc.status_code))

    async def horizon_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HorizonError)
        return error_response(exc)

    async def server_error(_request: Request, _exc: Exception) -> Response:
        return error_response(HorizonError("common.internal.error", "An internal error occurred.", status=500))

    control = Starlette(
        routes=control_api.routes(sim),
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, HorizonError: horizon_error, Exception: server_error},
    )

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (scope["path"] == base or scope["path"].startswith(base + "/")):
            await rest(scope, receive, send)
        else:
            await control(scope, receive, send)

    app.sim = sim  # type: ignore[attr-defined]
    return app
