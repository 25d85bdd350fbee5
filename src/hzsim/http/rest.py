"""The `/rest` API: every request runs the same pipeline, driven by the contract.

route (404/405) -> authenticate (401) -> validate query and body (400) -> check
privileges (403) -> find the handler (501) -> run it in one transaction -> shape the
answer through the operation's response schema, with Horizon's paging headers.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hzsim.auth.principals import Caller
from hzsim.contract.listing import ListQuery, parse_list_query
from hzsim.contract.model import Operation
from hzsim.contract.validation import coerce_body, raise_for
from hzsim.errors import BadRequest, Conflict, Forbidden, HorizonError, NotFound, NotImplementedOperation, Unauthorized
from hzsim.http.openapi import openapi_document
from hzsim.http.responses import JSONResponse, error_response
from hzsim.http.routing import Router
from hzsim.operations import Handler, OperationRequest, Page, load_handlers
from hzsim.store import ConcurrentUpdate
from hzsim.world import faults
from hzsim.world.faults import WorldFault

if TYPE_CHECKING:
    from hzsim.simulator import Simulator

log = logging.getLogger(__name__)

API_DOCS_PATH = "/v1/api-docs"
MAX_ATTEMPTS = 8
_INTEGER = re.compile(r"^[+-]?\d+$")


class RestApi:
    """ASGI app for everything under the contract's base path."""

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        self.contract = sim.contract
        self.router = Router(self.contract.operations.values())
        self.handlers = load_handlers()
        self._api_docs: bytes | None = None
        # SQLite runs one writer at a time anyway: handlers run on the event loop, sparing a
        # thread hop per request. PostgreSQL transactions run concurrently in worker threads.
        self.inline = sim.store.dialect == "sqlite"

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        try:
            response = await self.dispatch(request)
        except HorizonError as error:
            response = error_response(error, getattr(error, "headers", None))
        except Exception:  # never a traceback on the wire
            log.exception("unexpected error in %s %s", request.method, request.url.path)
            response = error_response(HorizonError("common.internal.error", "An internal error occurred.",
                                                   status=500))
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        path = request.url.path[len(self.contract.base_path):] or "/"
        method = request.method
        if path.rstrip("/") == API_DOCS_PATH and method in ("GET", "HEAD"):
            return self.api_docs()
        match = self.router.match(path)
        if match is None:
            raise NotFound("common.path.not.found", f"No API at path {request.url.path}.")
        op = match.operations.get("GET" if method == "HEAD" else method)
        if op is None:
            error = HorizonError("common.method.not.allowed",
                                 f"Method {method} is not supported on {request.url.path}.", status=405)
            error.headers = {"Allow": ", ".join(sorted(match.operations))}
            raise error
        claims = self._authenticate(request) if op.secured else None
        raw_query = dict(request.query_params)
        query = parse_query(op, request)
        handler = self.handlers.get(op.operation_id)
        body = await self._read_body(op, request, handler)
        list_query = parse_list_query(op, raw_query) if op.list_params else ListQuery()
        if self.inline:
            result = self._execute(op, handler, match.params, query, body, claims, list_query)
        else:
            result = await run_in_threadpool(self._execute, op, handler, match.params, query, body, claims,
                                             list_query)
        return self._respond(op, result, list_query)

    # -- pipeline steps ---------------------------------------------------------------------

    def _authenticate(self, request: Request) -> dict[str, Any]:
        header = request.headers.get("authorization")
        if not header:
            raise Unauthorized("common.authentication.required",
                               "Authentication is required: send 'Authorization: Bearer <access_token>'.")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("common.token.invalid", "The Authorization header must be 'Bearer <access_token>'.")
        return self.sim.tokens.verify(token.strip(), "access")

    async def _read_body(self, op: Operation, request: Request, handler: Handler | None) -> Any:
        if op.body_schema is None:
            return None
        raw = await request.body()
        if not raw.strip():
            if op.body_required and not (handler and handler.empty_body):
                raise BadRequest("common.body.required", "A request body is required.")
            return None
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise BadRequest("common.invalid.json", f"The request body is not valid JSON: {error.msg}.") from None
        if handler is not None and not handler.validate_body:
            return body
        body = coerce_body(self.contract, op.body_schema, body)
        raise_for(self.sim.validators.errors(op.body_schema, body))
        return body

    def _execute(self, op: Operation, handler: Handler | None, path: dict[str, str], query: dict[str, Any],
                 body: Any, claims: dict[str, Any] | None, list_query: ListQuery) -> Any:
        caller = self.sim.resolve_caller(claims) if claims else None
        if caller is not None:
            check_privileges(op, caller)
        if handler is None:
            raise NotImplementedOperation(op.operation_id)
        write = op.method != "GET"
        for _attempt in range(MAX_ATTEMPTS):
            try:
                with self.sim.store.transaction(write=write) as tx:
                    request = OperationRequest(op, path, query, body, caller, tx, self.sim, list_query)
                    return handler.fn(request)
            except WorldFault as fault:
                with self.sim.store.transaction() as tx:
                    faults.fire(tx, fault.kind, *fault.targets)
                raise
            except (ConcurrentUpdate, IntegrityError, OperationalError) as error:
                # Another transaction won the race for the same rows: run again on fresh state.
                if isinstance(error, OperationalError) and not _is_retryable(error):
                    raise
                continue
        raise Conflict("common.concurrent.modification",
                       "The resource was changed by another request; retry the operation.")

    def _respond(self, op: Operation, result: Any, list_query: ListQuery) -> Response:
        schema = op.response_schema
        headers: dict[str, str] = {}
        if isinstance(result, Page):
            headers["X-TOTAL-COUNT"] = str(result.total)
            if list_query.size:
                if list_query.page > 1 and list_query.offset >= result.total:
                    error = BadRequest("common.page.out.of.range",
                                       f"Page {list_query.page} is past the last page of {result.total} records.")
                    error.headers = headers
                    raise error
                if list_query.offset + len(result.items) < result.total:
                    headers["HAS_MORE_RECORDS"] = "TRUE"
            result = result.items
        status = op.success_status
        if schema is None or status == 204:
            return Response(status_code=status, headers=headers)
        return JSONResponse(self.sim.projections.project(schema, result), status_code=status, headers=headers)

    def api_docs(self) -> Response:
        if self._api_docs is None:
            self._api_docs = orjson.dumps(openapi_document(self.contract))
        return Response(self._api_docs, media_type="application/json")


