"""A small HTTP fault-injection proxy for the end-to-end tests, on 127.0.0.1.

It sits between a client and the real record server and, request by request, passes the request
through or does one of the things a flaky network or an overloaded server does: drop the answer
after the server has handled the request, answer 500, 503 or 429 (with `Retry-After`) itself,
cut the answer's JSON short, reset the connection before forwarding, or hold the request or its
answer for a while. Rules are matched by method and path prefix and used up after `times`.

HTTP/1.1 keep-alive towards the client is kept: each client connection is served request after
request on one thread (so long-polls simply wait there). Towards the server every request goes
on a fresh connection with `Connection: close`, so each answer ends where the server closes.
`refusing = True` makes it behave like a network that is down: every connection is reset.
"""

from __future__ import annotations

import contextlib
import enum
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"}
)


class Fault(enum.Enum):
    PASS = "pass"  # forward as is (a rule that only counts, delays or calls hooks)
    DROP_AFTER = "drop_after"  # forward; the server handles it; the client gets a reset
    ERROR_500 = "error_500"  # answered here: the server never sees it
    ERROR_503 = "error_503"
    THROTTLE_429 = "throttle_429"  # answered here, with Retry-After
    TRUNCATE = "truncate"  # forward; the answer's body is cut short (its length fits the cut)
    RESET = "reset"  # reset the connection before forwarding: the server never sees it
    DELAY = "delay"  # hold the request (or the answer) for `delay` seconds, then pass it


