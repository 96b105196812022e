"""The session token travels as its own auth: a netrc file naming the server host is neither
read nor sent in its place."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from wardlink.core.protocol import DeviceInfo
from wardlink.sync.client import RecordClient
from wardlink.sync.transport import Transport

from .live_server import LiveServer


def test_the_token_is_sent_and_a_netrc_entry_for_the_host_is_not(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-for-wardlink\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    nurse = live_server.new_staff()
    client = RecordClient(Transport(live_server.url))
    sent: list[str | None] = []

    def note(response: requests.Response, *_args: object, **_kwargs: object) -> None:
        sent.append(response.request.headers.get("Authorization"))

    client.transport.session.hooks["response"].append(note)
    session = client.sign_in(
        nurse.username, nurse.password, DeviceInfo(str(uuid.uuid4()), "PC", "linux")
    )
    client.pull(0)  # refused (401) if the netrc login replaced the token
    client.sign_out()
    client.close()
    # Signing in carries no credentials of any other kind; then the token, and only it.
    assert sent == [None, f"Bearer {session.token}", f"Bearer {session.token}"]