def _is_retryable(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "deadlock" in text or "could not serialize" in text


def check_privileges(op: Operation, caller: Caller) -> None:
    """The contract's privilege table for the operation, checked on any access group.

    Handlers check again on the access group of the resource they touch.
    """
    missing = [p.name for p in op.privileges.required if not caller.has(p.name)]
    if missing:
        raise Forbidden("common.forbidden", f"The caller lacks the privilege(s) {', '.join(missing)}.")
    any_of = op.privileges.any_of
    if any_of and not any(caller.has(p.name) for p in any_of):
        names = ", ".join(p.name for p in any_of)
        raise Forbidden("common.forbidden", f"The caller needs at least one of the privileges {names}.")


def _query_value(name: str, schema: dict[str, Any], raw: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not _INTEGER.match(raw.strip()):
            raise BadRequest("common.query.param.invalid", f"Query parameter '{name}' must be an integer.")
        return int(raw)
    if kind == "boolean":
        if raw.strip().lower() not in ("true", "false"):
            raise BadRequest("common.query.param.invalid", f"Query parameter '{name}' must be true or false.")
        return raw.strip().lower() == "true"
    if "enum" in schema and raw not in schema["enum"]:
        raise BadRequest("common.query.param.invalid",
                         f"Query parameter '{name}' must be one of {', '.join(map(str, schema['enum']))}.")
    return raw


def parse_query(op: Operation, request: Request) -> dict[str, Any]:
    """Typed query parameters the operation declares; paging, filter and sort are read separately."""
    values: dict[str, Any] = {}
    for name, param in op.query_parameters().items():
        if name in op.list_params:
            continue
        raws = request.query_params.getlist(name)
        if not raws:
            if param.required:
                raise BadRequest("common.query.param.required", f"Query parameter '{name}' is required.")
            if "default" in param.schema:
                values[name] = param.schema["default"]
            continue
        if param.schema.get("type") == "array":
            items = [part for raw in raws for part in raw.split(",") if part != ""]
            item_schema = param.schema.get("items", {})
            values[name] = [_query_value(name, item_schema, item) for item in items]
        else:
            values[name] = _query_value(name, param.schema, raws[-1])
    return values
