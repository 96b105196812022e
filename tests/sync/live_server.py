"""A real record server on 127.0.0.1 for the sync tests: uvicorn in a thread of the test process.

One per test session (DESIGN.md §8). Tests stay independent by making their own staff and teams
with unique names (`LiveServer.new_staff`, `new_team`). The socket is bound and listening before
uvicorn starts, so clients can connect at once: no waiting for start-up.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from wardlink.core.clock import Clock, SystemClock
from wardlink_server import directory
from wardlink_server.app import create_app
from wardlink_server.audit import CLI
from wardlink_server.config import MINIMAL_HASHING, ServerConfig
from wardlink_server.serve import bind, url_of
from wardlink_server.services import Services, build_services

PASSWORD = "correct horse"
_names = itertools.count(1)


@dataclass(frozen=True)
class StaffAccount:
    id: str
    username: str
    password: str


class LiveServer:
    """The record server, serving over real HTTP on a free loopback port."""

    def __init__(self, database: Path, *, clock: Clock | None = None, max_wait_s: float = 1.0):
        config = ServerConfig(
            database_url=f"sqlite:///{database}",
            password_hashing=MINIMAL_HASHING,
            max_wait_s=max_wait_s,
            clock=clock or SystemClock(),
        )
        self.services: Services = build_services(config)
        self._sock = bind("127.0.0.1", 0)
        self.url = url_of(self._sock, tls=False)
        self._server = uvicorn.Server(
            uvicorn.Config(
                create_app(self.services),
                access_log=False,
                log_level="warning",
                timeout_graceful_shutdown=1,
            )
        )
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            daemon=True,
            name="live-record-server",
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        self.services.engine.dispose()

    # -- making what a test needs ---------------------------------------------------------------

    def new_team(self, label: str = "Ward", kind: str = "ward") -> tuple[str, str]:
        """A team with a unique name; returns (id, name)."""
        name = f"{label} {next(_names)}"
        with self.services.writer.begin() as conn:
            team_id = directory.create_team(conn, self.services, CLI, name=name, kind=kind)
        return team_id, name

    def new_staff(
        self, label: str = "nurse", *, teams: tuple[str, ...] = (), role: str = "staff"
    ) -> StaffAccount:
        """A staff account with a unique username, in the given teams (by name)."""
        username = f"{label}{next(_names)}"
        with self.services.writer.begin() as conn:
            staff_id = directory.create_staff(
                conn,
                self.services,
                CLI,
                username=username,
                display_name=username.title(),
                role=role,
                password=PASSWORD,
            )
            for team in teams:
                directory.add_member(conn, self.services, CLI, team, username)
        self.services.notifier.notify()
        return StaffAccount(staff_id, username, PASSWORD)

    def admin(self, action: str, *args: str) -> None:
        """Run a directory action (e.g. "remove_member", team, username) as the command line."""
        with self.services.writer.begin() as conn:
            getattr(directory, action)(conn, self.services, CLI, *args)
        self.services.notifier.notify()
