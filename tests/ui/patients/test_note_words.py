"""The patient view's words, without a window: the number check, times, states, version labels,
the answers grouped like the form, and the printed note's HTML."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest

from wardlink.core.fhir import PatientIdentifier
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM, NHS_NUMBER_SYSTEM
from wardlink.core.model import Note, NoteState, NoteStatus
from wardlink.store.patient_notes import NoteLineage
from wardlink.ui.patients.note_html import PRINT, PrintedNote, answers_html, pdf_html
from wardlink.ui.patients.note_text import (
    UNREADABLE,
    amend_blocked,
    amended_marker,
    identifier_text,
    note_content,
    patient_heading,
    state_label,
    state_text,
    version_label,
    when_text,
)
from wardlink.ui.patients.number_check import NOT_VALID, TYPE_A_NUMBER, check_number

from .patient_data import (
    BOB,
    CHI,
    INVALID,
    NHS,
    SAM,
    SBAR,
    photo_answer,
    response,
    wound_answers,
)

NOW = dt.datetime(2026, 11, 26, 13, 20, tzinfo=dt.UTC)
CHI_SYSTEM = "urn:oid:1.2.3.4"


def local_clock(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


# -- the number, as it is typed ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", False),
        ("943 476", False),
        ("943-476-591", False),
        ("943 476 59x9", True),
        ("943 476 59191", True),
        (INVALID, True),
    ],
)
def test_a_number_that_is_not_valid_yet_is_not_looked_up(typed: str, problem: bool) -> None:
    check = check_number(typed, chi_system=CHI_SYSTEM)
    assert not check.valid and check.patients == ()
    assert check.problem is problem
    digits = re.sub(r"\D", "", typed)
    assert len(digits) < 4 or digits not in check.message  # never repeats the number
    assert not re.search(r"\d{4}", check.message)


def test_messages_say_plainly_what_is_wrong() -> None:
    assert check_number("", chi_system=CHI_SYSTEM).message == TYPE_A_NUMBER
    assert check_number(INVALID, chi_system=CHI_SYSTEM).message == NOT_VALID
    assert "3 more digits" in check_number("943 476 5", chi_system=CHI_SYSTEM).message
    assert "1 more digit " in check_number("943 476 591", chi_system=CHI_SYSTEM).message


def test_a_valid_nhs_number_is_one_patient_and_a_chi_number_may_be_either() -> None:
    nhs = check_number("943 476 5919", chi_system=CHI_SYSTEM)
    assert nhs.valid and nhs.patients == (PatientIdentifier(NHS_NUMBER_SYSTEM, NHS),)
    assert nhs.message == "A valid NHS number. Press Enter to find the notes."
    chi = check_number(f"{CHI[:6]}-{CHI[6:]}", chi_system=CHI_SYSTEM)
    assert chi.patients == (
        PatientIdentifier(NHS_NUMBER_SYSTEM, CHI),
        PatientIdentifier(CHI_SYSTEM, CHI),
    )
    assert "NHS or CHI number" in chi.message and CHI not in chi.message


# -- times, states, versions -------------------------------------------------------------------


def test_times_are_today_yesterday_or_a_date() -> None:
    today = NOW.replace(hour=12, minute=32)
    assert when_text(today, NOW) == f"Today {local_clock(today)}"
    yesterday = today - dt.timedelta(days=1)
    assert when_text(yesterday, NOW) == f"Yesterday {local_clock(yesterday)}"
    march = dt.datetime(2026, 3, 12, 12, 15, tzinfo=dt.UTC)
    assert when_text(march, NOW) == f"12 Mar 2026 {local_clock(march)}"


def note(**changes: Any) -> Note:
    resource = response("sbar-handover", SBAR, author=BOB, at=NOW - dt.timedelta(days=2))
    base = Note(
        id="n1",
        lineage_id="n1",
        version=1,
        version_of=None,
        team_id="t",
        form_url="u",
        form_version="1.0.0",
        form_title="SBAR handover",
        patient_system=NHS_NUMBER_SYSTEM,
        patient_value=NHS,
        status=NoteStatus.COMPLETED,
        author_id=BOB.id,
        author_name=BOB.display_name,
        authored=NOW - dt.timedelta(days=2),
        resource=resource,
        state=NoteState.FILED,
    )
    return dataclasses.replace(base, **changes)


def amended_lineage(state: NoteState = NoteState.FILED) -> NoteLineage:
    first = note()
    second = note(
        id="n2",
        version=2,
        version_of="n1",
        status=NoteStatus.AMENDED,
        author_name=SAM.display_name,
        authored=NOW.replace(hour=12, minute=40),
        state=state,
    )
    reason = "Wrong heel recorded: it is the right heel, as the photo shows clearly enough."
    return NoteLineage("n1", "Ward 7 (Surgical)", (first, second), {"n2": reason})


def test_version_labels_name_the_original_and_each_amendment() -> None:
    lineage = amended_lineage()
    first, second = lineage.versions
    assert version_label(lineage, first, NOW) == "Version 1 (original)"
    label = version_label(lineage, second, NOW)
    assert label.startswith(f"Version 2 (amended {local_clock(second.authored)} by Sam Patterson: ")
    assert label.endswith("…)") and "Wrong heel recorded" in label
    assert amended_marker(lineage) == "Amended · 2 versions"
    single = NoteLineage("n1", "Ward", (first,), {})
    assert amended_marker(single) == "" and not single.is_amended


def test_states_in_plain_words() -> None:
    assert state_label(note(state=NoteState.QUEUED)) == "Queued — not yet sent"
    assert state_label(note()) == "Filed"
    held = note(state=NoteState.HELD, held_reason="The answers do not fit the form.")
    assert state_label(held) == "Held"
    assert state_text(held) == "Held — not filed: The answers do not fit the form."


def test_only_the_latest_filed_version_can_be_amended() -> None:
    lineage = amended_lineage()
    first, latest = lineage.versions
    assert amend_blocked(lineage, latest) is None
    assert "latest version" in (amend_blocked(lineage, first) or "")
    queued = amended_lineage(NoteState.QUEUED)
    assert "once it has been filed" in (amend_blocked(queued, queued.latest) or "")
    held = amended_lineage(NoteState.HELD)
    assert "not filed" in (amend_blocked(held, held.latest) or "")


def test_identifiers_are_formatted_as_staff_read_them() -> None:
    nhs = PatientIdentifier(NHS_NUMBER_SYSTEM, NHS)
    chi = PatientIdentifier(DEFAULT_CHI_SYSTEM, CHI)
    assert identifier_text(nhs) == "NHS number 943 476 5919"
    assert identifier_text(chi) == f"CHI number {CHI[:6]} {CHI[6:]}"
    either = (PatientIdentifier(NHS_NUMBER_SYSTEM, CHI), chi)
    assert patient_heading(either, (chi,)) == f"CHI number {CHI[:6]} {CHI[6:]}"
    assert patient_heading(either, ()) == f"NHS or CHI number {CHI[:3]} {CHI[3:6]} {CHI[6:]}"


# -- the answers -------------------------------------------------------------------------------


def test_answers_are_grouped_like_the_form() -> None:
    content = note_content(note())
    headings = [s.heading for s in content.sections]
    assert headings == ["Patient", "Situation", "Background", "Assessment", "Recommendation"]
    patient = {a.question: a.lines for a in content.sections[0].answers}
    assert patient["Date of birth"] == ("12 Mar 1948",)
    assert patient["Patient identifier"] == ("NHS number",)
    assert patient["NHS or CHI number"] == ("943 476 5919",)  # as read aloud, not bare digits
    situation = {a.question: a.lines for a in content.sections[1].answers}
    assert situation["How worried are you?"] == ("Concerned: needs review",)
    assert content.photos == () and content.readable


def test_a_wound_note_lists_its_photos_and_repeated_answers() -> None:
    photo = photo_answer(b"\x89PNG pretend", "Left heel, day 1")
    taken = NOW - dt.timedelta(days=1)
    resource = response("wound-assessment", wound_answers(taken, photo), author=BOB, at=NOW)
    content = note_content(note(resource=resource, photos=(photo.sha256,)))
    answers = {a.question: a.lines for s in content.sections for a in s.answers}
    assert answers["Tissue in the wound bed (all that apply)"] == ("Granulating", "Slough")
    assert answers["Time of assessment"] == (
        f"{taken.astimezone().day} Nov 2026 {local_clock(taken)}",
    )
    assert answers["Wound photographs"] == ("Photo: Left heel, day 1",)
    assert [(p.sha256, p.title) for p in content.photos] == [(photo.sha256, "Left heel, day 1")]
    headings = [s.heading for s in content.sections]
    assert headings == ["Patient", None, "Size", None, "Clinical photography"]
    html = answers_html(content, PRINT)  # a group ends with a rule before what follows it
    size = html.index(">Size<")
    assert size < html.index("<hr", size) < html.index("Tissue in the wound bed")


def test_a_form_this_copy_does_not_know_is_said_plainly() -> None:
    unknown = dict(note().resource, questionnaire="https://example.org/Questionnaire/x|9")
    content = note_content(note(resource=unknown))
    assert not content.readable and content.sections == ()
    assert "does not have" in answers_html(content, PRINT)
    assert UNREADABLE.startswith("This note was filed with a form")


def test_what_people_wrote_is_escaped() -> None:
    resource = response(
        "sbar-handover",
        {**SBAR, "sbar.situation.summary": "<b>Bold</b> & <img src=x>"},
        author=BOB,
        at=NOW,
    )
    html = answers_html(note_content(note(resource=resource)), PRINT)
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;img src=x&gt;" in html
    assert "<img" not in html


def test_the_printed_note_names_version_reason_and_missing_photos() -> None:
    lineage = amended_lineage()
    latest = lineage.latest
    photo = photo_answer(b"\x89PNG pretend", "Left heel")
    resource = response("wound-assessment", wound_answers(NOW, photo), author=BOB, at=NOW)
    latest = dataclasses.replace(latest, resource=resource, photos=(photo.sha256,),
                                 form_title="Wound assessment")  # fmt: skip
    printed = PrintedNote(
        note=latest,
        team_name="Ward 7 (Surgical)",
        patient_line="NHS number 943 476 5919 · Date of birth 12 Mar 1948",
        version_count=2,
        original=lineage.original,
        reason=lineage.reason_for("n2"),
        exported_by="Alice Morgan",
        exported_at=NOW,
        content=note_content(latest),
    )
    html = pdf_html(printed, {})
    assert "Wound assessment" in html and "NHS number 943 476 5919" in html
    assert "Version 2 of 2:</b> amended by Sam Patterson" in html
    assert "Reason: Wrong heel recorded" in html
    assert "Photo 1: Left heel — not on this computer yet" in html
    with_photo = pdf_html(printed, {f"wardlink-photo:{photo.sha256}": (400, 300)})
    assert f'<img src="wardlink-photo:{photo.sha256}" width="400" height="300">' in with_photo
