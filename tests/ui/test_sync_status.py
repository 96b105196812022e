"""The sync status in the status bar: every phase in plain words, progress, sign in again."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from wardlink.sync.status import SyncPhase, SyncStatus
from wardlink.ui.sync_status import SyncStatusWidget, progress_of, status_text


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (
            SyncStatus(SyncPhase.OFFLINE, to_send=2),
            "Offline — new messages are saved here and sent when you reconnect "
            "(2 items waiting to send)",
        ),
        (SyncStatus(SyncPhase.CONNECTING), "Connecting…"),
        (
            SyncStatus(SyncPhase.SYNCING, to_send=3, received=40),
            "Syncing… (sending 3, 40 received)",
        ),
        (SyncStatus(SyncPhase.UP_TO_DATE), "Up to date ✓"),
        (
            SyncStatus(SyncPhase.ERROR, reason="The server is busy.", retry_in=29.6, to_send=1),
            "Sync problem: The server is busy. — trying again in 30 s (1 item waiting to send)",
        ),
        (
            SyncStatus(SyncPhase.NEEDS_SIGN_IN, reason="your session has expired"),
            "Sign in again to send and receive — your session has expired",
        ),
        (SyncStatus(SyncPhase.STOPPED), "Sync stopped"),
    ],
)
def test_each_phase_in_plain_words(status: SyncStatus, text: str) -> None:
    assert status_text(status) == text


def test_progress_only_while_syncing() -> None:
    assert progress_of(SyncStatus(SyncPhase.SYNCING, sent=3, to_send=7)) == (3, 10)
    assert progress_of(SyncStatus(SyncPhase.SYNCING)) == (0, 0)  # busy, no count
    assert progress_of(SyncStatus(SyncPhase.UP_TO_DATE)) is None


def test_the_widget_shows_each_status_and_asks_for_sign_in(qtbot: QtBot) -> None:
    widget = SyncStatusWidget()
    qtbot.addWidget(widget)
    widget.show()
    widget.show_status(SyncStatus(SyncPhase.SYNCING, sent=1, to_send=3))
    assert widget.progress.isVisible()
    assert (widget.progress.value(), widget.progress.maximum()) == (1, 4)
    assert not widget.sign_in.isVisible()
    widget.show_status(SyncStatus(SyncPhase.NEEDS_SIGN_IN))
    assert not widget.progress.isVisible()
    assert widget.sign_in.isVisible()
    assert widget.property("phase") == "needs_sign_in"
    assert widget.accessibleName().startswith("Sync status: Sign in again")
    with qtbot.waitSignal(widget.sign_in_requested):
        widget.sign_in.click()
    widget.show_status(SyncStatus(SyncPhase.UP_TO_DATE))
    assert widget.text.text() == "Up to date ✓"
    assert not widget.sign_in.isVisible()


def test_a_lease_warning_is_shown_beside_the_status(qtbot: QtBot) -> None:
    widget = SyncStatusWidget()
    qtbot.addWidget(widget)
    widget.show()
    warning = "Connect within 2 days to send 3 unsent items."
    widget.show_status(SyncStatus(SyncPhase.OFFLINE, to_send=3, warning=warning))
    assert widget.warning.isVisible() and widget.warning.text() == f"⚠ {warning}"
    assert widget.accessibleName().endswith(warning)
    widget.show_status(SyncStatus(SyncPhase.UP_TO_DATE))
    assert not widget.warning.isVisible()
