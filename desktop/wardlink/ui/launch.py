"""`wardlink`: start the desktop app, or say plainly why it cannot start.

In order: a display to show windows on (on Linux, instead of letting Qt abort), the machine policy
(read once; an invalid one stops the app, naming the key, on stderr and in a message box where
one can be seen, rather than run with a wrong server address), the data folder (policy, else the
platform's user data folder), one instance per data folder, and the OS keyring (refused: the
sign-in window shows why). Qt is imported only once a display is known to exist.

`wardlink --smoke-start` (for installer checks) starts exactly so, shows the sign-in window and
exits 0 once it has painted, printing `wardlink: started`; where the app could not be used (no
keyring) it exits non-zero with the reason instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from wardlink.core import policy as policy_mod

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from wardlink.ui.application import WardlinkApp
    from wardlink.ui.instance_lock import InstanceLock

STARTED = "wardlink: started"
PROBLEM_TITLE = "Wardlink cannot start"
# A smoke start that has not painted its first window by then has failed.
SMOKE_PAINT_TIMEOUT_MS = 30_000
# Qt platforms on which nobody can see (or dismiss) a message box.
_UNSEEN_PLATFORMS = frozenset({"offscreen", "minimal"})

NO_DISPLAY = (
    "Wardlink needs a display to show its window, and none was found (neither DISPLAY nor "
    "WAYLAND_DISPLAY is set).\n"
    "  - In a desktop session, start Wardlink from there.\n"
    "  - On a machine without a screen, run it under a virtual display: xvfb-run wardlink\n"
    "  - Or render the app's screens to PNG files: python -m wardlink.ui.screenshots OUT_DIR"
)


def display_problem(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> str | None:
    """Why no window can be shown here, or None. Only Linux and the BSDs can lack a display:
    Windows and macOS always have one for a desktop app."""
    if not (platform.startswith("linux") or "bsd" in platform):
        return None
    if any(environ.get(name) for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")):
        return None
    return NO_DISPLAY


def data_dir_for(policy: policy_mod.Policy) -> Path:
    return policy_mod.data_folder(policy)


def can_show_message_box(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> bool:
    """Whether a message box here would be seen: a display, and not an invisible Qt platform."""
    qpa = environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if qpa in _UNSEEN_PLATFORMS:
        return False
    return display_problem(environ, platform) is None


def policy_problem(exc: policy_mod.PolicyError) -> str:
    where = policy_mod.machine_policy_source().describe()
    return (
        f"Wardlink cannot start: the machine policy is not valid ({where}).\n"
        f"  {exc.message}\n"
        "Ask IT to correct it."
    )


def start_problem_box(text: str) -> QMessageBox:
    """The message box that tells the user why the app cannot start (not yet shown): the first
    line of `text` as its message, the rest (the key and what to do) beneath it."""
    from PySide6.QtWidgets import QMessageBox

    headline, _, rest = text.partition("\n")
    box = QMessageBox(
        QMessageBox.Icon.Critical, PROBLEM_TITLE, headline, QMessageBox.StandardButton.Ok
    )
    details = "\n".join(line.strip() for line in rest.splitlines() if line.strip())
    if details:
        box.setInformativeText(details)
    box.setAccessibleName(PROBLEM_TITLE)
    box.setAccessibleDescription(text)
    return box


def report_start_problem(text: str) -> None:
    """On stderr always (IT's logs, a terminal), and in a message box where one can be seen."""
    print(text, file=sys.stderr)
    if not can_show_message_box():
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    start_problem_box(text).exec()
    del app


def start_app(argv: list[str] | None = None, *, smoke: bool = False) -> int:
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    try:
        machine = policy_mod.read_machine_policy()
        policy = policy_mod.merge(machine, None, None)
    except policy_mod.PolicyError as exc:
        if smoke:
            print(policy_problem(exc), file=sys.stderr)
        else:
            report_start_problem(policy_problem(exc))
        return 2
    data_dir = data_dir_for(policy)

    from PySide6.QtWidgets import QApplication

    from wardlink.ui.instance_lock import (
        ALREADY_RUNNING,
        InstanceLock,
        ask_running_instance_to_show,
    )

    app = QApplication.instance() or QApplication([sys.argv[0], *(argv or [])])
    lock = InstanceLock(data_dir)
    if not lock.acquire():
        shown = ask_running_instance_to_show(data_dir)
        print(
            f"{ALREADY_RUNNING} ({data_dir})"
            + (" Its window has been brought to the front." if shown else ""),
            file=sys.stderr,
        )
        return 1
    try:
        return _run(machine, data_dir, lock, smoke=smoke)
    finally:
        lock.release()
        del app


def _run(machine: Mapping[str, object], data_dir: Path, lock: InstanceLock, *, smoke: bool) -> int:
    from wardlink.store.device_secrets import (
        DeviceSecrets,
        KeyringDeviceSecrets,
        UnavailableDeviceSecrets,
    )
    from wardlink.store.errors import KeyringUnavailable
    from wardlink.store.profiles import Profiles
    from wardlink.ui.app_setup import AppSetup
    from wardlink.ui.application import run_app

    secrets: DeviceSecrets
    try:
        secrets = KeyringDeviceSecrets()
        keyring_problem = ""
    except KeyringUnavailable as exc:
        if smoke:
            print(f"{PROBLEM_TITLE}: {exc.message}", file=sys.stderr)
            return 1
        secrets = UnavailableDeviceSecrets(exc)
        keyring_problem = exc.message
    setup = AppSetup(Profiles(data_dir, secrets), machine, keyring_problem=keyring_problem)

    def on_start(wardlink: WardlinkApp) -> None:
        lock.listen(wardlink.show_window)
        if smoke:
            _exit_after_first_paint(wardlink)

    return run_app(setup, on_start=on_start)


def _exit_after_first_paint(wardlink: WardlinkApp) -> None:
    """End the event loop with 0 once the sign-in window has painted (1 if it never does)."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    found = QApplication.instance()
    assert isinstance(found, QApplication)
    app: QApplication = found
    window = wardlink.sign_in_window

    def started() -> None:
        print(STARTED, flush=True)
        app.exit(0)

    def never_painted() -> None:
        print(f"{PROBLEM_TITLE}: its window was never drawn.", file=sys.stderr)
        app.exit(1)

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            painted = event.type() == QEvent.Type.Paint
            if painted and isinstance(watched, QWidget) and watched.window() is window:
                app.removeEventFilter(self)
                deadline.stop()
                QTimer.singleShot(0, started)
            return False

    deadline = QTimer(app)
    deadline.setSingleShot(True)
    deadline.timeout.connect(never_painted)
    deadline.start(SMOKE_PAINT_TIMEOUT_MS)
    app.installEventFilter(FirstPaint(app))
