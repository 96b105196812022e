"""A note in plain words: times, states, version labels and the answers grouped like the form.

No Qt here, so the words the patient view and the PDF use are tested on their own. Times are
shown in the PC's local time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from wardlink.core.fhir import PatientIdentifier
from wardlink.core.form_answers import PhotoLike, display, from_fhir
from wardlink.core.form_definitions import Item, UnknownQuestionnaire
from wardlink.core.form_patient import IDENTIFIER
from wardlink.core.form_validation import FhirAnswers
from wardlink.core.identifiers import (
    NHS_NUMBER_SYSTEM,
    format_chi_number,
    format_nhs_number,
    is_valid_chi_number,
    is_valid_nhs_number,
)
from wardlink.core.model import Note, NoteState
from wardlink.core.response_validation import response_answers, response_form
from wardlink.store.patient_notes import NoteLineage

MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip
UNREADABLE: Final = (
    "This note was filed with a form this copy of Wardlink does not have, so its answers "
    "cannot be shown here. Updating Wardlink will show them; the record server holds the note."
)


def date_text(day: dt.date) -> str:
    """'12 Mar 2026': the same in every locale, and never mistaken for 3 December."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def when_text(moment: dt.datetime, now: dt.datetime) -> str:
    """'Today 14:32', 'Yesterday 08:05' or '12 Mar 2026 09:15', in local time."""
    local, today = moment.astimezone(), now.astimezone().date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"Today {clock}"
    if local.date() == today - dt.timedelta(days=1):
        return f"Yesterday {clock}"
    return f"{date_text(local.date())} {clock}"


def short_when(moment: dt.datetime, now: dt.datetime) -> str:
    """'14:40' today, else as `when_text`: for a version's label, where 'Today' is clutter."""
    local = moment.astimezone()
    if local.date() == now.astimezone().date():
        return local.strftime("%H:%M")
    return when_text(moment, now)


def state_label(note: Note) -> str:
    """The badge: 'Queued — not yet sent', 'Filed' or 'Held'."""
    return {
        NoteState.QUEUED: "Queued — not yet sent",
        NoteState.FILED: "Filed",
        NoteState.HELD: "Held",
    }[note.state]


def state_text(note: Note) -> str:
    """The badge and, for a held version, why the record server did not accept it."""
    if note.state is NoteState.HELD:
        reason = (note.held_reason or "").strip() or "The record server did not accept it."
        return f"Held — not filed: {reason}"
    if note.state is NoteState.QUEUED:
        return "Queued — not yet sent to the record server"
    return "Filed in the patient's record"


def amended_marker(lineage: NoteLineage) -> str:
    """'Amended · 2 versions', or '' for a note never amended."""
    if not lineage.is_amended:
        return ""
    count = len(lineage.versions)
    return f"Amended · {count} version{'s' if count != 1 else ''}"


def version_label(lineage: NoteLineage, note: Note, now: dt.datetime, *, limit: int = 60) -> str:
    """'Version 2 (amended 14:40 by Sam Patel: reason …)' or 'Version 1 (original)'."""
    if not note.is_amendment:
        return f"Version {note.version} (original)"
    reason = lineage.reason_for(note.id) or ""
    if len(reason) > limit:
        reason = reason[: limit - 1].rstrip() + "…"
    said = f": {reason}" if reason else ""
    when = short_when(note.authored, now)
    return f"Version {note.version} (amended {when} by {note.author_name}{said})"


def identifier_kind(patient: PatientIdentifier) -> str:
    return "NHS number" if patient.system == NHS_NUMBER_SYSTEM else "CHI number"


def identifier_text(patient: PatientIdentifier) -> str:
    """'NHS number 943 476 5919' or 'CHI number 120345 6785', as staff read them aloud."""
    value = patient.value
    if patient.system == NHS_NUMBER_SYSTEM and is_valid_nhs_number(value):
        return f"NHS number {format_nhs_number(value)}"
    if patient.system != NHS_NUMBER_SYSTEM and is_valid_chi_number(value):
        return f"CHI number {format_chi_number(value)}"
    return f"{identifier_kind(patient)} {value}"


