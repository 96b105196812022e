"""Self-test tests: the real record server on 127.0.0.1 (one per session), a private Secret
Service for the command-line runs, and an allowed in-memory key store for the in-process ones."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.keyring_doubles import DictBackend, named_backend
from tests.sync.live_server import LiveServer

ROOT = Path(__file__).parents[2]
# Starts an unlocked Secret Service in this D-Bus session, then runs the command.
WRAPPER = (
    'gnome-keyring-daemon --unlock --components=secrets <"$1" >/dev/null 2>&1; shift; exec "$@"'
)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("selftest-record-server") / "server.db")
    yield server
    server.stop()


@pytest.fixture
def allowed_keyring() -> DictBackend:
    return named_backend("keyring.backends.SecretService", "Keyring")


@pytest.fixture(scope="session")
def secret_service() -> None:
    wanted = ("gnome-keyring-daemon", "dbus-run-session")
    if not all(shutil.which(tool) for tool in wanted):
        pytest.fail(
            "The command-line self-test tests need a Secret Service: install gnome-keyring and "
            "dbus (e.g. 'sudo apt-get install gnome-keyring dbus')."
        )


@pytest.fixture
def run_wardlink(
    secret_service: None, tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_wardlink(*args, keyring=True, env={...})`: `python -m wardlink ARGS` in a D-Bus
    session of its own with an unlocked Secret Service (or with no key store at all)."""
    unlock = tmp_path / "keyring-password"
    unlock.write_text("test keyring\n")

    def run(
        *args: str, keyring: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        import sys

        environ = {**os.environ, **(env or {})}
        command = [sys.executable, "-m", "wardlink", *args]
        if keyring:
            command = ["dbus-run-session", "--", "bash", "-c", WRAPPER, "_", str(unlock), *command]
        else:
            environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return subprocess.run(
            command, capture_output=True, text=True, timeout=60, cwd=ROOT, env=environ,
            check=False,
        )  # fmt: skip

    return run
