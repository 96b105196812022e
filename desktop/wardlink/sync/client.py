"""`RecordClient`: the sync protocol's calls (DESIGN.md §4), typed with `wardlink.core.protocol`.

Thin on purpose: each method is one request and its parsed answer. Decisions (when to retry,
what a refusal means for local data) belong to the engine.
"""

from __future__ import annotations

from collections.abc import Sequence

from wardlink.core.protocol import (
    MAX_PULL_LIMIT,
    DeviceInfo,
    EscrowKey,
    HistoryResponse,
    Lease,
    Op,
    PullResponse,
    PushRequest,
    PushResponse,
    SessionRequest,
    SessionResponse,
)
from wardlink.core.protocol.event_pages import (
    HistoryPage,
    PullPage,
    read_history_page,
    read_pull_page,
)
from wardlink.sync.transport import Transport, parse_or_bad


class RecordClient:
    """One record server, one signed-in session (the transport carries the token)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @property
    def token(self) -> str | None:
        return self.transport.token

    @token.setter
    def token(self, value: str | None) -> None:
        self.transport.token = value

    def close(self) -> None:
        self.transport.close()

    # -- sign-in ------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, device: DeviceInfo) -> SessionResponse:
        """Sign in; on success the token is used for every later call."""
        body = SessionRequest(username, password, device).to_json()
        answer = parse_or_bad(
            SessionResponse.from_json, self.transport.post_json("/api/v1/sessions", body)
        )
        self.token = answer.token
        return answer

    def sign_out(self) -> None:
        self.transport.delete("/api/v1/sessions/current")
        self.token = None

    def renew_lease(self) -> Lease:
        return parse_or_bad(Lease.from_json, self.transport.get_json("/api/v1/lease"))

    def put_escrow(self, key: bytes) -> None:
        self.transport.put_json(
            "/api/v1/devices/current/escrow", EscrowKey.from_bytes(key).to_json()
        )

    def get_escrow(self) -> bytes:
        answer = parse_or_bad(
            EscrowKey.from_json, self.transport.get_json("/api/v1/devices/current/escrow")
        )
        return answer.key_bytes()

    # -- sync -----------------------------------------------------------------------------------

    def push(self, ops: Sequence[Op]) -> PushResponse:
        body = PushRequest(tuple(ops)).to_json()
        return parse_or_bad(
            PushResponse.from_json,
            self.transport.post_json("/api/v1/sync/push", body),
        )

    def pull(self, since: int, *, limit: int = MAX_PULL_LIMIT, wait: float = 0) -> PullResponse:
        return self.pull_page(since, limit=limit, wait=wait).response

    def pull_page(self, since: int, *, limit: int = MAX_PULL_LIMIT, wait: float = 0) -> PullPage:
        """`pull`, with its message events' data read (see `event_pages`)."""
        params = {"since": since, "limit": limit, "wait": int(wait)}
        raw = self.transport.get_bytes("/api/v1/sync/pull", params=params, wait=wait)
        return parse_or_bad(read_pull_page, raw)

    def history(self, team_id: str, *, before: int | None, limit: int = 200) -> HistoryResponse:
        return self.history_page(team_id, before=before, limit=limit).response

    def history_page(self, team_id: str, *, before: int | None, limit: int = 200) -> HistoryPage:
        """`history`, with its message events' data read (see `event_pages`)."""
        raw = self.history_bytes(team_id, before=before, limit=limit)
        return parse_or_bad(read_history_page, raw)

    def history_bytes(self, team_id: str, *, before: int | None, limit: int = 200) -> bytes:
        """`history`'s answer as it came, to be read elsewhere (`read_history_page`)."""
        params: dict[str, str | int] = {"limit": limit}
        if before is not None:
            params["before"] = before
        return self.transport.get_bytes(f"/api/v1/teams/{team_id}/history", params=params)

    # -- photos ---------------------------------------------------------------------------------

    def put_blob(self, sha256: str, content_type: str, data: bytes) -> None:
        self.transport.request(
            "PUT", f"/api/v1/blobs/{sha256}", data=data, headers={"Content-Type": content_type}
        )

    def get_blob(self, sha256: str) -> tuple[str, bytes]:
        response = self.transport.request("GET", f"/api/v1/blobs/{sha256}")
        return response.headers.get("Content-Type", ""), response.content
