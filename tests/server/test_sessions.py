"""Sign-in, sessions, devices, the signed lease, escrow and throttling (DESIGN.md §4)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import httpx2 as httpx
import pytest
from argon2 import PasswordHasher
from argon2 import Type as Argon2Type
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.server.conftest import PASSWORD, START, Directory, auth, database_dump
from wardlink.core.clock import ManualClock, format_timestamp
from wardlink.core.lease import public_key_b64, verify_lease
from wardlink.core.protocol import DeviceInfo, SessionRequest, SessionResponse
from wardlink_server import directory, events, schema, sessions
from wardlink_server.app import create_app
from wardlink_server.audit import CLI
from wardlink_server.config import MINIMAL_HASHING
from wardlink_server.errors import ApiError
from wardlink_server.services import Services, build_services

WINDOW = dt.timedelta(minutes=15)  # ServerConfig.failure_window_minutes
ESCROW_WINDOW = dt.timedelta(minutes=5)  # ServerConfig.escrow_window_minutes
DEVICE_A = str(uuid.UUID(int=0xA, version=4))
DEVICE_B = str(uuid.UUID(int=0xB, version=4))
KEY_1 = base64.b64encode(bytes(range(32))).decode()
KEY_2 = base64.b64encode(bytes(range(1, 33))).decode()


def body(username: str, password: str = PASSWORD, device: str = DEVICE_A) -> dict[str, Any]:
    return {
        "username": username,
        "password": password,
        "device": {"id": device, "name": "Ward 7 nurses' station", "platform": "windows"},
    }


def sign_in(
    client: TestClient, username: str, password: str = PASSWORD, device: str = DEVICE_A
) -> httpx.Response:
    return client.post("/api/v1/sessions", json=body(username, password, device))


def token_of(client: TestClient, username: str, device: str = DEVICE_A) -> str:
    response = sign_in(client, username, device=device)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def device_id_of(services: Services, staff_id: str, client_id: str) -> str:
    d = schema.devices
    with services.engine.connect() as conn:
        return str(
            conn.execute(
                select(d.c.id).where(d.c.staff_id == staff_id, d.c.client_id == client_id)
            ).scalar_one()
        )


def audit_actions(services: Services) -> list[dict[str, Any]]:
    with services.engine.connect() as conn:
        rows = conn.execute(select(schema.audit).order_by(schema.audit.c.seq)).mappings()
        return [dict(r) for r in rows]


@pytest.fixture
def other_address(services: Services) -> Iterator[TestClient]:
    """A client calling from another address than `client` does."""
    app = create_app(services)
    with TestClient(app, raise_server_exceptions=False, client=("10.2.0.7", 40000)) as c:
        yield c


# -- sign-in ------------------------------------------------------------------------------------


def test_sign_in_answers_the_protocols_session(
    client: TestClient, board: Directory, services: Services
) -> None:
    response = sign_in(client, "alice")
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    session = SessionResponse.from_json(response.json())
    alice = board.staff["alice"]
    assert session.staff.id == alice
    assert (session.staff.username, session.staff.display_name, session.staff.role) == (
        "alice",
        "Alice",
        "staff",
    )
    assert [(t.id, t.name, t.kind) for t in session.teams] == [
        (board.teams["ward"], "Ward 7 (Surgical)", "ward")
    ]
    assert session.policy == services.client_policy()
    assert session.policy["lock_after_hours"] == 72
    assert session.expires_at == format_timestamp(START + dt.timedelta(hours=12))
    with services.engine.connect() as conn:
        assert session.cursor == events.head(conn) > 0

    lease = session.lease
    assert verify_lease(lease, services.public_key_b64)
    assert services.public_key_b64 == public_key_b64(services.signing_key)
    assert lease.device_id == device_id_of(services, alice, DEVICE_A) != DEVICE_A
    assert lease.staff_id == alice
    assert lease.issued_at == format_timestamp(START)
    assert lease.lock_after == format_timestamp(START + dt.timedelta(hours=72))
    assert lease.wipe_after == format_timestamp(START + dt.timedelta(days=30))

    assert client.get("/api/v1/lease", headers=auth(session.token)).status_code == 200
    created = [a for a in audit_actions(services) if a["action"] == "session.create"]
    assert [(a["actor_id"], a["device_id"], a["subject"]) for a in created] == [
        (alice, lease.device_id, alice)
    ]


def test_the_cursor_is_the_head_at_sign_in(
    client: TestClient, board: Directory, services: Services
) -> None:
    first = sign_in(client, "dave").json()
    assert first["teams"] == []
    with services.writer.begin() as conn:
        directory.add_member(conn, services, CLI, "Ward 7 (Surgical)", "dave")
    second = sign_in(client, "dave").json()
    assert second["cursor"] == first["cursor"] + 1
    assert [t["id"] for t in second["teams"]] == [board.teams["ward"]]


def test_usernames_are_matched_as_they_were_made(client: TestClient, board: Directory) -> None:
    assert sign_in(client, "  Alice ").status_code == 201


def test_the_device_record_follows_the_install(
    client: TestClient, board: Directory, services: Services
) -> None:
    first = sign_in(client, "alice").json()["lease"]["device_id"]
    renamed = body("alice")
    renamed["device"]["name"] = "Bay 2 laptop"
    again = client.post("/api/v1/sessions", json=renamed).json()["lease"]["device_id"]
    other = sign_in(client, "alice", device=DEVICE_B).json()["lease"]["device_id"]
    assert first == again != other
    with services.engine.connect() as conn:
        names = {d["id"]: d["name"] for d in directory.list_devices(conn, "alice")}
    assert names[first] == "Bay 2 laptop"


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: TestClient, board: Directory, services: Services
) -> None:
    with services.writer.begin() as conn:
        directory.create_staff(conn, services, CLI, username="nopass", display_name="No Pass")
    answers = [
        sign_in(client, "alice", "not the password"),
        sign_in(client, "nobody-here"),
        sign_in(client, "nopass"),
    ]
    assert {a.status_code for a in answers} == {401}
    assert all(a.json() == answers[0].json() for a in answers)
    assert error_of(answers[0])["code"] == "bad_credentials"
    assert all(dict(a.headers) == dict(answers[0].headers) for a in answers)


class CountingHasher(PasswordHasher):
    """Counts Argon2id computations: what the time of an answer depends on."""

    def __init__(self) -> None:
        super().__init__(
            time_cost=MINIMAL_HASHING.time_cost,
            memory_cost=MINIMAL_HASHING.memory_cost,
            parallelism=MINIMAL_HASHING.parallelism,
            type=Argon2Type.ID,
        )
        self.computations = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.computations += 1
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.computations += 1
        return super().verify(hash, password)


def test_an_unknown_user_costs_one_hash_like_a_wrong_password(
    client: TestClient, board: Directory, services: Services
) -> None:
    counting = CountingHasher()
    services.hasher = counting
    costs = []
    for username, password in (("alice", "not it"), ("nobody", "not it"), ("alice", PASSWORD)):
        before = counting.computations
        sign_in(client, username, password)
        costs.append(counting.computations - before)
    assert costs == [1, 1, 1]


def test_an_outdated_hash_is_replaced_at_sign_in(
    client: TestClient, board: Directory, services: Services
) -> None:
    services.hasher = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    assert sign_in(client, "alice").status_code == 201
    st = schema.staff
    with services.engine.connect() as conn:
        stored = conn.execute(
            select(st.c.password_hash).where(st.c.id == board.staff["alice"])
        ).scalar_one()
    assert not services.hasher.check_needs_rehash(stored)
    assert "t=2" in stored
    assert sign_in(client, "alice", device=DEVICE_B).status_code == 201


def test_an_integration_account_cannot_sign_in_with_a_password(
    client: TestClient, board: Directory
) -> None:
    right = sign_in(client, "epr")
    assert right.status_code == 403
    assert error_of(right)["code"] == "forbidden"
    assert "wipe" not in error_of(right)
    # A wrong password says nothing about what kind of account it is.
    assert error_of(sign_in(client, "epr", "guess"))["code"] == "bad_credentials"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "alice", "password": PASSWORD}, "device"),
        ({"username": "alice", "device": body("a")["device"]}, "password"),
        ({**body("alice"), "device": {**body("a")["device"], "id": "PC-7"}}, "device.id"),
        ([], ""),
    ],
)
def test_a_malformed_sign_in_is_refused_naming_the_field(
    client: TestClient, board: Directory, payload: object, field: str
) -> None:
    response = client.post("/api/v1/sessions", json=payload)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"
    assert error_of(response)["field"] == field
    assert PASSWORD not in response.text


def test_a_sign_in_that_is_not_json_or_too_large_is_refused(
    client: TestClient, board: Directory
) -> None:
    not_json = client.post("/api/v1/sessions", content=b"{username: alice")
    assert (not_json.status_code, error_of(not_json)["code"]) == (400, "invalid")
    huge = client.post("/api/v1/sessions", json=body("alice", "x" * 100_000))
    assert (huge.status_code, error_of(huge)["code"]) == (413, "too_large")


@pytest.mark.parametrize("field", ["username", "password", "device.name"])
def test_text_that_is_not_unicode_is_refused_not_crashed_on(
    client: TestClient, board: Directory, field: str
) -> None:
    payload = body("alice")
    if field == "device.name":
        payload["device"]["name"] = "LONE"
    else:
        payload[field] = "LONE"
    raw = json.dumps(payload).replace('"LONE"', '"\\ud800"')  # valid JSON, invalid text
    response = client.post("/api/v1/sessions", content=raw.encode())
    assert (response.status_code, error_of(response)["code"]) == (400, "invalid")
    assert error_of(response)["field"] == field


# -- disabled accounts, revoked devices, expiry, sign-out ---------------------------------------


def _disable(services: Services, username: str) -> None:
    with services.writer.begin() as conn:
        directory.disable_staff(conn, services, CLI, username)


def test_a_disabled_account_is_told_to_wipe(
    client: TestClient, board: Directory, services: Services
) -> None:
    token = token_of(client, "alice")
    _disable(services, "alice")
    on_route = client.get("/api/v1/lease", headers=auth(token))
    at_sign_in = sign_in(client, "alice")
    for response in (on_route, at_sign_in):
        assert response.status_code == 403
        assert error_of(response)["code"] == "account_disabled"
        assert error_of(response)["wipe"] is True
    # Without the right password the answer gives nothing away.
    assert error_of(sign_in(client, "alice", "guess"))["code"] == "bad_credentials"


def test_a_revoked_device_is_told_to_wipe(
    client: TestClient, board: Directory, services: Services
) -> None:
    token = token_of(client, "alice")
    device_id = device_id_of(services, board.staff["alice"], DEVICE_A)
    with services.writer.begin() as conn:
        directory.revoke_device(conn, services, CLI, device_id)
    on_route = client.get("/api/v1/lease", headers=auth(token))
    at_sign_in = sign_in(client, "alice")
    for response in (on_route, at_sign_in):
        assert response.status_code == 403
        assert error_of(response)["code"] == "device_revoked"
        assert error_of(response)["wipe"] is True
    # Another install of the same person is a different device, and signs in.
    assert sign_in(client, "alice", device=DEVICE_B).status_code == 201
    # Revoking alice's device does not touch bob's install with the same client id.
    assert sign_in(client, "bob").status_code == 201


def test_a_token_stops_working_when_it_expires(
    client: TestClient, board: Directory, clock: ManualClock
) -> None:
    token = token_of(client, "alice")
    clock.advance(dt.timedelta(hours=12) - dt.timedelta(milliseconds=1))
    assert client.get("/api/v1/lease", headers=auth(token)).status_code == 200
    clock.advance(dt.timedelta(milliseconds=1))
    expired = client.get("/api/v1/lease", headers=auth(token))
    assert (expired.status_code, error_of(expired)["code"]) == (401, "unauthenticated")


def test_sign_out_ends_only_that_token(
    client: TestClient, board: Directory, services: Services
) -> None:
    token = token_of(client, "alice")
    other = token_of(client, "alice", device=DEVICE_B)
    assert client.delete("/api/v1/sessions/current", headers=auth(token)).status_code == 204
    for call in (client.get, client.delete):
        url = "/api/v1/lease" if call == client.get else "/api/v1/sessions/current"
        after = call(url, headers=auth(token))
        assert (after.status_code, error_of(after)["code"]) == (401, "unauthenticated")
    assert client.get("/api/v1/lease", headers=auth(other)).status_code == 200
    assert "session.end" in [a["action"] for a in audit_actions(services)]


def test_signing_in_again_on_a_device_ends_its_earlier_session(
    client: TestClient, board: Directory
) -> None:
    """A PC that signed out offline signs in again: the session it could not end ends now."""
    left_behind = token_of(client, "alice")
    elsewhere = token_of(client, "alice", device=DEVICE_B)
    again = token_of(client, "alice")
    refused = client.get("/api/v1/lease", headers=auth(left_behind))
    assert (refused.status_code, error_of(refused)["code"]) == (401, "unauthenticated")
    for token in (again, elsewhere):  # another PC's session is its own
        assert client.get("/api/v1/lease", headers=auth(token)).status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("DELETE", "/api/v1/sessions/current"),
        ("GET", "/api/v1/lease"),
        ("PUT", "/api/v1/devices/current/escrow"),
        ("GET", "/api/v1/devices/current/escrow"),
    ],
)
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic YWxpY2U6eA=="])
def test_every_session_route_but_sign_in_needs_a_token(
    client: TestClient, board: Directory, method: str, url: str, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.request(method, url, headers=headers, json={"escrow_key": KEY_1})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_a_password_reset_ends_old_sessions_and_the_new_password_signs_in(
    client: TestClient, board: Directory, services: Services
) -> None:
    token = token_of(client, "alice")
    with services.writer.begin() as conn:
        directory.reset_password(conn, services, CLI, "alice", "a brand new one")
    assert client.get("/api/v1/lease", headers=auth(token)).status_code == 401
    assert error_of(sign_in(client, "alice"))["code"] == "bad_credentials"
    assert sign_in(client, "alice", "a brand new one").status_code == 201


# -- the lease ----------------------------------------------------------------------------------


def test_the_lease_is_renewed_from_now(
    client: TestClient, board: Directory, services: Services, clock: ManualClock
) -> None:
    first = SessionResponse.from_json(sign_in(client, "carol").json())
    clock.advance(dt.timedelta(hours=5))
    response = client.get("/api/v1/lease", headers=auth(first.token))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    renewed = SessionResponse.from_json({**first.to_json(), "lease": response.json()}).lease
    assert verify_lease(renewed, services.public_key_b64)
    assert (renewed.device_id, renewed.staff_id) == (first.lease.device_id, first.lease.staff_id)
    now = START + dt.timedelta(hours=5)
    assert renewed.issued_at == format_timestamp(now)
    assert renewed.lock_after == format_timestamp(now + dt.timedelta(hours=72))
    assert renewed.wipe_after == format_timestamp(now + dt.timedelta(days=30))


def test_a_lease_from_another_server_does_not_verify(
    client: TestClient, board: Directory, services: Services, tmp_path: Any
) -> None:
    lease = SessionResponse.from_json(sign_in(client, "alice").json()).lease
    other = build_services(
        services.config.__class__(
            **{**services.config.__dict__, "database_url": f"sqlite:///{tmp_path / 'other.db'}"}
        )
    )
    try:
        assert other.public_key_b64 != services.public_key_b64
        assert not verify_lease(lease, other.public_key_b64)
    finally:
        other.engine.dispose()


# -- throttling ---------------------------------------------------------------------------------


def _fail(client: TestClient, username: str, times: int = 5) -> None:
    for _ in range(times):
        response = sign_in(client, username, "wrong password")
        assert error_of(response)["code"] == "bad_credentials"


def test_an_account_is_throttled_after_repeated_failures_then_recovers(
    client: TestClient, other_address: TestClient, board: Directory, clock: ManualClock
) -> None:
    _fail(client, "alice")
    for c in (client, other_address):  # the account is throttled, wherever the call comes from
        refused = sign_in(c, "alice")  # even with the right password
        assert refused.status_code == 429
        assert error_of(refused)["code"] == "throttled"
        assert refused.headers["retry-after"] == str(int(WINDOW.total_seconds()))
        assert "alice" not in error_of(refused)["message"]
    assert sign_in(other_address, "bob").status_code == 201  # other accounts are not
    clock.advance(WINDOW - dt.timedelta(seconds=1))
    assert sign_in(other_address, "alice").headers["retry-after"] == "1"
    clock.advance(dt.timedelta(seconds=1))
    assert sign_in(other_address, "alice").status_code == 201


def test_an_address_is_throttled_after_failures_on_many_accounts(
    client: TestClient,
    other_address: TestClient,
    board: Directory,
    clock: ManualClock,
    services: Services,
) -> None:
    limit = services.config.max_address_failures
    assert limit > services.config.max_failures  # one hospital address, many staff
    for number in range(limit):
        _fail(client, f"guess{number}", times=1)
    refused = sign_in(client, "bob")
    assert (refused.status_code, error_of(refused)["code"]) == (429, "throttled")
    assert int(refused.headers["retry-after"]) == WINDOW.total_seconds()
    assert sign_in(other_address, "bob").status_code == 201  # from elsewhere bob signs in
    clock.advance(WINDOW)
    assert sign_in(client, "bob").status_code == 201


def test_staff_behind_one_address_are_not_throttled_by_each_others_typos(
    client: TestClient, board: Directory
) -> None:
    """A ward's PCs share one address: a few typos by several people block nobody else."""
    for username in ("alice", "carol", "dave"):
        _fail(client, username, times=4)
    for username in ("alice", "bob", "carol", "dave"):
        assert sign_in(client, username).status_code == 201


