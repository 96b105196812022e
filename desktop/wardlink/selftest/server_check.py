"""Check: the record server answers `GET /healthz` as the app would reach it.

The same rules as the app's transport: https with the certificate verified (against the policy's
`ca_bundle` where one is set), plain http only to this computer, no redirects followed. Where
policy pins `server_public_key`, the lease key the server announces must be that key: otherwise
every lease the server signs would be refused.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import requests

from wardlink import __version__
from wardlink.core.policy import Policy, PolicyError, check_setting
from wardlink.core.policy_values import ed25519_public_key
from wardlink.selftest.report import CheckResult, Status
from wardlink.selftest.tls_words import certificate_problem

NAME = "server"
USER_AGENT: Final = f"Wardlink-selftest/{__version__}"


@dataclass(frozen=True)
class ServerTimeouts:
    connect: float = 5.0
    read: float = 10.0


def check_server(
    policy: Policy | None,
    server: str | None = None,
    *,
    timeouts: ServerTimeouts | None = None,
) -> CheckResult:
    """`server` (from `--server`) replaces the policy's address; the pinned key, CA bundle and
    rules still come from the policy. `policy` None: the policy is not valid."""
    timeouts = timeouts or ServerTimeouts()
    if server is None and policy is None:
        return CheckResult(NAME, Status.WARN, "Not checked: the machine policy is not valid.")
    effective = policy or Policy()
    url = server if server is not None else effective.server_url
    if url is None:
        return CheckResult(
            NAME, Status.WARN, "No server address in policy; users will be asked at sign-in."
        )
    try:
        url = str(check_setting("server_url", url))
    except PolicyError as exc:
        return CheckResult(NAME, Status.FAIL, f"The server address given is not usable: {exc}.")
    bundle = effective.ca_bundle
    if bundle is not None and not bundle.is_file():
        return CheckResult(
            NAME, Status.FAIL, f"The CA bundle the policy names (ca_bundle, {bundle}) is missing."
        )
    return _probe(url, bundle, effective.server_public_key, timeouts)


def _probe(
    url: str, bundle: Path | None, pinned: str | None, timeouts: ServerTimeouts
) -> CheckResult:
    start = time.perf_counter()
    try:
        response = requests.get(
            f"{url}/healthz",
            timeout=(timeouts.connect, timeouts.read),
            verify=str(bundle) if bundle is not None else True,
            allow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )
    except requests.exceptions.SSLError as exc:
        return CheckResult(NAME, Status.FAIL, f"{url}: {certificate_problem(exc, url, bundle)}")
    except requests.exceptions.Timeout:
        return CheckResult(
            NAME, Status.FAIL, f"{url} did not answer within {timeouts.read:g} seconds."
        )
    except requests.exceptions.ConnectionError as exc:
        return CheckResult(NAME, Status.FAIL, f"{url} could not be reached: {_unreachable(exc)}.")
    except requests.exceptions.RequestException as exc:
        return CheckResult(NAME, Status.FAIL, f"{url}: the request failed ({type(exc).__name__}).")
    elapsed_ms = (time.perf_counter() - start) * 1000
    with response:
        return _judge(url, response, bundle, pinned, elapsed_ms)


def _judge(
    url: str,
    response: requests.Response,
    bundle: Path | None,
    pinned: str | None,
    elapsed_ms: float,
) -> CheckResult:
    if response.is_redirect:
        return CheckResult(
            NAME,
            Status.FAIL,
            f"{url} answered with a redirect (HTTP {response.status_code}); Wardlink does not "
            "follow redirects: set server_url to the record server's own address.",
        )
    if response.status_code != 200:
        return CheckResult(
            NAME,
            Status.FAIL,
            f"{url} answered HTTP {response.status_code} to /healthz: it is not a working "
            "Wardlink record server (or a proxy in front of it failed).",
        )
    try:
        health = response.json()
    except ValueError:
        health = None
    if not isinstance(health, dict) or health.get("status") != "ok":
        return CheckResult(
            NAME, Status.FAIL, f"{url} answered /healthz, but not as a Wardlink record server."
        )
    found = [f"{url} answered in {elapsed_ms:.0f} ms (record server {health.get('version', '?')})"]
    if urlsplit(url).scheme.lower() == "https":
        by = f"the CA bundle {bundle}" if bundle is not None else "this computer's trusted CAs"
        found.append(f"its certificate was verified against {by}")
    else:
        found.append("plain http, which Wardlink accepts only to this computer")
    key_problem = _key_problem(health.get("lease_key"), pinned)
    if key_problem:
        return CheckResult(NAME, Status.FAIL, "; ".join(found) + f"; but {key_problem}")
    if pinned is not None:
        found.append("its lease key matches server_public_key")
    else:
        announced = health.get("lease_key")
        shown = f" ({announced})" if isinstance(announced, str) and len(announced) < 100 else ""
        found.append(
            f"no key is pinned (server_public_key), so users confirm the server's key{shown} "
            "at first sign-in"
        )
    return CheckResult(NAME, Status.PASS, "; ".join(found) + ".")


def _key_problem(announced: object, pinned: str | None) -> str:
    if pinned is None:
        return ""
    try:
        normal = ed25519_public_key("lease_key", announced)
    except PolicyError:
        return "it announced no usable lease key, and the policy pins one (server_public_key)."
    if normal != pinned:
        return (
            "its lease key is not the one the policy pins (server_public_key): either the "
            "policy names the wrong key or this is not the right server. Sign-ins would fail."
        )
    return ""


def _unreachable(exc: requests.exceptions.ConnectionError) -> str:
    """Refused, name not found, or something else: in words, without the exception's text."""
    text = repr(exc).lower()
    if "refused" in text:
        return "the connection was refused (is the server running, and the port right?)"
    if "name or service not known" in text or "getaddrinfo" in text or "nodename" in text:
        return "its name was not found (check the address, and this computer's DNS)"
    if "timed out" in text:
        return "the connection timed out (a firewall or proxy may be in the way)"
    if isinstance(exc.__context__, ssl.SSLError):
        return "the secure connection could not be set up"
    return "the connection failed (check the address, the network and any proxy)"
