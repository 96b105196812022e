"""One patient's notes in this profile's teams, newest first, for the patient view.

Looking a patient up is a read of their record, so it leaves an entry in the local audit, one
per identifier looked up, as the record server's reads do. An entry never holds the number in
clear: its subject is a keyed hash of the identifier (HMAC-SHA-256, the same construction as
the record's Patient ids) under a random key kept inside this encrypted profile. Whoever can
open the profile can find one patient's entries again; the entries alone name nobody, even
where they are shown to IT or copied out.

"In your teams" means the teams this profile holds: a team the user leaves is purged, notes and
all, so the join below is a second line of defence rather than the only one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from wardlink.core.fhir import AMENDMENT_REASON_EXTENSION, PatientIdentifier, patient_id
from wardlink.core.form_definitions import UnknownQuestionnaire
from wardlink.core.form_responses import birth_date_of
from wardlink.core.model import Note
from wardlink.store import audit, notes
from wardlink.store.database import Store
from wardlink.store.teams import list_teams

NOTES_OPENED: Final = "patient.notes_opened"
DEFAULT_LIMIT: Final = 200  # note lineages; a patient with more shows the newest
_AUDIT_KEY_STATE: Final = "patient_audit_key"


@dataclass(frozen=True, slots=True)
class NoteLineage:
    """A note and all its versions held here (oldest first), with its team's name."""

    lineage_id: str
    team_name: str
    versions: tuple[Note, ...]
    reasons: Mapping[str, str] = field(repr=False, hash=False)  # version id -> why amended

    @property
    def original(self) -> Note:
        return self.versions[0]

    @property
    def latest(self) -> Note:
        return self.versions[-1]

    @property
    def is_amended(self) -> bool:
        return len(self.versions) > 1 or self.latest.is_amendment

    def reason_for(self, note_id: str) -> str | None:
        return self.reasons.get(note_id)

    def version(self, note_id: str) -> Note | None:
        return next((v for v in self.versions if v.id == note_id), None)


@dataclass(frozen=True, slots=True)
class PatientNotes:
    """What the patient view shows: the identifiers looked up and the notes found for them.

    `birth_date` is the one the newest note records (forms hold no name). `truncated` says
    there are older notes than the `limit` lineages returned.
    """

    patients: tuple[PatientIdentifier, ...]
    lineages: tuple[NoteLineage, ...]
    birth_date: dt.date | None = field(default=None, repr=False)
    truncated: bool = False

    @property
    def found(self) -> tuple[PatientIdentifier, ...]:
        """The identifiers (of those looked up) that notes were found under, in that order."""
        held = {(n.latest.patient_system, n.latest.patient_value) for n in self.lineages}
        return tuple(p for p in self.patients if (p.system, p.value) in held)

    @property
    def team_ids(self) -> frozenset[str]:
        return frozenset(v.team_id for lineage in self.lineages for v in lineage.versions)

    def lineage(self, lineage_id: str) -> NoteLineage | None:
        return next((n for n in self.lineages if n.lineage_id == lineage_id), None)


def amendment_reason(note: Note, stored: str | None = None) -> str | None:
    """Why a version was amended: the record's `amendment-reason`, else what was kept here."""
    extensions = note.resource.get("extension")
    for extension in extensions if isinstance(extensions, list) else ():
        if isinstance(extension, dict) and extension.get("url") == AMENDMENT_REASON_EXTENSION:
            value = extension.get("valueString")
            if isinstance(value, str) and value.strip():
                return value
    return stored if stored else None


def patient_audit_subject(store: Store, patient: PatientIdentifier) -> str:
    """The audit subject that stands for `patient` in this profile (a keyed hash)."""
    raw = store.get_state(_AUDIT_KEY_STATE)
    if raw is None:
        raw = secrets.token_bytes(32).hex()
        store.set_state(_AUDIT_KEY_STATE, raw)
    return patient_id(patient, key=bytes.fromhex(raw))


def _where(patients: Sequence[PatientIdentifier]) -> tuple[str, list[str]]:
    clause = " OR ".join("(n.patient_system = ? AND n.patient_value = ?)" for _ in patients)
    params = [part for p in patients for part in (p.system, p.value)]
    return f"({clause})", params


def _lineage_ids(
    store: Store, patients: Sequence[PatientIdentifier], limit: int
) -> tuple[list[str], bool]:
    where, params = _where(patients)
    rows = store.conn.execute(
        "SELECT n.lineage_id FROM notes n JOIN teams t ON t.id = n.team_id "
        f"WHERE {where} GROUP BY n.lineage_id "
        "ORDER BY min(n.authored) DESC, max(n.pos) DESC LIMIT ?",
        (*params, limit + 1),
    ).fetchall()
    ids = [str(r[0]) for r in rows]
    return ids[:limit], len(ids) > limit


