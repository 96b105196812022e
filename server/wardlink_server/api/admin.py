"""Routes: the admin API (role `admin` only). `wardlink-server admin …` does the same.

Each route parses its body strictly (unknown fields refused, every refusal naming the field),
then calls the directory in one write transaction, where the action's audit entry is recorded
with the admin as actor. Events the change emits wake long-polls once it has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from wardlink.core.protocol import ProtocolError
from wardlink.core.protocol.fields import as_object, read_str
from wardlink_server import audit, directory
from wardlink_server.app import parse, read_json
from wardlink_server.audit import Actor
from wardlink_server.auth import Caller, current_caller, require_admin, services_of
from wardlink_server.errors import ApiError
from wardlink_server.fhir import patient_audit
from wardlink_server.services import Services

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

MAX_BODY_BYTES = 16 * 1024
MAX_FIELD_CHARS = 1024
MAX_AUDIT_PAGE = 1000
P = ParamSpec("P")
T = TypeVar("T")


def admin_caller(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    return require_admin(caller)


AdminCaller = Annotated[Caller, Depends(admin_caller)]


def _fields(
    value: object, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, str]:
    """A flat JSON object of strings: every required field, any optional one, nothing else."""
    obj = as_object(value, "")
    for key in obj:
        if key not in required and key not in optional:
            raise ProtocolError(key, "is not a field of this request")
    return {
        key: read_str(obj, key, "", max_chars=MAX_FIELD_CHARS)
        for key in (*required, *optional)
        if key in required or obj.get(key) is not None
    }


async def _body(
    request: Request, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, str]:
    value = await read_json(request, max_bytes=MAX_BODY_BYTES)
    parsed: dict[str, str] = parse(lambda v: _fields(v, required, optional), value)
    return parsed


def _invalid(field: str, problem: str) -> ApiError:
    return ApiError("invalid", f"The request is not valid: {field}: {problem}.", field=field)


def _apply(
    services: Services,
    caller: Caller,
    change: Callable[Concatenate[Connection, Services, Actor, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Make a directory change in one write transaction as `caller`, then wake long-polls."""
    with services.writer.begin() as conn:
        result = change(conn, services, Actor(caller.staff_id, caller.device_id), *args, **kwargs)
    services.notifier.notify()
    return result


@router.post("/staff", status_code=201)
async def create_staff(request: Request, caller: AdminCaller) -> JSONResponse:
    """Create a staff account. A password is needed unless the role is `integration`."""
    services = services_of(request)
    body = await _body(request, ("username", "display_name"), ("role", "password"))
    role = body.get("role", "staff")
    if "password" not in body and role != "integration":
        raise _invalid("password", "must be a string")
    staff_id = await run_in_threadpool(
        _apply,
        services,
        caller,
        directory.create_staff,
        username=body["username"],
        display_name=body["display_name"],
        role=role,
        password=body.get("password"),
    )
    return JSONResponse({"id": staff_id}, status_code=201)


@router.post("/staff/{username}/disable", status_code=204)
def disable_staff(username: str, request: Request, caller: AdminCaller) -> Response:
    """Disable an account: its sessions end and its devices wipe at their next contact."""
    _apply(services_of(request), caller, directory.disable_staff, username)
    return Response(status_code=204)


@router.post("/staff/{username}/password", status_code=204)
async def reset_password(username: str, request: Request, caller: AdminCaller) -> Response:
    """Set a new password; the account's sessions end."""
    services = services_of(request)
    body = await _body(request, ("password",))
    await run_in_threadpool(
        _apply, services, caller, directory.reset_password, username, body["password"]
    )
    return Response(status_code=204)


@router.post("/teams", status_code=201)
async def create_team(request: Request, caller: AdminCaller) -> JSONResponse:
    """Create a team (`kind` ward or community; ward if left out)."""
    services = services_of(request)
    body = await _body(request, ("name",), ("kind",))
    team_id = await run_in_threadpool(
        _apply,
        services,
        caller,
        directory.create_team,
        name=body["name"],
        kind=body.get("kind", "ward"),
    )
    return JSONResponse({"id": team_id}, status_code=201)


