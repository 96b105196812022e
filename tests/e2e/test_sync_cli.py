"""`wardlink sync --profile U --once` as a subprocess against the live server, with the real OS
keyring: a private Secret Service (gnome-keyring under dbus-run-session), as `./dev run` uses on
a headless Linux box. Each run gets its own D-Bus session; the keyring file persists in the
test's XDG data folder, so the next run finds the device secret the first one stored."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sync.live_server import LiveServer
from wardlink_server.serve import bind

from .clients import Device, assert_exactly_once

ROOT = Path(__file__).parents[2]
QUEUE = Path(__file__).with_name("queue_message.py")
# Starts an unlocked Secret Service in this D-Bus session, then runs the command.
WRAPPER = (
    'gnome-keyring-daemon --unlock --components=secrets <"$1" >/dev/null 2>&1; shift; exec "$@"'
)


@pytest.fixture(scope="session")
def secret_service() -> None:
    """gnome-keyring and dbus, installed here if missing and allowed (as root)."""
    wanted = ("gnome-keyring-daemon", "dbus-run-session")
    if all(shutil.which(tool) for tool in wanted):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq",
                                                       "gnome-keyring", "dbus"]):  # fmt: skip
            subprocess.run(command, check=True, capture_output=True, timeout=600)
    if not all(shutil.which(tool) for tool in wanted):
        pytest.fail(
            "The command-line sync tests need a Secret Service: install gnome-keyring and dbus "
            "(e.g. 'sudo apt-get install gnome-keyring dbus')."
        )


@pytest.fixture
def keyring_run(
    secret_service: None, tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    unlock = tmp_path / "keyring-password"
    unlock.write_text("test keyring\n")

    def run(
        command: list[str], stdin: str, *, keyring: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        if keyring:
            argv = ["dbus-run-session", "--", "bash", "-c", WRAPPER, "_", str(unlock), *command]
        else:
            argv = command
            env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=60, cwd=ROOT, env=env
        )

    return run


def _sync(data: Path, who: str, server: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "wardlink", "sync", "--profile", who, "--once",
            "--server", server, "--data-dir", str(data), *extra]  # fmt: skip


def _figures(output: str) -> dict[str, int]:
    found = {}
    for line in output.splitlines():
        key, _, value = line.strip().partition(": ")
        if key in ("sent", "received", "still queued"):
            found[key] = int(value)
    return found


def test_sign_in_sync_and_send_queued_work_from_the_command_line(
    live_server: LiveServer,
    team: tuple[str, str],
    make_device: Callable[..., Device],
    keyring_run: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    nurse = live_server.new_staff("cli", teams=(team[1],))
    colleague = make_device(live_server.new_staff(teams=(team[1],)))
    colleague.engine.start()
    earlier = colleague.write(team[0], "written before the laptop was set up", "and another")
    colleague.engine.poke()
    colleague.watch.wait_for(lambda: colleague.pending() == 0, "sent")
    data = tmp_path / "wardlink-data"

    first = keyring_run(_sync(data, nurse.username, live_server.url), nurse.password + "\n")
    assert first.returncode == 0, first.stderr
    assert "set up on this computer" in first.stdout
    assert _figures(first.stdout) == {"sent": 0, "received": 2, "still queued": 0}
    assert "signing key" in first.stdout  # trusted on first use: the user is told
    assert nurse.password not in first.stdout + first.stderr

    later = colleague.write(team[0], "news since")
    colleague.engine.poke()
    colleague.watch.wait_for(lambda: colleague.pending() == 0, "sent")
    queued = keyring_run(
        [sys.executable, str(QUEUE), str(data), nurse.username, team[0], "sent from a script"],
        nurse.password + "\n",
    )
    assert queued.returncode == 0, queued.stderr
    mine = queued.stdout.split()

    second = keyring_run(_sync(data, nurse.id, live_server.url), nurse.password + "\n")
    assert second.returncode == 0, second.stderr
    assert "opened offline" in second.stdout  # by staff id this time, with the local password
    assert _figures(second.stdout) == {"sent": 1, "received": 2, "still queued": 0}
    assert_exactly_once(live_server, team[0], set(earlier + later + mine))


def test_command_line_failures_are_plain_with_their_exit_status(
    live_server: LiveServer,
    team: tuple[str, str],
    keyring_run: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    nurse = live_server.new_staff("cli", teams=(team[1],))
    data = tmp_path / "wardlink-data"
    sock = bind("127.0.0.1", 0)
    dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()

    wrong = keyring_run(_sync(data, nurse.username, live_server.url), "not my password\n")
    assert wrong.returncode == 1
    assert "Traceback" not in wrong.stderr and "not my password" not in wrong.stderr
    assert "password" in wrong.stderr.lower()

    offline = keyring_run(_sync(data, nurse.username, dead), nurse.password + "\n")
    assert offline.returncode == 1 and "Offline" in offline.stderr, offline.stderr

    set_up = keyring_run(_sync(data, nurse.username, live_server.url), nurse.password + "\n")
    assert set_up.returncode == 0, set_up.stderr
    offline = keyring_run(_sync(data, nurse.username, dead), nurse.password + "\n")
    assert offline.returncode == 1 and "Offline" in offline.stderr, offline.stderr
    assert "Traceback" not in offline.stderr

    base = [sys.executable, "-m", "wardlink", "sync", "--profile", nurse.username]
    no_server = keyring_run([*base, "--once", "--data-dir", str(data)], "x\n")
    assert no_server.returncode == 2 and "--server" in no_server.stderr  # none in the policy
    not_once = keyring_run([*base, "--server", live_server.url], "x\n")
    assert not_once.returncode == 2 and "--once" in not_once.stderr
    insecure = keyring_run(_sync(data, nurse.username, "http://192.0.2.1:8080"), "x\n")
    assert insecure.returncode == 2 and "https://" in insecure.stderr
    no_profile = keyring_run([sys.executable, "-m", "wardlink", "sync", "--once"], "x\n")
    assert no_profile.returncode == 2

    no_keyring = keyring_run(
        _sync(tmp_path / "elsewhere", nurse.username, live_server.url),
        nurse.password + "\n",
        keyring=False,
    )
    assert no_keyring.returncode == 1 and "Traceback" not in no_keyring.stderr
    assert "key store" in no_keyring.stderr, no_keyring.stderr
