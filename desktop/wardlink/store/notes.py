"""Clinical notes: versions of submitted forms, append-only, queued and filed like messages.

A note version is never rewritten (a trigger refuses it); an amendment is a new row in the same
lineage. Photos are linked by content address and must be in the store before the note is queued.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from wardlink.core.clock import parse_timestamp
from wardlink.core.ids import time_ordered_id
from wardlink.core.model import Note, NoteState, NoteStatus
from wardlink.store import outbox
from wardlink.store.changes import Changes
from wardlink.store.database import Store
from wardlink.store.migrations import LOCAL_BASE

_COLUMNS: Final = (
    "pos, id, lineage_id, version, version_of, team_id, author_id, author_name, form_url, "
    "form_version, form_title, patient_system, patient_value, status, authored, state, "
    "held_reason, resource"
)


@dataclass(frozen=True, slots=True)
class NoteDraft:
    """What the form layer hands the store: a built QuestionnaireResponse and its key facts."""

    team_id: str
    form_url: str
    form_version: str
    form_title: str
    patient_system: str
    patient_value: str = field(repr=False)
    authored: str
    resource: Mapping[str, object] = field(repr=False)
    search_text: str = field(default="", repr=False)
    photos: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class RemoteNote:
    """A `note` or `note.amended` event's data, with its seq and team."""

    seq: int
    id: str
    version: int
    version_of: str | None
    team_id: str
    author_id: str
    author_name: str
    form_url: str
    form_version: str
    form_title: str
    patient_system: str
    patient_value: str = field(repr=False)
    status: str
    authored: str
    resource: Mapping[str, object] = field(repr=False)
    search_text: str = field(default="", repr=False)
    photos: Sequence[str] = ()
    # The first version's id, which every version carries (the resource's note identifier).
    # Given, it files a version in its lineage even when it arrives before the versions it
    # amends (a backfill pages newest first); None falls back to following `version_of`.
    lineage_id: str | None = None


def _photos_of(store: Store, note_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for start in range(0, len(note_ids), 500):
        chunk = note_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for note_id, sha in store.conn.execute(
            f"SELECT note_id, sha256 FROM note_photos WHERE note_id IN ({marks}) "
            "ORDER BY note_id, position",
            tuple(chunk),
        ):
            found.setdefault(str(note_id), []).append(str(sha))
    return {k: tuple(v) for k, v in found.items()}


def _rows_to_notes(store: Store, rows: Sequence[Sequence[Any]]) -> list[Note]:
    photos = _photos_of(store, [str(r[1]) for r in rows])
    return [
        Note(
            id=str(r[1]),
            lineage_id=str(r[2]),
            version=int(str(r[3])),
            version_of=None if r[4] is None else str(r[4]),
            team_id=str(r[5]),
            author_id=str(r[6]),
            author_name=str(r[7]),
            form_url=str(r[8]),
            form_version=str(r[9]),
            form_title=str(r[10]),
            patient_system=str(r[11] or ""),
            patient_value=str(r[12] or ""),
            status=NoteStatus(r[13]),
            authored=parse_timestamp(str(r[14])),
            state=NoteState(r[15]),
            held_reason=None if r[16] is None else str(r[16]),
            resource=json.loads(str(r[17])),
            photos=photos.get(str(r[1]), ()),
        )
        for r in rows
    ]


def _next_pos(store: Store) -> int:
    highest = store.conn.execute("SELECT max(pos) FROM notes").fetchone()[0]
    return max(LOCAL_BASE, highest or 0) + 1


def _insert_version(
    store: Store,
    *,
    pos: int,
    note_id: str,
    lineage_id: str,
    version: int,
    version_of: str | None,
    author_id: str,
    author_name: str,
    status: str,
    state: str,
    draft: NoteDraft | RemoteNote,
    amend_reason: str | None = None,
) -> None:
    store.conn.execute(
        f"INSERT INTO notes({_COLUMNS.replace('held_reason, ', '')}, amend_reason, search_text) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            pos,
            note_id,
            lineage_id,
            version,
            version_of,
            draft.team_id,
            author_id,
            author_name,
            draft.form_url,
            draft.form_version,
            draft.form_title,
            draft.patient_system,
            draft.patient_value,
            status,
            draft.authored,
            state,
            json.dumps(draft.resource, separators=(",", ":")),
            amend_reason,
            draft.search_text,
        ),
    )
    store.conn.executemany(
        "INSERT INTO note_photos(note_id, sha256, position) VALUES (?, ?, ?)",
        [(note_id, sha, i) for i, sha in enumerate(draft.photos)],
    )


