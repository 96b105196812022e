"""Every form in the catalogue, filled in and submitted through its controls, files a response
that the record server would accept, holding exactly what was typed and picked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest
from pytestqt.qtbot import QtBot

from wardlink.core.fhir import staff_reference
from wardlink.core.forms import Quantity, all_forms, answers_of, patient_of, validate_response
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink.core.news2 import score
from wardlink.ui.forms import FilledNote, NoteEditor

from .conftest import WARD, MakeEditor
from .driver import PATIENT, TODAY, TYPED, click, fill

FORM_IDS = sorted(TYPED)


def test_the_typed_answers_cover_the_whole_catalogue() -> None:
    assert sorted(form.id for form in all_forms()) == FORM_IDS


def as_filed(value: object) -> object:
    """What a typed answer becomes: dates read day first, times local, numbers as numbers."""
    if isinstance(value, tuple):
        day, month, year = (int(p) for p in value[0].split("/"))
        time = value[1].replace(":", "")
        return dt.datetime(year, month, day, int(time[:2]), int(time[2:])).astimezone()
    if isinstance(value, str) and value.count("/") == 2:
        day, month, year = (int(p) for p in value.split("/"))
        return dt.date(year, month, day)
    if isinstance(value, str) and "." in value and value.replace(".", "", 1).isdigit():
        return float(value)  # a decimal (codes like "1" stay codes)
    return value


def submit(qtbot: QtBot, editor: NoteEditor) -> FilledNote:
    """Check and submit, tick the patient check in the summary, and submit."""
    click(qtbot, editor.submit_button)
    dialog = editor.summary
    assert dialog is not None and dialog.isVisible(), editor.view.shown_problems()
    assert not dialog.submit_button.isEnabled()
    click(qtbot, dialog.confirm_box)
    assert dialog.submit_button.isEnabled()
    with qtbot.waitSignal(editor.submitted, timeout=2000) as submitted:
        click(qtbot, dialog.submit_button)
    assert not dialog.isVisible()
    filled = submitted.args[0]
    assert isinstance(filled, FilledNote)
    return filled


def accepted_by_the_record(resource: Mapping[str, object]) -> list[str]:
    """The server's check, once filing has signed it (the editor leaves the author blank)."""
    signed = {**resource, "author": staff_reference("staff-7", "Sam Okafor")}
    return [e.message for e in validate_response(signed, amendment=False, today=TODAY)]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_each_form_filled_in_through_its_controls_files_what_was_entered(
    qtbot: QtBot, make_editor: MakeEditor, form_id: str
) -> None:
    editor = make_editor(form_id)
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, TYPED[form_id])
    assert editor.view.shown_problems() == {}
    assert editor.has_unsaved_input()

    filled = submit(qtbot, editor)

    resource = filled.draft.resource
    assert accepted_by_the_record(resource) == []
    answers = answers_of(resource)
    for link_id, typed in {**PATIENT, **TYPED[form_id]}.items():
        if link_id == "patient.identifier":
            assert answers[link_id] == "9434765919"  # filed as its ten digits
        else:
            assert answers[link_id] == as_filed(typed), link_id
    assert answers["patient.confirmed"] is True  # ticked in the summary, nowhere else
    given = set(PATIENT) | set(TYPED[form_id]) | {"patient.confirmed"}
    calculated = {i.link_id for i in editor.form.walk() if i.calculated}
    assert set(answers) - calculated == given  # nothing was added, nothing left unanswered
    assert filled.draft.team_id == WARD.id
    assert filled.draft.form_url == editor.form.url
    assert filled.draft.form_title == editor.form.title
    assert (filled.draft.patient_system, filled.draft.patient_value) == (
        NHS_NUMBER_SYSTEM,
        "9434765919",
    )
    assert patient_of(resource).value == "9434765919"
    assert filled.photos == () and filled.draft.photos == ()
    assert editor.form.title in filled.draft.search_text
    assert not editor.has_unsaved_input()  # submitted: nothing left to lose


def test_the_news2_form_files_the_score_the_core_works_out(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("news2-observations")
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, TYPED["news2-observations"])
    filled = submit(qtbot, editor)
    expected = score(
        respiratory_rate=22, spo2=95, scale=1, on_oxygen=True, systolic_bp=105, pulse=112,
        consciousness="A", temperature=38.4,
    )  # fmt: skip
    answers = answers_of(filled.draft.resource)
    assert (answers["news2.total"], answers["news2.band"]) == (expected.total, expected.band)
    assert answers["news2.oxygenFlow"] == Quantity(4, "L/min")
