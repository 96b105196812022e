"""Notes for the patient view's tests, filed through the store's own operations.

Real QuestionnaireResponses (built by the core from real forms), put in as the sync engine and
the form editor would: mine through the outbox (queued, then filed or held), others' as pulled.
No Qt here except the photo, which is a real PNG made in memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage, QPainter

from wardlink.core.forms import (
    PhotoAnswer,
    amend_response,
    build_response,
    load_form,
    patient_of,
    photo_hashes,
    summary_text,
)
from wardlink.core.model import Staff
from wardlink.store import attachments, notes, outbox
from wardlink.store.database import Store
from wardlink.store.notes import NoteDraft, RemoteNote
from wardlink.store.outbox import OpResult
from wardlink.ui import demo_history

NHS: Final = "9434765919"  # a valid NHS number (94 is no day, so never a CHI number)
OTHER_NHS: Final = "4010232137"
CHI: Final = "1203456786"  # valid as a CHI number (12 Mar 45) and so also as an NHS number
INVALID: Final = "9434765918"  # one digit off
HELD_REASON: Final = "The form's answers do not fit this version of the form."

PATIENT: Final[dict[str, object]] = {
    "patient.identifierSystem": "nhs",
    "patient.identifier": NHS,
    "patient.birthDate": dt.date(1948, 3, 12),
    "patient.confirmed": True,
}
CHI_PATIENT: Final[dict[str, object]] = {
    "patient.identifierSystem": "chi",
    "patient.identifier": CHI,
    "patient.birthDate": dt.date(1945, 3, 12),
    "patient.confirmed": True,
}
SBAR: Final[dict[str, object]] = {
    "sbar.situation.summary": "New shortness of breath since 14:00.",
    "sbar.situation.concern": "concerned",
    "sbar.background.admission": "Admitted with community-acquired pneumonia.",
    "sbar.background.allergies": "Penicillin (rash)",
    "sbar.background.resuscitation": "for-cpr",
    "sbar.assessment.news2": 5,
    "sbar.assessment.findings": "RR 24, SpO2 92% on 2 L/min, HR 108; looks tired.",
    "sbar.recommendation.request": "Review within the hour, please.",
    "sbar.recommendation.timeframe": "1h",
}


def png_photo(color: str = "#B0413E", size: tuple[int, int] = (320, 240)) -> bytes:
    """A real PNG (a coloured wound-ish blob), made in memory."""
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.fill(QColor("#E8D5C4"))
    painter = QPainter(image)
    painter.setBrush(QColor(color))
    painter.setPen(QColor("#6B2A28"))
    painter.drawEllipse(size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def photo_answer(data: bytes, title: str) -> PhotoAnswer:
    return PhotoAnswer(hashlib.sha256(data).hexdigest(), "image/png", len(data), title)


def wound_answers(
    when: dt.datetime, photo: PhotoAnswer | None = None, **changes: object
) -> dict[str, object]:
    answers: dict[str, object] = {
        "wound.assessedAt": when,
        "wound.location": "Left heel",
        "wound.type": "pressure-ulcer",
        "wound.pressureCategory": "2",
        "wound.length": 2.5,
        "wound.width": 1.5,
        "wound.tissue": ["granulating", "slough"],
        "wound.exudate": "low",
        "wound.infection": False,
        "wound.pain": 3,
        "wound.treatment": "Cleansed with saline; foam dressing applied.",
        "wound.photosTaken": photo is not None,
    }
    if photo is not None:
        answers.update({"wound.photoConsent": "patient", "wound.photos": [photo]})
    answers.update(changes)
    return answers


def response(
    form: str,
    answers: Mapping[str, object],
    *,
    author: Staff,
    at: dt.datetime,
    patient: Mapping[str, object] = PATIENT,
    note_id: str | None = None,
) -> dict[str, Any]:
    return build_response(
        form,
        {**patient, **answers},
        staff_id=author.id,
        staff_name=author.display_name,
        response_id=note_id,
        now=at,
        today=at.date(),
    )


def draft(resource: Mapping[str, Any], team_id: str) -> NoteDraft:
    form = load_form(str(resource["questionnaire"]))
    patient = patient_of(resource)
    return NoteDraft(
        team_id=team_id,
        form_url=form.url,
        form_version=form.version,
        form_title=form.title,
        patient_system=patient.system,
        patient_value=patient.value,
        authored=str(resource["authored"]),
        resource=resource,
        search_text=summary_text(resource),
        photos=photo_hashes(resource),
    )


def pulled(
    resource: Mapping[str, Any],
    *,
    seq: int,
    team_id: str,
    author: Staff,
    version: int = 1,
    version_of: str | None = None,
    lineage_id: str | None = None,
) -> RemoteNote:
    d = draft(resource, team_id)
    return RemoteNote(
        seq=seq,
        id=str(resource["id"]),
        version=version,
        version_of=version_of,
        team_id=team_id,
        author_id=author.id,
        author_name=author.display_name,
        form_url=d.form_url,
        form_version=d.form_version,
        form_title=d.form_title,
        patient_system=d.patient_system,
        patient_value=d.patient_value,
        status="amended" if version_of else "completed",
        authored=d.authored,
        resource=resource,
        search_text=d.search_text,
        photos=d.photos,
        lineage_id=lineage_id,
    )


def apply_pulled(store: Store, *remote: RemoteNote) -> None:
    with store.transaction():
        notes.apply_remote_notes_in_tx(store, remote)


def hold(store: Store, note_id: str, reason: str = HELD_REASON) -> None:
    """Settle my queued note as the record server's refusal would: held, with its reason."""
    for item in outbox.next_batch(store):
        if item.subject_id == note_id:
            outbox.record_results(
                store, [OpResult(item.op_id, "rejected", None, "invalid_answers", reason)]
            )


