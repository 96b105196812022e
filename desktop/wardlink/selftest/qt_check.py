"""Check (warning only): Qt loads and its platform plugins are where it will look for them.

Only QtCore is imported, and no window, application object or display connection is made, so the
check runs on a machine without a screen (over SSH, in a service).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from wardlink.selftest.report import CheckResult, Status

NAME = "qt"
# The platform plugin a desktop session needs, by platform ("lib…" on Linux and macOS).
NATIVE_PLUGIN: Final = {"win32": "qwindows", "darwin": "qcocoa", "linux": "qxcb"}


def check_qt(platform: str = sys.platform) -> CheckResult:
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import QLibraryInfo
    except ImportError as exc:
        return CheckResult(
            NAME,
            Status.WARN,
            f"The user interface library (PySide6) could not be loaded ({exc.name or 'unknown'}); "
            "the app will not open its window.",
        )
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    return judge_plugins(plugins, pyside_version, platform)


def judge_plugins(folder: Path, version: str, platform: str) -> CheckResult:
    try:
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
    except OSError:
        names = []
    if not names:
        return CheckResult(
            NAME,
            Status.WARN,
            f"Qt {version} loads, but its platform plugins are missing ({folder}): "
            "the app will not open its window. Reinstall Wardlink.",
        )
    key = "linux" if platform.startswith("linux") else platform
    native = NATIVE_PLUGIN.get(key)
    if native is not None and not any(_stem(name) == native for name in names):
        return CheckResult(
            NAME,
            Status.WARN,
            f"Qt {version} loads, but the platform plugin this system needs ({native}) is not "
            f"among those in {folder}. Reinstall Wardlink.",
        )
    return CheckResult(
        NAME, Status.PASS, f"Qt {version} loads; its platform plugins are in {folder}."
    )


def _stem(file_name: str) -> str:
    stem = file_name.split(".", 1)[0]
    return stem.removeprefix("lib")