def patient_heading(
    patients: Sequence[PatientIdentifier], found: Sequence[PatientIdentifier]
) -> str:
    """The header's identifier: what notes were found under, else what was looked up."""
    shown = found or patients
    if len(shown) == 1:
        return identifier_text(shown[0])
    if not found and patients and is_valid_nhs_number(patients[0].value):
        return f"NHS or CHI number {format_nhs_number(patients[0].value)}"
    return " / ".join(identifier_text(p) for p in shown)


# -- the answers, grouped like the form --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Section:
    heading: str | None  # a group's title; None for questions outside any group
    answers: tuple[Answer, ...]


@dataclass(frozen=True, slots=True)
class PhotoRef:
    sha256: str
    title: str


@dataclass(frozen=True, slots=True)
class NoteContent:
    """A note version's answers as a reader sees them; `readable` is False for a form this
    copy of Wardlink does not know (then `sections` is empty)."""

    sections: tuple[Section, ...]
    photos: tuple[PhotoRef, ...]
    readable: bool = True


def answer_text(item: Item, answer: Mapping[str, object]) -> str:
    """One answer in words, dates as '12 Mar 1948' and times in local time."""
    value = from_fhir(item, answer)
    if isinstance(value, dt.datetime):
        local = value.astimezone()
        return f"{date_text(local.date())} {local:%H:%M}"
    if isinstance(value, dt.date):
        return date_text(value)
    return display(item, answer)


def _answers(items: Sequence[Item], given: FhirAnswers) -> list[Answer]:
    return [
        Answer(item.text, tuple(answer_text(item, a) for a in given[item.link_id]))
        for item in items
        if item.answerable and given.get(item.link_id)
    ]


def _sections(items: Sequence[Item], given: FhirAnswers, prefix: str = "") -> list[Section]:
    sections: list[Section] = []
    loose: list[Item] = []
    for item in items:
        if item.type != "group":
            loose.append(item)
            continue
        if loose and (answers := _answers(loose, given)):
            sections.append(Section(prefix or None, tuple(answers)))
        loose = []
        heading = f"{prefix} — {item.text}" if prefix else item.text
        sections.extend(_sections(item.items, given, heading))
    if loose and (answers := _answers(loose, given)):
        sections.append(Section(prefix or None, tuple(answers)))
    return sections


def note_content(note: Note) -> NoteContent:
    """The version's answers in the form's order and groups, and its photos in order."""
    try:
        form = response_form(note.resource)
        given, errors = response_answers(form, note.resource.get("item"))
    except UnknownQuestionnaire:
        return NoteContent((), _photos(note, {}), readable=False)
    if errors:
        return NoteContent((), _photos(note, {}), readable=False)
    titles: dict[str, str] = {}
    for link_id, answers in given.items():
        item = form.by_link_id[link_id]
        if item.type == "attachment":
            for answer in answers:
                photo = from_fhir(item, answer)
                if isinstance(photo, PhotoLike):
                    titles.setdefault(photo.sha256, photo.title)
    sections = _sections(form.items, given)
    if IDENTIFIER in form.by_link_id:  # the number as staff read it aloud, not bare digits
        number_question = form.by_link_id[IDENTIFIER].text
        patient = PatientIdentifier(note.patient_system, note.patient_value)
        spoken = identifier_text(patient).removeprefix(f"{identifier_kind(patient)} ")
        sections = [
            Section(
                section.heading,
                tuple(
                    Answer(a.question, (spoken,)) if a.question == number_question else a
                    for a in section.answers
                ),
            )
            for section in sections
        ]
    return NoteContent(tuple(sections), _photos(note, titles))


def _photos(note: Note, titles: Mapping[str, str]) -> tuple[PhotoRef, ...]:
    return tuple(
        PhotoRef(sha, titles.get(sha, f"Photo {i}")) for i, sha in enumerate(note.photos, 1)
    )


def amend_blocked(lineage: NoteLineage, note: Note) -> str | None:
    """Why `note` cannot be amended from here, or None if it can.

    Only the latest version is amended (an amendment replaces what the record shows now), and
    only once it is filed: the record server must hold a version before it can accept a
    correction of it. A held version was never filed, so there is nothing in the record to amend.
    """
    if note.id != lineage.latest.id:
        return "Only the latest version can be amended. Choose it in the list of versions."
    if note.state is NoteState.QUEUED:
        return "This version can be amended once it has been filed (when Wardlink is online)."
    if note.state is NoteState.HELD:
        return "This version was not filed, so there is nothing in the record to amend yet."
    return None