@router.put("/teams/{team_id}/members/{username}", status_code=204)
def add_member(team_id: str, username: str, request: Request, caller: AdminCaller) -> Response:
    """Add a member (idempotent); the team and the member hear of it in `membership.added`."""
    _apply(services_of(request), caller, directory.add_member, team_id, username)
    return Response(status_code=204)


@router.delete("/teams/{team_id}/members/{username}", status_code=204)
def remove_member(team_id: str, username: str, request: Request, caller: AdminCaller) -> Response:
    """Remove a member; their next pull carries `membership.removed`, then nothing of the team."""
    _apply(services_of(request), caller, directory.remove_member, team_id, username)
    return Response(status_code=204)


@router.get("/devices")
def list_devices(
    request: Request, _caller: AdminCaller, username: str | None = None
) -> dict[str, object]:
    """Every device, or one staff member's, with when each was last seen and any revocation."""
    with services_of(request).engine.connect() as conn:
        return {"devices": list(directory.list_devices(conn, username))}


@router.post("/devices/{device_id}/revoke", status_code=204)
def revoke_device(device_id: str, request: Request, caller: AdminCaller) -> Response:
    """Revoke a device: its sessions end and it wipes its Wardlink data at next contact."""
    _apply(services_of(request), caller, directory.revoke_device, device_id)
    return Response(status_code=204)


@router.post("/tokens", status_code=201)
async def issue_token(request: Request, caller: AdminCaller) -> JSONResponse:
    """A long-lived token for an integration account (or a benchmark's client) on a device."""
    services = services_of(request)
    body = await _body(request, ("username", "device_id"))
    if len(body["device_id"]) > 36:
        raise _invalid("device_id", "must be at most 36 characters")
    token, expires_at = await run_in_threadpool(
        _apply, services, caller, directory.issue_token, body["username"], body["device_id"]
    )
    return JSONResponse({"token": token, "expires_at": expires_at}, status_code=201)


def _read_audit(
    conn: Connection, services: Services, actor: Actor, limit: int, before: int | None
) -> list[dict[str, object]]:
    entries = audit.entries(conn, limit=limit, before=before)
    audit.record(
        conn, actor, "admin.audit.read", "audit", at=services.now(),
        detail={"limit": limit, "before": before},
    )  # fmt: skip
    return entries


@router.get("/audit")
def audit_log(
    request: Request,
    caller: AdminCaller,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 100,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, object]:
    """Audit entries newest first; page back with `before=<next_before>`.

    The entries name patients, so reading them is itself audited.
    """
    entries = _apply(services_of(request), caller, _read_audit, limit, before)
    more = len(entries) == limit
    return {"entries": entries, "next_before": entries[-1]["seq"] if more else None}


@router.post("/audit/_search")
async def audit_of_patient(request: Request, caller: AdminCaller) -> dict[str, object]:
    """One patient's audit trail, newest first: `{"patient": "<NHS or CHI number, or
    system|value>", "limit"?, "before"?}` in the body, so the number stays out of URLs."""
    services = services_of(request)
    value = await read_json(request, max_bytes=MAX_BODY_BYTES)
    query = parse(patient_audit.parse_query, value)
    entries = await run_in_threadpool(_apply, services, caller, patient_audit.read_trail, query)
    more = len(entries) == query.limit
    return {"entries": entries, "next_before": entries[-1]["seq"] if more else None}


@router.get("/audit/verify")
def verify_audit(request: Request, _caller: AdminCaller) -> dict[str, object]:
    """Walk the hash chain: `intact` unless an entry was changed, removed or reordered."""
    with services_of(request).engine.connect() as conn:
        problems = audit.verify(conn)
    return {"intact": not problems, "problems": problems}
