"""`python -m wardlink.ui.screenshots OUT_DIR`: the app's main screens as PNG, offscreen, against a
real record server.

It starts the record server with the demo health board (`DemoServer`: a child process on a free
loopback port), signs in as alice through the real sign-in window, lets the sync engine fetch
the demo ward's history, and then takes each shot in turn: sign-in, the main window, the
composer refusing an NHS number, search, the lock screen, the dark scheme, the offline state
with queued messages (the server stopped), and the sign-in window of a PC someone has used.

The profile is a throwaway one in a temporary folder. Its device secret is held in memory for
the run (`EphemeralDeviceSecrets`): an offscreen tool has no OS keyring to use, and the profile
is deleted afterwards anyway.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
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

from wardlink.store.profiles import Profiles
from wardlink.sync.engine import EngineTimings
from wardlink.sync.status import SyncPhase
from wardlink.ui.app_setup import AppSetup
from wardlink.ui.application import WardlinkApp
from wardlink.ui.demo_server import DEMO_PASSWORD, DemoServer
from wardlink.ui.mainwindow import MainWindow
from wardlink.ui.theme import NHS_DARK_GREY, Scheme, apply_theme

WINDOW_SIZE = (1280, 800)
SIGN_IN_SIZE = (900, 680)
TIMINGS = EngineTimings(long_poll_wait=5.0, backoff_base=0.2, backoff_cap=0.5)
OFFLINE_MESSAGES = (
    ("Bay 1 bed 2 is back from theatre, obs stable, on the ward at 14:05.", False),
    ("Bay 2 bed 3 BP dropping, FY1 needed back now: bleep 2345 not answered.", True),
)


class EphemeralDeviceSecrets:
    """Device secrets in memory, for a throwaway profile that lives as long as this run."""

    def __init__(self) -> None:
        self._secrets: dict[str, bytes] = {}

    def backend_id(self) -> str:
        return "wardlink.screenshots.memory"

    def get(self, account: str) -> bytes | None:
        return self._secrets.get(account)

    def set(self, account: str, secret: bytes) -> None:
        self._secrets[account] = secret

    def delete(self, account: str) -> None:
        self._secrets.pop(account, None)


def spin(milliseconds: int) -> None:
    """Run the event loop for a while (results from the lane and the engine arrive through it)."""
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Run the event loop until `condition` holds, then let layouts and repaints finish."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo did not settle in time{': ' + what if what else ''}")
        spin(20)
    spin(60)


def shrink(path: Path) -> Path:
    """Re-save as a 256-colour PNG: flat UI colours survive, and the file is a third the size
    (the README shows these)."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path


def grab(widget: QWidget, path: Path) -> Path:
    widget.grab().save(str(path))
    return shrink(path)


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
    return shrink(path)


@dataclass
class ServerDemo:
    """The app, signed in (or about to be) against the demo record server."""

    server: DemoServer
    wardlink: WardlinkApp

    @property
    def window(self) -> MainWindow:
        assert self.wardlink.running is not None, "not signed in"
        return self.wardlink.running.window

    def status_phase(self) -> SyncPhase | None:
        status = self.window.sync_status.status
        return None if status is None else status.phase

    def settle(self) -> None:
        """Until the engine is up to date and the open team's rows are painted."""
        window = self.window
        bridge = self.wardlink.running.bridge if self.wardlink.running else None
        wait_until(
            lambda: (
                bridge is not None
                and not bridge.busy
                and window.timeline_model.team_id is not None
                and not window.timeline_model.loading
            ),
            what="the timeline",
        )


# -- the shots, in order ------------------------------------------------------------------------


def shot_sign_in(demo: ServerDemo, out: Path) -> Path:
    screen = demo.wardlink.sign_in_window
    screen.resize(*SIGN_IN_SIZE)
    screen.show()
    screen.username.setText("alice")
    screen.new_password.setText(DEMO_PASSWORD)
    screen.server.setText(demo.server.url)
    screen.new_password.setFocus()
    spin(100)
    path = grab(screen, out / "sign-in.png")
    with_signal: list[object] = []
    demo.wardlink.session_opened.connect(with_signal.append)
    screen.submit()
    wait_until(lambda: bool(with_signal), timeout=60, what="the sign-in")
    window = demo.window
    window.resize(*WINDOW_SIZE)
    wait_until(lambda: demo.status_phase() is SyncPhase.UP_TO_DATE, what="the first sync")
    demo.settle()
    return path


