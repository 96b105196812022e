"""Teams, memberships and the staff directory as this profile knows them."""

from __future__ import annotations

from collections.abc import Iterable

from wardlink.core.model import Role, Staff, Team, TeamKind
from wardlink.store.changes import Changes
from wardlink.store.database import Store


def upsert_teams_in_tx(store: Store, teams: Iterable[Team]) -> None:
    store.conn.executemany(
        "INSERT INTO teams(id, name, kind) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind",
        [(t.id, t.name, str(t.kind)) for t in teams],
    )


def upsert_staff_in_tx(store: Store, staff: Iterable[Staff]) -> None:
    store.conn.executemany(
        "INSERT INTO staff(id, username, display_name, role, active) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET username = coalesce(excluded.username, staff.username), "
        "display_name = excluded.display_name, role = excluded.role, active = excluded.active",
        [(s.id, s.username, s.display_name, str(s.role), int(s.active)) for s in staff],
    )


def save_directory(
    store: Store, *, teams: Iterable[Team] = (), staff: Iterable[Staff] = ()
) -> Changes:
    """Record teams and staff as the server reported them (e.g. at sign-in)."""
    with store.transaction():
        upsert_teams_in_tx(store, teams)
        upsert_staff_in_tx(store, staff)
    return Changes(teams=True, staff=True)


def add_member_in_tx(store: Store, team_id: str, staff_id: str) -> None:
    store.conn.execute(
        "INSERT INTO members(team_id, staff_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (team_id, staff_id),
    )


def remove_member_in_tx(store: Store, team_id: str, staff_id: str) -> None:
    store.conn.execute(
        "DELETE FROM members WHERE team_id = ? AND staff_id = ?", (team_id, staff_id)
    )


def list_teams(store: Store) -> list[Team]:
    rows = store.conn.execute("SELECT id, name, kind FROM teams ORDER BY name, id").fetchall()
    return [Team(str(i), str(n), TeamKind(k)) for i, n, k in rows]


def team_members(store: Store, team_id: str) -> list[Staff]:
    rows = store.conn.execute(
        "SELECT s.id, s.username, s.display_name, s.role, s.active FROM members m "
        "JOIN staff s ON s.id = m.staff_id WHERE m.team_id = ? ORDER BY s.display_name",
        (team_id,),
    ).fetchall()
    return [Staff(str(i), str(u or ""), str(d), Role(r), bool(a)) for i, u, d, r, a in rows]


def get_staff(store: Store, staff_id: str) -> Staff | None:
    row = store.conn.execute(
        "SELECT id, username, display_name, role, active FROM staff WHERE id = ?", (staff_id,)
    ).fetchone()
    if row is None:
        return None
    i, u, d, r, a = row
    return Staff(str(i), str(u or ""), str(d), Role(r), bool(a))
