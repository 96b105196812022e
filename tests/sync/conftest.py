"""Sync tests run against the real record server on 127.0.0.1 (one per test session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .live_server import LiveServer


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("record-server") / "server.db")
    yield server
    server.stop()
