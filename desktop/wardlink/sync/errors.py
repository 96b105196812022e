"""What can go wrong talking to the record server, sorted by what the engine does about it.

`Offline` and `ServerBusy` are transient: retry with back-off. `NeedsSignIn` waits for the user's
password. `MustWipe` deletes the profile. `Refused` is a server answer to show the user. None of
them carries patient data: server messages are plain text about the request, never its content.
"""

from __future__ import annotations

from collections.abc import Mapping


class SyncError(Exception):
    """Base: `message` is plain language, fit to show."""

    message = "Wardlink could not reach the record server."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class Offline(SyncError):
    """No answer: no network, the server is down, a timeout, a dropped connection."""

    message = "Offline: the record server cannot be reached. Work is kept and sent later."


class BadResponse(SyncError):
    """An answer that is not the protocol's (truncated JSON, a proxy's error page). Transient."""

    message = "The record server's answer was incomplete. Wardlink will try again."


class ServerBusy(SyncError):
    """429 or 5xx: try again later, no sooner than `retry_after` seconds if the server said."""

    message = "The record server is busy. Wardlink will try again shortly."

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__()
        self.status = status
        self.retry_after = retry_after


class ServerRefused(SyncError):
    """A 4xx answer in the protocol's error shape: `code` and the server's plain message."""

    def __init__(
        self, status: int, code: str, message: str, details: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = dict(details or {})


class NeedsSignIn(ServerRefused):
    """The session is missing, expired or ended: the user must sign in (online) again."""


class BadCredentials(ServerRefused):
    """The username or password is not right."""


class MustWipe(ServerRefused):
    """`device_revoked` or `account_disabled`: the profile must be deleted now."""


class InsecureServer(SyncError):
    """A server address that is neither https nor plain http to this computer."""

    message = (
        "The record server's address must start with https:// (plain http is only allowed to "
        "this computer). Check the server address or ask IT."
    )
