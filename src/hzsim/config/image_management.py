"""Image-management streams, tags and versions (reads)."""

from __future__ import annotations

from typing import Any

from hzsim.errors import NotFound
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import require
from hzsim.world.vcenter import IM_STREAM, IM_TAG, IM_VERSION


def _stream_conditions(request: OperationRequest) -> dict[str, Any]:
    where = {key: request.query[key] for key in ("vcenter_id", "clone_type", "image_type") if request.query.get(key)}
    return where


@operation("listIMStreams")
def list_im_streams(request: OperationRequest) -> Page:
    return Page(*request.tx.list(IM_STREAM, request.list_query, where=_stream_conditions(request)))


def _stream(request: OperationRequest) -> dict[str, Any]:
    return require(request, IM_STREAM, request.query.get("im_stream_id"), "im_stream_id", "image-management stream",
                   "config.im.stream.id.invalid")


@operation("listIMTags")
def list_im_tags(request: OperationRequest) -> Page:
    stream = _stream(request)
    return Page(*request.tx.list(IM_TAG, request.list_query, where={"im_stream_id": stream["id"]}))


@operation("listIMVersions")
def list_im_versions(request: OperationRequest) -> Page:
    stream = _stream(request)
    return Page(*request.tx.list(IM_VERSION, request.list_query, where={"im_stream_id": stream["id"]}))


def _get(request: OperationRequest, kind: str, what: str, error_key: str) -> dict[str, Any]:
    doc = request.tx.get(kind, request.path["id"])
    if doc is None:
        raise NotFound(error_key, f"{what} with id {request.path['id']} not found.")
    return doc


@operation("getIMStream")
def get_im_stream(request: OperationRequest) -> dict[str, Any]:
    return _get(request, IM_STREAM, "Image-management stream", "config.im.stream.not.found")


@operation("getIMTag")
def get_im_tag(request: OperationRequest) -> dict[str, Any]:
    return _get(request, IM_TAG, "Image-management tag", "config.im.tag.not.found")


@operation("getIMVersion")
def get_im_version(request: OperationRequest) -> dict[str, Any]:
    return _get(request, IM_VERSION, "Image-management version", "config.im.version.not.found")
