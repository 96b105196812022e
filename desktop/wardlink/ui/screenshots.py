"""`python -m wardlink.ui.screenshots OUT_DIR`: render the app's main screens to PNG, offscreen.

Each shot is a function of a running demo. Today the demo is a throwaway local profile filled
with ward chat through the store's own operations (`LocalDemo`); a demo against a local record
server, and the sign-in window's shot, slot into the same structure.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QEventLoop,
    QMessageLogContext,
    QPoint,
    QRect,
    QSize,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from wardlink.core.clock import ManualClock
from wardlink.store.database import Store
from wardlink.store.errors import WrongPassword
from wardlink.store.lane import DbLane
from wardlink.sync.status import SyncPhase, SyncStatus
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.mainwindow import MainWindow, SignedIn
from wardlink.ui.theme import NHS_DARK_GREY, Scheme, apply_theme

WINDOW_SIZE = (1280, 800)
DEMO_PASSWORD = "demo"  # noqa: S105 - the throwaway demo profile's password
NOW = dt.datetime(2026, 11, 26, 13, 20, tzinfo=dt.UTC)


def spin(milliseconds: int) -> None:
    """Run the event loop for a while (results from the DB lane arrive through it)."""
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Run the event loop until `condition` holds, then let layouts and repaints finish."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the demo did not settle in time")
        spin(10)
    spin(30)


@dataclass
class LocalDemo:
    """A throwaway profile (random key, temporary folder) with the demo history in it."""

    lane: DbLane
    bridge: Bridge
    clock: ManualClock
    me: SignedIn

    @classmethod
    @contextmanager
    def start(cls, now: dt.datetime = NOW) -> Iterator[LocalDemo]:
        clock = ManualClock(now)
        with tempfile.TemporaryDirectory(prefix="wardlink-shots-") as folder:
            path = Path(folder) / "wardlink.db"
            key = secrets.token_bytes(32)
            me = demo_history.ME
            lane = DbLane(lambda: Store.open(path, key, me=me.id, clock=clock))
            try:
                lane.wait_open()
                lane.call(demo_history.fill, now)
                lane.call(demo_history.settle_outbox)
                bridge = Bridge(lane)
                yield cls(lane, bridge, clock, SignedIn(me.id, me.display_name))
                bridge.shutdown()
            finally:
                lane.close()

    def window(self) -> MainWindow:
        window = MainWindow(
            self.bridge, self.me, verify_password=check_demo_password, clock=self.clock
        )
        window.team_list.prefer(demo_history.WARD.id)
        window.resize(*WINDOW_SIZE)
        window.show()
        self.settle(window)
        window.show_status(SyncStatus(SyncPhase.UP_TO_DATE))
        return window

    def settle(self, window: MainWindow) -> None:
        wait_until(
            lambda: (
                not self.bridge.busy
                and window.timeline_model.team_id is not None
                and not window.timeline_model.loading
            )
        )


def check_demo_password(password: str) -> None:
    if password != DEMO_PASSWORD:
        raise WrongPassword()


def grab(widget: QWidget, path: Path) -> Path:
    widget.grab().save(str(path))
    return path


def with_dialog(window: QWidget, dialog: QWidget, path: Path) -> Path:
    """The window with a dialog drawn over it where it sits (offscreen, windows are apart)."""
    picture = window.grab()
    painter = QPainter(picture)
    shade = QPixmap(picture.size())
    shade.fill(window.palette().color(window.backgroundRole()).darker(160))
    painter.setOpacity(0.35)
    painter.drawPixmap(0, 0, shade)
    painter.setOpacity(1.0)
    inner = dialog.grab()
    corner = QPoint((picture.width() - inner.width()) // 2, round(picture.height() * 0.1))
    painter.setPen(QPen(QColor(NHS_DARK_GREY), 1))
    painter.drawRect(QRect(corner - QPoint(1, 1), inner.size() + QSize(1, 1)))
    painter.drawPixmap(corner, inner)
    painter.end()
    picture.save(str(path))
    return path


# -- the shots ---------------------------------------------------------------------------------


def shot_main_window(demo: LocalDemo, out: Path) -> Path:
    window = demo.window()
    try:
        return grab(window, out / "main-window.png")
    finally:
        window.close()
        window.deleteLater()


def shot_composer_refusing(demo: LocalDemo, out: Path) -> Path:
    window = demo.window()
    try:
        window.composer.set_text("Can someone check the bloods for 943 476 5919 in bay 2?")
        window.composer.check_now()
        window.composer.edit.setFocus()
        demo.settle(window)
        return grab(window, out / "composer-refusing-nhs-number.png")
    finally:
        window.close()
        window.deleteLater()


def shot_lock_screen(demo: LocalDemo, out: Path) -> Path:
    window = demo.window()
    try:
        window.lock()
        wait_until(lambda: not demo.bridge.busy)
        return grab(window, out / "lock-screen.png")
    finally:
        window.close()
        window.deleteLater()


def shot_offline(demo: LocalDemo, out: Path) -> Path:
    demo.lane.call(demo_history.write_offline)
    window = demo.window()
    try:
        window.show_status(SyncStatus(SyncPhase.OFFLINE, reason="no network", to_send=2))
        demo.settle(window)
        return grab(window, out / "offline-queued.png")
    finally:
        window.close()
        window.deleteLater()


def shot_search(demo: LocalDemo, out: Path) -> Path:
    window = demo.window()
    try:
        window.open_search()
        dialog = window.search_dialog
        assert dialog is not None
        dialog.query.setText("bed 5")
        dialog.search_now()
        wait_until(lambda: not demo.bridge.busy and dialog.model.rowCount() > 0)
        return with_dialog(window, dialog, out / "search-results.png")
    finally:
        window.close()
        window.deleteLater()


def shot_main_window_dark(demo: LocalDemo, out: Path) -> Path:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, Scheme.DARK)
    window = demo.window()
    try:
        return grab(window, out / "main-window-dark.png")
    finally:
        window.close()
        window.deleteLater()
        apply_theme(app, Scheme.LIGHT)


# The sign-in window's shot joins these once it exists; order matters (offline adds messages).
SHOTS: tuple[Callable[[LocalDemo, Path], Path], ...] = (
    shot_main_window,
    shot_composer_refusing,
    shot_lock_screen,
    shot_search,
    shot_main_window_dark,
    shot_offline,
)


def render_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0]])
    apply_theme(app, Scheme.LIGHT)
    with LocalDemo.start() as demo:
        return [shot(demo, out) for shot in SHOTS]


def _quiet_offscreen(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Drop the offscreen platform's notes on what it cannot do; print anything else."""
    if not message.startswith("This plugin does not support"):
        print(message, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m wardlink.ui.screenshots OUT_DIR", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TZ", "Europe/London")
    if hasattr(time, "tzset"):
        time.tzset()
    qInstallMessageHandler(_quiet_offscreen)
    for path in render_all(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
