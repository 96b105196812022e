"""Parts of a signed-in session that `WardlinkApp` builds: its sync engine, and the one-time
notice that this PC now trusts a record server's signing key."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from wardlink.core.policy import Policy
from wardlink.store.changes import Changes
from wardlink.sync.engine import SyncEngine
from wardlink.sync.status import SyncStatus
from wardlink.ui.app_setup import AppSetup
from wardlink.ui.bridge import Bridge
from wardlink.ui.sign_in_flow import Session


def make_engine(
    setup: AppSetup,
    session: Session,
    bridge: Bridge,
    policy: Policy,
    *,
    on_status: Callable[[SyncStatus], None],
    on_policy: Callable[[], None],
) -> SyncEngine | None:
    """The session's sync engine, or None where no record server address is known.

    The engine calls back from its own threads, possibly after the app or the session's window
    has gone: each callback then has nobody to tell, and says nothing.
    """
    url = session.server_url
    if url is None:
        return None

    def status(value: SyncStatus) -> None:
        with contextlib.suppress(RuntimeError):
            on_status(value)

    def policy_changed() -> None:
        with contextlib.suppress(RuntimeError):
            on_policy()

    def changes(value: Changes) -> None:
        with contextlib.suppress(RuntimeError):
            bridge.post_changes(value)

    return SyncEngine(
        profiles=setup.profiles,
        staff_id=session.staff_id,
        lane=session.result.lane,
        make_client=lambda: setup.make_client(url),
        policy=policy,
        clock=setup.clock,
        pinned_key=policy.server_public_key,
        on_status=status,
        on_changes=changes,
        on_policy=policy_changed,
        timings=setup.timings,
        unlocked=session.result.profile,
    )


def tell_key_trusted(window: QWidget, key: str) -> None:
    """Trust on first use (no key pinned by policy): say so, with the key, once."""
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "Wardlink",
        "This computer has connected to this record server for the first time, and will "
        "recognise it from now on by its signing key:\n\n"
        f"{key}\n\nIf IT has given you a key to check, it should be this one.",
        QMessageBox.StandardButton.Ok,
        window,
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("keyTrusted")
    box.open()