def _versions(
    store: Store, lineage_ids: Sequence[str], patients: Sequence[PatientIdentifier]
) -> tuple[dict[str, list[Note]], dict[str, str]]:
    """Each lineage's versions in held teams (oldest first), and the reasons kept here."""
    where, params = _where(patients)
    positions: list[int] = []
    reasons: dict[str, str] = {}
    for start in range(0, len(lineage_ids), 400):
        chunk = lineage_ids[start : start + 400]
        marks = ",".join("?" * len(chunk))
        for pos, note_id, reason in store.conn.execute(
            "SELECT n.pos, n.id, n.amend_reason FROM notes n JOIN teams t ON t.id = n.team_id "
            f"WHERE n.lineage_id IN ({marks}) AND {where}",
            (*chunk, *params),
        ):
            positions.append(int(pos))
            if reason:
                reasons[str(note_id)] = str(reason)
    by_lineage: dict[str, list[Note]] = {}
    for note in notes.notes_at(store, positions).values():
        by_lineage.setdefault(note.lineage_id, []).append(note)
    for versions in by_lineage.values():
        versions.sort(key=lambda v: v.version)
    return by_lineage, reasons


def _team_names(store: Store) -> dict[str, str]:
    return {team.id: team.name for team in list_teams(store)}


def _lineage(
    lineage_id: str, versions: Sequence[Note], reasons: Mapping[str, str], names: Mapping[str, str]
) -> NoteLineage:
    why = {
        v.id: reason
        for v in versions
        if v.is_amendment and (reason := amendment_reason(v, reasons.get(v.id)))
    }
    return NoteLineage(lineage_id, names.get(versions[-1].team_id, ""), tuple(versions), why)


def _birth_date(lineages: Iterable[NoteLineage]) -> dt.date | None:
    for lineage in lineages:
        try:
            return birth_date_of(lineage.latest.resource)
        except (ValueError, UnknownQuestionnaire):
            continue  # a form this copy cannot read: try the next note
    return None


def patient_notes(
    store: Store, patients: Sequence[PatientIdentifier], *, limit: int = DEFAULT_LIMIT
) -> PatientNotes:
    """The notes of any of `patients` in the teams held here, newest first (by when each note
    was first written: an amendment corrects a note, it does not make it newer). Not audited:
    for refreshing a view that `open_patient_notes` opened."""
    if not patients:
        raise ValueError("no patient identifier to look up")
    ids, truncated = _lineage_ids(store, patients, limit)
    by_lineage, reasons = _versions(store, ids, patients)
    team_names = _team_names(store)
    lineages = tuple(
        _lineage(lineage_id, versions, reasons, team_names)
        for lineage_id in ids
        if (versions := by_lineage.get(lineage_id))
    )
    return PatientNotes(tuple(patients), lineages, _birth_date(lineages), truncated)


def lineage_of(store: Store, note_id: str) -> NoteLineage | None:
    """The lineage that version `note_id` belongs to, if its team is held here."""
    row = store.conn.execute(
        "SELECT n.lineage_id, n.patient_system, n.patient_value FROM notes n "
        "JOIN teams t ON t.id = n.team_id WHERE n.id = ?",
        (note_id,),
    ).fetchone()
    if row is None:
        return None
    patient = PatientIdentifier(str(row[1] or ""), str(row[2] or ""))
    lineage_id = str(row[0])
    by_lineage, reasons = _versions(store, [lineage_id], [patient])
    return _lineage(lineage_id, by_lineage[lineage_id], reasons, _team_names(store))


def search_patient_notes(
    store: Store, patients: Sequence[PatientIdentifier], *, limit: int = DEFAULT_LIMIT
) -> PatientNotes:
    """`patient_notes`, audited: one `patient.notes_opened` entry per identifier looked up (a
    typed number that is valid as both an NHS and a CHI number is looked up as either)."""
    with store.transaction():
        found = patient_notes(store, patients, limit=limit)
        for patient in patients:
            shown = sum(
                1
                for n in found.lineages
                if (n.latest.patient_system, n.latest.patient_value)
                == (patient.system, patient.value)
            )
            audit.append(
                store,
                NOTES_OPENED,
                subject=patient_audit_subject(store, patient),
                detail={"by": "patient", "notes": shown},
            )
    return found


def open_patient_notes(
    store: Store, system: str, value: str, *, limit: int = DEFAULT_LIMIT
) -> PatientNotes:
    """One patient's note lineages in the user's teams, newest first, each with all its
    versions; writes one audit entry (`patient.notes_opened`) without the number in clear."""
    return search_patient_notes(store, [PatientIdentifier(system, value)], limit=limit)


def open_note_patient(
    store: Store, note_id: str, *, limit: int = DEFAULT_LIMIT
) -> PatientNotes | None:
    """The notes of the patient that note `note_id` is about (a note card in the chat knows the
    note, not the patient), audited as `open_patient_notes`; None if that note is not here."""
    row = store.conn.execute(
        "SELECT n.patient_system, n.patient_value FROM notes n "
        "JOIN teams t ON t.id = n.team_id WHERE n.id = ?",
        (note_id,),
    ).fetchone()
    if row is None or not row[0] or not row[1]:
        return None
    return search_patient_notes(store, [PatientIdentifier(str(row[0]), str(row[1]))], limit=limit)