def test_a_right_password_resets_the_accounts_count(
    client: TestClient, other_address: TestClient, board: Directory
) -> None:
    _fail(client, "alice", times=4)
    assert sign_in(client, "alice").status_code == 201
    _fail(other_address, "alice", times=4)
    assert sign_in(other_address, "alice").status_code == 201


def test_failures_spread_over_more_than_a_window_are_not_throttled(
    client: TestClient, board: Directory, clock: ManualClock
) -> None:
    for _ in range(3):
        _fail(client, "alice", times=4)
        clock.advance(WINDOW)
    assert sign_in(client, "alice").status_code == 201


def test_throttling_holds_across_server_processes(
    client: TestClient, board: Directory, services: Services
) -> None:
    second = build_services(services.config)  # another process on the same database
    try:
        with TestClient(create_app(second), raise_server_exceptions=False) as elsewhere:
            _fail(client, "alice", times=3)
            _fail(elsewhere, "alice", times=2)
            assert sign_in(elsewhere, "alice").status_code == 429
            assert sign_in(client, "alice").status_code == 429
    finally:
        second.engine.dispose()


def test_a_burst_of_parallel_guesses_cannot_pass_the_limit(
    board: Directory, services: Services
) -> None:
    guess = SessionRequest("alice", "a guess", DeviceInfo(DEVICE_A, "PC", "linux"))

    def attempt(_: int) -> str:
        try:
            sessions.sign_in(services, guess, "10.9.9.9")
        except ApiError as refused:
            return refused.code
        return "signed in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(16)))
    assert sorted(codes) == sorted(["bad_credentials"] * 5 + ["throttled"] * 11)