def _check_photos_present(store: Store, photos: Sequence[str]) -> None:
    for sha in photos:
        row = store.conn.execute(
            "SELECT 1 FROM attachments WHERE sha256 = ? AND data IS NOT NULL", (sha,)
        ).fetchone()
        if row is None:
            raise ValueError("a photo of this note is not in the store")


def _my_name(store: Store) -> str:
    row = store.conn.execute("SELECT display_name FROM staff WHERE id = ?", (store.me,)).fetchone()
    return "" if row is None else str(row[0])


def submit_note(
    store: Store, draft: NoteDraft, *, note_id: str | None = None
) -> tuple[str, Changes]:
    """Queue a new note (version 1) with its `note.submit` op in one transaction."""
    note_id = note_id or time_ordered_id(store.clock.now())
    with store.transaction():
        _check_photos_present(store, draft.photos)
        _insert_version(
            store,
            pos=_next_pos(store),
            note_id=note_id,
            lineage_id=note_id,
            version=1,
            version_of=None,
            author_id=store.me,
            author_name=_my_name(store),
            status="completed",
            state="queued",
            draft=draft,
        )
        outbox.enqueue(
            store,
            "note.submit",
            {"team_id": draft.team_id, "note_id": note_id, "resource": dict(draft.resource)},
            team_id=draft.team_id,
            subject_id=note_id,
        )
    return note_id, Changes(notes=frozenset({draft.team_id}), outbox=True)


def amend_note(
    store: Store, version_of: str, draft: NoteDraft, reason: str, *, note_id: str | None = None
) -> tuple[str, Changes]:
    """Queue an amendment: a new version of `version_of`'s lineage; the old one stays.

    `note_id` is the new version's id: the record files it under its resource's id."""
    note_id = note_id or time_ordered_id(store.clock.now())
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT lineage_id, (SELECT max(version) FROM notes n2 "
            "WHERE n2.lineage_id = notes.lineage_id) FROM notes WHERE id = ?",
            (version_of,),
        ).fetchone()
        if row is None:
            raise LookupError("the note to amend is not in the store")
        lineage_id, latest = str(row[0]), int(row[1])
        _check_photos_present(store, draft.photos)
        _insert_version(
            store,
            pos=_next_pos(store),
            note_id=note_id,
            lineage_id=lineage_id,
            version=latest + 1,
            version_of=version_of,
            author_id=store.me,
            author_name=_my_name(store),
            status="amended",
            state="queued",
            draft=draft,
            amend_reason=reason,
        )
        outbox.enqueue(
            store,
            "note.amend",
            {
                "note_id": note_id,
                "version_of": version_of,
                "reason": reason,
                "resource": dict(draft.resource),
            },
            team_id=draft.team_id,
            subject_id=note_id,
        )
    return note_id, Changes(notes=frozenset({draft.team_id}), outbox=True)