@dataclass
class Rule:
    """Applies to the requests matching `method` (None: any) and `path` (a prefix), after
    letting `skip` of them through untouched, to the next `times` of them (None: for ever)."""

    fault: Fault
    path: str = "/"
    method: str | None = None
    times: int | None = 1
    skip: int = 0
    retry_after: str = "1"
    delay: float = 0.0
    delay_answer: bool = False  # DELAY: hold the server's answer rather than the request
    release: threading.Event | None = None  # DELAY: let it go early once this is set
    keep: float = 0.5  # TRUNCATE: the share of the body kept
    on_forwarded: Callable[[], None] | None = None  # called once the server has the request
    on_answered: Callable[[], None] | None = None  # called once the server's answer is here
    matched: int = 0
    applied: int = 0

    def wants(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if not path.startswith(self.path):
            return False
        if self.times is not None and self.applied >= self.times:
            return False
        self.matched += 1
        if self.matched <= self.skip:
            return False
        self.applied += 1
        return True

    @property
    def used_up(self) -> bool:
        return self.times is not None and self.applied >= self.times


@dataclass(frozen=True)
class Seen:
    """One request as the proxy handled it; `at` is time.monotonic() when it arrived."""

    method: str
    path: str
    fault: Fault
    at: float
    status: int | None = None  # what the client was answered (None: reset, nothing)


@dataclass
class _Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def wants_close(self) -> bool:
        value = (self.header("connection") or "").lower()
        return "close" in value or self.version == "HTTP/1.0"


@dataclass
class _Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def encode(self, *, close: bool) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {self.reason}"]
        lines += [
            f"{k}: {v}"
            for k, v in self.headers
            if k.lower() not in HOP_HEADERS and k.lower() not in ("content-length",)
        ]
        lines.append(f"content-length: {len(self.body)}")
        lines.append("connection: close" if close else "connection: keep-alive")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


class _Closed(Exception):
    """The peer closed or reset the connection."""


class FaultProxy:
    """Forwards http://127.0.0.1:<port> to `upstream`, injecting the faults of its rules."""

    def __init__(self, upstream: str, *, upstream_timeout: float = 60.0) -> None:
        self.upstream = upstream
        self.upstream_timeout = upstream_timeout
        self.refusing = False
        self.connections = 0  # client connections accepted
        self.log: list[Seen] = []
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()

    # -- the test's side ---------------------------------------------------------------------

    @property
    def upstream(self) -> str:
        return f"http://{self._upstream[0]}:{self._upstream[1]}"

    @upstream.setter
    def upstream(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.scheme == "http" and parts.hostname and parts.port, url
        self._upstream = (parts.hostname, parts.port)

    def inject(self, fault: Fault, path: str = "/", **options: object) -> Rule:
        """Add a rule (see `Rule` for the options); rules are tried in the order added."""
        rule = Rule(fault, path, **options)  # type: ignore[arg-type]
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def seen(self, path: str = "/", method: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.log
                if s.path.startswith(path) and (method is None or s.method == method)
            ]

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread reading it; it closes it
        self._thread.join(5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- serving -----------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing:
                _reset(conn)
                continue
            with self._lock:
                self.connections += 1
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self._closed.is_set():
                try:
                    request = _read_request(reader)
                except _Closed:
                    return
                if request is None:
                    return
                if not self._handle(conn, request):
                    return
        except OSError:
            return
        finally:
            reader.close()
            with self._lock:
                self._open.discard(conn)
            _close(conn)

    def _pick(self, request: _Request) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.wants(request.method, request.path):
                    return rule
        return None

    def _record(self, request: _Request, fault: Fault, at: float, status: int | None) -> None:
        with self._lock:
            self.log.append(Seen(request.method, request.path, fault, at, status))

    def _handle(self, conn: socket.socket, request: _Request) -> bool:
        """Serve one request; False when the client connection is finished."""
        at = time.monotonic()
        rule = None if self.refusing else self._pick(request)
        fault = Fault.RESET if self.refusing else (rule.fault if rule else Fault.PASS)
        if fault is Fault.RESET:
            self._record(request, fault, at, None)
            _reset(conn)
            return False
        canned = _canned(fault, rule)
        if canned is not None:
            self._record(request, fault, at, canned.status)
            conn.sendall(canned.encode(close=request.wants_close))
            return not request.wants_close
        if rule is not None and fault is Fault.DELAY and not rule.delay_answer:
            self._hold(rule)
        try:
            answer = self._forward(request, rule)
        except (OSError, _Closed):
            # The server went away mid-request: the client sees what a gateway dying shows.
            self._record(request, fault, at, None)
            _reset(conn)
            return False
        if rule is not None and rule.on_answered is not None:
            rule.on_answered()
        if fault is Fault.DROP_AFTER:
            self._record(request, fault, at, None)
            _reset(conn)
            return False
        if rule is not None and fault is Fault.DELAY and rule.delay_answer:
            self._hold(rule)
        if fault is Fault.TRUNCATE and rule is not None:
            answer.body = answer.body[: max(1, int(len(answer.body) * rule.keep))]
        self._record(request, fault, at, answer.status)
        conn.sendall(answer.encode(close=request.wants_close))
        return not request.wants_close

    def _hold(self, rule: Rule) -> None:
        deadline = time.monotonic() + rule.delay
        while not self._closed.is_set() and (left := deadline - time.monotonic()) > 0:
            if rule.release is None:
                self._closed.wait(left)
            elif rule.release.wait(min(left, 0.05)):
                return

    def _forward(self, request: _Request, rule: Rule | None) -> _Answer:
        upstream = socket.create_connection(self._upstream, timeout=self.upstream_timeout)
        with self._lock:
            self._open.add(upstream)
        try:
            head = [f"{request.method} {request.target} HTTP/1.1"]
            head += [f"{k}: {v}" for k, v in request.headers if k.lower() not in HOP_HEADERS]
            head.append("connection: close")
            upstream.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body)
            if rule is not None and rule.on_forwarded is not None:
                rule.on_forwarded()
            reader = upstream.makefile("rb")
            try:
                return _read_answer(reader)
            finally:
                reader.close()
        finally:
            with self._lock:
                self._open.discard(upstream)
            _close(upstream)


# -- HTTP framing ----------------------------------------------------------------------------------


def _read_head(reader: BinaryIO) -> list[bytes] | None:
    lines: list[bytes] = []
    size = 0
    while True:
        line = reader.readline(MAX_HEAD)
        if not line:
            if lines:
                raise _Closed()
            return None
        size += len(line)
        if size > MAX_HEAD:
            raise _Closed()
        if line in (b"\r\n", b"\n"):
            if not lines:
                continue  # a stray blank line between requests
            return lines
        lines.append(line.rstrip(b"\r\n"))


def _headers(lines: list[bytes]) -> list[tuple[str, str]]:
    headers = []
    for raw in lines:
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    return headers


def _read_body(reader: BinaryIO, headers: list[tuple[str, str]], *, to_eof: bool) -> bytes:
    found = {k.lower(): v for k, v in headers}
    if "chunked" in found.get("transfer-encoding", "").lower():
        return _read_chunked(reader)
    if "content-length" in found:
        length = int(found["content-length"])
        body = reader.read(length)
        if len(body) != length:
            raise _Closed()
        return bytes(body)
    return bytes(reader.read()) if to_eof else b""


def _read_chunked(reader: BinaryIO) -> bytes:
    body = bytearray()
    while True:
        size_line = reader.readline(MAX_HEAD)
        if not size_line:
            raise _Closed()
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while reader.readline(MAX_HEAD) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(body)
        chunk = reader.read(size + 2)
        if len(chunk) != size + 2:
            raise _Closed()
        body += chunk[:size]


def _read_request(reader: BinaryIO) -> _Request | None:
    lines = _read_head(reader)
    if lines is None:
        return None
    method, target, version = lines[0].decode("latin-1").split(" ", 2)
    headers = _headers(lines[1:])
    body = _read_body(reader, headers, to_eof=False)
    headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    if body or any(k.lower() == "content-length" for k, _ in headers):
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("content-length", str(len(body))))
    return _Request(method, target, version, headers, body)


def _read_answer(reader: BinaryIO) -> _Answer:
    lines = _read_head(reader)
    if lines is None:
        raise _Closed()
    _, status, *reason = lines[0].decode("latin-1").split(" ", 2)
    headers = _headers(lines[1:])
    body = _read_body(reader, headers, to_eof=True)
    headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    return _Answer(int(status), reason[0] if reason else "", headers, body)


def _canned(fault: Fault, rule: Rule | None) -> _Answer | None:
    def error(status: int, reason: str, code: str, message: str) -> _Answer:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        return _Answer(status, reason, [("content-type", "application/json")], body)

    if fault is Fault.ERROR_500:
        return error(500, "Internal Server Error", "internal", "Injected server error.")
    if fault is Fault.ERROR_503:
        return _Answer(503, "Service Unavailable", [("content-type", "text/html")], b"<h1>503</h1>")
    if fault is Fault.THROTTLE_429:
        answer = error(429, "Too Many Requests", "throttled", "Slow down.")
        answer.headers.append(("retry-after", rule.retry_after if rule else "1"))
        return answer
    return None


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a dropped connection looks to the peer."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
