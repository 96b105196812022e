"""A token that passed is remembered briefly, and never past a change that refuses it.

Each test first makes a request that passes (so the token is remembered), then makes the change,
then expects the very next request to be refused as it would be without the cache.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, select

from tests.server.conftest import Directory, auth
from tests.server.direct_sign_in import token_for
from wardlink.core.clock import ManualClock
from wardlink_server import auth as auth_module
from wardlink_server import directory, schema
from wardlink_server.audit import CLI
from wardlink_server.services import Services

LEASE = "/api/v1/lease"


def _device_of(services: Services, username: str) -> str:
    with services.engine.connect() as conn:
        return str(directory.list_devices(conn, username)[0]["id"])


@pytest.fixture
def lookups(services: Services) -> Iterator[list[str]]:
    """The token lookups the server makes (statements that read the sessions table)."""
    seen: list[str] = []

    def note(_c: Connection, _cur: object, statement: str, *_rest: object) -> None:
        if "FROM sessions JOIN devices" in statement:
            seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", note)
    yield seen
    event.remove(services.engine, "before_cursor_execute", note)


def test_a_token_that_just_passed_is_not_looked_up_again(
    client: TestClient, board: Directory, services: Services, lookups: list[str]
) -> None:
    token = token_for(services, board.staff["alice"])
    for _ in range(3):
        assert client.get(LEASE, headers=auth(token)).status_code == 200
    assert len(lookups) == 1


def _admin(client: TestClient, services: Services, board: Directory) -> Callable[[str], None]:
    admin = token_for(services, board.staff["admin"])

    def post(path: str) -> None:
        answer = client.post(f"/api/v1/admin/{path}", headers=auth(admin))
        assert answer.status_code == 204, answer.text

    return post


CHANGES = ["revoke (API)", "revoke (directory)", "disable (API)", "disable (directory)",
           "password reset", "sign-out"]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_that_refuses_a_remembered_token_takes_effect_at_once(
    client: TestClient, board: Directory, services: Services, change: str
) -> None:
    token = token_for(services, board.staff["alice"])
    other = token_for(services, board.staff["bob"])
    for remembered in (token, other):
        assert client.get(LEASE, headers=auth(remembered)).status_code == 200
    admin = _admin(client, services, board)
    expected: tuple[int, str]
    if change.startswith("revoke"):
        device = _device_of(services, "alice")
        if change.endswith("(API)"):
            admin(f"devices/{device}/revoke")
        else:
            with services.writer.begin() as conn:
                directory.revoke_device(conn, services, CLI, device)
        expected = (403, "device_revoked")
    elif change.startswith("disable"):
        if change.endswith("(API)"):
            admin("staff/alice/disable")
        else:
            with services.writer.begin() as conn:
                directory.disable_staff(conn, services, CLI, "alice")
        expected = (403, "account_disabled")
    elif change == "password reset":
        with services.writer.begin() as conn:
            directory.reset_password(conn, services, CLI, "alice", "a brand new one")
        expected = (401, "unauthenticated")
    else:
        assert client.delete("/api/v1/sessions/current", headers=auth(token)).status_code == 204
        expected = (401, "unauthenticated")
    after = client.get(LEASE, headers=auth(token))
    assert (after.status_code, after.json()["error"]["code"]) == expected
    # Someone else's remembered token still works (looked up again).
    assert client.get(LEASE, headers=auth(other)).status_code == 200


def test_a_remembered_token_expires_on_time(
    client: TestClient, board: Directory, services: Services, clock: ManualClock
) -> None:
    token = token_for(services, board.staff["alice"])  # a session of one hour
    assert client.get(LEASE, headers=auth(token)).status_code == 200
    clock.advance(dt.timedelta(hours=1))
    expired = client.get(LEASE, headers=auth(token))
    assert (expired.status_code, expired.json()["error"]["code"]) == (401, "unauthenticated")


def test_the_device_is_still_seen_once_a_minute(
    client: TestClient, board: Directory, services: Services, clock: ManualClock
) -> None:
    token = token_for(services, board.staff["alice"])
    device = _device_of(services, "alice")
    d = schema.devices

    def last_seen() -> str:
        with services.engine.connect() as conn:
            return str(conn.execute(select(d.c.last_seen_at).where(d.c.id == device)).scalar())

    assert client.get(LEASE, headers=auth(token)).status_code == 200
    first = last_seen()
    clock.advance(dt.timedelta(minutes=2))
    assert client.get(LEASE, headers=auth(token)).status_code == 200
    assert last_seen() > first


def test_a_lookup_that_read_before_a_change_is_not_remembered(
    services: Services, board: Directory
) -> None:
    """A lookup racing a revocation: it read the row before the change committed, and must not
    leave what it read behind for later requests."""
    token = token_for(services, board.staff["alice"])
    token_hash = auth_module.hash_token(token)
    cache = auth_module.CACHE
    cache.forget()
    generation = cache.generation
    with services.engine.connect() as conn:
        caller, expires_at = auth_module._authenticate(conn, services, token_hash)
    done = threading.Event()

    def revoke() -> None:  # in another thread, as another request would
        with services.writer.begin() as conn:
            directory.revoke_device(conn, services, CLI, caller.device_id)
        done.set()

    threading.Thread(target=revoke).start()
    assert done.wait(10)
    cache.put(services, token_hash, caller, expires_at, generation)
    assert cache.get(services, token_hash) is None


def test_a_remembered_token_is_forgotten_within_a_second(
    services: Services, board: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What another process changes (the command line on SQLite) is seen within the TTL."""
    token_hash = auth_module.hash_token(token_for(services, board.staff["alice"]))
    cache = auth_module.CACHE
    with services.engine.connect() as conn:
        caller, expires_at = auth_module._authenticate(conn, services, token_hash)
    now = [1000.0]
    monkeypatch.setattr(auth_module.time, "monotonic", lambda: now[0])
    cache.put(services, token_hash, caller, expires_at, cache.generation)
    assert cache.get(services, token_hash) == caller
    now[0] += auth_module.CallerCache.TTL_S + 0.001
    assert cache.get(services, token_hash) is None


def test_a_lookup_that_read_while_a_change_was_committing_is_not_remembered(
    services: Services, board: Directory
) -> None:
    """The change's statement ran (and forgot everything) before this lookup began, but the
    lookup still read the row as it was before the commit."""
    token_hash = auth_module.hash_token(token_for(services, board.staff["alice"]))
    cache = auth_module.CACHE
    device = _device_of(services, "alice")
    with services.writer.begin() as writer:
        directory.revoke_device(writer, services, CLI, device)
        generation = cache.generation
        with services.engine.connect() as conn:
            caller, expires_at = auth_module._authenticate(conn, services, token_hash)
    cache.put(services, token_hash, caller, expires_at, generation)
    assert cache.get(services, token_hash) is None


def test_seeing_a_device_does_not_forget_remembered_tokens(
    services: Services, board: Directory
) -> None:
    """The once-a-minute last-seen write is the one write to these tables that refuses no one."""
    token_for(services, board.staff["alice"])
    generation = auth_module.CACHE.generation
    with services.writer.begin() as conn:
        conn.execute(auth_module._SEEN, {"device_id": _device_of(services, "alice"), "now": "x"})
    assert auth_module.CACHE.generation == generation
