"""Choosing a form from the keyboard: type to narrow, arrows to move, Enter to choose."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from wardlink.core.forms import all_forms
from wardlink.ui.forms import FormPicker


def test_forms_are_listed_by_title_and_chosen_with_the_keyboard(qtbot: QtBot) -> None:
    picker = FormPicker()
    qtbot.addWidget(picker)
    with qtbot.waitActive(picker):
        picker.show()
        picker.activateWindow()
    titles = [picker.list.item(row).text() for row in range(picker.list.count())]
    assert titles == [form.title for form in all_forms()]
    assert picker.focusWidget() is picker.filter
    qtbot.keyClicks(picker.filter, "wound")
    assert picker.current_form() is not None
    assert picker.current_form().id == "wound-assessment"  # type: ignore[union-attr]
    picker.filter.clear()
    qtbot.keyClicks(picker.filter, "observations")  # in three forms' titles or descriptions
    shown = [
        picker.forms[r].id for r in range(picker.list.count()) if not picker.list.item(r).isHidden()
    ]
    assert shown == ["community-visit", "news2-observations", "post-fall-review"]
    assert picker.current_form().id == "community-visit"  # type: ignore[union-attr]
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)  # the arrows move the list from the box
    assert picker.current_form().id == "post-fall-review"  # type: ignore[union-attr]
    with qtbot.waitSignal(picker.form_chosen) as chosen:
        qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    assert chosen.args[0].id == "post-fall-review"
    assert picker.chosen is chosen.args[0] and not picker.isVisible()


def test_nothing_matching_means_nothing_to_open(qtbot: QtBot) -> None:
    picker = FormPicker()
    qtbot.addWidget(picker)
    qtbot.keyClicks(picker.filter, "zzz")
    assert picker.current_form() is None and not picker.open_button.isEnabled()
    with qtbot.assertNotEmitted(picker.form_chosen):
        picker.choose()
