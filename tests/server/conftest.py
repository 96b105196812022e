"""Server test fixtures: a migrated template database copied per test, the app, a directory.

Every test that uses `services` runs twice: on SQLite and on PostgreSQL. The schema is migrated
once per test session into a template (a SQLite file; a PostgreSQL template database in a
throwaway cluster started once per session, see `postgres.py`); each test gets its own copy,
so tests stay independent and fast. Passwords hash at minimal Argon2id cost.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from wardlink.core.clock import ManualClock
from wardlink_server import directory
from wardlink_server.app import create_app
from wardlink_server.audit import CLI
from wardlink_server.config import MINIMAL_HASHING, ServerConfig
from wardlink_server.database import make_engine, migrate
from wardlink_server.schema import metadata
from wardlink_server.services import Services, build_services

from .postgres import Cluster, PostgresUnavailable, ensure_installed

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "server.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def pytest_collection_finish(session: pytest.Session) -> None:
    """Install PostgreSQL, if it is missing and a collected test needs it, before any test
    runs: an installation takes longer than one test may."""
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            with contextlib.suppress(PostgresUnavailable):  # the cluster fixture says so
                ensure_installed()
            return


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the session (started by the first test needing it)."""
    try:
        cluster = Cluster()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    atexit.register(cluster.stop)  # should the session end without its teardown
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database each server test runs on: every test using `services` runs on both."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database of this test's backend (dropped afterwards)."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("template_db")
        db = tmp_path / "server.db"
        shutil.copyfile(template, db)
        yield f"sqlite:///{db}"
        return
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.database()
    yield url
    cluster.drop(url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def services(database_url: str, clock: ManualClock) -> Iterator[Services]:
    config = ServerConfig(
        database_url=database_url,
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


def database_dump(services: Services) -> list[str]:
    """Every row of every table as text, on either backend (to search for what must not be kept)."""
    lines: list[str] = []
    with services.engine.connect() as conn:
        for table in metadata.sorted_tables:
            lines.extend(f"{table.name}: {tuple(row)!r}" for row in conn.execute(select(table)))
    return lines


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
