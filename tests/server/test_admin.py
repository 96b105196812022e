"""The admin API: admins only, strict bodies, each change visible and audited with its admin."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.server.conftest import PASSWORD, Directory, auth
from tests.server.direct_sign_in import token_for
from wardlink_server import directory, schema
from wardlink_server.services import Services

Tokens = Callable[[str], str]

ROUTES: list[tuple[str, str, dict[str, object] | None]] = [
    (
        "POST",
        "/api/v1/admin/staff",
        {"username": "erin", "display_name": "Erin", "password": "pw12"},
    ),
    ("POST", "/api/v1/admin/staff/bob/disable", None),
    ("POST", "/api/v1/admin/staff/bob/password", {"password": "new password"}),
    ("POST", "/api/v1/admin/teams", {"name": "Ward 9", "kind": "ward"}),
    ("PUT", "/api/v1/admin/teams/Ward 7 (Surgical)/members/dave", None),
    ("DELETE", "/api/v1/admin/teams/Ward 7 (Surgical)/members/bob", None),
    ("GET", "/api/v1/admin/devices", None),
    ("POST", "/api/v1/admin/devices/{device}/revoke", None),
    ("POST", "/api/v1/admin/tokens", {"username": "epr", "device_id": "epr-feed-1"}),
    ("GET", "/api/v1/admin/audit", None),
    ("GET", "/api/v1/admin/audit/verify", None),
]
OK = {"POST": (200, 201, 204), "PUT": (204,), "DELETE": (204,), "GET": (200,)}


@pytest.fixture
def tokens(services: Services, board: Directory) -> Tokens:
    return lambda username: token_for(services, board.staff[username])


def device_of(services: Services, username: str) -> str:
    with services.engine.connect() as conn:
        devices = directory.list_devices(conn, username)
    return str(devices[0]["id"])


def audit_actions(services: Services) -> list[tuple[str, str | None, str]]:
    with services.engine.connect() as conn:
        rows = conn.execute(select(schema.audit).order_by(schema.audit.c.seq)).mappings().all()
    return [(r["action"], r["actor_id"], r["subject"]) for r in rows]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_is_for_admins_only(
    client: TestClient,
    services: Services,
    tokens: Tokens,
    method: str,
    path: str,
    body: dict[str, object] | None,
) -> None:
    tokens("alice")  # alice's device, for the revoke route
    path = path.replace("{device}", device_of(services, "alice"))
    unauthenticated = client.request(method, path, json=body)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthenticated"
    for username in ("alice", "epr"):
        refused = client.request(method, path, json=body, headers=auth(tokens(username)))
        assert refused.status_code == 403, username
        assert refused.json()["error"]["code"] == "forbidden"
    allowed = client.request(method, path, json=body, headers=auth(tokens("admin")))
    assert allowed.status_code in OK[method], allowed.text


def test_create_staff_and_the_account_exists(
    client: TestClient, services: Services, tokens: Tokens
) -> None:
    admin = tokens("admin")
    body = {"username": "Erin", "display_name": "Erin Example", "role": "staff", "password": "pw12"}
    response = client.post("/api/v1/admin/staff", json=body, headers=auth(admin))
    assert response.status_code == 201
    staff_id = response.json()["id"]
    with services.engine.connect() as conn:
        row = directory.staff_by_username(conn, "erin")
    assert row["id"] == staff_id
    assert row["role"] == "staff"
    assert services.hasher.verify(row["password_hash"], "pw12")
    again = client.post("/api/v1/admin/staff", json=body, headers=auth(admin))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    feed = {"username": "pas-feed", "display_name": "PAS feed", "role": "integration"}
    assert client.post("/api/v1/admin/staff", json=feed, headers=auth(admin)).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": "Erin", "password": "pw12"}, "username"),
        ({"username": "erin", "password": "pw12"}, "display_name"),
        ({"username": 7, "display_name": "Erin", "password": "pw12"}, "username"),
        ({"username": "erin", "display_name": "Erin"}, "password"),
        ({"username": "erin", "display_name": "Erin", "password": "pw12", "admin": True}, "admin"),
        ({"username": "erin", "display_name": "Erin", "password": "pw12", "role": "boss"}, "role"),
        ({"username": "erin", "display_name": "Erin", "password": "pw"}, "password"),
        ({"username": "erin smith", "display_name": "Erin", "password": "pw12"}, "username"),
    ],
)
def test_create_staff_bodies_are_parsed_strictly(
    client: TestClient, tokens: Tokens, body: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/admin/staff", json=body, headers=auth(tokens("admin")))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == field
    assert "pw" not in error["message"]


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"text"', b"\xff\xfe"])
def test_malformed_bodies_are_a_400_in_the_one_shape(
    client: TestClient, tokens: Tokens, raw: bytes
) -> None:
    response = client.post(
        "/api/v1/admin/teams",
        content=raw,
        headers={**auth(tokens("admin")), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_disabling_an_account_wipes_its_devices(
    client: TestClient, services: Services, board: Directory, tokens: Tokens
) -> None:
    bob = tokens("bob")
    response = client.post("/api/v1/admin/staff/bob/disable", headers=auth(tokens("admin")))
    assert response.status_code == 204
    refused = client.get("/api/v1/admin/devices", headers=auth(bob))
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "account_disabled", "message": refused.json()["error"]["message"], "wipe": True,
    }  # fmt: skip
    missing = client.post("/api/v1/admin/staff/nobody/disable", headers=auth(tokens("admin")))
    assert missing.status_code == 404


def test_resetting_a_password_ends_the_sessions(
    client: TestClient, services: Services, tokens: Tokens
) -> None:
    bob = tokens("bob")
    response = client.post(
        "/api/v1/admin/staff/bob/password",
        json={"password": "a new one"},
        headers=auth(tokens("admin")),
    )
    assert response.status_code == 204
    assert client.get("/api/v1/admin/devices", headers=auth(bob)).status_code == 401
    with services.engine.connect() as conn:
        row = directory.staff_by_username(conn, "bob")
    assert services.hasher.verify(row["password_hash"], "a new one")
    assert PASSWORD != "a new one"


def test_teams_and_memberships(
    client: TestClient, services: Services, board: Directory, tokens: Tokens
) -> None:
    admin = tokens("admin")
    created = client.post(
        "/api/v1/admin/teams", json={"name": "District South", "kind": "community"},
        headers=auth(admin),
    )  # fmt: skip
    assert created.status_code == 201
    team_id = created.json()["id"]
    bad_kind = client.post(
        "/api/v1/admin/teams", json={"name": "X", "kind": "clinic"}, headers=auth(admin)
    )
    assert bad_kind.status_code == 400
    assert bad_kind.json()["error"]["field"] == "kind"
    taken = client.post("/api/v1/admin/teams", json={"name": "District South"}, headers=auth(admin))
    assert taken.status_code == 409

    member = f"/api/v1/admin/teams/{team_id}/members/dave"
    assert client.put(member, headers=auth(admin)).status_code == 204
    assert client.put(member, headers=auth(admin)).status_code == 204  # idempotent
    with services.engine.connect() as conn:
        assert directory.team_ids_of(conn, board.staff["dave"]) == [team_id]
        kinds = [
            r.type
            for r in conn.execute(
                select(schema.events.c.type).where(schema.events.c.team_id == team_id)
            )
        ]
    assert kinds == ["membership.added"]
    assert client.delete(member, headers=auth(admin)).status_code == 204
    assert client.delete(member, headers=auth(admin)).status_code == 404
    with services.engine.connect() as conn:
        assert directory.team_ids_of(conn, board.staff["dave"]) == []
        last = (
            conn.execute(select(schema.events).order_by(schema.events.c.seq.desc()).limit(1))
            .mappings()
            .one()
        )
    assert last["type"] == "membership.removed"
    assert json.loads(last["data"])["staff_id"] == board.staff["dave"]
    unknown = client.put(f"/api/v1/admin/teams/{team_id}/members/nobody", headers=auth(admin))
    assert unknown.status_code == 404
    integration = client.put(f"/api/v1/admin/teams/{team_id}/members/epr", headers=auth(admin))
    assert integration.status_code == 400


def test_devices_are_listed_and_a_revoked_device_is_wiped(
    client: TestClient, services: Services, tokens: Tokens
) -> None:
    alice, admin = tokens("alice"), tokens("admin")
    listed = client.get("/api/v1/admin/devices", headers=auth(admin)).json()["devices"]
    assert {d["username"] for d in listed} == {"alice", "admin"}
    only = client.get("/api/v1/admin/devices?username=alice", headers=auth(admin)).json()
    assert [d["username"] for d in only["devices"]] == ["alice"]
    device_id = only["devices"][0]["id"]
    assert only["devices"][0]["revoked_at"] is None
    nobody = client.get("/api/v1/admin/devices?username=nobody", headers=auth(admin))
    assert nobody.status_code == 404

    revoke = f"/api/v1/admin/devices/{device_id}/revoke"
    assert client.post(revoke, headers=auth(admin)).status_code == 204
    assert client.post(revoke, headers=auth(admin)).status_code == 204  # already revoked
    refused = client.get("/api/v1/blobs/" + "0" * 64, headers=auth(alice))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "device_revoked"
    assert refused.json()["error"]["wipe"] is True
    after = client.get("/api/v1/admin/devices?username=alice", headers=auth(admin)).json()
    assert after["devices"][0]["revoked_at"] is not None
    unknown = client.post("/api/v1/admin/devices/no-such-device/revoke", headers=auth(admin))
    assert unknown.status_code == 404


def test_tokens_are_issued_for_integration_accounts(
    client: TestClient, services: Services, board: Directory, tokens: Tokens
) -> None:
    admin = tokens("admin")
    body = {"username": "epr", "device_id": "epr-feed-1"}
    issued = client.post("/api/v1/admin/tokens", json=body, headers=auth(admin))
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert issued.json()["expires_at"] > services.now()
    # The token authenticates: an integration account is refused as not an admin, not as unknown.
    answer = client.get("/api/v1/admin/devices", headers=auth(token))
    assert answer.json()["error"]["code"] == "forbidden"
    too_long = {"username": "epr", "device_id": "x" * 37}
    refused = client.post("/api/v1/admin/tokens", json=too_long, headers=auth(admin))
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "device_id"
    missing = client.post("/api/v1/admin/tokens", json={"username": "epr"}, headers=auth(admin))
    assert missing.json()["error"]["field"] == "device_id"

    device_id = device_of(services, "epr")
    revoked = client.post(f"/api/v1/admin/devices/{device_id}/revoke", headers=auth(admin))
    assert revoked.status_code == 204
    again = client.post("/api/v1/admin/tokens", json=body, headers=auth(admin))
    assert again.status_code == 409


def test_every_action_is_audited_and_the_chain_verifies(
    client: TestClient, services: Services, board: Directory, tokens: Tokens
) -> None:
    admin = tokens("admin")
    admin_id = board.staff["admin"]
    before = len(audit_actions(services))
    client.post(
        "/api/v1/admin/staff",
        json={"username": "erin", "display_name": "Erin", "password": "pw12"},
        headers=auth(admin),
    )
    team_id = client.post("/api/v1/admin/teams", json={"name": "Ward 9"}, headers=auth(admin))
    team = team_id.json()["id"]
    client.put(f"/api/v1/admin/teams/{team}/members/erin", headers=auth(admin))
    client.delete(f"/api/v1/admin/teams/{team}/members/erin", headers=auth(admin))
    client.post("/api/v1/admin/staff/erin/password", json={"password": "pw34"}, headers=auth(admin))
    client.post("/api/v1/admin/staff/erin/disable", headers=auth(admin))
    client.post(f"/api/v1/admin/devices/{device_of(services, 'admin')}/revoke", headers=auth(admin))
    admin = token_for(services, admin_id, client_id="second-pc")  # the first PC was revoked
    client.post(
        "/api/v1/admin/tokens", json={"username": "epr", "device_id": "f1"}, headers=auth(admin)
    )
    made = audit_actions(services)[before:]
    assert [(action, actor) for action, actor, _ in made] == [
        ("admin.staff.create", admin_id),
        ("admin.team.create", admin_id),
        ("admin.membership.add", admin_id),
        ("admin.membership.remove", admin_id),
        ("admin.staff.reset_password", admin_id),
        ("admin.staff.disable", admin_id),
        ("admin.device.revoke", admin_id),
        ("admin.token.issue", admin_id),
    ]

    page = client.get("/api/v1/admin/audit?limit=3", headers=auth(admin)).json()
    assert [e["action"] for e in page["entries"]] == [
        "admin.token.issue", "admin.device.revoke", "admin.staff.disable",
    ]  # fmt: skip
    assert page["entries"][0]["actor"] == {"id": admin_id, "username": "admin"}
    assert page["entries"][0]["detail"]["device_id"]
    older = client.get(
        f"/api/v1/admin/audit?limit=3&before={page['next_before']}", headers=auth(admin)
    ).json()
    assert [e["action"] for e in older["entries"]] == [
        "admin.staff.reset_password", "admin.membership.remove", "admin.membership.add",
    ]  # fmt: skip
    everything = client.get("/api/v1/admin/audit?limit=1000", headers=auth(admin)).json()
    assert everything["next_before"] is None
    assert everything["entries"][0]["action"] == "admin.audit.read"  # reading it is audited
    seqs = [e["seq"] for e in everything["entries"]]
    assert seqs == sorted(seqs, reverse=True)
    assert client.get("/api/v1/admin/audit/verify", headers=auth(admin)).json() == {
        "intact": True, "problems": [],
    }  # fmt: skip

    with services.writer.begin() as conn:
        conn.execute(
            update(schema.audit)
            .where(schema.audit.c.action == "admin.staff.disable")
            .values(subject="someone else")
        )
    broken = client.get("/api/v1/admin/audit/verify", headers=auth(admin)).json()
    assert broken["intact"] is False
    assert any("contents changed" in p for p in broken["problems"])


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "before=0", "before=-1"])
def test_audit_paging_is_checked(client: TestClient, tokens: Tokens, query: str) -> None:
    response = client.get(f"/api/v1/admin/audit?{query}", headers=auth(tokens("admin")))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