def apply_remote_notes_in_tx(store: Store, notes: Iterable[RemoteNote]) -> frozenset[str]:
    """Insert pulled note versions (idempotent); our own settle as filed. Caller holds the tx."""
    teams: set[str] = set()
    for note in notes:
        teams.add(note.team_id)
        existing = store.conn.execute("SELECT 1 FROM notes WHERE id = ?", (note.id,)).fetchone()
        if existing is not None:
            store.conn.execute(
                "UPDATE notes SET state = 'filed', pos = ?, held_code = NULL, held_reason = NULL "
                "WHERE id = ?",
                (note.seq, note.id),
            )
            continue
        lineage_id = note.lineage_id or note.id
        if note.lineage_id is None and note.version_of is not None:
            row = store.conn.execute(
                "SELECT lineage_id FROM notes WHERE id = ?", (note.version_of,)
            ).fetchone()
            lineage_id = note.version_of if row is None else str(row[0])
        _make_way_for(store, lineage_id, note.version)
        _insert_version(
            store,
            pos=note.seq,
            note_id=note.id,
            lineage_id=lineage_id,
            version=note.version,
            version_of=note.version_of,
            author_id=note.author_id,
            author_name=note.author_name,
            status=note.status,
            state="filed",
            draft=note,
        )
    return frozenset(teams)


def _make_way_for(store: Store, lineage_id: str, version: int) -> None:
    """A colleague's version `version` has been filed: a version of ours that is still only
    here (queued or held) and took that number moves up to the next free one.

    Version numbers of what is not yet filed are this PC's guess; the record's are the ones that
    count. Versions are append-only, so the row moves by being deleted and written again, whole,
    with its photos, under the same id and position (its outbox op refers to it by id).
    """
    conn = store.conn
    row = conn.execute(
        "SELECT * FROM notes WHERE lineage_id = ? AND version = ? AND state != 'filed'",
        (lineage_id, version),
    ).fetchone()
    if row is None:
        return
    columns = [d[0] for d in conn.execute("SELECT * FROM notes LIMIT 0").description]
    values = dict(zip(columns, row, strict=True))
    photos = conn.execute(
        "SELECT sha256, position FROM note_photos WHERE note_id = ? ORDER BY position",
        (values["id"],),
    ).fetchall()
    (latest,) = conn.execute(
        "SELECT max(version) FROM notes WHERE lineage_id = ?", (lineage_id,)
    ).fetchone()
    values["version"] = max(int(latest), version) + 1
    conn.execute("DELETE FROM notes WHERE id = ?", (values["id"],))
    marks = ", ".join("?" * len(columns))
    conn.execute(
        f"INSERT INTO notes({', '.join(columns)}) VALUES ({marks})",
        [values[c] for c in columns],
    )
    conn.executemany(
        "INSERT INTO note_photos(note_id, sha256, position) VALUES (?, ?, ?)",
        [(values["id"], str(sha), int(position)) for sha, position in photos],
    )


def notes_at(store: Store, positions: Sequence[int]) -> dict[int, Note]:
    found: dict[int, Note] = {}
    for start in range(0, len(positions), 500):
        chunk = positions[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.conn.execute(
            f"SELECT {_COLUMNS} FROM notes WHERE pos IN ({marks})", tuple(chunk)
        ).fetchall()
        for pos, note in zip((int(r[0]) for r in rows), _rows_to_notes(store, rows), strict=True):
            found[pos] = note
    return found


def get_note(store: Store, note_id: str) -> Note | None:
    rows = store.conn.execute(f"SELECT {_COLUMNS} FROM notes WHERE id = ?", (note_id,)).fetchall()
    notes = _rows_to_notes(store, rows)
    return notes[0] if notes else None


def note_versions(store: Store, note_id: str) -> list[Note]:
    """Every version of the note `note_id` belongs to, oldest first."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM notes WHERE lineage_id = "
        "(SELECT lineage_id FROM notes WHERE id = ?) ORDER BY version",
        (note_id,),
    ).fetchall()
    return _rows_to_notes(store, rows)


def notes_for_patient(store: Store, system: str, value: str, *, limit: int = 200) -> list[Note]:
    """A patient's note versions held locally, newest first."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM notes WHERE patient_system = ? AND patient_value = ? "
        "ORDER BY pos DESC LIMIT ?",
        (system, value, limit),
    ).fetchall()
    return _rows_to_notes(store, rows)


def team_notes(store: Store, team_id: str, *, limit: int = 100) -> list[Note]:
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM notes WHERE team_id = ? ORDER BY pos DESC LIMIT ?",
        (team_id, limit),
    ).fetchall()
    return _rows_to_notes(store, rows)
