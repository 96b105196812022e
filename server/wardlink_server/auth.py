"""Who is calling: the Bearer token checked on every request but sign-in and `/healthz`.

Tokens are opaque random strings; only their SHA-256 is stored. A revoked device or a disabled
account is answered with `"wipe": true`, so the client deletes its local data (DESIGN.md §4).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from sqlalchemy import Connection, select, update

from wardlink_server import schema
from wardlink_server.errors import ApiError
from wardlink_server.services import Services

LAST_SEEN_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    staff_id: str
    role: str
    device_id: str
    token_hash: str
    session_kind: str  # "password" or "integration"
    session_created_at: str
    last_seen_at: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_integration(self) -> bool:
        return self.role == "integration"


def new_token() -> tuple[str, str]:
    """A fresh opaque token and the hash that is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError("unauthenticated", "Sign in first: this request needs a Bearer token.")
    return token.strip()


def authenticate(conn: Connection, services: Services, token: str) -> Caller:
    """The caller behind `token`, or the ApiError that refuses it."""
    s, d, st = schema.sessions, schema.devices, schema.staff
    row = (
        conn.execute(
            select(
                s.c.token_hash,
                s.c.staff_id,
                s.c.device_id,
                s.c.kind,
                s.c.created_at,
                s.c.expires_at,
                s.c.ended_at,
                d.c.revoked_at,
                d.c.last_seen_at,
                st.c.active,
                st.c.role,
            )
            .join(d, d.c.id == s.c.device_id)
            .join(st, st.c.id == s.c.staff_id)
            .where(s.c.token_hash == hash_token(token))
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ApiError("unauthenticated", "Your session is not valid. Sign in again.")
    # A revoked device hears it must wipe even on a token that has ended since: the device is
    # presumed lost, and this may be its only contact.
    if row["revoked_at"] is not None:
        raise ApiError(
            "device_revoked",
            "This device's access has been withdrawn. Its Wardlink data will be removed.",
            wipe=True,
        )
    if not row["active"]:
        raise ApiError(
            "account_disabled",
            "This account has been disabled. Its Wardlink data will be removed from this device.",
            wipe=True,
        )
    if row["ended_at"] is not None:
        raise ApiError("unauthenticated", "Your session is not valid. Sign in again.")
    if row["expires_at"] <= services.now():
        raise ApiError("unauthenticated", "Your session has expired. Sign in again.")
    return Caller(
        staff_id=row["staff_id"],
        role=row["role"],
        device_id=row["device_id"],
        token_hash=row["token_hash"],
        session_kind=row["kind"],
        session_created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
    )


def current_caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller (runs in the threadpool)."""
    services = services_of(request)
    token = _bearer(request)
    with services.engine.connect() as conn:
        caller = authenticate(conn, services, token)
    if caller.last_seen_at < services.later(-LAST_SEEN_GRANULARITY):
        with services.writer.begin() as conn:
            conn.execute(
                update(schema.devices)
                .where(schema.devices.c.id == caller.device_id)
                .values(last_seen_at=services.now())
            )
    return caller


def require_admin(caller: Caller) -> Caller:
    if not caller.is_admin:
        raise ApiError("forbidden", "Only an administrator can do that.")
    return caller