def test_old_failure_rows_are_cleared(
    client: TestClient, board: Directory, services: Services, clock: ManualClock
) -> None:
    for n in range(4):
        _fail(client, f"user{n}", times=1)
    clock.advance(WINDOW)
    assert sign_in(client, "alice").status_code == 201
    with services.engine.connect() as conn:
        keys = list(conn.execute(select(schema.sign_in_failures.c.key)).scalars())
    assert keys == ["address:testclient"]  # what this latest attempt left; no stale accounts


# -- escrow -------------------------------------------------------------------------------------


def test_escrow_is_stored_once(client: TestClient, board: Directory, services: Services) -> None:
    token = token_of(client, "alice")
    url = "/api/v1/devices/current/escrow"
    assert client.put(url, headers=auth(token), json={"escrow_key": KEY_1}).status_code == 204
    assert client.put(url, headers=auth(token), json={"escrow_key": KEY_1}).status_code == 204
    clash = client.put(url, headers=auth(token), json={"escrow_key": KEY_2})
    assert (clash.status_code, error_of(clash)["code"]) == (409, "conflict")
    assert KEY_2 not in clash.text
    got = client.get(url, headers=auth(token))
    assert got.json() == {"escrow_key": KEY_1}
    assert [a["action"] for a in audit_actions(services)].count("escrow.store") == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"escrow_key": base64.b64encode(b"short").decode()},
        {"escrow_key": "not base64!"},
        {"escrow_key": 42},
        {},
    ],
)
def test_a_malformed_escrow_key_is_refused(
    client: TestClient, board: Directory, payload: dict[str, object]
) -> None:
    token = token_of(client, "alice")
    response = client.put("/api/v1/devices/current/escrow", headers=auth(token), json=payload)
    assert (response.status_code, error_of(response)["code"]) == (400, "invalid")
    assert error_of(response)["field"] == "escrow_key"