def file_mine(store: Store, note_id: str, seq: int) -> None:
    """Settle my queued note as filed by the record server."""
    for item in outbox.next_batch(store):
        if item.subject_id == note_id:
            outbox.record_results(store, [OpResult(item.op_id, "applied", seq=seq)])


# -- the scene most tests use ------------------------------------------------------------------

ME: Final = demo_history.ME
BOB: Final = demo_history.BOB
SAM: Final = demo_history.SAM
WARD: Final = demo_history.WARD
COMMUNITY: Final = demo_history.COMMUNITY
NIGHT: Final = demo_history.NIGHT
WOUND_ID: Final = "a1a1a1a1-0000-4000-8000-000000000001"
WOUND_V2_ID: Final = "a1a1a1a1-0000-4000-8000-000000000002"
SBAR_ID: Final = "b2b2b2b2-0000-4000-8000-000000000001"
VISIT_ID: Final = "c3c3c3c3-0000-4000-8000-000000000001"
FALL_ID: Final = "d4d4d4d4-0000-4000-8000-000000000001"
AMEND_REASON: Final = "Wrong heel recorded: it is the right heel."


@dataclass(frozen=True)
class Scene:
    """What `fill_scene` filed: the note ids by what they show."""

    photo: bytes
    queued_id: str
    held_id: str


def at(now: dt.datetime, days: int, hour: int, minute: int) -> dt.datetime:
    day = (now + dt.timedelta(days=days)).date()
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def fill_scene(store: Store, now: dt.datetime, photo: bytes) -> Scene:
    """One patient (NHS) with four notes in my teams, one amended, one with a photo, one queued
    and one held; another patient's note; nothing else."""
    wound_photo = photo_answer(photo, "Left heel, day 1")
    attachments.put_attachment(store, wound_photo.sha256, "image/png", photo)
    wound = response("wound-assessment", wound_answers(at(now, -3, 9, 0), wound_photo), author=BOB,
                     at=at(now, -3, 9, 15), note_id=WOUND_ID)  # fmt: skip
    wound_v2 = amend_response(
        wound,
        {
            **PATIENT,
            **wound_answers(at(now, -3, 9, 0), wound_photo, **{"wound.location": "Right heel"}),
        },
        reason=AMEND_REASON,
        staff_id=SAM.id,
        staff_name=SAM.display_name,
        response_id=WOUND_V2_ID,
        now=at(now, -1, 14, 40),
        today=now.date(),
    )
    visit = response(
        "community-visit",
        {
            "visit.start": at(now, -2, 10, 0),
            "visit.type": "planned",
            "visit.setting": "home",
            "visit.reason": "Leg ulcer dressing.",
            "visit.care": "Compression bandaging reapplied.",
            "visit.concerns": False,
            "visit.plan": "Next visit Friday.",
        },
        author=demo_history.CAROL,
        at=at(now, -2, 10, 30),
        note_id=VISIT_ID,
    )
    elsewhere = response("sbar-handover", SBAR, author=BOB, at=at(now, -1, 8, 0),
                         patient={**PATIENT, "patient.identifier": OTHER_NHS})  # fmt: skip
    apply_pulled(
        store,
        pulled(wound, seq=101, team_id=WARD.id, author=BOB),
        pulled(visit, seq=102, team_id=COMMUNITY.id, author=demo_history.CAROL),
        pulled(wound_v2, seq=103, team_id=WARD.id, author=SAM, version=2,
               version_of=WOUND_ID, lineage_id=WOUND_ID),
        pulled(elsewhere, seq=104, team_id=WARD.id, author=BOB),
    )  # fmt: skip
    held = response("sbar-handover", SBAR, author=ME, at=at(now, -1, 20, 5))
    held_id, _ = notes.submit_note(store, draft(held, WARD.id), note_id=str(held["id"]))
    hold(store, held_id)
    queued = response("sbar-handover", SBAR, author=ME, at=at(now, 0, 12, 50))
    queued_id, _ = notes.submit_note(store, draft(queued, WARD.id), note_id=str(queued["id"]))
    return Scene(photo, queued_id, held_id)


def chi_note(store: Store, now: dt.datetime) -> str:
    """A filed SBAR for the CHI patient, in the night team."""
    sbar = response("sbar-handover", SBAR, author=SAM, at=at(now, -1, 23, 30),
                    patient=CHI_PATIENT)  # fmt: skip
    apply_pulled(store, pulled(sbar, seq=120, team_id=NIGHT.id, author=SAM))
    return str(sbar["id"])
