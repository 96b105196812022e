"""`wardlink --smoke-start` (the installer check: start as usual, exit 0 once the sign-in window
has painted) and how a start-up problem is shown: on stderr always, in a message box where one
can be seen."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from wardlink.ui import launch
from wardlink.ui.launch import (
    PROBLEM_TITLE,
    STARTED,
    can_show_message_box,
    report_start_problem,
    start_problem_box,
)

Run = Callable[..., subprocess.CompletedProcess[str]]
# What Qt's offscreen platform says about window hints it cannot honour (as in tests/ui).
OFFSCREEN_LIMITS = r"This plugin does not support (propagateSizeHints|raise|grabbing)"


def env_for(tmp_path: Path, policy: str = "") -> dict[str, str]:
    path = tmp_path / "policy.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n' + policy, "utf-8")
    return {"WARDLINK_POLICY_FILE": str(path), "QT_QPA_PLATFORM": "offscreen"}


def test_smoke_start_paints_the_sign_in_window_and_exits_0(
    run_wardlink: Run, tmp_path: Path
) -> None:
    result = run_wardlink("--smoke-start", env=env_for(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [STARTED]
    assert "Traceback" not in result.stderr
    assert (tmp_path / "data").is_dir()  # started for real: the data folder and its lock


def test_smoke_start_without_a_key_store_fails_with_the_reason(
    run_wardlink: Run, tmp_path: Path
) -> None:
    result = run_wardlink("--smoke-start", keyring=False, env=env_for(tmp_path))
    assert result.returncode == 1
    assert STARTED not in result.stdout
    assert result.stderr.startswith(f"{PROBLEM_TITLE}: This computer has no secure key store")


def test_smoke_start_with_an_invalid_policy_fails_naming_the_key(
    run_wardlink: Run, tmp_path: Path
) -> None:
    env = env_for(tmp_path, 'server_url = "http://records.example.nhs.uk"\n')
    result = run_wardlink("--smoke-start", env=env)
    assert result.returncode == 2
    assert "server_url: must use https://" in result.stderr
    assert "Traceback" not in result.stderr


def test_smoke_start_takes_no_command(run_wardlink: Run) -> None:
    result = run_wardlink("--smoke-start", "demo", keyring=False)
    assert result.returncode == 2
    assert "take no command" in result.stderr


@pytest.mark.parametrize(
    ("environ", "platform", "shown"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({}, "linux", False),
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "minimal"}, "win32", False),
        ({}, "win32", True),
        ({}, "darwin", True),
        ({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"}, "linux", True),
    ],
)
def test_a_message_box_only_where_it_can_be_seen(
    environ: dict[str, str], platform: str, shown: bool
) -> None:
    assert can_show_message_box(environ, platform) is shown


@pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)
def test_the_problem_box_says_why_plainly(qtbot: QtBot, tmp_path: Path) -> None:
    text = (
        "Wardlink cannot start: the machine policy is not valid (/etc/wardlink/policy.toml).\n"
        "  idle_lock_minutes: must be a whole number of minutes between 1 and 480\n"
        "Ask IT to correct it."
    )
    box = start_problem_box(text)
    qtbot.addWidget(box)
    assert box.windowTitle() == PROBLEM_TITLE
    assert box.text() == text.splitlines()[0]
    assert box.informativeText() == (
        "idle_lock_minutes: must be a whole number of minutes between 1 and 480\n"
        "Ask IT to correct it."
    )
    assert box.accessibleName() == PROBLEM_TITLE
    assert box.icon() is box.Icon.Critical
    box.show()
    wait_shown(qtbot, box)
    assert box.grab().save(str(tmp_path / "start-problem.png"))


def test_without_a_visible_display_the_problem_goes_to_stderr_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(launch, "start_problem_box", _must_not_be_called)
    report_start_problem("the reason")
    assert capsys.readouterr().err == "the reason\n"


@pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)
def test_with_a_display_the_problem_is_also_shown_in_a_box(
    qtbot: QtBot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    shown: list[str] = []

    def close_it() -> None:
        box = QApplication.activeModalWidget()
        if box is None:  # not up yet
            QTimer.singleShot(10, close_it)
            return
        shown.append(box.windowTitle())
        box.close()

    monkeypatch.setattr(launch, "can_show_message_box", lambda: True)
    QTimer.singleShot(0, close_it)
    report_start_problem("the reason")
    assert shown == [PROBLEM_TITLE]
    assert capsys.readouterr().err == "the reason\n"


def _must_not_be_called(text: str) -> None:
    raise AssertionError("no message box may be made here")