def shot_main_window(demo: ServerDemo, out: Path) -> Path:
    demo.settle()
    return grab(demo.window, out / "main-window.png")


def shot_composer_refusing(demo: ServerDemo, out: Path) -> Path:
    window = demo.window
    window.composer.set_text("Can someone check the bloods for 943 476 5919 in bay 2?")
    window.composer.check_now()
    window.composer.edit.setFocus()
    demo.settle()
    path = grab(window, out / "composer-refusing-nhs-number.png")
    window.composer.set_text("")
    window.composer.check_now()
    return path


def shot_search(demo: ServerDemo, out: Path) -> Path:
    window = demo.window
    window.open_search()
    dialog = window.search_dialog
    assert dialog is not None
    dialog.query.setText("bay 3")
    dialog.search_now()
    running = demo.wardlink.running
    assert running is not None
    wait_until(lambda: not running.bridge.busy and dialog.model.rowCount() > 0, what="search")
    path = with_dialog(window, dialog, out / "search-results.png")
    dialog.close()
    return path


def shot_lock_screen(demo: ServerDemo, out: Path) -> Path:
    window = demo.window
    window.lock()
    spin(100)
    path = grab(window, out / "lock-screen.png")
    with_signal: list[object] = []
    window.unlocked.connect(lambda: with_signal.append(True))
    window.lock_screen.password.setText(DEMO_PASSWORD)
    window.lock_screen.unlock_button.click()
    wait_until(lambda: bool(with_signal), what="unlocking")
    demo.settle()
    return path


def shot_main_window_dark(demo: ServerDemo, out: Path) -> Path:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, Scheme.DARK)
    try:
        spin(100)
        demo.settle()
        return grab(demo.window, out / "main-window-dark.png")
    finally:
        apply_theme(app, Scheme.LIGHT)
        spin(50)


def shot_offline(demo: ServerDemo, out: Path) -> Path:
    demo.server.stop()
    window = demo.window
    wait_until(
        lambda: demo.status_phase() in (SyncPhase.OFFLINE, SyncPhase.ERROR), what="going offline"
    )
    for body, urgent in OFFLINE_MESSAGES:
        window.composer.set_text(body)
        window.composer.urgent.setChecked(urgent)
        window.composer.submit()
        wait_until(lambda: window.composer.text == "", what="queueing a message")
    wait_until(
        lambda: (
            window.sync_status.status is not None
            and window.sync_status.status.phase is SyncPhase.OFFLINE
            and window.sync_status.status.to_send >= len(OFFLINE_MESSAGES)
        ),
        what="the offline status",
    )
    demo.settle()
    window.timeline.scroll_to_newest()
    spin(100)
    return grab(window, out / "offline-queued.png")


def shot_sign_in_returning(demo: ServerDemo, out: Path) -> Path:
    demo.wardlink.switch_user()
    demo.wardlink.wait_idle(30)
    screen = demo.wardlink.sign_in_window
    screen.resize(*SIGN_IN_SIZE)
    spin(100)
    return grab(screen, out / "sign-in-shared-pc.png")


def shots() -> tuple[Callable[[ServerDemo, Path], Path], ...]:
    """Every shot, in the order taken (the note shots file a note, so they come while online)."""
    from wardlink.ui import note_screenshots as notes

    return (
        shot_sign_in,
        shot_main_window,
        shot_composer_refusing,
        shot_search,
        shot_lock_screen,
        shot_main_window_dark,
        notes.shot_move_to_note,
        notes.shot_wound_with_photo,
        notes.shot_news2,
        notes.shot_patient_view,
        shot_offline,
        shot_sign_in_returning,
    )


def render_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0]])
    apply_theme(app, Scheme.LIGHT)
    with (
        tempfile.TemporaryDirectory(prefix="wardlink-shots-") as folder,
        DemoServer.running(Path(folder) / "server") as server,
    ):
        setup = AppSetup(
            Profiles(Path(folder) / "data", EphemeralDeviceSecrets()),
            {},
            tray=False,
            timings=TIMINGS,
            device_name="Ward 7 nurses' station",
        )
        wardlink = WardlinkApp(setup)
        wardlink.start()
        demo = ServerDemo(server, wardlink)
        try:
            return [shot(demo, out) for shot in shots()]
        finally:
            wardlink.shutdown()
            wardlink.sign_in_window.close()
            wardlink.deleteLater()
            spin(50)


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
