"""HTTP to the record server: TLS rules, timeouts, and answers sorted into the sync errors.

One `Transport` per engine thread (a `requests.Session` is not shared across threads). HTTPS
always, except plain http to a loopback address; the CA bundle comes from policy; the usual
proxy variables are honoured (requests reads them); every request has a timeout.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import requests

from wardlink.sync.errors import (
    BadCredentials,
    BadResponse,
    InsecureServer,
    MustWipe,
    NeedsSignIn,
    Offline,
    ServerBusy,
    ServerRefused,
    SyncError,
)

USER_AGENT = "Wardlink-desktop"
T = TypeVar("T")
V = TypeVar("V")
Params = Mapping[str, str | int]
_BODY_PIECE: Final = 1 << 20  # bytes asked of the socket at a time, reading an answer's body


@dataclass(frozen=True)
class Timeouts:
    """Seconds. A long-poll's read timeout is its wait plus `read` (see `Transport.get_json`)."""

    connect: float = 10.0
    read: float = 30.0


def check_server_url(url: str) -> str:
    """`url` without a trailing slash if it is https, or http to a loopback host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureServer()
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InsecureServer()
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InsecureServer()
    return url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare, and the back-off covers it


class _Bearer(requests.auth.AuthBase):
    """The session token on every request that has one.

    As the session's auth it also keeps requests from looking for credentials in a netrc file
    on every request (file look-ups in the home folder each time, about a millisecond), and from
    sending such credentials, in place of the token, to a server host that file names."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._transport.token:
            request.headers["Authorization"] = f"Bearer {self._transport.token}"
        return request


class Transport:
    """Requests to one record server. Not thread-safe: one per thread."""

    def __init__(
        self,
        server_url: str,
        *,
        ca_bundle: Path | None = None,
        timeouts: Timeouts | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base = check_server_url(server_url)
        self.timeouts = timeouts or Timeouts()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.auth = _Bearer(self)
        if ca_bundle is not None:
            self.session.verify = str(ca_bundle)
        self.token: str | None = None

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        data: bytes | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request; raise the sync error for anything but a 2xx answer. With `stream`,
        the body is left to read (see `get_bytes`)."""
        sent_headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            sent_headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method,
                self.base + path,
                data=data,
                params=params,
                headers=sent_headers,
                timeout=(self.timeouts.connect, read_timeout or self.timeouts.read),
                allow_redirects=False,
                stream=stream,
            )
        except requests.exceptions.RequestException as exc:
            raise _failed(exc) from None
        if 200 <= response.status_code < 300:
            return response
        try:
            raise _error_for(response)
        finally:
            response.close()

    def get_json(self, path: str, *, params: Params | None = None, wait: float = 0.0) -> Any:
        return _json_of(self._get(path, params, wait))

    def get_bytes(self, path: str, *, params: Params | None = None, wait: float = 0.0) -> bytes:
        """The answer's body as it came (for a reader of its own, such as `event_pages`), read
        in large pieces: a history page is about 460 KB, and each of the 10 KB reads requests
        makes by default waits its turn for the interpreter while other threads parse and
        write (a first sync spent a third of its request time so)."""
        response = self._get(path, params, wait, stream=True)
        try:
            return b"".join(response.iter_content(_BODY_PIECE))
        except requests.exceptions.RequestException as exc:
            raise _failed(exc) from None
        finally:
            response.close()

    def _get(
        self, path: str, params: Params | None, wait: float, *, stream: bool = False
    ) -> requests.Response:
        read_timeout = self.timeouts.read + wait
        return self.request("GET", path, params=params, read_timeout=read_timeout, stream=stream)

    def post_json(self, path: str, body: object) -> Any:
        return _json_of(self.request("POST", path, json_body=body))

    def put_json(self, path: str, body: object) -> requests.Response:
        return self.request("PUT", path, json_body=body)

    def delete(self, path: str) -> requests.Response:
        return self.request("DELETE", path)


def _failed(exc: requests.exceptions.RequestException) -> SyncError:
    """The sync error for a request that got no whole answer."""
    if isinstance(exc, requests.exceptions.SSLError):
        return Offline(
            "The record server's certificate could not be checked. Ask IT to check the "
            "server address and certificates."
        )
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return Offline()
    return BadResponse()


def _json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, requests.exceptions.RequestException):
        raise BadResponse() from None


def _error_for(response: requests.Response) -> Exception:
    status = response.status_code
    if status == 429 or status >= 500:
        return ServerBusy(status, _retry_after(response))
    try:
        body = response.json()
        error = body["error"]
        code, message = str(error["code"]), str(error["message"])
        details = {k: v for k, v in error.items() if k not in ("code", "message")}
    except (ValueError, KeyError, TypeError, requests.exceptions.RequestException):
        return BadResponse()
    if code in ("device_revoked", "account_disabled") or details.get("wipe") is True:
        return MustWipe(status, code, message, details)
    if code == "bad_credentials":
        return BadCredentials(status, code, message, details)
    if code == "unauthenticated" or status == 401:
        return NeedsSignIn(status, code, message, details)
    return ServerRefused(status, code, message, details)


def parse_or_bad(parser: Callable[[V], T], value: V) -> T:
    """Run a protocol parser over an answer; a malformed answer is BadResponse (transient)."""
    from wardlink.core.protocol import ProtocolError

    try:
        return parser(value)
    except ProtocolError:
        raise BadResponse() from None
