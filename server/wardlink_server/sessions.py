"""Sign-in, sign-out, the signed offline lease and the escrow key (DESIGN.md §4, "Sign-in").

Sign-in failures are throttled per account and per client address in the `sign_in_failures`
table, so the limit holds across server processes. Each attempt is counted as a failure before
its password is checked (and given back when the password is right): a burst of parallel guesses
cannot get past the limit while the slow hash runs. Passwords are never logged, stored in
plain text or echoed; the account key is a hash of the username, since a user who types their
password into the username box must not leave it in the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from wardlink.core.clock import format_timestamp, parse_timestamp, truncate_to_ms
from wardlink.core.lease import sign_lease
from wardlink.core.protocol import (
    EscrowKey,
    Lease,
    SessionRequest,
    SessionResponse,
    StaffInfo,
    TeamInfo,
)
from wardlink_server import audit, directory, events, schema
from wardlink_server.audit import Actor
from wardlink_server.auth import Caller
from wardlink_server.errors import ApiError
from wardlink_server.services import Services

BAD_CREDENTIALS = "The username or password is not right."
MAX_ADDRESS_CHARS = 100

# -- throttling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottleKeys:
    account: str
    address: str

    def both(self) -> tuple[str, str]:
        return (self.account, self.address)


def throttle_keys(username: str, address: str) -> ThrottleKeys:
    digest = hashlib.sha256(username.encode("utf-8")).hexdigest()
    return ThrottleKeys(f"account:{digest}", f"address:{address[:MAX_ADDRESS_CHARS]}")


def _now(services: Services) -> dt.datetime:
    return truncate_to_ms(services.config.clock.now())


def _window(services: Services) -> dt.timedelta:
    return dt.timedelta(minutes=services.config.failure_window_minutes)


def _limit(services: Services, key: str) -> int:
    config = services.config
    return config.max_address_failures if key.startswith("address:") else config.max_failures


def _throttled(retry_after: dt.timedelta) -> ApiError:
    seconds = max(1, math.ceil(retry_after.total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return ApiError(
        "throttled",
        f"Too many sign-in attempts. Try again in {minutes} {unit}.",
        headers={"Retry-After": str(seconds)},
    )


def _failure_row(conn: Connection, key: str) -> RowMapping | None:
    f = schema.sign_in_failures
    return conn.execute(select(f).where(f.c.key == key)).mappings().first()


def _count_failure(conn: Connection, services: Services, key: str, now: dt.datetime) -> None:
    f = schema.sign_in_failures
    row = _failure_row(conn, key)
    if row is None or parse_timestamp(row["window_start"]) + _window(services) <= now:
        failures, window_start = 1, format_timestamp(now)
    else:
        failures, window_start = int(row["failures"]) + 1, str(row["window_start"])
    blocked = failures >= _limit(services, key)
    values = {
        "failures": failures,
        "window_start": window_start,
        # Blocked for a whole window from the failure that reached the limit.
        "blocked_until": format_timestamp(now + _window(services)) if blocked else None,
    }
    if row is None:
        conn.execute(insert(f).values(key=key, **values))
    else:
        conn.execute(update(f).where(f.c.key == key).values(**values))


def reserve_attempt(conn: Connection, services: Services, keys: ThrottleKeys) -> None:
    """Refuse a throttled attempt, else count it as a failure until its password proves right."""
    f = schema.sign_in_failures
    now = _now(services)
    stamp = format_timestamp(now)
    # Rows whose window and block are both over say nothing any more.
    conn.execute(
        delete(f).where(
            f.c.window_start <= format_timestamp(now - _window(services)),
            (f.c.blocked_until.is_(None)) | (f.c.blocked_until <= stamp),
        )
    )
    waits = []
    for key in keys.both():
        row = _failure_row(conn, key)
        if row is not None and row["blocked_until"] is not None and row["blocked_until"] > stamp:
            waits.append(parse_timestamp(row["blocked_until"]) - now)
    if waits:
        raise _throttled(max(waits))
    for key in keys.both():
        _count_failure(conn, services, key, now)


def give_back_attempt(conn: Connection, services: Services, keys: ThrottleKeys) -> None:
    """The password was right: the account starts afresh and the address gets its attempt back."""
    f = schema.sign_in_failures
    conn.execute(delete(f).where(f.c.key == keys.account))
    row = _failure_row(conn, keys.address)
    if row is None:
        return
    failures = max(0, int(row["failures"]) - 1)
    still_blocked = failures >= _limit(services, keys.address)
    conn.execute(
        update(f)
        .where(f.c.key == keys.address)
        .values(failures=failures, blocked_until=row["blocked_until"] if still_blocked else None)
    )


# -- the lease ----------------------------------------------------------------------------------


def issue_lease(services: Services, staff_id: str, device_id: str) -> Lease:
    """A freshly signed lease: lock and wipe times count from now, as server policy sets them."""
    now = _now(services)
    lease = Lease(
        device_id=device_id,
        staff_id=staff_id,
        issued_at=format_timestamp(now),
        lock_after=format_timestamp(now + services.policy.lock_after),
        wipe_after=format_timestamp(now + services.policy.wipe_after),
    )
    return sign_lease(lease, services.signing_key)


# -- sign-in ------------------------------------------------------------------------------------


def _password_matches(services: Services, password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        # No such account (or one without a password): spend what a real check costs, so
        # that the answer's timing does not tell which usernames exist.
        services.hasher.hash(password)
        return False
    try:
        return services.hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _teams_of(conn: Connection, staff_id: str) -> tuple[TeamInfo, ...]:
    t, m = schema.teams, schema.memberships
    rows = conn.execute(
        select(t.c.id, t.c.name, t.c.kind)
        .join(m, m.c.team_id == t.c.id)
        .where(m.c.staff_id == staff_id)
        .order_by(t.c.name)
    )
    return tuple(TeamInfo(str(r.id), str(r.name), str(r.kind)) for r in rows)


def _refusal(staff: RowMapping, verified_hash: str) -> ApiError | None:
    """Why an account whose password was right may still not sign in (checked under lock)."""
    if staff["password_hash"] != verified_hash:
        # Reset while the password was being checked: the old one no longer counts.
        return ApiError("bad_credentials", BAD_CREDENTIALS)
    if not staff["active"]:
        return ApiError(
            "account_disabled",
            "This account has been disabled. Its Wardlink data will be removed from this device.",
            wipe=True,
        )
    if staff["role"] == "integration":
        return ApiError(
            "forbidden", "This account signs in with an issued token, not with a password."
        )
    return None


def _device_revoked() -> ApiError:
    return ApiError(
        "device_revoked",
        "This device's access has been withdrawn. Its Wardlink data will be removed.",
        wipe=True,
    )


def _open_session(
    conn: Connection,
    services: Services,
    request: SessionRequest,
    staff_id: str,
    verified_hash: str,
    new_hash: str | None,
) -> SessionResponse | ApiError:
    st = schema.staff
    staff = conn.execute(select(st).where(st.c.id == staff_id)).mappings().one()
    refusal = _refusal(staff, verified_hash)
    if refusal is not None:
        return refusal
    info = request.device
    device = directory.ensure_device(conn, services, staff_id, info.id, info.name, info.platform)
    device_id = str(device["id"])
    if device["revoked_at"] is not None:
        return _device_revoked()
    if new_hash is not None:
        conn.execute(update(st).where(st.c.id == staff_id).values(password_hash=new_hash))
    conn.execute(
        update(schema.devices)
        .where(schema.devices.c.id == device_id)
        .values(name=info.name, platform=info.platform, last_seen_at=services.now())
    )
    ttl = dt.timedelta(hours=services.config.token_ttl_hours)
    token, expires_at = directory.start_session(
        conn, services, staff_id, device_id, kind="password", ttl=ttl
    )
    audit.record(
        conn,
        Actor(staff_id, device_id),
        "session.create",
        staff_id,
        at=services.now(),
        detail={"kind": "password"},
    )
    return SessionResponse(
        token=token,
        expires_at=expires_at,
        staff=StaffInfo(
            staff_id, str(staff["username"]), str(staff["display_name"]), str(staff["role"])
        ),
        teams=_teams_of(conn, staff_id),
        policy=services.client_policy(),
        lease=issue_lease(services, staff_id, device_id),
        cursor=events.head(conn),
    )


def sign_in(services: Services, request: SessionRequest, address: str) -> SessionResponse:
    """`POST /api/v1/sessions`. Runs in a worker thread: the password hash is slow on purpose."""
    username = request.username.strip().lower()
    keys = throttle_keys(username, address)
    with services.writer.begin() as conn:
        reserve_attempt(conn, services, keys)
    st = schema.staff
    with services.engine.connect() as conn:
        staff = (
            conn.execute(select(st.c.id, st.c.password_hash).where(st.c.username == username))
            .mappings()
            .first()
        )
    stored_hash: str | None = None if staff is None else staff["password_hash"]
    matched = _password_matches(services, stored_hash, request.password)
    if staff is None or stored_hash is None or not matched:
        raise ApiError("bad_credentials", BAD_CREDENTIALS)
    new_hash = None
    if services.hasher.check_needs_rehash(stored_hash):
        new_hash = services.hasher.hash(request.password)
    with services.writer.begin() as conn:
        give_back_attempt(conn, services, keys)
        answer = _open_session(conn, services, request, str(staff["id"]), stored_hash, new_hash)
    # Raised only after the commit, so the attempt given back for a right password stays given.
    if isinstance(answer, ApiError):
        raise answer
    return answer


def sign_out(services: Services, caller: Caller) -> None:
    """`DELETE /api/v1/sessions/current`: this token stops working at once."""
    s = schema.sessions
    with services.writer.begin() as conn:
        conn.execute(
            update(s)
            .where(s.c.token_hash == caller.token_hash, s.c.ended_at.is_(None))
            .values(ended_at=services.now())
        )
        audit.record(
            conn,
            Actor(caller.staff_id, caller.device_id),
            "session.end",
            caller.staff_id,
            at=services.now(),
        )


# -- escrow -------------------------------------------------------------------------------------


def store_escrow(services: Services, caller: Caller, key: EscrowKey) -> None:
    """Keep this device's escrow key. Set once: the same key again is fine, another is refused."""
    d = schema.devices
    raw = key.key_bytes()
    with services.writer.begin() as conn:
        stored = conn.execute(
            select(d.c.escrow_key).where(d.c.id == caller.device_id)
        ).scalar_one_or_none()
        if stored is not None:
            if hmac.compare_digest(bytes(stored), raw):
                return
            raise ApiError("conflict", "This device already has an escrow key.")
        conn.execute(
            update(d)
            .where(d.c.id == caller.device_id)
            .values(escrow_key=raw, escrow_set_at=services.now())
        )
        audit.record(
            conn,
            Actor(caller.staff_id, caller.device_id),
            "escrow.store",
            caller.device_id,
            at=services.now(),
        )


def escrow_window_open(services: Services, caller: Caller) -> bool:
    """Only a password sign-in made within the last few minutes may receive the escrow key."""
    if caller.session_kind != "password":
        return False
    window = dt.timedelta(minutes=services.config.escrow_window_minutes)
    return _now(services) - parse_timestamp(caller.session_created_at) < window


def release_escrow(services: Services, caller: Caller) -> EscrowKey:
    """`GET /api/v1/devices/current/escrow`: the caller's own device's key, audited."""
    if not escrow_window_open(services, caller):
        raise ApiError(
            "forbidden",
            "The escrow key is only given out just after signing in with a password. "
            "Sign in again to get it.",
        )
    d = schema.devices
    with services.writer.begin() as conn:
        stored = conn.execute(
            select(d.c.escrow_key).where(d.c.id == caller.device_id)
        ).scalar_one_or_none()
        if stored is None:
            raise ApiError("not_found", "This device has no escrow key.")
        audit.record(
            conn,
            Actor(caller.staff_id, caller.device_id),
            "escrow.release",
            caller.device_id,
            at=services.now(),
        )
    return EscrowKey.from_bytes(bytes(stored))
