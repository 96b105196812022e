"""Removing local data: a whole team (removed from it), or what is older than the policy keeps.

Unsent work is never purged by age: a queued or held message or note stays until it is sent or
the user discards it. Removal from a team is different: that team's data, unsent items included,
must leave the device (the server would refuse them anyway).
"""

from __future__ import annotations

import datetime as dt

from wardlink.core.clock import format_timestamp
from wardlink.store import attachments, messages
from wardlink.store.changes import Changes
from wardlink.store.database import Store


def _photos_of_notes(store: Store, where: str, params: tuple[object, ...]) -> list[str]:
    rows = store.conn.execute(
        f"SELECT p.sha256 FROM note_photos p JOIN notes n ON n.id = p.note_id WHERE {where}",
        params,
    ).fetchall()
    return [str(r[0]) for r in rows]


def purge_team(store: Store, team_id: str) -> Changes:
    """Delete everything this profile holds of a team, in one transaction."""
    with store.transaction():
        return purge_team_in_tx(store, team_id)


def purge_team_in_tx(store: Store, team_id: str) -> Changes:
    """`purge_team` inside the caller's transaction (a pulled page that removes us applies it
    together with the page's other events and its cursor)."""
    conn = store.conn
    photos = _photos_of_notes(store, "n.team_id = ?", (team_id,))
    conn.execute("DELETE FROM messages WHERE team_id = ?", (team_id,))
    conn.execute("DELETE FROM notes WHERE team_id = ?", (team_id,))
    conn.execute("DELETE FROM outbox WHERE team_id = ?", (team_id,))
    conn.execute("DELETE FROM teams WHERE id = ?", (team_id,))  # cascades members, receipts
    messages.drop_early_acks_in_tx(store, team_id)
    attachments.delete_orphans(store, photos)
    return Changes(purged=frozenset({team_id}), teams=True, outbox=True)


def purge_older_than(store: Store, days: int) -> Changes:
    """Delete sent/received messages and filed notes older than `days` (device retention)."""
    if days < 1:
        raise ValueError("retention must be at least one day")
    cutoff = format_timestamp(store.clock.now() - dt.timedelta(days=days))
    with store.transaction() as conn:
        teams = {
            str(r[0])
            for r in conn.execute(
                "DELETE FROM messages WHERE state IN ('sent', 'received') AND server_ts < ? "
                "RETURNING team_id",
                (cutoff,),
            ).fetchall()
        }
        note_where = "n.state = 'filed' AND n.authored < ?"
        photos = _photos_of_notes(store, note_where, (cutoff,))
        note_teams = {
            str(r[0])
            for r in conn.execute(
                "DELETE FROM notes WHERE state = 'filed' AND authored < ? RETURNING team_id",
                (cutoff,),
            ).fetchall()
        }
        attachments.delete_orphans(store, photos)
    return Changes(messages=frozenset(teams), notes=frozenset(note_teams), teams=bool(teams))
