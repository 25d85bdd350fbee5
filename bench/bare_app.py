"""The baseline: a bare Starlette app answering 204, served by the same uvicorn."""

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route


async def empty(_request):
    return Response(status_code=204)


app = Starlette(routes=[Route("/{path:path}", empty)])
