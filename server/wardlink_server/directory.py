"""The directory: staff, teams, memberships, devices and tokens. Used by the admin API and CLI.

Every function runs in the caller's write transaction, records its audit entry there, and
emits the events clients pull (membership and staff changes), so the three commit together.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Literal

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from wardlink_server import audit, events, schema
from wardlink_server.audit import Actor
from wardlink_server.auth import new_token
from wardlink_server.errors import ApiError
from wardlink_server.services import Services

ROLES = ("staff", "admin", "integration")
TEAM_KINDS = ("ward", "community")
INTEGRATION_TOKEN_DAYS = 365


def _check_password(password: str) -> None:
    if len(password) < 4:
        raise ApiError("invalid", "The password must be at least 4 characters.", field="password")
    if len(password) > 1024:
        raise ApiError("invalid", "The password is too long.", field="password")


def staff_by_username(conn: Connection, username: str) -> RowMapping:
    username = username.strip().lower()  # stored lower-case by create_staff
    row = conn.execute(select(schema.staff).where(schema.staff.c.username == username)).mappings()
    found = row.first()
    if found is None:
        raise ApiError("not_found", "There is no staff member with that username.")
    return found


def team_by_name_or_id(conn: Connection, name_or_id: str) -> RowMapping:
    t = schema.teams
    found = (
        conn.execute(select(t).where((t.c.name == name_or_id) | (t.c.id == name_or_id)))
        .mappings()
        .first()
    )
    if found is None:
        raise ApiError("not_found", "There is no team with that name.")
    return found


def create_staff(
    conn: Connection,
    services: Services,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str = "staff",
    password: str | None = None,
) -> str:
    if role not in ROLES:
        raise ApiError("invalid", "The role must be staff, admin or integration.", field="role")
    username = username.strip().lower()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise ApiError(
            "invalid", "A username is letters, digits, '.', '-' or '_'.", field="username"
        )
    if not display_name.strip() or len(display_name) > 200:
        raise ApiError(
            "invalid", "A display name is needed (at most 200 characters).", field="display_name"
        )
    exists = conn.execute(
        select(schema.staff.c.id).where(schema.staff.c.username == username)
    ).first()
    if exists is not None:
        raise ApiError("conflict", "That username is taken.")
    if password is not None:
        _check_password(password)
    staff_id = str(uuid.uuid4())
    conn.execute(
        insert(schema.staff).values(
            id=staff_id,
            username=username,
            display_name=display_name.strip(),
            role=role,
            password_hash=None if password is None else services.hasher.hash(password),
            active=True,
            created_at=services.now(),
        )
    )
    audit.record(
        conn,
        actor,
        "admin.staff.create",
        staff_id,
        at=services.now(),
        detail={"username": username, "role": role},
    )
    return staff_id


def _end_sessions(
    conn: Connection,
    services: Services,
    *,
    staff_id: str | None = None,
    device_id: str | None = None,
    kind: str | None = None,
) -> None:
    s = schema.sessions
    query = update(s).where(s.c.ended_at.is_(None)).values(ended_at=services.now())
    if staff_id is not None:
        query = query.where(s.c.staff_id == staff_id)
    if device_id is not None:
        query = query.where(s.c.device_id == device_id)
    if kind is not None:
        query = query.where(s.c.kind == kind)
    conn.execute(query)


def _staff_updated(conn: Connection, services: Services, staff_id: str) -> None:
    row = conn.execute(select(schema.staff).where(schema.staff.c.id == staff_id)).mappings().one()
    events.append(
        conn,
        "staff.updated",
        at=services.now(),
        data={"id": staff_id, "display_name": row["display_name"], "active": bool(row["active"])},
    )


def disable_staff(conn: Connection, services: Services, actor: Actor, username: str) -> None:
    """Disable an account: its sessions end, and its devices wipe at their next contact."""
    row = staff_by_username(conn, username)
    staff_id = str(row["id"])
    conn.execute(update(schema.staff).where(schema.staff.c.id == staff_id).values(active=False))
    _staff_updated(conn, services, staff_id)
    audit.record(conn, actor, "admin.staff.disable", staff_id, at=services.now())


def reset_password(
    conn: Connection, services: Services, actor: Actor, username: str, password: str
) -> None:
    """Set a new password; existing sessions end (the escrow key then reopens the profile)."""
    _check_password(password)
    row = staff_by_username(conn, username)
    staff_id = str(row["id"])
    conn.execute(
        update(schema.staff)
        .where(schema.staff.c.id == staff_id)
        .values(password_hash=services.hasher.hash(password))
    )
    _end_sessions(conn, services, staff_id=staff_id)
    audit.record(conn, actor, "admin.staff.reset_password", staff_id, at=services.now())


def create_team(
    conn: Connection, services: Services, actor: Actor, *, name: str, kind: str = "ward"
) -> str:
    if kind not in TEAM_KINDS:
        raise ApiError("invalid", "A team's kind is ward or community.", field="kind")
    name = name.strip()
    if not name or len(name) > 200:
        raise ApiError("invalid", "A team needs a name (at most 200 characters).", field="name")
    if conn.execute(select(schema.teams.c.id).where(schema.teams.c.name == name)).first():
        raise ApiError("conflict", "A team with that name exists.")
    team_id = str(uuid.uuid4())
    conn.execute(
        insert(schema.teams).values(id=team_id, name=name, kind=kind, created_at=services.now())
    )
    audit.record(
        conn,
        actor,
        "admin.team.create",
        team_id,
        at=services.now(),
        detail={"name": name, "kind": kind},
    )
    return team_id


def _team_json(team: RowMapping) -> dict[str, object]:
    return {"id": team["id"], "name": team["name"], "kind": team["kind"]}


def _membership_changed(
    conn: Connection,
    services: Services,
    actor: Actor,
    team_row: RowMapping,
    staff_row: RowMapping,
    change: Literal["added", "removed"],
) -> None:
    """Tell the team and the member (a `membership.*` event) and audit who did it."""
    team_id, staff_id = str(team_row["id"]), str(staff_row["id"])
    events.append(
        conn,
        f"membership.{change}",
        at=services.now(),
        team_id=team_id,
        staff_id=staff_id,
        data={"team": _team_json(team_row), "staff_id": staff_id},
    )
    verb = "add" if change == "added" else "remove"
    audit.record(
        conn, actor, f"admin.membership.{verb}", team_id, at=services.now(),
        detail={"staff_id": staff_id},
    )  # fmt: skip


def add_member(
    conn: Connection, services: Services, actor: Actor, team: str, username: str
) -> None:
    """Add a staff member to a team (idempotent) and tell the team and the member."""
    team_row = team_by_name_or_id(conn, team)
    staff_row = staff_by_username(conn, username)
    if staff_row["role"] == "integration":
        raise ApiError("invalid", "Integration accounts belong in no team.")
    m = schema.memberships
    present = conn.execute(
        select(m.c.team_id).where(m.c.team_id == team_row["id"], m.c.staff_id == staff_row["id"])
    ).first()
    if present is not None:
        return
    conn.execute(
        insert(m).values(team_id=team_row["id"], staff_id=staff_row["id"], added_at=services.now())
    )
    _membership_changed(conn, services, actor, team_row, staff_row, "added")


def remove_member(
    conn: Connection, services: Services, actor: Actor, team: str, username: str
) -> None:
    """Remove a member; their next pull carries `membership.removed`, then nothing of the team."""
    team_row = team_by_name_or_id(conn, team)
    staff_row = staff_by_username(conn, username)
    m = schema.memberships
    gone = conn.execute(
        delete(m).where(m.c.team_id == team_row["id"], m.c.staff_id == staff_row["id"])
    )
    if not gone.rowcount:
        raise ApiError("not_found", "That staff member is not in that team.")
    _membership_changed(conn, services, actor, team_row, staff_row, "removed")


def team_ids_of(conn: Connection, staff_id: str) -> list[str]:
    m = schema.memberships
    return [str(r[0]) for r in conn.execute(select(m.c.team_id).where(m.c.staff_id == staff_id))]


def list_devices(conn: Connection, username: str | None = None) -> Sequence[Mapping[str, object]]:
    d, st = schema.devices, schema.staff
    query = (
        select(
            d.c.id,
            st.c.username,
            d.c.name,
            d.c.platform,
            d.c.created_at,
            d.c.last_seen_at,
            d.c.revoked_at,
        )
        .join(st, st.c.id == d.c.staff_id)
        .order_by(st.c.username, d.c.created_at)
    )
    if username is not None:
        query = query.where(st.c.id == staff_by_username(conn, username)["id"])
    return [dict(r) for r in conn.execute(query).mappings()]


def revoke_device(conn: Connection, services: Services, actor: Actor, device_id: str) -> None:
    """Revoke a device: its sessions end and it wipes its profile at next contact."""
    d = schema.devices
    done = conn.execute(
        update(d)
        .where(d.c.id == device_id, d.c.revoked_at.is_(None))
        .values(revoked_at=services.now(), revoked_by=actor.staff_id)
    )
    if not done.rowcount:
        exists = conn.execute(select(d.c.id).where(d.c.id == device_id)).first()
        if exists is None:
            raise ApiError("not_found", "There is no device with that id.")
        return
    _end_sessions(conn, services, device_id=device_id)
    audit.record(conn, actor, "admin.device.revoke", device_id, at=services.now())


def ensure_device(
    conn: Connection, services: Services, staff_id: str, client_id: str, name: str, platform: str
) -> RowMapping:
    """The device record for this staff member's install, made on first sign-in."""
    d = schema.devices
    row = (
        conn.execute(select(d).where(d.c.staff_id == staff_id, d.c.client_id == client_id))
        .mappings()
        .first()
    )
    if row is not None:
        return row
    device_id = str(uuid.uuid4())
    now = services.now()
    conn.execute(
        insert(d).values(
            id=device_id,
            client_id=client_id,
            staff_id=staff_id,
            name=name,
            platform=platform,
            created_at=now,
            last_seen_at=now,
        )
    )
    return conn.execute(select(d).where(d.c.id == device_id)).mappings().one()