def test_escrow_is_released_only_soon_after_a_password_sign_in(
    client: TestClient, board: Directory, services: Services, clock: ManualClock
) -> None:
    url = "/api/v1/devices/current/escrow"
    token = token_of(client, "alice")
    assert error_of(client.get(url, headers=auth(token)))["code"] == "not_found"
    client.put(url, headers=auth(token), json={"escrow_key": KEY_1})
    clock.advance(ESCROW_WINDOW - dt.timedelta(milliseconds=1))
    assert client.get(url, headers=auth(token)).json() == {"escrow_key": KEY_1}
    clock.advance(dt.timedelta(milliseconds=1))
    late = client.get(url, headers=auth(token))
    assert (late.status_code, error_of(late)["code"]) == (403, "forbidden")
    assert "wipe" not in error_of(late)
    assert KEY_1 not in late.text
    # A fresh password sign-in on the same device opens the window again.
    fresh = token_of(client, "alice")
    assert client.get(url, headers=auth(fresh)).json() == {"escrow_key": KEY_1}
    releases = [a for a in audit_actions(services) if a["action"] == "escrow.release"]
    device_id = device_id_of(services, board.staff["alice"], DEVICE_A)
    assert [(a["actor_id"], a["device_id"], a["subject"]) for a in releases] == [
        (board.staff["alice"], device_id, device_id)
    ] * 2


