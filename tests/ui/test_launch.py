"""Starting `wardlink`: no display is said plainly, an invalid policy names its key, one instance
per data folder (two folders run two), and the OS lock signals the app listens to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from wardlink.ui.instance_lock import ALREADY_RUNNING, InstanceLock
from wardlink.ui.launch import NO_DISPLAY, display_problem
from wardlink.ui.os_lock import OsLockWatcher, logind_session_path


def run_wardlink(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wardlink", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env.update(extra)
    return env


def test_display_problem_is_only_for_linux_without_a_display() -> None:
    assert display_problem({}, "linux") == NO_DISPLAY
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None
    assert display_problem({}, "darwin") is None


def test_without_a_display_wardlink_says_how_to_proceed() -> None:
    result = run_wardlink(clean_env())
    assert result.returncode == 1
    assert result.stderr.strip() == NO_DISPLAY
    assert "xvfb-run wardlink" in result.stderr
    assert "python -m wardlink.ui.screenshots OUT_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_machine_policy_stops_the_app_naming_the_key(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("idle_lock_minutes = 9000\n", "utf-8")
    result = run_wardlink(clean_env(QT_QPA_PLATFORM="offscreen", WARDLINK_POLICY_FILE=str(policy)))
    assert result.returncode == 2
    assert "machine policy" in result.stderr
    assert "idle_lock_minutes: must be a whole number of minutes between 1 and 480" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_one_instance_per_data_folder(tmp_path: Path) -> None:
    first, second = InstanceLock(tmp_path / "a"), InstanceLock(tmp_path / "a")
    other = InstanceLock(tmp_path / "b")
    try:
        assert first.acquire()
        assert not second.acquire()
        assert other.acquire()  # another data folder runs side by side
        first.release()
        assert second.acquire()  # free again once the first has gone
    finally:
        for lock in (first, second, other):
            lock.release()


def test_a_second_wardlink_on_the_same_data_folder_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    policy = tmp_path / "policy.toml"
    policy.write_text(f'data_dir = "{data}"\n', "utf-8")
    held = InstanceLock(data)
    assert held.acquire()
    try:
        result = run_wardlink(
            clean_env(QT_QPA_PLATFORM="offscreen", WARDLINK_POLICY_FILE=str(policy))
        )
    finally:
        held.release()
    assert result.returncode == 1
    assert result.stderr.startswith(ALREADY_RUNNING)
    assert "Traceback" not in result.stderr


def test_the_running_instance_is_asked_to_come_forward(qtbot: QtBot, tmp_path: Path) -> None:
    from wardlink.ui.instance_lock import ask_running_instance_to_show

    held = InstanceLock(tmp_path / "c")
    assert held.acquire()
    asked: list[bool] = []
    held.listen(lambda: asked.append(True))
    try:
        assert ask_running_instance_to_show(tmp_path / "c")
        qtbot.waitUntil(lambda: asked == [True], timeout=5000)
    finally:
        held.release()


def test_the_os_lock_signals_lock_the_app(qtbot: QtBot) -> None:
    watcher = OsLockWatcher()
    with qtbot.waitSignal(watcher.session_locked):
        watcher.screen_saver_changed(True)
    with qtbot.assertNotEmitted(watcher.session_locked):
        watcher.screen_saver_changed(False)  # the screen saver ending unlocks nothing
    with qtbot.waitSignal(watcher.session_locked):
        watcher.os_session_locked()
    watcher.stop()


@pytest.mark.parametrize(
    ("session_id", "path"),
    [
        ("c2", "/org/freedesktop/login1/session/c2"),
        ("2", "/org/freedesktop/login1/session/_32"),
        ("12", "/org/freedesktop/login1/session/_312"),
        ("a-b", "/org/freedesktop/login1/session/a_2db"),
    ],
)
def test_logind_session_paths_are_escaped_as_systemd_does(session_id: str, path: str) -> None:
    assert logind_session_path(session_id) == path
