"""A record server with the demo health board, as a child process on a free loopback port.

For the screenshot tool and end-to-end checks: `wardlink-server demo` seeds a SQLite file, then
`wardlink-server serve --port 0` serves it and prints its address on its first line. It needs the
server extra installed (`pip install wardlink[server]`). No Qt here.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

LISTENING: Final = "wardlink-server listening on "
DEMO_PASSWORD: Final = "demo"  # noqa: S105 - the demo board's well-known password


class DemoServerFailed(Exception):
    """The demo server could not be started; `message` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _server_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "wardlink_server", *args]


@dataclass
class DemoServer:
    url: str
    database: Path
    process: subprocess.Popen[str]

    @classmethod
    @contextlib.contextmanager
    def running(cls, folder: Path) -> Iterator[DemoServer]:
        """Seed (once) and serve the demo board from `folder`; stopped on the way out."""
        server = cls.start(folder)
        try:
            yield server
        finally:
            server.stop()

    @classmethod
    def start(cls, folder: Path) -> DemoServer:
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "record-server.db"
        url = f"sqlite:///{database}"
        seeded = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            _server_command("demo", "--database", url),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if seeded.returncode != 0:
            raise DemoServerFailed(
                "The demo record server could not be seeded: "
                + (seeded.stderr.strip() or seeded.stdout.strip() or "no reason given")
            )
        process = subprocess.Popen(  # noqa: S603 - as above
            _server_command("serve", "--database", url, "--host", "127.0.0.1", "--port", "0"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if not first.startswith(LISTENING):
            process.kill()
            process.wait(10)
            raise DemoServerFailed("The demo record server did not start.")
        return cls(first.removeprefix(LISTENING), database, process)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop serving (the clients go offline); safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