def test_escrow_never_goes_to_another_devices_session(
    client: TestClient, board: Directory, services: Services
) -> None:
    url = "/api/v1/devices/current/escrow"
    client.put(url, headers=auth(token_of(client, "alice")), json={"escrow_key": KEY_1})
    other_install = token_of(client, "alice", device=DEVICE_B)
    bob = token_of(client, "bob")  # same client id as alice's first install
    for token in (other_install, bob):
        answer = client.get(url, headers=auth(token))
        assert (answer.status_code, error_of(answer)["code"]) == (404, "not_found")
    # Each device keeps its own key.
    client.put(url, headers=auth(other_install), json={"escrow_key": KEY_2})
    assert client.get(url, headers=auth(other_install)).json() == {"escrow_key": KEY_2}


def test_escrow_is_never_released_to_an_issued_token(
    client: TestClient, board: Directory, services: Services
) -> None:
    with services.writer.begin() as conn:
        token, _ = directory.issue_token(conn, services, CLI, "epr", DEVICE_A)
    url = "/api/v1/devices/current/escrow"
    assert client.put(url, headers=auth(token), json={"escrow_key": KEY_1}).status_code == 204
    refused = client.get(url, headers=auth(token))
    assert (refused.status_code, error_of(refused)["code"]) == (403, "forbidden")


