"""`wardlink-server` as an administrator runs it: real processes against a temp SQLite file."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from wardlink.core.guard import scan
from wardlink.core.identifiers import is_valid_nhs_number
from wardlink_server import cli, directory, schema
from wardlink_server.app import create_app
from wardlink_server.config import DATABASE_ENV, ServerConfig
from wardlink_server.database import make_engine
from wardlink_server.services import Services, build_services

SECRET = "s3cret-Horse-battery"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment for a child process: its user data folder inside the test's folder."""
    found = {k: v for k, v in os.environ.items() if k != DATABASE_ENV}
    found["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    found["HOME"] = str(tmp_path / "home")
    return found


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'board.db'}"


def wardlink_server(
    *args: str, env: dict[str, str], stdin: str = "", timeout: float = 50
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wardlink_server", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture
def opened(db: str) -> Iterator[Services]:
    """The database the commands wrote, opened in this process afterwards."""
    services = build_services(ServerConfig(database_url=db))
    yield services
    services.engine.dispose()


def test_create_staff_team_member_and_list_them(
    db: str, env: dict[str, str], tmp_path: Path
) -> None:
    made = wardlink_server(
        "admin", "create-staff", "--database", db, "--username", "Erin",
        "--display-name", "Erin Example", "--password-stdin", env=env, stdin=SECRET + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "erin" in made.stdout
    team = wardlink_server(
        "admin", "create-team", "--database", db, "--name", "Ward 9", "--kind", "ward", env=env
    )
    assert team.returncode == 0, team.stderr
    member = wardlink_server(
        "admin", "add-member", "--database", db, "--team", "Ward 9", "--username", "erin", env=env
    )
    assert member.returncode == 0, member.stderr
    token = wardlink_server(
        "admin", "issue-token", "--database", db, "--username", "erin", "--device-id", "bench-1",
        env=env,
    )  # fmt: skip
    assert token.returncode == 0, token.stderr
    issued = token.stdout.strip()
    assert len(issued) >= 40 and "\n" not in issued
    listed = wardlink_server(
        "admin", "list-devices", "--database", db, "--username", "erin", env=env
    )
    assert listed.returncode == 0
    assert "erin" in listed.stdout and "issued token" in listed.stdout
    audit = wardlink_server("admin", "audit", "--database", db, env=env)
    for action in ("admin.staff.create", "admin.team.create", "admin.membership.add",
                   "admin.token.issue"):  # fmt: skip
        assert action in audit.stdout
    verified = wardlink_server("admin", "audit", "--verify", "--database", db, env=env)
    assert verified.returncode == 0
    assert "intact" in verified.stdout

    services = build_services(ServerConfig(database_url=db))
    try:
        with services.engine.connect() as conn:
            erin = directory.staff_by_username(conn, "erin")
            assert erin["display_name"] == "Erin Example"
            assert erin["role"] == "staff"
            assert services.hasher.verify(erin["password_hash"], SECRET)
            ward9 = directory.team_by_name_or_id(conn, "Ward 9")
            assert directory.team_ids_of(conn, str(erin["id"])) == [ward9["id"]]
        with TestClient(create_app(services)) as client:
            answer = client.get(
                "/api/v1/admin/devices", headers={"Authorization": f"Bearer {issued}"}
            )
            assert answer.json()["error"]["code"] == "forbidden"  # a valid token, not an admin's
    finally:
        services.engine.dispose()

    for run in (made, team, member, listed, audit, verified):
        assert SECRET not in run.stdout + run.stderr


def test_a_password_is_never_echoed(
    db: str,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    create = ["admin", "create-staff", "--database", db, "--username", "fay"]
    assert cli.main([*create, "--display-name", "Fay", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
    assert cli.main(["admin", "reset-password", "--database", db, "--username", "fay",
                     "--password-stdin"]) == 1  # too short: refused  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "-2\n"))
    assert cli.main(["admin", "reset-password", "--database", db, "--username", "fay",
                     "--password-stdin"]) == 0  # fmt: skip
    assert cli.main(["admin", "audit", "--database", db]) == 0
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert "admin.staff.reset_password" in captured.out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["admin", "create-staff", "--display-name", "No Name"], "--username"),
        (["admin", "frobnicate"], "invalid choice"),
        (["admin", "create-team", "--name", "X", "--kind", "clinic"], "invalid choice"),
        (["serve", "--port", "70000"], "port"),
        (["admin", "audit", "--limit", "0"], "--limit"),
        ([], "COMMAND"),
    ],
)
def test_wrong_usage_exits_2_with_a_message(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["admin", "create-staff", "--username", "gus", "--display-name", "Gus"],
            "--password-stdin",
        ),
        (["serve", "--host", "0.0.0.0"], "--tls-cert"),
        (["serve", "--tls-cert", "cert.pem"], "--tls-key"),
    ],
)
def test_a_command_that_cannot_run_as_given_exits_2(
    db: str, args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([*args, "--database", db]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.startswith("wardlink-server ")


def test_a_refusal_exits_1_with_a_plain_message_and_no_traceback(
    db: str, env: dict[str, str]
) -> None:
    run = wardlink_server(
        "admin", "add-member", "--database", db, "--team", "Nowhere", "--username", "x", env=env
    )
    assert run.returncode == 1
    assert (
        run.stderr.strip() == "wardlink-server admin add-member: There is no team with that name."
    )
    bad_url = wardlink_server("migrate", "--database", "mysql://somewhere/db", env=env)
    assert bad_url.returncode == 1
    assert "Traceback" not in bad_url.stderr
    assert "sqlite" in bad_url.stderr


def test_the_database_comes_from_the_environment(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    env_db = tmp_path / "from-env.db"
    run = wardlink_server(
        "admin",
        "create-team",
        "--name",
        "Ward 10",
        env={**env, DATABASE_ENV: f"sqlite:///{env_db}"},
    )
    assert run.returncode == 0, run.stderr
    assert env_db.exists()
    default = wardlink_server("migrate", env=env)  # neither: the user data folder
    assert default.returncode == 0, default.stderr
    assert list((tmp_path / "xdg-data").rglob("wardlink-server.db"))


def test_audit_verify_fails_on_a_changed_entry(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["admin", "create-team", "--database", db, "--name", "Ward 11"]) == 0
    engine = make_engine(db)
    with engine.begin() as conn:
        conn.execute(update(schema.audit).values(subject="changed"))
    engine.dispose()
    capsys.readouterr()
    assert cli.main(["admin", "audit", "--verify", "--database", db]) == 1
    captured = capsys.readouterr()
    assert "contents changed" in captured.out
    assert "broken" in captured.err


def test_serve_on_port_0_prints_its_port_answers_and_stops_on_sigterm(
    db: str, env: dict[str, str]
) -> None:
    command = [sys.executable, "-m", "wardlink_server", "serve", "--database", db, "--port", "0"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline().strip()
            assert first.startswith("wardlink-server listening on http://127.0.0.1:"), first
            url = first.removeprefix("wardlink-server listening on ")
            assert int(url.rsplit(":", 1)[1]) > 0
            health = requests.get(f"{url}/healthz", timeout=10)
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
            missing = requests.get(f"{url}/api/v1/nothing?nhs=9990000018", timeout=10)
            assert missing.json()["error"]["code"] == "not_found"
            server.send_signal(signal.SIGTERM)
            out, err = server.communicate(timeout=20)
            assert server.returncode == 0, err
        finally:
            if server.poll() is None:
                server.kill()
    assert "GET /healthz 200" in err  # the app's own access log
    assert "9990000018" not in err + out  # query strings never reach the log
    assert '"GET /healthz' not in err + out  # uvicorn's access log is off
    assert "Traceback" not in err


DEMO_PASSWORD = "pw-demo-1"


def sign_in(client: TestClient, username: str) -> dict[str, object]:
    response = client.post(
        "/api/v1/sessions",
        json={"username": username, "password": DEMO_PASSWORD,
              "device": {"id": str(uuid.uuid4()), "name": "Test PC", "platform": "linux"}},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_demo_seeds_the_board_once(db: str, env: dict[str, str]) -> None:
    run = wardlink_server("demo", "--database", db, "--password", DEMO_PASSWORD, env=env)
    assert run.returncode == 0, run.stderr
    assert "Seeded the demo health board" in run.stdout
    assert DEMO_PASSWORD not in run.stdout + run.stderr
    again = wardlink_server("demo", "--database", db, env=env)
    assert again.returncode == 0, again.stderr
    assert "already seeded" in again.stdout

    services = build_services(ServerConfig(database_url=db))
    try:
        check_the_directory(services)
        check_the_history(services)
        with TestClient(create_app(services)) as client:
            check_sign_in_and_sync(client)
    finally:
        services.engine.dispose()


def check_the_directory(services: Services) -> None:
    with services.engine.connect() as conn:
        teams = {r.name: r.kind for r in conn.execute(select(schema.teams))}
        roles = {r.username: r.role for r in conn.execute(select(schema.staff))}
        teams_of = {
            name: sorted(
                directory.team_by_name_or_id(conn, team)["name"]
                for team in directory.team_ids_of(conn, str(staff_id))
            )
            for name, staff_id in conn.execute(select(schema.staff.c.username, schema.staff.c.id))
        }
    assert teams == {"Ward 7 (Surgical)": "ward", "Community Nursing North": "community"}
    assert roles == {
        "admin": "admin", "alice": "staff", "bob": "staff", "carol": "staff", "dave": "staff",
    }  # fmt: skip
    assert teams_of == {
        "admin": [], "alice": ["Ward 7 (Surgical)"], "bob": ["Ward 7 (Surgical)"],
        "carol": ["Community Nursing North"], "dave": [],
    }  # fmt: skip


def check_the_history(services: Services) -> None:
    m, n, e = schema.messages, schema.notes, schema.events
    with services.engine.connect() as conn:
        messages = conn.execute(select(m)).mappings().all()
        notes = conn.execute(select(n)).mappings().all()
        acked = conn.execute(select(func.count()).select_from(schema.acks)).scalar_one()
        photos = conn.execute(select(schema.note_photos.c.sha256)).scalars().all()
        stored = conn.execute(select(schema.blobs.c.sha256, schema.blobs.c.content_type)).all()
        message_events = conn.execute(
            select(func.count()).select_from(e).where(e.c.type == "message")
        ).scalar_one()
        note_events = conn.execute(
            select(func.count()).select_from(e).where(e.c.type == "note")
        ).scalar_one()
        problems = audit_problems(services)
    assert len(messages) >= 24
    assert message_events == len(messages)
    assert {str(r["team_id"]) for r in messages} == set(team_ids(services).values())
    urgent = [r for r in messages if r["priority"] == "urgent"]
    assert urgent and acked >= len(urgent)
    assert any(r["note_ref"] for r in messages)
    for row in messages:
        assert scan(row["body"]) == [], row["body"]
    assert note_events == len(notes) >= 6
    titles = {r["form_title"] for r in notes}
    assert {"SBAR handover", "NEWS2 observations", "Wound assessment"} <= titles
    for row in notes:
        assert row["patient_value"].startswith("999")
        assert is_valid_nhs_number(row["patient_value"])
        assert row["authored"] < services.now()
    assert photos and set(photos) <= {sha for sha, _ in stored}
    assert {kind for _, kind in stored} == {"image/jpeg"}
    assert problems == []


def audit_problems(services: Services) -> list[str]:
    from wardlink_server import audit

    with services.engine.connect() as conn:
        return audit.verify(conn)


def team_ids(services: Services) -> dict[str, str]:
    with services.engine.connect() as conn:
        return {str(r.name): str(r.id) for r in conn.execute(select(schema.teams))}


def check_sign_in_and_sync(client: TestClient) -> None:
    alice = sign_in(client, "alice")
    assert [t["name"] for t in alice["teams"]] == ["Ward 7 (Surgical)"]  # type: ignore[attr-defined]
    pulled = client.get(
        "/api/v1/sync/pull?since=0&limit=1000",
        headers={"Authorization": f"Bearer {alice['token']}"},
    ).json()
    kinds = {event["type"] for event in pulled["events"]}
    assert {"message", "note", "message.acked"} <= kinds
    ward = next(t["id"] for t in alice["teams"])  # type: ignore[attr-defined]
    assert {event["team_id"] for event in pulled["events"]} <= {ward, None}

    carol = sign_in(client, "carol")
    carol_auth = {"Authorization": f"Bearer {carol['token']}"}
    events = client.get("/api/v1/sync/pull?since=0&limit=1000", headers=carol_auth).json()
    wound = next(e for e in events["events"] if e["type"] == "note" and e["data"]["photos"])
    photo = client.get(f"/api/v1/blobs/{wound['data']['photos'][0]}", headers=carol_auth)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    refused = client.get(
        f"/api/v1/blobs/{wound['data']['photos'][0]}",
        headers={"Authorization": f"Bearer {alice['token']}"},
    )
    assert refused.status_code == 404
    assert sign_in(client, "dave")["teams"] == []
    admin = sign_in(client, "admin")
    audit_page = client.get(
        "/api/v1/admin/audit?limit=1000", headers={"Authorization": f"Bearer {admin['token']}"}
    ).json()
    assert "note.file" in json.dumps(audit_page)


def test_demo_refuses_a_database_with_staff_of_its_own(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    assert cli.main(["admin", "create-staff", "--database", db, "--username", "real",
                     "--display-name", "A Real Person", "--password-stdin"]) == 0  # fmt: skip
    assert cli.main(["demo", "--database", db]) == 1
    assert "empty database" in capsys.readouterr().err


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_serve_speaks_https_with_a_certificate(
    db: str, env: dict[str, str], tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    command = [sys.executable, "-m", "wardlink_server", "serve", "--database", db, "--port", "0",
               "--tls-cert", str(cert), "--tls-key", str(key)]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline().strip()
            assert first.startswith("wardlink-server listening on https://127.0.0.1:"), first
            url = first.removeprefix("wardlink-server listening on ")
            assert requests.get(f"{url}/healthz", timeout=10, verify=str(cert)).status_code == 200
            server.send_signal(signal.SIGINT)
            _, err = server.communicate(timeout=20)
            assert server.returncode == 0, err
        finally:
            if server.poll() is None:
                server.kill()


def test_serve_takes_a_per_address_sign_in_limit(tmp_path: Path) -> None:
    """IT raises it for a hospital behind one address; it never goes below one."""
    args = cli.build_parser().parse_args(
        ["serve", "--database", str(tmp_path / "r.db"), "--max-address-failures", "200"]
    )
    with cli.opened(args, max_address_failures=args.max_address_failures) as services:
        assert services.config.max_address_failures == 200
        assert services.config.max_failures == 5  # the account limit is its own
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["serve", "--max-address-failures", "0"])
