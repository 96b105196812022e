"""End-to-end tests: the real record server on 127.0.0.1 (one per test session) and real
clients (sync engines, `run_once` loops, child processes, the command line) against it."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.sync.live_server import LiveServer, StaffAccount

from .clients import Device
from .fault_proxy import FaultProxy


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("e2e-record-server") / "server.db")
    yield server
    server.stop()


@pytest.fixture
def team(live_server: LiveServer) -> tuple[str, str]:
    return live_server.new_team()


@pytest.fixture
def make_proxy(live_server: LiveServer) -> Iterator[Callable[[], FaultProxy]]:
    """A fault proxy in front of the live server (closed after the test)."""
    made: list[FaultProxy] = []

    def make() -> FaultProxy:
        made.append(FaultProxy(live_server.url))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


@pytest.fixture
def make_device(live_server: LiveServer, tmp_path: Path) -> Iterator[Callable[..., Device]]:
    """`make_device(account, url=..., timings=..., ...)`: a signed-in PC (closed afterwards)."""
    made: list[Device] = []
    numbers = itertools.count()

    def make(account: StaffAccount, **options: object) -> Device:
        made.append(Device(tmp_path / f"pc{next(numbers)}", live_server, account, **options))  # type: ignore[arg-type]
        return made[-1]

    yield make
    # Stopped side by side: each stop may give a waiting long-poll up to half a second.
    closing = [threading.Thread(target=device.close) for device in made]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join()
