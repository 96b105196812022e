"""A patient's notes for the patient view: lineages newest first with every version, only in the
teams held here, and each look-up audited once per identifier without the number in clear."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from wardlink.core.clock import ManualClock
from wardlink.core.fhir import PatientIdentifier, patient_id
from wardlink.core.forms import amend_response, build_response, load_form, patient_of
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM, NHS_NUMBER_SYSTEM
from wardlink.core.model import NoteState
from wardlink.store import audit, notes, patient_notes
from wardlink.store.database import Store
from wardlink.store.notes import NoteDraft, RemoteNote
from wardlink.store.patient_notes import NOTES_OPENED

from .store_helpers import COMMUNITY, ME, OTHER, START, WARD, new_store

NHS = "9434765919"
OTHER_NHS = "4010232137"
CHI = "1203456786"  # a CHI number, and (same check digit) a valid NHS number too
SBAR = {
    "sbar.situation.summary": "New shortness of breath.",
    "sbar.situation.concern": "concerned",
    "sbar.background.admission": "Pneumonia.",
    "sbar.background.allergies": "None known",
    "sbar.background.resuscitation": "for-cpr",
    "sbar.assessment.findings": "RR 24.",
    "sbar.recommendation.request": "Review, please.",
    "sbar.recommendation.timeframe": "1h",
}


def patient(number: str = NHS, kind: str = "nhs", born: dt.date = dt.date(1948, 3, 12)) -> dict:
    return {
        "patient.identifierSystem": kind,
        "patient.identifier": number,
        "patient.birthDate": born,
        "patient.confirmed": True,
    }


def sbar(at: dt.datetime, who: dict[str, object] | None = None, **extra: object) -> dict:
    return build_response(
        "sbar-handover",
        {**(who or patient()), **SBAR, **extra},
        staff_id=OTHER,
        staff_name="Bob Brown",
        now=at,
        today=at.date(),
    )


def remote(resource: Mapping[str, Any], seq: int, team: str = WARD, **more: Any) -> RemoteNote:
    form = load_form(str(resource["questionnaire"]))
    who = patient_of(resource)
    return RemoteNote(
        seq=seq,
        id=str(resource["id"]),
        version=more.pop("version", 1),
        version_of=more.pop("version_of", None),
        team_id=team,
        author_id=OTHER,
        author_name="Bob Brown",
        form_url=form.url,
        form_version=form.version,
        form_title=form.title,
        patient_system=who.system,
        patient_value=who.value,
        status="amended" if resource["status"] == "amended" else "completed",
        authored=str(resource["authored"]),
        resource=resource,
        **more,
    )


def local(resource: Mapping[str, Any], team: str = WARD) -> NoteDraft:
    form = load_form(str(resource["questionnaire"]))
    who = patient_of(resource)
    return NoteDraft(
        team_id=team,
        form_url=form.url,
        form_version=form.version,
        form_title=form.title,
        patient_system=who.system,
        patient_value=who.value,
        authored=str(resource["authored"]),
        resource=resource,
    )


def pull(store: Store, *items: RemoteNote) -> None:
    with store.transaction():
        notes.apply_remote_notes_in_tx(store, items)


def audit_rows(store: Store) -> list[tuple[Any, ...]]:
    return store.conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = new_store(tmp_path / "w.db", clock=ManualClock(START))
    yield s
    s.close()


def day(n: int, hour: int = 9) -> dt.datetime:
    return START.replace(hour=hour) + dt.timedelta(days=n)


def test_lineages_newest_first_with_every_version_and_one_audit_entry(store: Store) -> None:
    first = sbar(day(-3))
    amended = amend_response(
        first,
        {**patient(), **SBAR, "sbar.background.allergies": "Penicillin"},
        reason="Allergy missed",
        staff_id=OTHER,
        staff_name="Bob Brown",
        now=day(-1),
        today=day(-1).date(),
    )
    pull(
        store,
        remote(first, 10),
        remote(sbar(day(-2)), 11, team=COMMUNITY),
        remote(amended, 12, version=2, version_of=first["id"], lineage_id=first["id"]),
        remote(sbar(day(-1), patient(OTHER_NHS)), 13),
    )
    mine, _ = notes.submit_note(store, local(sbar(day(0))), note_id=None)

    found = patient_notes.open_patient_notes(store, NHS_NUMBER_SYSTEM, NHS)

    assert [len(n.versions) for n in found.lineages] == [1, 1, 2]
    newest, community, oldest = found.lineages
    assert newest.latest.id == mine and newest.latest.state is NoteState.QUEUED
    assert community.team_name == "Community Nursing North"
    assert oldest.team_name == "Ward 7 (Surgical)"
    assert [v.version for v in oldest.versions] == [1, 2]
    assert oldest.original.id == first["id"] and oldest.is_amended
    assert oldest.reason_for(str(amended["id"])) == "Allergy missed"
    assert oldest.reason_for(str(first["id"])) is None
    assert found.birth_date == dt.date(1948, 3, 12)
    assert found.found == (PatientIdentifier(NHS_NUMBER_SYSTEM, NHS),)
    assert not found.truncated

    (entry,) = [r for r in audit_rows(store) if r[3] == NOTES_OPENED]
    assert NHS not in json.dumps(entry)
    assert json.loads(entry[5]) == {"by": "patient", "notes": 3}
    assert entry[4] == patient_notes.patient_audit_subject(
        store, PatientIdentifier(NHS_NUMBER_SYSTEM, NHS)
    )
    assert audit.verify(store).ok


def test_the_audit_subject_is_a_keyed_hash_kept_per_profile(store: Store, tmp_path: Path) -> None:
    nhs = PatientIdentifier(NHS_NUMBER_SYSTEM, NHS)
    subject = patient_notes.patient_audit_subject(store, nhs)
    assert subject == patient_notes.patient_audit_subject(store, nhs)  # the key is kept
    assert subject != patient_notes.patient_audit_subject(
        store, PatientIdentifier(NHS_NUMBER_SYSTEM, OTHER_NHS)
    )
    assert NHS not in subject and len(subject) == 64
    other = new_store(tmp_path / "other.db")
    try:  # another profile has its own key: its entries cannot be matched with these
        assert patient_notes.patient_audit_subject(other, nhs) != subject
    finally:
        other.close()
    assert subject != patient_id(nhs, key=b"\0" * 32)


def test_refreshing_is_not_audited_again(store: Store) -> None:
    pull(store, remote(sbar(day(-1)), 10))
    patient_notes.open_patient_notes(store, NHS_NUMBER_SYSTEM, NHS)
    again = patient_notes.patient_notes(store, [PatientIdentifier(NHS_NUMBER_SYSTEM, NHS)])
    assert len(again.lineages) == 1
    assert [r[3] for r in audit_rows(store)] == [NOTES_OPENED]


def test_a_patient_with_no_notes_is_still_audited(store: Store) -> None:
    found = patient_notes.open_patient_notes(store, NHS_NUMBER_SYSTEM, OTHER_NHS)
    assert found.lineages == () and found.birth_date is None and found.found == ()
    (entry,) = audit_rows(store)
    assert entry[3] == NOTES_OPENED and json.loads(entry[5])["notes"] == 0


def test_notes_of_a_team_not_held_here_are_not_shown(store: Store) -> None:
    """A row for a team this profile does not hold (as if left behind by a purge) stays out."""
    pull(store, remote(sbar(day(-1)), 10))
    store.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        pull(store, remote(sbar(day(0)), 11, team="99999999-0000-4000-8000-000000000009"))
    finally:
        store.conn.execute("PRAGMA foreign_keys = ON")
    assert len(notes.notes_for_patient(store, NHS_NUMBER_SYSTEM, NHS)) == 2  # both are here
    found = patient_notes.open_patient_notes(store, NHS_NUMBER_SYSTEM, NHS)
    assert [n.original.authored for n in found.lineages] == [day(-1)]
    assert patient_notes.lineage_of(store, str(found.lineages[0].latest.id)) is not None


def test_a_number_valid_as_nhs_and_chi_is_looked_up_as_either(store: Store) -> None:
    chi_note = sbar(day(-1), patient(CHI, "chi", dt.date(1945, 3, 12)))
    pull(store, remote(chi_note, 10))
    candidates = [
        PatientIdentifier(NHS_NUMBER_SYSTEM, CHI),
        PatientIdentifier(DEFAULT_CHI_SYSTEM, CHI),
    ]
    found = patient_notes.search_patient_notes(store, candidates)
    assert [n.latest.id for n in found.lineages] == [chi_note["id"]]
    assert found.found == (PatientIdentifier(DEFAULT_CHI_SYSTEM, CHI),)
    assert found.birth_date == dt.date(1945, 3, 12)
    entries = audit_rows(store)
    assert [json.loads(e[5])["notes"] for e in entries] == [0, 1]  # one per identifier
    assert all(CHI not in json.dumps(e) for e in entries)


def test_the_newest_lineages_up_to_the_limit(store: Store) -> None:
    pull(store, *(remote(sbar(day(-i)), 10 + i) for i in range(5)))
    found = patient_notes.open_patient_notes(store, NHS_NUMBER_SYSTEM, NHS, limit=3)
    assert found.truncated
    assert [n.original.authored for n in found.lineages] == [day(0), day(-1), day(-2)]


def test_lineage_of_a_version(store: Store) -> None:
    first = sbar(day(-2))
    pull(store, remote(first, 10))
    second, _ = notes.amend_note(store, str(first["id"]), local(sbar(day(0))), "Wrong bay")
    lineage = patient_notes.lineage_of(store, second)
    assert lineage is not None
    assert [v.id for v in lineage.versions] == [first["id"], second]
    assert lineage.reason_for(second) == "Wrong bay"  # kept here; the draft had no extension
    assert lineage.latest.author_id == ME
    assert patient_notes.lineage_of(store, "no-such-note") is None


def test_a_note_card_opens_its_patient(store: Store) -> None:
    first = sbar(day(-2))
    pull(store, remote(first, 10), remote(sbar(day(-1)), 11))
    found = patient_notes.open_note_patient(store, str(first["id"]))
    assert found is not None and len(found.lineages) == 2
    assert found.patients == (PatientIdentifier(NHS_NUMBER_SYSTEM, NHS),)
    assert [r[3] for r in audit_rows(store)] == [NOTES_OPENED]
    assert patient_notes.open_note_patient(store, "no-such-note") is None
    assert len(audit_rows(store)) == 1  # nothing was opened, nothing audited
