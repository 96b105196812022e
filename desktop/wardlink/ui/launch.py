"""`wardlink`: start the desktop app, or say plainly why it cannot start.

In order: a display to show windows on (on Linux, instead of letting Qt abort), the machine policy
(read once; an invalid one stops the app, naming the key), the data folder (policy, else the
platform's user data folder), one instance per data folder, and the OS keyring (refused: the
sign-in window shows why). Qt is imported only once a display is known to exist.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from wardlink.core import policy as policy_mod

if TYPE_CHECKING:
    from wardlink.ui.instance_lock import InstanceLock

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
    return policy.data_dir or Path(platformdirs.user_data_dir("wardlink", appauthor=False))


def policy_problem(exc: policy_mod.PolicyError) -> str:
    where = policy_mod.machine_policy_source().describe()
    return (
        f"Wardlink cannot start: the machine policy ({where}) is not valid.\n"
        f"  {exc.message}\n"
        "Ask IT to correct it."
    )


def start_app(argv: list[str] | None = None) -> int:
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    try:
        machine = policy_mod.read_machine_policy()
        policy = policy_mod.merge(machine, None, None)
    except policy_mod.PolicyError as exc:
        print(policy_problem(exc), file=sys.stderr)
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
        return _run(machine, data_dir, lock)
    finally:
        lock.release()
        del app


def _run(machine: Mapping[str, object], data_dir: Path, lock: InstanceLock) -> int:
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
        secrets = UnavailableDeviceSecrets(exc)
        keyring_problem = exc.message
    setup = AppSetup(Profiles(data_dir, secrets), machine, keyring_problem=keyring_problem)

    return run_app(setup, on_start=lambda wardlink: lock.listen(wardlink.show_window))