def test_escrow_reopens_a_profile_after_a_password_reset(
    client: TestClient, board: Directory, services: Services, clock: ManualClock
) -> None:
    url = "/api/v1/devices/current/escrow"
    client.put(url, headers=auth(token_of(client, "alice")), json={"escrow_key": KEY_1})
    clock.advance(dt.timedelta(days=2))
    with services.writer.begin() as conn:
        directory.reset_password(conn, services, CLI, "alice", "reset by the admin")
    fresh = sign_in(client, "alice", "reset by the admin").json()["token"]
    assert client.get(url, headers=auth(fresh)).json() == {"escrow_key": KEY_1}


# -- the password stays secret ------------------------------------------------------------------


def test_the_password_never_appears_in_answers_logs_or_the_database(
    client: TestClient, board: Directory, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret, wrong, typed_as_username = "Quartz-Zebra-7781", "Quartz-Wrong-1234", "Quartz-Oops-5678"
    with services.writer.begin() as conn:
        directory.create_staff(
            conn, services, CLI, username="erin", display_name="Erin", password=secret
        )
    answers = [
        sign_in(client, "erin", secret),
        sign_in(client, "erin", wrong),
        sign_in(client, typed_as_username.lower(), secret),
        client.post("/api/v1/sessions", json={**body("erin", secret), "device": {}}),
    ]
    token = answers[0].json()["token"]
    answers.append(client.get("/api/v1/lease", headers=auth(token)))
    answers.append(client.delete("/api/v1/sessions/current", headers=auth(token)))
    _disable(services, "erin")
    answers.append(sign_in(client, "erin", secret))
    assert [a.status_code for a in answers] == [201, 401, 401, 400, 200, 204, 403]

    seen = [a.text + str(dict(a.headers)) for a in answers] + [caplog.text]
    seen.extend(database_dump(services))
    seen.extend(str(a) for a in audit_actions(services))
    for text in seen:
        for value in (secret, wrong, typed_as_username, typed_as_username.lower()):
            assert value not in text
    assert token not in "".join(seen[1:])  # only its hash is kept
