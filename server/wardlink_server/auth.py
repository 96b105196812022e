"""Who is calling: the Bearer token checked on every request but sign-in and `/healthz`.

Tokens are opaque random strings; only their SHA-256 is stored. A revoked device or a disabled
account is answered with `"wipe": true`, so the client deletes its local data (DESIGN.md §4).

A token that passed is remembered for a second (`CallerCache`), so that a long-polling client
is not looked up again for each page. Whatever could refuse it takes effect at once in this
process: any write to the sessions, devices or staff tables through SQLAlchemy here (a sign-out,
a revoked device, a disabled account, a password reset) forgets every remembered token, and the
session's expiry is checked on each use. A change made by another process (the command line on
SQLite, another server process on PostgreSQL) reaches it within that second.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Final

from fastapi import Request
from sqlalchemy import Connection, Engine, Pool, bindparam, event, select, update
from starlette.concurrency import run_in_threadpool

from wardlink_server import schema
from wardlink_server.errors import ApiError
from wardlink_server.services import Services

LAST_SEEN_GRANULARITY = timedelta(minutes=1)

_s, _d, _st = schema.sessions, schema.devices, schema.staff
# Built once (every request but sign-in runs it): see `pull._PULL`.
_CALLER: Final = (
    select(
        _s.c.token_hash,
        _s.c.staff_id,
        _s.c.device_id,
        _s.c.kind,
        _s.c.created_at,
        _s.c.expires_at,
        _s.c.ended_at,
        _d.c.revoked_at,
        _d.c.last_seen_at,
        _st.c.active,
        _st.c.role,
    )
    .join(_d, _d.c.id == _s.c.device_id)
    .join(_st, _st.c.id == _s.c.staff_id)
    .where(_s.c.token_hash == bindparam("token_hash"))
)
# The caller's device was seen now: the one write to these tables that changes no answer.
_SEEN: Final = (
    update(_d)
    .where(_d.c.id == bindparam("device_id"))
    .values(last_seen_at=bindparam("now"))
    .execution_options(wardlink_last_seen=True)
)


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
    return _authenticate(conn, services, hash_token(token))[0]


def _authenticate(conn: Connection, services: Services, token_hash: str) -> tuple[Caller, str]:
    """The caller and when their session expires, or the ApiError that refuses them."""
    row = conn.execute(_CALLER, {"token_hash": token_hash}).mappings().first()
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
    caller = Caller(
        staff_id=row["staff_id"],
        role=row["role"],
        device_id=row["device_id"],
        token_hash=row["token_hash"],
        session_kind=row["kind"],
        session_created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
    )
    return caller, str(row["expires_at"])


async def current_caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller (looked up in the threadpool, unless this
    token passed within the last `CallerCache.TTL_S`)."""
    services = services_of(request)
    token_hash = hash_token(_bearer(request))
    caller = CACHE.get(services, token_hash)
    if caller is not None:
        return caller
    return await run_in_threadpool(_look_up, services, token_hash)


@contextlib.contextmanager
def one_statement_reads(engine: Engine) -> Iterator[Connection]:
    """A connection for reads that are each one statement: a statement sees one committed
    state by itself. On PostgreSQL it runs without a transaction around it (no BEGIN and no
    ROLLBACK, each a round trip); SQLite's are in-process and cost next to nothing."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def _look_up(services: Services, token_hash: str) -> Caller:
    generation = CACHE.generation
    with one_statement_reads(services.engine) as conn:
        caller, expires_at = _authenticate(conn, services, token_hash)
    if caller.last_seen_at < services.later(-LAST_SEEN_GRANULARITY):
        now = services.now()
        with services.writer.begin() as conn:
            conn.execute(_SEEN, {"device_id": caller.device_id, "now": now})
        caller = replace(caller, last_seen_at=now)
    CACHE.put(services, token_hash, caller, expires_at, generation)
    return caller


class CallerCache:
    """Tokens that passed within the last `TTL_S`, forgotten at any write in this process that
    could refuse one (see the module's docstring). Thread-safe."""

    TTL_S: Final = 1.0
    MAX_ENTRIES: Final = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Services, Caller, str]] = {}
        self.generation = 0

    def get(self, services: Services, token_hash: str) -> Caller | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        until, owner, caller, expires_at = entry
        if (
            until < time.monotonic()
            or owner is not services
            or expires_at <= services.now()
            or caller.last_seen_at < services.later(-LAST_SEEN_GRANULARITY)
        ):
            return None
        return caller

    def put(
        self, services: Services, token_hash: str, caller: Caller, expires_at: str, generation: int
    ) -> None:
        """Remember `caller`, read when the cache was at `generation`: not if anything was
        forgotten since (the read may predate that change)."""
        now = time.monotonic()
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries = {}
            self._entries[token_hash] = (now + self.TTL_S, services, caller, expires_at)

    def forget(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries = {}


CACHE: Final = CallerCache()

# A statement that writes to a table the answer depends on (as SQLAlchemy writes them).
_AUTH_WRITE: Final = re.compile(
    r"\s*(?:UPDATE|DELETE\s+FROM|INSERT\s+INTO)\s+\"?(?:sessions|devices|staff)\b", re.IGNORECASE
)
_WROTE: Final = "wardlink_auth_write"


@event.listens_for(Engine, "before_cursor_execute")
def _before_execute(
    conn: Connection, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    if _AUTH_WRITE.match(statement) and not (
        context is not None and context.execution_options.get("wardlink_last_seen", False)
    ):
        conn.info[_WROTE] = True
        CACHE.forget()


@event.listens_for(Engine, "commit")
def _before_commit(conn: Connection) -> None:
    if conn.info.get(_WROTE):
        CACHE.forget()


@event.listens_for(Pool, "checkin")
def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    # After the commit (or rollback): a lookup that read just before it is forgotten too.
    if record is not None and record.info.pop(_WROTE, False):
        CACHE.forget()


def require_admin(caller: Caller) -> Caller:
    if not caller.is_admin:
        raise ApiError("forbidden", "Only an administrator can do that.")
    return caller
