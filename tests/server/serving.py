"""`wardlink-server serve` as a real subprocess on 127.0.0.1:0, its log kept in a file."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from wardlink_server.config import DATABASE_ENV

START_TIMEOUT_S = 30.0


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then wait for a clean exit; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != DATABASE_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def serve(database_url: str, log_path: Path, *extra: str) -> ServerProcess:
    """Start a server and wait until it answers `/healthz`."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "wardlink_server", "serve", "--database", database_url,
             "--port", "0", *extra],
            stdout=subprocess.PIPE, stderr=log, text=True, env=environment(),
        )  # fmt: skip
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_S)
    first = process.stdout.readline() if ready else ""
    if not first.startswith("wardlink-server listening on "):
        process.kill()
        process.wait()
        raise AssertionError(f"the server did not start: {log_path.read_text()[-3000:]}")
    server = ServerProcess(process, first.split()[-1], log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(base_url=server.url, timeout=5) as client:
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                server.stop()
                raise AssertionError(f"the server never answered: {server.log()[-3000:]}")
            time.sleep(0.05)
