"""How a form is built from its definition: follow-up questions appear and disappear (emptied)
with their conditions, repeating questions take more answers, calculated answers are shown and
never typed, and the keyboard and assistive technology can reach and name every control."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from wardlink.core.form_parser import parse_form
from wardlink.core.forms import Form, all_forms
from wardlink.ui.forms.choice_inputs import BooleanInput, RadioChoiceInput
from wardlink.ui.forms.date_inputs import DateInput, DateTimeInput
from wardlink.ui.forms.number_inputs import NumberInput
from wardlink.ui.forms.repeating_input import RepeatingInput
from wardlink.ui.forms.text_inputs import CalculatedInput, LineInput, TextBlockInput

from .conftest import MakeEditor
from .driver import PATIENT, click, enter, field_of, fill, type_into

_MAX_OCCURS = "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs"

REPEATS: Form = parse_form(
    {
        "resourceType": "Questionnaire", "id": "repeats", "status": "active", "version": "1",
        "url": "https://wardlink.example.nhs.uk/fhir/Questionnaire/repeats", "name": "Repeats",
        "title": "Repeats",
        "item": [
            {"linkId": "drains", "text": "Drain sites", "type": "string", "repeats": True,
             "extension": [{"url": _MAX_OCCURS, "valueInteger": 3}]},
            {"linkId": "volumes", "text": "Volumes (mL)", "type": "integer", "repeats": True},
            {"linkId": "note", "text": "Note", "type": "string"},
        ],
    }
)  # fmt: skip


def test_a_follow_up_question_appears_with_its_condition_and_is_emptied_when_it_goes(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("community-visit")
    details = editor.view.rows["visit.concernDetails"]
    concerns = field_of(editor, "visit.concerns", BooleanInput)
    assert not details.isVisible()
    enter(qtbot, concerns, True)
    assert details.isVisible()
    type_into(qtbot, field_of(editor, "visit.concernDetails", TextBlockInput).edit, "Carer")
    assert editor.view.answers()["visit.concernDetails"] == "Carer"
    enter(qtbot, concerns, False)
    assert not details.isVisible()
    assert "visit.concernDetails" not in editor.view.answers()
    enter(qtbot, concerns, True)  # back again: it was emptied, not just hidden
    assert details.isVisible()
    assert field_of(editor, "visit.concernDetails", TextBlockInput).edit.toPlainText() == ""


def test_a_whole_group_follows_its_condition_and_conditions_chain(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("wound-assessment")
    photography = editor.view.sections["wound.photography"]
    assert not photography.isVisible()
    fill(qtbot, editor, {"wound.photosTaken": True, "wound.photoConsent": "best-interests"})
    assert photography.isVisible()
    assert editor.view.rows["wound.photoBestInterests"].isVisible()  # a condition in a condition
    type_into(
        qtbot, field_of(editor, "wound.photoBestInterests", TextBlockInput).edit, "Daughter (LPA)"
    )
    enter(qtbot, field_of(editor, "wound.photosTaken", BooleanInput), False)
    assert not photography.isVisible()
    answers = editor.view.answers()
    assert "wound.photoConsent" not in answers and "wound.photoBestInterests" not in answers
    assert field_of(editor, "wound.photoConsent", RadioChoiceInput).value() is None


def test_enable_behavior_any(qtbot: QtBot, make_editor: MakeEditor) -> None:
    editor = make_editor("post-fall-review")
    neuro = editor.view.sections["fall.neuro"]
    fill(qtbot, editor, {"fall.headInjury": "no", "fall.anticoagulant": False})
    assert not neuro.isVisible()
    enter(qtbot, field_of(editor, "fall.anticoagulant", BooleanInput), True)
    assert neuro.isVisible()  # either condition is enough
    enter(qtbot, field_of(editor, "fall.anticoagulant", BooleanInput), False)
    enter(qtbot, field_of(editor, "fall.headInjury", RadioChoiceInput), "cannot-exclude")
    assert neuro.isVisible()


def test_a_repeating_question_takes_more_answers_up_to_its_limit(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor(REPEATS)
    drains = field_of(editor, "drains", RepeatingInput)
    assert len(drains.entries) == 1 and not drains.removers[0].isVisible()
    type_into(qtbot, field_of_entry(drains, 0).edit, "Left chest")
    click(qtbot, drains.add_button)
    assert len(drains.entries) == 2
    assert QApplication.focusWidget() is field_of_entry(drains, 1).edit  # ready to type
    qtbot.keyClicks(field_of_entry(drains, 1).edit, "Right chest")
    click(qtbot, drains.add_button)
    qtbot.keyClicks(field_of_entry(drains, 2).edit, "Abdomen")
    assert not drains.add_button.isEnabled()  # maxOccurs 3
    assert editor.view.answers()["drains"] == ["Left chest", "Right chest", "Abdomen"]
    click(qtbot, drains.removers[1])
    assert editor.view.answers()["drains"] == ["Left chest", "Abdomen"]
    assert drains.add_button.isEnabled()
    assert drains.removers[0].accessibleName() == "Remove answer 1 of Drain sites"
    assert field_of_entry(drains, 1).edit.accessibleName() == "Drain sites, answer 2"
    # Repeating numbers are read each on its own; a blank line is no answer.
    volumes = field_of(editor, "volumes", RepeatingInput)
    enter(qtbot, volumes, [150, 20])
    click(qtbot, volumes.add_button)
    assert editor.view.answers()["volumes"] == [150, 20]


def field_of_entry(repeating: RepeatingInput, index: int) -> LineInput | NumberInput:
    entry = repeating.entries[index]
    assert isinstance(entry, LineInput | NumberInput)
    return entry


def test_tab_follows_the_form_even_after_a_line_is_added(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor(REPEATS)
    drains = field_of(editor, "drains", RepeatingInput)
    click(qtbot, drains.add_button)  # made after everything else, yet visited in its place
    first = field_of_entry(drains, 0).edit
    first.setFocus()
    visited: list[str] = []
    for _ in range(7):
        focused = QApplication.focusWidget()
        assert focused is not None
        visited.append(focused.accessibleName())
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
    assert visited == [
        "Drain sites, answer 1",
        "Remove answer 1 of Drain sites",
        "Drain sites, answer 2",
        "Remove answer 2 of Drain sites",
        "Add another answer to Drain sites",
        "Volumes (mL), answer 1",
        "Add another answer to Volumes (mL)",
    ]


def test_calculated_answers_are_shown_never_typed(qtbot: QtBot, make_editor: MakeEditor) -> None:
    editor = make_editor("news2-observations")
    total = field_of(editor, "news2.total", CalculatedInput)
    band = field_of(editor, "news2.band", CalculatedInput)
    assert total.shown() == CalculatedInput.PENDING
    assert not editor.view.rows["news2.total"].label.text().endswith("*")
    fill(
        qtbot,
        editor,
        {
            "news2.respiratoryRate": 18, "news2.spo2Scale": "1", "news2.spo2": 97,
            "news2.airOrOxygen": "air", "news2.systolicBP": 120, "news2.pulse": 80,
            "news2.consciousness": "A", "news2.temperature": "37.0",
        },
    )  # fmt: skip
    assert (total.shown(), band.shown()) == ("0", "Low (0–4)")
    assert "news2.total" not in editor.view.answers()  # the core works it out when filing
    assert all(isinstance(w, QLabel) for w in [*total.focus_widgets(), *band.focus_widgets()])


@pytest.mark.parametrize("form", all_forms(), ids=lambda f: f.id)
def test_every_control_is_named_and_labelled(
    qtbot: QtBot, make_editor: MakeEditor, form: Form
) -> None:
    editor = make_editor(form)
    fill(qtbot, editor, {k: v for k, v in PATIENT.items() if k == "patient.identifierSystem"})
    for link_id, row in editor.view.rows.items():
        controls = row.field.focus_widgets()
        assert row.label.buddy() is controls[0], link_id
        for control in controls:
            assert control.accessibleName(), f"{link_id}: {type(control).__name__}"
        if row.item.required and row.item.calculated is None:
            assert "Required" in controls[0].accessibleDescription(), link_id
    for button in (editor.submit_button, editor.cancel_button):
        assert button.accessibleName()
    unnamed = [
        type(w).__name__
        for w in editor.findChildren(QWidget)
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and not w.accessibleName()
        and w.isVisibleTo(editor)
    ]
    assert unnamed == []


def test_a_time_can_be_set_to_now_and_a_date_picked_from_the_calendar(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("news2-observations")
    taken = field_of(editor, "news2.takenAt", DateTimeInput)
    before = dt.datetime.now().astimezone() - dt.timedelta(minutes=1)
    click(qtbot, taken.now_button)
    value = taken.value()
    assert isinstance(value, dt.datetime) and value.utcoffset() is not None
    assert before <= value <= dt.datetime.now().astimezone()
    # Alt+Down in a date box opens the calendar; Enter there picks the day shown.
    birth = field_of(editor, "patient.birthDate", DateInput)
    type_into(qtbot, birth.edit, "12/3/1950")
    calendar = birth.box.calendar

    def pick() -> None:
        qtbot.waitUntil(calendar.isVisible)
        assert calendar.selectedDate() == QDate(1950, 3, 12)  # it opens at the typed date
        calendar.setSelectedDate(QDate(1950, 3, 13))
        qtbot.keyClick(calendar.focusProxy() or calendar, Qt.Key.Key_Return)

    QTimer.singleShot(0, pick)
    qtbot.keyClick(birth.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert birth.edit.text() == "13 Mar 1950"
    assert birth.value() == dt.date(1950, 3, 13)
    assert birth.box.pick.focusPolicy() == Qt.FocusPolicy.ClickFocus  # Tab goes past it


def test_a_yes_or_no_answered_by_mistake_can_be_taken_back(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("community-visit")
    concerns = field_of(editor, "visit.concerns", BooleanInput)
    details = editor.view.rows["visit.concernDetails"]
    assert not concerns.clear_button.isVisible()  # nothing to take back yet

    enter(qtbot, concerns, True)
    assert concerns.clear_button.isVisible() and details.isVisible()
    click(qtbot, concerns.clear_button)
    assert concerns.value() is None and not concerns.clear_button.isVisible()
    assert "visit.concerns" not in editor.view.answers()
    assert not details.isVisible()  # its follow-up goes with it
    assert concerns.buttons[0].hasFocus()  # still on the question, for the keyboard

    enter(qtbot, concerns, False)  # and from the keyboard: Delete on the chosen button
    concerns.buttons[1].setFocus()
    qtbot.keyClick(concerns.buttons[1], Qt.Key.Key_Delete)
    assert concerns.value() is None and "visit.concerns" not in editor.view.answers()
    assert concerns.clear_button.accessibleName() == "Clear answer"


def test_one_of_a_few_answered_by_mistake_can_be_taken_back(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("post-fall-review")
    head = field_of(editor, "fall.headInjury", RadioChoiceInput)
    enter(qtbot, head, "cannot-exclude")
    assert editor.view.answers()["fall.headInjury"] == "cannot-exclude"
    click(qtbot, head.clear_button)
    assert head.value() is None and "fall.headInjury" not in editor.view.answers()
