"""Server test fixtures: a migrated template database copied per test, the app, a directory.

The schema is migrated once per test session into a template SQLite file; each test gets its
own copy, so tests stay independent and fast. Passwords hash at minimal Argon2id cost.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardlink.core.clock import ManualClock
from wardlink_server import directory
from wardlink_server.app import create_app
from wardlink_server.audit import CLI
from wardlink_server.config import MINIMAL_HASHING, ServerConfig
from wardlink_server.database import make_engine, migrate
from wardlink_server.services import Services, build_services

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "server.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def services(tmp_path: Path, template_db: Path, clock: ManualClock) -> Iterator[Services]:
    db = tmp_path / "server.db"
    shutil.copyfile(template_db, db)
    config = ServerConfig(
        database_url=f"sqlite:///{db}",
        password_hashing=MINIMAL_HASHING,
        max_wait_s=1.0,
        clock=clock,
    )
    built = build_services(config)
    yield built
    built.engine.dispose()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Directory:
    """The demo board in miniature: ids by username and team name, and a way to sign in."""

    services: Services
    staff: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)

    def sign_in(self, client: TestClient, username: str, *, device: str | None = None) -> str:
        response = client.post(
            "/api/v1/sessions",
            json={
                "username": username,
                "password": PASSWORD,
                "device": {
                    "id": device or str(uuid.uuid5(uuid.NAMESPACE_DNS, username)),
                    "name": f"{username}'s PC",
                    "platform": "linux",
                },
            },
        )
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        return token


@pytest.fixture
def board(services: Services) -> Directory:
    """admin; alice and bob in Ward 7; carol in Community Nursing North; dave in no team."""
    found = Directory(services)
    with services.writer.begin() as conn:
        for username, role in (
            ("admin", "admin"),
            ("alice", "staff"),
            ("bob", "staff"),
            ("carol", "staff"),
            ("dave", "staff"),
            ("epr", "integration"),
        ):
            found.staff[username] = directory.create_staff(
                conn,
                services,
                CLI,
                username=username,
                display_name=username.title(),
                role=role,
                password=PASSWORD,
            )
        found.teams["ward"] = directory.create_team(conn, services, CLI, name="Ward 7 (Surgical)")
        found.teams["community"] = directory.create_team(
            conn, services, CLI, name="Community Nursing North", kind="community"
        )
        for username in ("alice", "bob"):
            directory.add_member(conn, services, CLI, "Ward 7 (Surgical)", username)
        directory.add_member(conn, services, CLI, "Community Nursing North", "carol")
    return found


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
