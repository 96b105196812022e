"""The patient notes dialog over the real store: find by NHS or CHI number, every version
readable, states shown, photos from memory, look-ups audited without the number."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QListView,
    QPushButton,
    QTextBrowser,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.ui.conftest import NOW
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM, NHS_NUMBER_SYSTEM, mod11_check_digit
from wardlink.core.policy import Policy
from wardlink.store.changes import Changes
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.store.patient_notes import NOTES_OPENED
from wardlink.ui.bridge import Bridge
from wardlink.ui.patients import PatientDialog
from wardlink.ui.patients.note_detail import CHOOSE_A_NOTE
from wardlink.ui.patients.number_check import NOT_VALID
from wardlink.ui.patients.patient_view import NO_NOTES, TYPE_ALL_DIGITS
from wardlink.ui.patients.photo_viewer import WINDOW_TITLE as PHOTO_TITLE

from .patient_data import (
    AMEND_REASON,
    BOB,
    CHI,
    HELD_REASON,
    INVALID,
    NHS,
    OTHER_NHS,
    SBAR,
    WARD,
    WOUND_ID,
    WOUND_V2_ID,
    Scene,
    apply_pulled,
    chi_note,
    file_mine,
    pulled,
    response,
)

MakeDialog = Callable[..., PatientDialog]
NO_NOTES_NHS = "450557710" + str(mod11_check_digit("450557710"))


def audit_text(lane: DbLane) -> list[tuple[Any, ...]]:
    return lane.call(
        lambda store: store.conn.execute(
            "SELECT action, subject, detail FROM audit ORDER BY seq"
        ).fetchall()
    )


def search(qtbot: QtBot, dialog: PatientDialog, typed: str) -> int:
    """Type a number and press Enter, as a nurse would; how many notes came back."""
    view = dialog.view
    view.query.setFocus()
    view.query.clear()
    qtbot.keyClicks(view.query, typed)
    with qtbot.waitSignal(view.notes_shown, timeout=10_000) as shown:
        qtbot.keyClick(view.query, Qt.Key.Key_Return)
    return int(shown.args[0])


def rows(dialog: PatientDialog) -> list[str]:
    model = dialog.view.model
    return [str(model.index(r, 0).data()) for r in range(model.rowCount())]


def next_tab_stop(widget: QWidget) -> QWidget:
    """Where Tab goes from `widget`: the next widget in the focus chain that takes Tab."""
    following = widget.nextInFocusChain()
    while not following.focusPolicy() & Qt.FocusPolicy.TabFocus:
        following = following.nextInFocusChain()
    return following


def select(qtbot: QtBot, dialog: PatientDialog, note_id: str) -> None:
    view = dialog.view
    row = next(
        r for r in range(view.model.rowCount())
        if (n := view.model.lineage_at(r)) and note_id in {v.id for v in n.versions}
    )  # fmt: skip
    with qtbot.waitSignal(view.detail.photos_shown, timeout=10_000):
        view.notes.setCurrentIndex(view.model.index(row, 0))


def test_search_by_nhs_number_shows_the_notes_newest_first(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane
) -> None:
    dialog = make_dialog()
    assert dialog.windowTitle() == "Patient notes"
    with qtbot.waitSignal(dialog.note_opened, timeout=10_000) as opened:
        assert search(qtbot, dialog, "943 476 5919") == 4
    view = dialog.view
    assert rows(dialog) == [
        "SBAR handover, Ward 7 (Surgical), Alice Morgan, Today 12:50. Queued — not yet sent.",
        "SBAR handover, Ward 7 (Surgical), Alice Morgan, Yesterday 20:05. Held.",
        "Community visit note, Community Nursing North, Carol Nwosu, 24 Nov 2026 10:30. Filed.",
        "Wound assessment, Ward 7 (Surgical), Bob Adeyemi, 23 Nov 2026 09:15. Filed. "
        "Amended · 2 versions.",
    ]
    assert view.identifier.text() == "NHS number 943 476 5919"
    assert view.birth_date.text() == "Date of birth 12 Mar 1948"
    assert view.count.text() == "4 notes in your teams"
    assert opened.args == [scene.queued_id]  # the newest note opens at once
    assert view.detail.title.text() == "SBAR handover"
    assert dialog.windowTitle() == "Patient notes"
    assert all(NHS not in w.windowTitle() for w in QApplication.topLevelWidgets())

    entries = audit_text(lane)
    assert [e[0] for e in entries] == [NOTES_OPENED]
    assert json.loads(entries[0][2]) == {"by": "patient", "notes": 4}
    assert all(NHS not in str(e) and "943 476" not in str(e) for e in entries)


def test_search_by_chi_number_finds_the_notes(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane
) -> None:
    lane.call(chi_note, NOW)
    dialog = make_dialog()
    assert search(qtbot, dialog, f"{CHI[:6]}-{CHI[6:]}") == 1
    assert rows(dialog) == [
        "SBAR handover, Hospital at Night, Sam Patterson, Yesterday 23:30. Filed."
    ]
    assert dialog.view.identifier.text() == f"CHI number {CHI[:6]} {CHI[6:]}"
    assert dialog.view.birth_date.text() == "Date of birth 12 Mar 1945"
    entries = audit_text(lane)  # looked up as either number: one entry for each
    assert [e[0] for e in entries] == [NOTES_OPENED, NOTES_OPENED]
    assert all(CHI not in str(e) for e in entries)


def test_the_chi_system_comes_from_policy(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane
) -> None:
    lane.call(chi_note, NOW)  # filed under the default CHI system
    dialog = make_dialog(policy=Policy(chi_system="urn:oid:1.2.3.4"))
    assert search(qtbot, dialog, CHI) == 0
    assert dialog.view.patients[1].system == "urn:oid:1.2.3.4"
    assert DEFAULT_CHI_SYSTEM not in {p.system for p in dialog.view.patients}


def test_an_invalid_number_is_refused_with_a_message(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane, bridge: Bridge
) -> None:
    dialog = make_dialog()
    view = dialog.view
    qtbot.keyClicks(view.query, "943 476 591")
    assert view.status.text() == "Keep typing: 1 more digit to go."
    with qtbot.waitSignal(view.search_refused) as refused:
        qtbot.keyClick(view.query, Qt.Key.Key_Return)
    assert refused.args == [TYPE_ALL_DIGITS]
    view.query.clear()
    qtbot.keyClicks(view.query, INVALID)
    assert view.status.text() == NOT_VALID  # said as it is typed, before Enter
    assert view.status.objectName() == "refusal"
    with qtbot.waitSignal(view.search_refused) as refused:
        qtbot.keyClick(view.query, Qt.Key.Key_Return)
    assert refused.args == [NOT_VALID]
    assert not bridge.busy and view.patients == () and not view.header.isVisible()
    assert audit_text(lane) == []  # nothing was looked up


def test_a_patient_with_no_notes_says_so(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene
) -> None:
    dialog = make_dialog()
    assert search(qtbot, dialog, NO_NOTES_NHS) == 0
    view = dialog.view
    assert view.empty.isVisible() and view.empty.text() == NO_NOTES
    assert view.count.text() == "0 notes in your teams"
    assert view.detail.note is None


def test_notes_of_a_team_the_user_is_not_in_are_not_shown(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane
) -> None:
    stray = response("sbar-handover", SBAR, author=BOB, at=NOW)

    def put_stray(store: Store) -> None:  # as if a left team's row had stayed behind
        store.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            apply_pulled(
                store,
                pulled(stray, seq=150, team_id="9" * 8 + "-0000-4000-8000-" + "9" * 12, author=BOB),
            )
        finally:
            store.conn.execute("PRAGMA foreign_keys = ON")

    lane.call(put_stray)
    dialog = make_dialog()
    assert search(qtbot, dialog, NHS) == 4
    shown = {v.id for r in range(4) for v in dialog.view.model.lineage_at(r).versions}
    assert stray["id"] not in shown
    assert search(qtbot, dialog, OTHER_NHS) == 1  # another patient's notes stay with them


def test_every_version_is_readable_and_only_the_latest_is_amended(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene
) -> None:
    dialog = make_dialog()
    search(qtbot, dialog, NHS)
    select(qtbot, dialog, WOUND_ID)
    detail = dialog.view.detail
    versions = [detail.versions.itemText(i) for i in range(detail.versions.count())]
    assert versions == [
        f"Version 2 (amended Yesterday 14:40 by Sam Patterson: {AMEND_REASON})",
        "Version 1 (original)",
    ]
    assert detail.note is not None and detail.note.id == WOUND_V2_ID
    assert "Right heel" in detail.answers.toPlainText()
    assert (
        detail.reason.text() == f"Amended Yesterday 14:40 by Sam Patterson. Reason: {AMEND_REASON}"
    )
    assert detail.amend.isEnabled()

    detail.versions.setFocus()
    with qtbot.waitSignal(dialog.note_opened) as opened:
        qtbot.keyClick(detail.versions, Qt.Key.Key_Down)  # the original, by keyboard
    assert opened.args == [WOUND_ID]
    assert "Left heel" in detail.answers.toPlainText()
    assert "Right heel" not in detail.answers.toPlainText()
    assert not detail.amend.isEnabled()
    assert "latest version" in detail.amend_hint.text()

    detail.show_version(WOUND_V2_ID)
    with qtbot.waitSignal(dialog.amend_requested) as asked:
        qtbot.mouseClick(detail.amend, Qt.MouseButton.LeftButton)
    assert asked.args == [WOUND_V2_ID]


def test_queued_filed_and_held_are_shown(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene
) -> None:
    dialog = make_dialog()
    search(qtbot, dialog, NHS)
    detail = dialog.view.detail
    assert detail.state.text() == "Queued — not yet sent to the record server"
    assert detail.state.property("state") == "queued"
    assert not detail.amend.isEnabled() and "once it has been filed" in detail.amend_hint.text()
    select(qtbot, dialog, scene.held_id)
    assert detail.state.text() == f"Held — not filed: {HELD_REASON}"
    assert not detail.amend.isEnabled()
    select(qtbot, dialog, WOUND_ID)
    assert detail.state.text() == "Filed in the patient's record"
    assert detail.amend.isEnabled() and detail.amend_hint.text() == ""


def test_a_note_filed_meanwhile_refreshes_without_a_second_audit(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane, bridge: Bridge
) -> None:
    dialog = make_dialog()
    search(qtbot, dialog, NHS)
    lane.call(file_mine, scene.queued_id, 200)
    with qtbot.waitSignal(dialog.view.notes_shown, timeout=10_000):
        bridge.post_changes(Changes(notes=frozenset({WARD.id})))
    assert rows(dialog)[0].endswith("Today 12:50. Filed.")
    assert dialog.view.detail.note is not None and dialog.view.detail.note.id == scene.queued_id
    assert dialog.view.detail.amend.isEnabled()
    assert [e[0] for e in audit_text(lane)] == [NOTES_OPENED]

    select(qtbot, dialog, WOUND_ID)  # reading the original stays so through a refresh
    dialog.view.detail.show_version(WOUND_ID)
    with qtbot.waitSignal(dialog.view.notes_shown, timeout=10_000):
        bridge.post_changes(Changes(notes=frozenset({WARD.id})))
    assert dialog.view.detail.note is not None and dialog.view.detail.note.id == WOUND_ID


def test_photos_show_as_thumbnails_and_open_a_zoomable_viewer(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene
) -> None:
    dialog = make_dialog()
    search(qtbot, dialog, NHS)
    select(qtbot, dialog, WOUND_ID)
    detail = dialog.view.detail
    (button,) = detail.photo_buttons
    assert not button.icon().isNull() and button.isEnabled()
    assert next_tab_stop(detail.answers) is button  # Tab: answers, photos, then Amend
    assert next_tab_stop(button) is detail.amend
    assert button.accessibleName() == "Photo 1 of 1: Left heel, day 1. Opens it larger."
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    viewer = detail.viewer
    assert viewer is not None and viewer.isVisible()
    assert viewer.windowTitle() == PHOTO_TITLE
    assert viewer.picture.pixmap() is not None and not viewer.picture.pixmap().isNull()
    before = viewer.zoom
    qtbot.mouseClick(viewer.zoom_in, Qt.MouseButton.LeftButton)
    assert viewer.zoom == pytest.approx(before * 1.25)
    qtbot.keyClick(viewer, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert viewer.zoom == 1.0
    assert viewer.picture.pixmap().width() == 320  # the photo's own size
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible() and dialog.isVisible()


def test_pdf_export_is_absent_unless_policy_allows_it(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene
) -> None:
    dialog = make_dialog()
    search(qtbot, dialog, NHS)
    assert dialog.view.detail.export is None
    texts = [b.text().replace("&", "") for b in dialog.findChildren(QAbstractButton)]
    assert "Export PDF…" not in texts and "Amend…" in texts
    allowed = make_dialog(policy=Policy(allow_pdf_export=True))
    search(qtbot, allowed, NHS)
    assert allowed.view.detail.export is not None and allowed.view.detail.export.isVisible()


def test_opened_for_a_patient_from_a_note_card(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane
) -> None:
    dialog = make_dialog()
    with qtbot.waitSignal(dialog.view.notes_shown, timeout=10_000) as shown:
        dialog.open_patient(NHS_NUMBER_SYSTEM, NHS)
    assert shown.args == [4]
    assert dialog.view.query.text() == "" and dialog.windowTitle() == "Patient notes"
    assert [e[0] for e in audit_text(lane)] == [NOTES_OPENED]


def test_opened_at_a_note_from_its_card(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane
) -> None:
    dialog = make_dialog()
    with qtbot.waitSignal(dialog.note_opened, timeout=10_000) as opened:
        dialog.open_note(WOUND_ID)  # the original version, as the card named it
    assert opened.args == [WOUND_ID]
    view = dialog.view
    assert view.identifier.text() == "NHS number 943 476 5919" and view.model.rowCount() == 4
    assert view.notes.currentIndex().row() == view.model.row_of(WOUND_ID)
    assert [e[0] for e in audit_text(lane)] == [NOTES_OPENED]
    with qtbot.waitSignal(view.notes_shown, timeout=10_000) as shown:
        dialog.open_note("not-a-note-here")
    assert shown.args == [0] and view.patients == () and view.status.objectName() == "refusal"
    assert len(audit_text(lane)) == 1


def test_typing_another_number_hides_the_patient_shown(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene
) -> None:
    dialog = make_dialog()
    search(qtbot, dialog, "943 476 5919")
    view = dialog.view
    qtbot.keyClick(view.query, Qt.Key.Key_Backspace)
    assert view.patients == () and view.model.rowCount() == 0
    assert not view.header.isVisible() and view.detail.note is None


def test_escape_closes_and_forgets_the_patient(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene
) -> None:
    dialog = make_dialog()
    search(qtbot, dialog, NHS)
    select(qtbot, dialog, WOUND_ID)
    dialog.view.notes.setFocus()
    qtbot.keyClick(dialog.view.notes, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    view = dialog.view
    assert view.query.text() == "" and view.patients == () and view.model.rowCount() == 0
    assert not view.query.isUndoAvailable()  # Ctrl+Z cannot bring the number back
    assert view.detail.answers.toPlainText() == "" and view.detail.photo_buttons == []
    assert view.detail.placeholder.text() == CHOOSE_A_NOTE
    dialog.open_search()
    assert not view.header.isVisible() and dialog.focusWidget() is view.query


def test_every_control_has_an_accessible_name(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene
) -> None:
    dialog = make_dialog(policy=Policy(allow_pdf_export=True))
    search(qtbot, dialog, NHS)
    select(qtbot, dialog, WOUND_ID)
    kinds = (QAbstractButton, QLineEdit, QComboBox, QListView, QTextBrowser)
    controls = [w for kind in kinds for w in dialog.findChildren(kind)]
    assert len(controls) >= 9
    unnamed = [type(w).__name__ for w in controls if not w.accessibleName()]
    assert unnamed == []
    assert isinstance(dialog.view.detail.export, QPushButton)
