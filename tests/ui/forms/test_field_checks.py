"""Problems with answers are said under their field, in plain words, once the user has moved on
(or tried to submit); never while they are typing the first characters. A wrong patient number
is said as soon as it is complete, and no message ever repeats the number."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from wardlink.core.identifiers import mod11_check_digit
from wardlink.ui.forms import NoteEditor
from wardlink.ui.forms.date_inputs import DateInput, DateTimeInput
from wardlink.ui.forms.field_row import FieldRow
from wardlink.ui.forms.number_inputs import NumberInput
from wardlink.ui.forms.patient_inputs import PatientNumberInput
from wardlink.ui.forms.text_inputs import TextBlockInput

from .conftest import MakeEditor
from .driver import BAD_NHS_NUMBER, NHS_NUMBER, PATIENT, click, field_of, fill, type_into


def row(editor: NoteEditor, link_id: str) -> FieldRow:
    return editor.view.rows[link_id]


def shown(editor: NoteEditor, link_id: str) -> str | None:
    """The problem under a field, if one is on screen."""
    found = row(editor, link_id)
    return found.error.text() if found.error.isVisible() else None


def leave(qtbot: QtBot) -> None:
    """Tab on to the next field, as a person moving on would."""
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, Qt.Key.Key_Tab)


def no_digits_of_the_number(text: str) -> bool:
    """Neither the number nor a recognisable part of it (a range like "from 1 to 600" is fine)."""
    return not re.search(r"943[\s-]?476|476[\s-]?59|5918", text)


def test_a_wrong_nhs_number_is_said_as_soon_as_its_last_digit_is_typed(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("sbar-handover")
    fill(qtbot, editor, {"patient.identifierSystem": "nhs"})
    number = field_of(editor, "patient.identifier", PatientNumberInput)
    type_into(qtbot, number.edit, BAD_NHS_NUMBER[:-1])
    assert shown(editor, "patient.identifier") is None  # still typing: nothing said
    qtbot.keyClicks(number.edit, BAD_NHS_NUMBER[-1])
    message = shown(editor, "patient.identifier")
    assert message == "Not a valid NHS number — check the digits."
    assert number.edit.property("invalid") is True
    assert message in number.edit.accessibleDescription()
    # Fixing the last digit clears it, and the number is confirmed valid.
    qtbot.keyClick(number.edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(number.edit, NHS_NUMBER[-1])
    assert shown(editor, "patient.identifier") is None
    assert number.status.isVisible() and number.status.text() == "✓ Valid NHS number"


def test_a_short_number_is_said_only_once_the_user_moves_on(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("sbar-handover")
    fill(qtbot, editor, {"patient.identifierSystem": "chi"})
    number = field_of(editor, "patient.identifier", PatientNumberInput)
    type_into(qtbot, number.edit, "1203")
    assert shown(editor, "patient.identifier") is None
    leave(qtbot)
    assert shown(editor, "patient.identifier") == "A CHI number has 10 digits."


def test_a_chi_number_is_checked_against_the_date_of_birth(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    first_nine = "120350123"
    check = mod11_check_digit(first_nine)
    assert check is not None
    chi = first_nine + str(check)
    editor = make_editor("sbar-handover")
    fill(
        qtbot,
        editor,
        {
            "patient.identifierSystem": "chi",
            "patient.identifier": chi,
            "patient.birthDate": "13/03/1950",
        },
    )
    leave(qtbot)
    assert shown(editor, "patient.identifier") is None
    number = field_of(editor, "patient.identifier", PatientNumberInput)
    assert number.edit.text() == f"{chi[:6]} {chi[6:]}"  # grouped as it is read aloud
    assert shown(editor, "patient.birthDate") == (
        "Does not match the CHI number, which starts DDMMYY."
    )


def test_out_of_range_and_unreadable_answers(qtbot: QtBot, make_editor: MakeEditor) -> None:
    editor = make_editor("news2-observations")
    pulse = field_of(editor, "news2.pulse", NumberInput)
    type_into(qtbot, pulse.edit, "4")
    assert shown(editor, "news2.pulse") is None  # the first digit of 40-something
    qtbot.keyClicks(pulse.edit, "00")
    leave(qtbot)
    assert shown(editor, "news2.pulse") == "Must be from 20 to 300."
    assert row(editor, "news2.pulse").hint.text() == "From 20 to 300"
    # Letters cannot be typed into a number at all.
    temperature = field_of(editor, "news2.temperature", NumberInput)
    type_into(qtbot, temperature.edit, "3x7.2")
    assert temperature.edit.text() == "37.2"
    # Dates: a two-digit year is not guessed, and a date that does not exist is refused.
    birth = field_of(editor, "patient.birthDate", DateInput)
    type_into(qtbot, birth.edit, "12/3/50")
    leave(qtbot)
    assert shown(editor, "patient.birthDate") == "Write the year in full, e.g. 1950 rather than 50."
    birth.edit.clear()
    type_into(qtbot, birth.edit, "31/02/1950")
    leave(qtbot)
    assert (shown(editor, "patient.birthDate") or "").startswith("Write the date as dd/mm/yyyy")
    birth.edit.clear()
    type_into(qtbot, birth.edit, "12.3.2030")
    leave(qtbot)
    assert birth.edit.text() == "12 Mar 2030"  # the month in words: no day/month mix-up
    assert shown(editor, "patient.birthDate") == "Cannot be in the future."
    taken = field_of(editor, "news2.takenAt", DateTimeInput)
    type_into(qtbot, taken.date_edit, "26/11/2026")
    type_into(qtbot, taken.time_edit, "25:00")
    leave(qtbot)
    assert shown(editor, "news2.takenAt") == (
        "Write the time on the 24-hour clock as hh:mm, e.g. 14:30."
    )


def test_submitting_an_empty_form_says_what_is_required_and_goes_to_the_first(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("post-fall-review")
    assert all(shown(editor, link_id) is None for link_id in editor.view.rows)
    click(qtbot, editor.submit_button)
    assert editor.summary is None  # not until it is right
    problems = editor.view.shown_problems()
    required = {
        link_id for link_id, r in editor.view.rows.items() if r.item.required and r.isVisible()
    }
    assert set(problems) == required
    assert all(message == "This is required." for message in problems.values())
    assert "patient.confirmed" not in problems  # asked in the summary instead
    assert editor.banner.isVisible()
    assert editor.banner.text() == (
        f"{len(required)} answers need attention before this note can be submitted. "
        "The first is “Patient identifier”."
    )
    first = row(editor, "patient.identifierSystem").field.focus_widgets()[0]
    assert QApplication.focusWidget() is first
    # Answering clears each message at once (no second submit needed) and the banner goes
    # when the last one does.
    fill(qtbot, editor, PATIENT)
    assert "patient.identifierSystem" not in editor.view.shown_problems()
    assert "patient.birthDate" not in editor.view.shown_problems()


def test_no_message_repeats_the_patient_number(qtbot: QtBot, make_editor: MakeEditor) -> None:
    editor = make_editor("community-visit")
    fill(qtbot, editor, {"patient.identifierSystem": "nhs", "patient.identifier": BAD_NHS_NUMBER})
    click(qtbot, editor.submit_button)
    texts = [editor.banner.text(), editor.windowTitle(), *editor.view.shown_problems().values()]
    texts += [w.accessibleDescription() for w in editor.findChildren(QWidget)]
    assert any("Not a valid NHS number" in t for t in texts)
    assert all(no_digits_of_the_number(t) for t in texts)


def test_free_text_keeps_to_the_forms_length_limit(qtbot: QtBot, make_editor: MakeEditor) -> None:
    editor = make_editor("community-visit")
    reason = field_of(editor, "visit.reason", TextBlockInput)  # maxLength 1000
    QGuiApplication.clipboard().setText("x" * 1200)
    reason.edit.setFocus()
    qtbot.keyClick(reason.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    QGuiApplication.clipboard().clear()
    assert len(reason.edit.toPlainText()) == 1000
    assert reason.count.isVisible()
    assert reason.count.text() == "No room left: this answer is at its limit."
    qtbot.keyClicks(reason.edit, "more")
    assert len(reason.edit.toPlainText()) == 1000
    qtbot.keyClick(reason.edit, Qt.Key.Key_Backspace)
    assert reason.count.text() == "1 character left"
