"""The record server as a separate process (`wardlink-server serve`), so that a test can kill it
with SIGKILL mid-request and start it again on the same port and database.

The database is made and seeded in this process first (with minimal password hashing, so that
sign-ins are quick); afterwards the test reads it (`services.engine`) to check what was kept.
The port is drawn below the system's range for outgoing connections, so that no client socket
can be holding it while the server is down.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.sync.live_server import PASSWORD, StaffAccount
from wardlink_server import directory
from wardlink_server.audit import CLI
from wardlink_server.config import MINIMAL_HASHING, ServerConfig
from wardlink_server.services import Services, build_services

_names = itertools.count(1)


def _free_port(rng: random.Random) -> int:
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


class ServerProcess:
    """`wardlink-server serve` on 127.0.0.1:<port>, over a SQLite file; start, kill, start."""

    def __init__(self, database: Path, log: Path) -> None:
        self.database_url = f"sqlite:///{database}"
        self.services: Services = build_services(
            ServerConfig(database_url=self.database_url, password_hashing=MINIMAL_HASHING)
        )
        self.port = _free_port(random.Random())
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.starts = 0
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start serving; returns once the socket listens (clients may connect at once)."""
        assert self._process is None
        with self.log.open("a") as errors:
            command = [sys.executable, "-m", "wardlink_server", "serve"]
            command += ["--database", self.database_url, "--host", "127.0.0.1"]
            command += ["--port", str(self.port)]
            self._process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        assert line.strip().endswith(self.url), (line, self.log.read_text())
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: whatever the server was doing stops there."""
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        assert process.stdout is not None
        process.stdout.close()

    def close(self) -> None:
        self.kill()
        with contextlib.suppress(Exception):
            self.services.engine.dispose()

    # -- the directory (before start, or for a server that does not need waking) --------------

    def new_team(self, label: str = "Ward") -> tuple[str, str]:
        name = f"{label} {next(_names)}"
        with self.services.writer.begin() as conn:
            team_id = directory.create_team(conn, self.services, CLI, name=name, kind="ward")
        return team_id, name

    def new_staff(self, label: str, *, teams: tuple[str, ...]) -> StaffAccount:
        username = f"{label}{next(_names)}"
        with self.services.writer.begin() as conn:
            staff_id = directory.create_staff(
                conn, self.services, CLI, username=username, display_name=username.title(),
                role="staff", password=PASSWORD,
            )  # fmt: skip
            for team in teams:
                directory.add_member(conn, self.services, CLI, team, username)
        return StaffAccount(staff_id, username, PASSWORD)
