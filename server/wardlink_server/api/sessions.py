"""Routes: sign-in and sign-out, lease renewal, the device's escrow key (DESIGN.md §4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from wardlink.core.protocol import EscrowKey, SessionRequest
from wardlink_server import sessions
from wardlink_server.app import parse, read_json
from wardlink_server.auth import Caller, current_caller, services_of

router = APIRouter(prefix="/api/v1", tags=["sessions"])

SIGN_IN_MAX_BYTES = 16 * 1024
ESCROW_MAX_BYTES = 1024
# Answers that carry a token or a key are never kept by a cache on the way.
NO_STORE = {"Cache-Control": "no-store"}

CurrentCaller = Annotated[Caller, Depends(current_caller)]


@router.post("/sessions", status_code=201)
async def create_session(request: Request) -> JSONResponse:
    services = services_of(request)
    body = await read_json(request, max_bytes=SIGN_IN_MAX_BYTES)
    sign_in = parse(SessionRequest.from_json, body)
    address = request.client.host if request.client else "unknown"
    answer = await run_in_threadpool(sessions.sign_in, services, sign_in, address)
    return JSONResponse(answer.to_json(), status_code=201, headers=NO_STORE)


@router.delete("/sessions/current", status_code=204)
def delete_session(request: Request, caller: CurrentCaller) -> Response:
    sessions.sign_out(services_of(request), caller)
    return Response(status_code=204)


@router.get("/lease")
def renew_lease(request: Request, caller: CurrentCaller) -> JSONResponse:
    lease = sessions.issue_lease(services_of(request), caller.staff_id, caller.device_id)
    return JSONResponse(lease.to_json(), headers=NO_STORE)


@router.put("/devices/current/escrow", status_code=204)
async def put_escrow(request: Request, caller: CurrentCaller) -> Response:
    body = await read_json(request, max_bytes=ESCROW_MAX_BYTES)
    key = parse(EscrowKey.from_json, body)
    await run_in_threadpool(sessions.store_escrow, services_of(request), caller, key)
    return Response(status_code=204)


@router.get("/devices/current/escrow")
def get_escrow(request: Request, caller: CurrentCaller) -> JSONResponse:
    key = sessions.release_escrow(services_of(request), caller)
    return JSONResponse(key.to_json(), headers=NO_STORE)
