"""The composer: the guard underlines and refuses identifiers and says why; Enter sends."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QTextEdit
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from wardlink.core.guard import Rules
from wardlink.ui.composer import Composer
from wardlink.ui.text_positions import utf16_length

NHS_TEXT = "Can someone check the bloods for 943 476 5919 in bay 2?"


@pytest.fixture
def timer() -> QTimer:
    """The guard's debounce, fired by the test (never waited for)."""
    return QTimer()


@pytest.fixture
def composer(qtbot: QtBot, timer: QTimer) -> Composer:
    composer = Composer(guard_timer=timer)
    qtbot.addWidget(composer)
    composer.show()
    wait_shown(qtbot, composer)
    return composer


def type_text(qtbot: QtBot, composer: Composer, text: str) -> None:
    composer.edit.setFocus()
    qtbot.keyClicks(composer.edit, text)


def underlined(composer: Composer) -> list[tuple[int, int]]:
    selections: list[QTextEdit.ExtraSelection] = composer.edit.extraSelections()
    spans = []
    for selection in selections:
        cursor = selection.cursor
        spans.append((cursor.selectionStart(), cursor.selectionEnd()))
    return spans


def test_an_nhs_number_is_refused_and_the_reason_said_plainly(
    qtbot: QtBot, composer: Composer, timer: QTimer
) -> None:
    type_text(qtbot, composer, NHS_TEXT)
    assert timer.isActive()  # the guard waits for a pause in typing
    with qtbot.waitSignal(composer.guard_checked) as checked:
        timer.timeout.emit()
    assert [f.kind for f in checked.args[0]] == ["nhs_number"]
    assert composer.refusal_label.isVisible()
    assert composer.refusal_label.text() == (
        "Patient details can't go in chat: NHS number. Move it to a patient note."
    )
    assert not composer.send_button.isEnabled()
    assert composer.move_button.isVisible()
    start = NHS_TEXT.index("943")
    assert underlined(composer) == [(start, start + len("943 476 5919"))]
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
        composer.send_button.click()
    assert composer.text == NHS_TEXT  # nothing sent, nothing lost


def test_several_kinds_are_listed(qtbot: QtBot, composer: Composer) -> None:
    composer.set_text("Mrs Patel in bay 3, NHS 943 476 5919, son on 07700 900123")
    composer.check_now()
    assert composer.refusal_label.text() == (
        "Patient details can't go in chat: name, NHS number, phone number. "
        "Move them to a patient note."
    )
    assert len(underlined(composer)) == 3


def test_underlines_land_on_the_identifier_after_emoji(qtbot: QtBot, composer: Composer) -> None:
    text = "😀🩹 dressing for Mr Jones please"
    composer.set_text(text)
    composer.check_now()
    start = utf16_length(text[: text.index("Mr Jones")])
    assert underlined(composer) == [(start, start + len("Mr Jones"))]
    selections = composer.edit.extraSelections()
    assert selections[0].cursor.selectedText() == "Mr Jones"


def test_enter_sends_and_shift_enter_starts_a_new_line(
    qtbot: QtBot, composer: Composer, timer: QTimer
) -> None:
    type_text(qtbot, composer, "Handover at 19:30")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.edit, "in the office")
    assert composer.text == "Handover at 19:30\nin the office"
    with qtbot.waitSignal(composer.send_requested) as sent:
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent.args == ["Handover at 19:30\nin the office", False]


def test_enter_before_the_guard_has_run_is_still_refused(
    qtbot: QtBot, composer: Composer, timer: QTimer
) -> None:
    type_text(qtbot, composer, "Bay 4 bed 2, NHS no 9434765919")
    assert timer.isActive()
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert not timer.isActive()
    assert not composer.send_button.isEnabled()
    assert "NHS number" in composer.refusal_label.text()


def test_urgent_and_the_send_button(qtbot: QtBot, composer: Composer, timer: QTimer) -> None:
    assert not composer.send_button.isEnabled()  # nothing to send yet
    type_text(qtbot, composer, "Need a second checker for CDs now please")
    timer.timeout.emit()
    assert composer.send_button.isEnabled()
    assert not composer.refusal_label.isVisible()
    assert not composer.move_button.isVisible()
    qtbot.keyClick(composer.urgent, Qt.Key.Key_Space)
    assert composer.urgent.isChecked()
    assert composer.send_button.text() == "Send urgent"
    with qtbot.waitSignal(composer.send_requested) as sent:
        composer.send_button.click()
    assert sent.args == ["Need a second checker for CDs now please", True]
    composer.sent()
    assert composer.text == "" and not composer.urgent.isChecked()
    assert not composer.send_button.isEnabled()


def test_move_to_a_patient_note_carries_the_text_and_findings(
    qtbot: QtBot, composer: Composer
) -> None:
    composer.set_text(NHS_TEXT)
    composer.check_now()
    with qtbot.waitSignal(composer.move_to_note_requested) as moved:
        composer.move_button.click()
    text, findings = moved.args
    assert text == NHS_TEXT
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [("nhs_number", "943 476 5919")]


def test_policy_rules_reach_the_guard(qtbot: QtBot) -> None:
    composer = Composer(rules=Rules(hospital_number_pattern=r"\bRX\d{7}\b"))
    qtbot.addWidget(composer)
    composer.set_text("Old notes for RX1234567 are in the office")
    composer.check_now()
    assert "hospital number" in composer.refusal_label.text()
    assert not composer.send_button.isEnabled()


def test_copying_never_puts_an_identifier_on_the_clipboard(
    qtbot: QtBot, composer: Composer
) -> None:
    composer.set_text("Son of Mrs Patel rang about bay 3")
    composer.edit.selectAll()
    composer.edit.copy()
    assert QApplication.clipboard().text() == "Son of rang about bay 3"
    assert QApplication.clipboard().mimeData().formats() == ["text/plain"]  # no rich copy


def test_window_shortcuts_win_over_the_text_box(qtbot: QtBot, composer: Composer) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    composer.edit.reserve_shortcuts([QKeySequence("Ctrl+K")])
    event = QKeyEvent(
        QEvent.Type.ShortcutOverride, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier
    )
    QApplication.sendEvent(composer.edit, event)
    assert not event.isAccepted()  # left for the window's search shortcut
