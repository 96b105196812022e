"""Held, queued and urgent messages: edit and re-send, retry, discard, acknowledge, and the
plain warning while an urgent message has not been delivered."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from wardlink.core.clock import ManualClock
from wardlink.core.model import Message, MessageState
from wardlink.core.policy import Policy
from wardlink.store import messages, outbox
from wardlink.store.lane import DbLane
from wardlink.store.outbox import OpResult
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.mainwindow import MainWindow

from .conftest import ME, Profile, open_window, settle

WARD = demo_history.WARD.id


def held_row(window: MainWindow) -> tuple[int, Message]:
    model = window.timeline_model
    for row in range(model.rowCount()):
        message = model.message_at(row)
        if message is not None and message.state is MessageState.HELD:
            return row, message
    raise AssertionError("no held message shown")


def click_button(qtbot: QtBot, window: MainWindow, row: int, action: str) -> None:
    view = window.timeline
    view.scrollTo(window.timeline_model.index(row, 0))
    rect = view.button_rect(row, action)
    assert rect is not None, f"row {row} has no {action} button"
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def pending_posts(lane: DbLane, message_id: str) -> int:
    return sum(
        1
        for item in lane.call(outbox.next_batch)
        if item.type == "message.post" and item.subject_id == message_id
    )


def test_a_held_message_can_be_edited_and_sent_again(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    row, held = held_row(window)
    assert held.held_reason == demo_history.HELD_REASON
    assert pending_posts(lane, held.id) == 0  # the server answered it: it left the outbox
    click_button(qtbot, window, row, "edit")
    composer = window.composer
    assert composer.editing == held
    assert composer.edit_banner.isVisible()
    assert composer.text == held.body
    composer.set_text("Old notes are on the desk in the office")
    with qtbot.waitSignal(window.timeline_model.refreshed, timeout=10_000):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    settle(qtbot, bridge)
    again = lane.call(messages.get_message, held.id)
    assert again is not None
    assert again.state is MessageState.QUEUED and again.held_reason is None
    assert again.body == "Old notes are on the desk in the office"
    assert pending_posts(lane, held.id) == 1  # a new op for the sync engine to send
    assert composer.editing is None and composer.text == ""
    last = window.timeline_model.message_at(window.timeline_model.rowCount() - 1)
    assert last is not None and last.id == held.id  # moved to the end, as queued
    assert window.timeline.is_at_bottom()


def test_retry_sends_it_again_as_it_was(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    row, held = held_row(window)
    click_button(qtbot, window, row, "retry")
    settle(qtbot, bridge)
    again = lane.call(messages.get_message, held.id)
    assert again is not None and again.state is MessageState.QUEUED
    assert again.body == held.body
    assert pending_posts(lane, held.id) == 1


def test_retry_of_what_the_guard_refuses_opens_it_for_editing(
    qtbot: QtBot, bridge: Bridge, profile: Profile, clock: ManualClock, history: None, lane: DbLane
) -> None:
    policy = Policy(hospital_number_pattern=r"\bRX\d{7}\b")
    window = open_window(qtbot, bridge, profile, clock, policy=policy)
    row, held = held_row(window)
    click_button(qtbot, window, row, "retry")
    settle(qtbot, bridge)
    assert window.composer.editing == held
    assert "hospital number" in window.composer.refusal_label.text()
    assert not window.composer.send_button.isEnabled()
    assert pending_posts(lane, held.id) == 0


def test_discarding_asks_first(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    row, held = held_row(window)
    click_button(qtbot, window, row, "discard")
    box = window.findChild(QMessageBox)
    assert box is not None and box.isVisible()
    assert box.windowTitle() == "Discard message"
    with qtbot.waitSignal(window.timeline_model.refreshed, timeout=10_000):
        box.button(QMessageBox.StandardButton.Discard).click()
    settle(qtbot, bridge)
    assert lane.call(messages.get_message, held.id) is None
    assert window.timeline_model.row_of_message(held.id) is None


def test_acknowledge_from_the_bubble_and_from_the_keyboard(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    model = window.timeline_model
    row = next(r for r in range(model.rowCount()) if (m := model.message_at(r)) and m.awaiting_ack)
    message = model.message_at(row)
    assert message is not None and message.author_id != ME.id
    click_button(qtbot, window, row, "acknowledge")
    settle(qtbot, bridge)
    assert lane.call(messages.get_message, message.id).acked  # type: ignore[union-attr]
    acks = [i for i in lane.call(outbox.next_batch) if i.type == "message.ack"]
    assert [a.subject_id for a in acks] == [message.id]

    # The same from the keyboard: a message's actions open with Enter.
    bridge.run(
        messages.apply_remote_messages,
        [demo_history_message(900, "Resus trolley needed in bay 2 now", urgent=True)],
    )
    qtbot.waitUntil(lambda: model.row_of_message("remote-900") is not None)
    settle(qtbot, bridge)
    window.timeline.setFocus()
    window.timeline.setCurrentIndex(model.index(model.row_of_message("remote-900") or 0, 0))
    with qtbot.waitSignal(window.timeline.menu_opened) as opened:
        qtbot.keyClick(window.timeline, Qt.Key.Key_Return)
    menu: QMenu = opened.args[0]
    assert [a.text() for a in menu.actions()] == ["Acknowledge"]
    menu.actions()[0].trigger()
    settle(qtbot, bridge)
    newest = lane.call(messages.get_message, "remote-900")
    assert newest is not None and newest.acked


def demo_history_message(seq: int, body: str, *, urgent: bool = False) -> messages.RemoteMessage:
    return messages.RemoteMessage(
        seq=seq,
        id=f"remote-{seq}",
        team_id=WARD,
        author_id=demo_history.GRACE.id,
        author_name=demo_history.GRACE.display_name,
        body=body,
        priority="urgent" if urgent else "routine",
        client_ts="2026-11-26T13:15:00.000Z",
        server_ts="2026-11-26T13:15:01.000Z",
    )


def test_an_undelivered_urgent_message_says_so_until_it_is_sent(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    assert not window.banner.isVisible()
    window.composer.set_text("Bay 2 bed 3 BP dropping, FY1 needed back now")
    window.composer.urgent.setChecked(True)
    with qtbot.waitSignal(window.timeline_model.undelivered_urgent_changed, timeout=10_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    settle(qtbot, bridge)
    assert window.banner.isVisible()
    assert window.banner.label.text() == (
        "⚠  Your urgent message is NOT delivered yet — phone or bleep if it can't wait."
    )
    model = window.timeline_model
    mine = model.message_at(model.rowCount() - 1)
    assert mine is not None and mine.is_urgent and mine.state is MessageState.QUEUED
    assert "NOT delivered yet" in model.index(model.rowCount() - 1, 0).data()

    # The sync engine delivers it: the warning goes.
    post = next(i for i in lane.call(outbox.next_batch) if i.subject_id == mine.id)
    with qtbot.waitSignal(model.undelivered_urgent_changed, timeout=10_000):
        bridge.run(outbox.record_results, [OpResult(post.op_id, "applied", seq=5000)])
    settle(qtbot, bridge)
    assert not window.banner.isVisible()
    sent = model.message_at(model.row_of_message(mine.id))  # type: ignore[arg-type]
    assert sent is not None and sent.state is MessageState.SENT and sent.seq == 5000


def test_retracting_my_message_asks_why_and_refuses_patient_details(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    from PySide6.QtWidgets import QInputDialog

    model = window.timeline_model
    row = max(
        r
        for r in range(model.rowCount())
        if (m := model.message_at(r)) and m.author_id == ME.id and m.state is MessageState.SENT
    )
    mine = model.message_at(row)
    assert mine is not None
    window.timeline.setCurrentIndex(model.index(row, 0))
    window.commands.retract.trigger()
    dialog = window.findChild(QInputDialog)
    assert dialog is not None and dialog.windowTitle() == "Retract message"
    dialog.setTextValue("About Mrs Patel")
    dialog.accept()
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "Patient details can't go in the reason" in box.text()
    box.accept()
    assert lane.call(messages.get_message, mine.id) is not None

    window.commands.retract.trigger()
    dialog = next(d for d in window.findChildren(QInputDialog) if d.isVisible())
    dialog.setTextValue("Sent to the wrong team")
    with qtbot.waitSignal(model.refreshed, timeout=10_000):
        dialog.accept()
    settle(qtbot, bridge)
    assert lane.call(messages.get_message, mine.id) is None
    assert model.row_of_message(mine.id) is None
    retracts = [i for i in lane.call(outbox.next_batch) if i.type == "message.retract"]
    assert [(r.subject_id, r.payload["reason"]) for r in retracts] == [
        (mine.id, "Sent to the wrong team")
    ]


def test_menu_actions_find_the_message_they_apply_to(
    qtbot: QtBot, window: MainWindow, bridge: Bridge
) -> None:
    _row, held = held_row(window)
    window.timeline.setCurrentIndex(window.timeline_model.index(0, 0))  # not the held one
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert window.composer.editing == held
    window.composer.cancel_edit()
    assert window.composer.editing is None and window.composer.text == ""
