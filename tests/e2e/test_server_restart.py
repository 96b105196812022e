"""The record server killed (SIGKILL) mid-push and mid-pull, then started again on the same port
and database: the clients' engines recover by themselves, and every message is there once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wardlink.sync.status import SyncPhase

from .clients import Device, assert_exactly_once
from .fault_proxy import Fault, FaultProxy
from .server_process import ServerProcess

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server.db", tmp_path / "server-stderr.txt")
    yield process
    process.close()


@pytest.fixture
def pair(
    server: ServerProcess, tmp_path: Path
) -> Iterator[Callable[[], tuple[str, Device, Device, FaultProxy, FaultProxy]]]:
    """Alice and Bob in one team, each behind a proxy (to choose the moment of the kill)."""
    made: list[Device | FaultProxy] = []

    def make() -> tuple[str, Device, Device, FaultProxy, FaultProxy]:
        team_id, team = server.new_team()
        accounts = [server.new_staff(who, teams=(team,)) for who in ("alice", "bob")]
        server.start()
        proxies = [FaultProxy(server.url), FaultProxy(server.url)]
        alice, bob = (
            Device(tmp_path / name, server, account, url=proxy.url)  # type: ignore[arg-type]
            for name, account, proxy in zip(("alice", "bob"), accounts, proxies, strict=True)
        )
        made.extend([alice, bob, *proxies])
        return team_id, alice, bob, proxies[0], proxies[1]

    yield make
    for thing in made:
        thing.close()


@pytest.mark.parametrize("moment", ["request_sent", "answer_ready"])
def test_server_killed_mid_push_the_client_recovers(
    moment: str,
    server: ServerProcess,
    pair: Callable[[], tuple[str, Device, Device, FaultProxy, FaultProxy]],
) -> None:
    team_id, alice, bob, to_alice, _ = pair()
    killed = threading.Event()

    def kill() -> None:
        server.kill()
        killed.set()

    if moment == "request_sent":  # the server has the request; it may or may not commit
        to_alice.inject(Fault.PASS, PUSH, method="POST", on_forwarded=kill)
    else:  # the server committed and answered; the answer never leaves
        to_alice.inject(Fault.DROP_AFTER, PUSH, method="POST", on_answered=kill)
    alice.engine.start()
    bob.engine.start()
    sent = alice.write(team_id, *(f"fluid balance {n}" for n in range(40)))
    alice.engine.poke()
    assert killed.wait(10)
    alice.watch.wait_for(alice.watch.reached(SyncPhase.OFFLINE), "alice offline")
    sent += alice.write(team_id, "written while the server was down")
    alice.engine.poke()
    server.start()  # same port, same database
    alice.watch.wait_for(lambda: alice.pending() == 0, "alice sent everything")
    bob.watch.wait_for(lambda: set(bob.ids(team_id)) == set(sent), "bob has everything")
    order = assert_exactly_once(server, team_id, set(sent))  # type: ignore[arg-type]
    assert order == sent
    assert alice.ids(team_id) == order and bob.ids(team_id) == order
    assert server.starts == 2


@pytest.mark.parametrize("moment", ["long_poll_waiting", "page_answered"])
def test_server_killed_mid_pull_the_client_recovers(
    moment: str,
    server: ServerProcess,
    pair: Callable[[], tuple[str, Device, Device, FaultProxy, FaultProxy]],
) -> None:
    team_id, alice, bob, _, to_bob = pair()
    killed = threading.Event()

    def kill() -> None:
        server.kill()
        killed.set()

    alice.engine.start()
    first = alice.write(team_id, *(f"handover item {n}" for n in range(30)))
    alice.engine.poke()
    alice.watch.wait_for(lambda: alice.pending() == 0, "alice sent the first lot")
    if moment == "long_poll_waiting":
        bob.engine.start()
        bob.watch.wait_for(lambda: set(bob.ids(team_id)) == set(first), "bob has the first lot")
        # The next pull is a long-poll: the server dies while holding it.
        to_bob.inject(
            Fault.PASS,
            PULL,
            method="GET",
            on_forwarded=lambda: threading.Timer(0.2, kill).start(),
        )
        alice.write(team_id, "wakes bob's current long-poll")
        alice.engine.poke()
    else:  # the page with the first lot is ready at the server, and never reaches bob
        to_bob.inject(Fault.DROP_AFTER, PULL, method="GET", on_answered=kill)
        bob.engine.start()
    assert killed.wait(10)
    bob.watch.wait_for(bob.watch.reached(SyncPhase.OFFLINE), "bob offline")
    server.start()
    later = alice.write(team_id, *(f"after the restart {n}" for n in range(5)))
    alice.engine.poke()
    every = set(alice.ids(team_id))
    assert set(first) | set(later) <= every
    bob.watch.wait_for(lambda: set(bob.ids(team_id)) == every, "bob has everything")
    alice.watch.wait_for(lambda: alice.pending() == 0, "alice sent everything")
    order = assert_exactly_once(server, team_id, every)  # type: ignore[arg-type]
    assert bob.ids(team_id) == order == alice.ids(team_id)
