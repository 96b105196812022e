"""Routes: clinical photo blobs (DESIGN.md §4, "Blobs"). The rules live in `blobs.py`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from wardlink_server import blobs
from wardlink_server.auth import Caller, current_caller, services_of

router = APIRouter(prefix="/api/v1/blobs", tags=["blobs"])

CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (the rest is never read)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


@router.put("/{sha256}", status_code=201)
async def put_blob(sha256: str, request: Request, caller: CurrentCaller) -> JSONResponse:
    """Upload a JPEG or PNG photo at its SHA-256: 201 the first time, 200 for the same bytes."""
    services = services_of(request)
    blobs.check_address(sha256)
    blobs.check_uploader(caller)
    declared = blobs.declared_format(request.headers.get("content-type"))
    data = await _read_capped(request, blobs.max_bytes(services))
    if data is None:
        raise blobs.too_large(services)
    stored = await run_in_threadpool(blobs.store, services, caller, sha256, declared, data)
    blob = stored.blob
    return JSONResponse(
        {
            "sha256": blob.sha256,
            "content_type": blob.content_type,
            "size": blob.size,
            "sha1": blob.sha1_b64,
        },
        status_code=201 if stored.created else 200,
    )


@router.get("/{sha256}")
def get_blob(sha256: str, request: Request, caller: CurrentCaller) -> Response:
    """The photo, for a caller who can see a note that references it (404 for anyone else)."""
    photo = blobs.read(services_of(request), caller, blobs.check_address(sha256))
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
