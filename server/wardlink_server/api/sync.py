"""Routes: the sync protocol's push, pull (long-poll) and team history (DESIGN.md §4)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from wardlink.core.protocol import (
    MAX_PULL_LIMIT,
    MAX_PULL_WAIT_S,
    MAX_PUSH_BYTES,
    MAX_PUSH_OPS,
    PushRequest,
)
from wardlink_server import pull as pull_service
from wardlink_server.app import parse, read_json
from wardlink_server.auth import Caller, current_caller, services_of
from wardlink_server.errors import ApiError
from wardlink_server.push import apply_push

router = APIRouter(tags=["sync"])

MAX_SEQ: Final = 2**62
HISTORY_LIMIT: Final = 100

CallerDep = Annotated[Caller, Depends(current_caller)]


@router.post("/api/v1/sync/push")
async def push(request: Request, caller: CallerDep) -> JSONResponse:
    body = await read_json(request, max_bytes=MAX_PUSH_BYTES)
    ops = body.get("ops") if isinstance(body, dict) else None
    if isinstance(ops, list) and len(ops) > MAX_PUSH_OPS:
        raise ApiError("too_large", f"A push holds at most {MAX_PUSH_OPS} ops.")
    push_request: PushRequest = parse(PushRequest.from_json, body)
    response = await run_in_threadpool(apply_push, services_of(request), caller, push_request)
    return JSONResponse(response.to_json())


@router.get("/api/v1/sync/pull")
async def pull(
    request: Request,
    caller: CallerDep,
    since: Annotated[int, Query(ge=0, le=MAX_SEQ)],
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = MAX_PULL_LIMIT,
    wait: Annotated[int, Query(ge=0, le=MAX_PULL_WAIT_S)] = 0,
) -> JSONResponse:
    # async, with the reads in the threadpool: a long-poll holds no thread while it waits.
    page = await pull_service.pull(
        services_of(request), caller, since=since, limit=limit, wait=wait
    )
    return JSONResponse(page.to_json())


@router.get("/api/v1/teams/{team_id}/history")
def history(
    request: Request,
    team_id: str,
    caller: CallerDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_SEQ)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = HISTORY_LIMIT,
) -> JSONResponse:
    page = pull_service.read_history(
        services_of(request), caller, team_id, before=before, limit=limit
    )
    return JSONResponse(page.to_json())
