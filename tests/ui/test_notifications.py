"""Notifications name the team at most (and not even that while locked), never a message or a
patient; urgent ones repeat every two minutes (an injected timer) until acknowledged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from wardlink.core.clock import format_timestamp
from wardlink.store import messages
from wardlink.store.lane import DbLane
from wardlink.store.messages import RemoteMessage
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.notifications import REPEAT_MS, Alert, Notifier

from .conftest import NOW, settle

WARD = demo_history.WARD
BOB = demo_history.BOB
seqs = iter(range(1000, 2000))


def arrive(lane: DbLane, bridge: Bridge, body: str, *, urgent: bool = False) -> str:
    """A message from Bob arrives as the engine applies it (and posts its changes)."""
    seq = next(seqs)
    message = RemoteMessage(
        seq=seq,
        id=f"remote-{seq}",
        team_id=WARD.id,
        author_id=BOB.id,
        author_name=BOB.display_name,
        body=body,
        priority="urgent" if urgent else "routine",
        client_ts=format_timestamp(NOW),
        server_ts=format_timestamp(NOW + dt.timedelta(seconds=seq)),
    )
    bridge.post_changes(lane.call(messages.apply_remote_messages, [message]))
    return message.id


def manual_timer() -> QTimer:
    """A timer the test fires by hand (it would wait a day on its own)."""
    timer = QTimer()
    timer.setInterval(24 * 60 * 60 * 1000)
    return timer


@pytest.fixture
def timer() -> QTimer:
    return manual_timer()


@pytest.fixture
def notifier(
    qtbot: QtBot, bridge: Bridge, history: None, timer: QTimer
) -> Iterator[tuple[Notifier, list[Alert]]]:
    notifier = Notifier(bridge, repeat_timer=timer)
    shown: list[Alert] = []
    notifier.shown.connect(shown.append)
    notifier.start()
    settle(qtbot, bridge)
    yield notifier, shown
    notifier.stop()


def wait_for(qtbot: QtBot, shown: list[Alert], count: int) -> None:
    qtbot.waitUntil(lambda: len(shown) >= count, timeout=10_000)


def test_a_new_message_names_the_team_and_nothing_of_what_it_says(
    qtbot: QtBot, lane: DbLane, bridge: Bridge, notifier: tuple[Notifier, list[Alert]]
) -> None:
    _, shown = notifier
    assert shown == []  # what was there at the start is not news
    arrive(lane, bridge, "Mrs Patel in bay 4 is asking for her son")
    wait_for(qtbot, shown, 1)
    assert shown == [Alert("Wardlink", "New message in Ward 7 (Surgical)", False)]


def test_while_locked_not_even_the_team_is_named(
    qtbot: QtBot, lane: DbLane, bridge: Bridge, notifier: tuple[Notifier, list[Alert]]
) -> None:
    notes, shown = notifier
    notes.set_locked(True)
    arrive(lane, bridge, "Porter for bay 2")
    arrive(lane, bridge, "Bay 2 bed 3 drain output high", urgent=True)
    wait_for(qtbot, shown, 2)
    assert [a.text for a in shown] == ["New message in Wardlink", "Urgent message in Wardlink"]


def test_urgent_messages_repeat_every_two_minutes_until_acknowledged(
    qtbot: QtBot,
    lane: DbLane,
    bridge: Bridge,
    notifier: tuple[Notifier, list[Alert]],
    timer: QTimer,
) -> None:
    notes, shown = notifier
    urgent = arrive(lane, bridge, "NEWS2 is 7 in bay 4, FY1 bleeped", urgent=True)
    wait_for(qtbot, shown, 1)
    assert shown == [Alert("Wardlink", "Urgent message in Ward 7 (Surgical)", True)]
    assert notes.repeating and timer.isActive()
    timer.timeout.emit()
    timer.timeout.emit()
    assert [a.text for a in shown] == ["Urgent message in Ward 7 (Surgical)"] * 3

    bridge.run(messages.acknowledge, urgent)
    qtbot.waitUntil(lambda: not notes.repeating, timeout=10_000)
    assert not timer.isActive()
    timer.timeout.emit()
    assert len(shown) == 3


def test_the_default_repeat_is_two_minutes(bridge: Bridge) -> None:
    notifier = Notifier(bridge)
    assert notifier._timer.interval() == REPEAT_MS == 120_000
    notifier.stop()


def test_no_notification_for_the_team_being_read(
    qtbot: QtBot, lane: DbLane, bridge: Bridge, history: None
) -> None:
    notifier = Notifier(
        bridge, repeat_timer=manual_timer(), is_watching=lambda team: team == WARD.id
    )
    shown: list[Alert] = []
    notifier.shown.connect(shown.append)
    notifier.start()
    settle(qtbot, bridge)
    arrive(lane, bridge, "Handover at 19:30")
    settle(qtbot, bridge)
    assert shown == []
    arrive(lane, bridge, "Cardiac arrest call, bay 6", urgent=True)  # urgent: always
    wait_for(qtbot, shown, 1)
    assert [a.text for a in shown] == ["Urgent message in Ward 7 (Surgical)"]
    notifier.stop()
