"""The fault proxy itself: it forwards faithfully (keep-alive, long-polls) and each fault does
what the end-to-end tests rely on it doing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from tests.sync.live_server import LiveServer

from .fault_proxy import Fault, FaultProxy


def test_it_forwards_and_keeps_the_client_connection_alive(
    make_proxy: Callable[[], FaultProxy],
) -> None:
    proxy = make_proxy()
    with requests.Session() as session:
        answers = [session.get(f"{proxy.url}/healthz", timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all("lease_key" in a.json() for a in answers)
    assert proxy.connections == 1  # three requests on one kept-alive connection
    assert [s.path for s in proxy.seen()] == ["/healthz"] * 3


def test_canned_answers_and_rules_used_up_in_order(make_proxy: Callable[[], FaultProxy]) -> None:
    proxy = make_proxy()
    proxy.inject(Fault.ERROR_500, "/healthz")
    proxy.inject(Fault.ERROR_503, "/healthz")
    proxy.inject(Fault.THROTTLE_429, "/healthz", retry_after="7")
    with requests.Session() as session:
        answers = [session.get(f"{proxy.url}/healthz", timeout=5) for _ in range(4)]
    assert [a.status_code for a in answers] == [500, 503, 429, 200]
    assert answers[2].headers["Retry-After"] == "7"
    assert proxy.connections == 1


def test_resets_drops_and_truncation(make_proxy: Callable[[], FaultProxy]) -> None:
    proxy = make_proxy()
    answered: list[str] = []
    proxy.inject(Fault.RESET, "/healthz")
    proxy.inject(Fault.DROP_AFTER, "/healthz", on_answered=lambda: answered.append("yes"))
    proxy.inject(Fault.TRUNCATE, "/healthz", keep=0.5)
    with requests.Session() as session:
        with pytest.raises(requests.ConnectionError):
            session.get(f"{proxy.url}/healthz", timeout=5)
        with pytest.raises(requests.ConnectionError):
            session.get(f"{proxy.url}/healthz", timeout=5)
        cut = session.get(f"{proxy.url}/healthz", timeout=5)
    assert answered == ["yes"]  # the server answered the dropped one
    with pytest.raises(requests.JSONDecodeError):
        cut.json()
    assert cut.status_code == 200 and cut.text.startswith('{"')


def test_delays_and_long_polls_pass(
    live_server: LiveServer, make_proxy: Callable[[], FaultProxy]
) -> None:
    proxy = make_proxy()
    proxy.inject(Fault.DELAY, "/healthz", delay=0.3, delay_answer=True)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(f"{proxy.url}/healthz", timeout=(2, 0.1))
    assert requests.get(f"{proxy.url}/healthz", timeout=5).status_code == 200
    assert time.monotonic() - started < 2
    # a long-poll waits its full time at the server (here a second, the test server's cap)
    token = live_server.new_staff()
    session = requests.post(
        f"{proxy.url}/api/v1/sessions",
        json={
            "username": token.username,
            "password": token.password,
            "device": {"id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "name": "PC", "platform": "x"},
        },
        timeout=5,
    ).json()
    started = time.monotonic()
    answer = requests.get(
        f"{proxy.url}/api/v1/sync/pull",
        params={"since": session["cursor"], "wait": 1},
        headers={"Authorization": f"Bearer {session['token']}"},
        timeout=5,
    )
    assert answer.status_code == 200 and answer.json()["events"] == []
    assert time.monotonic() - started >= 0.9


def test_refusing_is_a_network_that_is_down(make_proxy: Callable[[], FaultProxy]) -> None:
    proxy = make_proxy()
    proxy.refusing = True
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{proxy.url}/healthz", timeout=5)
    proxy.refusing = False
    assert requests.get(f"{proxy.url}/healthz", timeout=5).status_code == 200
