"""Teams, memberships and the staff directory as this profile knows them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def update_staff_in_tx(store: Store, staff_id: str, display_name: str, active: bool) -> None:
    """Apply a `staff.updated` event: the name and whether the account is active. The role and
    username, which that event does not carry, are kept (or left at their defaults if new)."""
    store.conn.execute(
        "INSERT INTO staff(id, display_name, active) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, "
        "active = excluded.active",
        (staff_id, display_name, int(active)),
    )


def team_ids(store: Store) -> set[str]:
    return {str(r[0]) for r in store.conn.execute("SELECT id FROM teams")}


# -- history backfill progress (DESIGN.md §4: a new device backfills each team newest-first) ----
#
# `backfilled_to` is the `before` bound of the next history page: every history event of the
# team at or above it is here (or arrives by pull). NULL: not started yet. 0: the team's whole
# history is here. `history_complete` means the automatic backfill is finished (the policy's
# window is covered, or nothing older exists); older pages still load on demand.


@dataclass(frozen=True, slots=True)
class Backfill:
    team_id: str
    backfilled_to: int | None
    complete: bool

    @property
    def has_older(self) -> bool:
        """Whether older history may exist on the server (nothing says it does not)."""
        return self.backfilled_to is None or self.backfilled_to > 1


def get_backfill(store: Store, team_id: str) -> Backfill | None:
    row = store.conn.execute(
        "SELECT backfilled_to, history_complete FROM teams WHERE id = ?", (team_id,)
    ).fetchone()
    if row is None:
        return None
    return Backfill(team_id, None if row[0] is None else int(row[0]), bool(row[1]))


def set_backfill_in_tx(
    store: Store, team_id: str, backfilled_to: int | None, *, complete: bool
) -> None:
    store.conn.execute(
        "UPDATE teams SET backfilled_to = ?, history_complete = ? WHERE id = ?",
        (backfilled_to, int(complete), team_id),
    )


def teams_to_backfill(store: Store) -> list[str]:
    """Teams whose automatic backfill is not finished, in name order."""
    rows = store.conn.execute(
        "SELECT id FROM teams WHERE history_complete = 0 ORDER BY name, id"
    ).fetchall()
    return [str(r[0]) for r in rows]