def start_session(
    conn: Connection,
    services: Services,
    staff_id: str,
    device_id: str,
    *,
    kind: str,
    ttl: timedelta,
) -> tuple[str, str]:
    """A new session; returns (token, expires_at). Only the token's hash is stored.

    A password sign-in replaces the staff member's earlier password session on that device: a
    PC signs in again after a sign-out it could not tell the server about (it was offline), and
    the old session must not outlive it.
    """
    token, token_hash = new_token()
    expires_at = services.later(ttl)
    if kind == "password":
        _end_sessions(conn, services, staff_id=staff_id, device_id=device_id, kind=kind)
    conn.execute(
        insert(schema.sessions).values(
            token_hash=token_hash,
            staff_id=staff_id,
            device_id=device_id,
            kind=kind,
            created_at=services.now(),
            expires_at=expires_at,
        )
    )
    return token, expires_at


def issue_token(
    conn: Connection, services: Services, actor: Actor, username: str, device_id: str
) -> tuple[str, str]:
    """A long-lived token for an integration account (or a benchmark's client)."""
    row = staff_by_username(conn, username)
    if not row["active"]:
        raise ApiError("account_disabled", "That account is disabled.", wipe=True)
    device = ensure_device(conn, services, str(row["id"]), device_id, "issued token", "server")
    if device["revoked_at"] is not None:
        raise ApiError("conflict", "That device has been revoked; use a new device id.")
    token, expires_at = start_session(
        conn,
        services,
        str(row["id"]),
        str(device["id"]),
        kind="integration",
        ttl=timedelta(days=INTEGRATION_TOKEN_DAYS),
    )
    audit.record(
        conn,
        actor,
        "admin.token.issue",
        str(row["id"]),
        at=services.now(),
        detail={"device_id": device["id"]},
    )
    return token, expires_at
