"""The transport and the typed client against the real record server."""

from __future__ import annotations

import uuid

import pytest

from wardlink.core.protocol import DeviceInfo, MessagePost
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import (
    BadCredentials,
    InsecureServer,
    NeedsSignIn,
    Offline,
    ServerRefused,
)
from wardlink.sync.transport import Transport, check_server_url

from .live_server import LiveServer


def device() -> DeviceInfo:
    return DeviceInfo(str(uuid.uuid4()), "Ward 7 PC 3", "linux")


@pytest.mark.parametrize(
    "url",
    [
        "http://records.example.nhs.uk",
        "ftp://127.0.0.1",
        "https://",
        "http://10.0.0.5:8443",
        "https://user:pw@records.example.nhs.uk",
        "https://records.example.nhs.uk/?x=1",
    ],
)
def test_insecure_or_odd_addresses_are_refused(url: str) -> None:
    with pytest.raises(InsecureServer):
        check_server_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://records.example.nhs.uk/",
        "http://127.0.0.1:8443",
        "http://localhost:1",
        "http://[::1]:9",
    ],
)
def test_https_and_loopback_http_are_allowed(url: str) -> None:
    assert check_server_url(url) == url.rstrip("/")


def test_sign_in_push_pull_round_trip(live_server: LiveServer) -> None:
    team_id, team = live_server.new_team()
    nurse = live_server.new_staff(teams=(team,))
    client = RecordClient(Transport(live_server.url))
    session = client.sign_in(nurse.username, nurse.password, device())
    assert [t.name for t in session.teams] == [team]
    op = MessagePost(
        str(uuid.uuid4()),
        team_id,
        str(uuid.uuid4()),
        "Porter for bay 3",
        "routine",
        "2026-11-28T09:00:00.000Z",
    )
    (result,) = client.push([op]).results
    assert result.status == "applied"
    pulled = client.pull(session.cursor, wait=0)
    assert [e.type for e in pulled.events] == ["message"]
    assert pulled.next == result.seq
    client.sign_out()
    with pytest.raises(NeedsSignIn):
        client.pull(0)
    client.close()


def test_wrong_password_and_refusals_are_typed(live_server: LiveServer) -> None:
    nurse = live_server.new_staff()
    client = RecordClient(Transport(live_server.url))
    with pytest.raises(BadCredentials) as info:
        client.sign_in(nurse.username, "wrong", device())
    assert info.value.code == "bad_credentials"
    client.sign_in(nurse.username, nurse.password, device())
    with pytest.raises(ServerRefused) as refused:
        client.history(str(uuid.uuid4()), before=None)
    assert refused.value.code == "forbidden"
    client.close()


def test_nothing_listening_is_offline() -> None:
    from wardlink_server.serve import bind

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    client = RecordClient(Transport(f"http://127.0.0.1:{port}"))
    with pytest.raises(Offline):
        client.pull(0)
    client.close()
