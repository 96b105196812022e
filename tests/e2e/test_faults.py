"""Faults between client and server, injected by a proxy: dropped answers after the server
committed, 500, 503, 429 with Retry-After, truncated JSON, connection resets, slow answers.
Afterwards the server holds every message exactly once and nothing is lost locally."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from tests.sync.engine_watch import WAIT
from tests.sync.live_server import LiveServer
from wardlink.core.model import MessageState
from wardlink.store import messages, teams
from wardlink.sync.apply import read_cursor
from wardlink.sync.status import SyncPhase
from wardlink.sync.transport import Timeouts

from .clients import FAST, Device, assert_exactly_once
from .fault_proxy import Fault, FaultProxy

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"
SHORT = Timeouts(connect=2.0, read=0.5)  # a slow answer below is slower than this

FAULTS: dict[str, dict[str, object]] = {
    "dropped_after_commit": {"fault": Fault.DROP_AFTER},
    "error_500": {"fault": Fault.ERROR_500},
    "error_503": {"fault": Fault.ERROR_503},
    "truncated_json": {"fault": Fault.TRUNCATE, "keep": 0.6},
    "connection_reset": {"fault": Fault.RESET},
    "slow_past_the_timeout": {"fault": Fault.DELAY, "delay": 0.8, "delay_answer": True},
    "slow_within_the_timeout": {"fault": Fault.DELAY, "delay": 0.2},
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_faults_on_push_and_pull_lose_nothing_and_duplicate_nothing(
    name: str,
    live_server: LiveServer,
    team: tuple[str, str],
    make_proxy: Callable[[], FaultProxy],
    make_device: Callable[..., Device],
) -> None:
    options = dict(FAULTS[name])
    fault = options.pop("fault")
    assert isinstance(fault, Fault)
    to_alice, to_bob = make_proxy(), make_proxy()
    alice = make_device(
        live_server.new_staff("alice", teams=(team[1],)), url=to_alice.url, timeouts=SHORT
    )
    bob = make_device(
        live_server.new_staff("bob", teams=(team[1],)), url=to_bob.url, timeouts=SHORT
    )
    pushes = to_alice.inject(fault, PUSH, method="POST", times=2, **options)
    pulls = to_bob.inject(fault, PULL, method="GET", times=2, **options)

    # Alice sends through the faults; the server may have committed what she did not hear of.
    alice.engine.start()
    sent = alice.write(team[0], *(f"obs round {n}" for n in range(5)))
    alice.engine.poke()
    alice.watch.wait_for(lambda: alice.pending() == 0, "alice sent everything")
    sent += alice.write(team[0], "one more after the faults")
    alice.engine.poke()
    alice.watch.wait_for(lambda: alice.pending() == 0, "alice sent the last one")
    assert pushes.applied == 2
    order = assert_exactly_once(live_server, team[0], set(sent))
    assert order == sent  # FIFO: the order she wrote them in
    timeline = alice.timeline(team[0])
    assert [m.id for m in timeline] == order
    assert all(m.state is MessageState.SENT for m in timeline)

    # Bob pulls the page through the faults: nothing is applied twice or skipped.
    bob.engine.start()
    bob.watch.wait_for(lambda: set(bob.ids(team[0])) == set(sent), "bob has everything")
    assert bob.ids(team[0]) == order
    if fault is Fault.DELAY and not options.get("delay_answer"):
        assert pulls.applied >= 1  # slow but in time: no retry was needed
    else:
        assert pulls.applied == 2  # each failed, and was tried again
        assert any(s.phase in (SyncPhase.OFFLINE, SyncPhase.ERROR) for s in bob.watch.statuses)
        assert any(s.phase in (SyncPhase.OFFLINE, SyncPhase.ERROR) for s in alice.watch.statuses)


def test_429_retry_after_is_honoured_even_when_new_work_is_queued(
    live_server: LiveServer,
    team: tuple[str, str],
    make_proxy: Callable[[], FaultProxy],
    make_device: Callable[..., Device],
) -> None:
    network = make_proxy()
    timings = replace(FAST, backoff_cap=10.0)  # so the back-off does not cut Retry-After short
    nurse = make_device(live_server.new_staff(teams=(team[1],)), url=network.url, timings=timings)
    throttle = network.inject(Fault.THROTTLE_429, PUSH, method="POST", retry_after="1")
    nurse.engine.start()
    first = nurse.write(team[0], "bay 2 needs a porter")
    nurse.engine.poke()
    nurse.watch.wait_for(lambda: throttle.applied == 1, "throttled")
    nurse.watch.wait_for(
        lambda: any(s.retry_in is not None and s.retry_in >= 1.0 for s in nurse.watch.statuses),
        "the engine plans to wait as long as the server asked",
    )
    waiting = next(s for s in nurse.watch.statuses if s.retry_in is not None)
    assert waiting.phase is SyncPhase.ERROR and waiting.to_send == 1
    # New work while throttled must not make the engine knock again before it may.
    second = nurse.write(team[0], "and a second one")
    nurse.engine.poke()
    nurse.watch.wait_for(lambda: nurse.pending() == 0, "sent after the wait")
    pushes = network.seen(PUSH)
    assert pushes[0].status == 429
    assert pushes[1].at - pushes[0].at >= 1.0, "pushed again before Retry-After"
    assert_exactly_once(live_server, team[0], set(first + second))


@pytest.mark.parametrize("where", ["retry_after_pause", "slow_push_answer", "long_poll"])
def test_stop_returns_within_a_second_whatever_the_engine_waits_on(
    where: str,
    live_server: LiveServer,
    team: tuple[str, str],
    make_proxy: Callable[[], FaultProxy],
    make_device: Callable[..., Device],
) -> None:
    network = make_proxy()
    timings = replace(FAST, backoff_cap=60.0, long_poll_wait=25.0)
    nurse = make_device(
        live_server.new_staff(teams=(team[1],)),
        url=network.url,
        timings=timings,
        timeouts=Timeouts(connect=2.0, read=30.0),
    )
    if where == "retry_after_pause":
        rule = network.inject(Fault.THROTTLE_429, PUSH, method="POST", retry_after="30")
    elif where == "slow_push_answer":
        rule = network.inject(Fault.DELAY, PUSH, method="POST", delay=20.0, delay_answer=True)
    else:
        rule = network.inject(Fault.DELAY, PULL, method="GET", delay=20.0, skip=1)
    nurse.engine.start()
    if where != "long_poll":
        nurse.write(team[0], "bay 6 bloods due")
        nurse.engine.poke()
    nurse.watch.wait_for(lambda: rule.applied == 1, "the engine is waiting")
    started = time.monotonic()
    nurse.engine.stop()
    assert time.monotonic() - started < 1.0
    assert nurse.engine.status.phase is SyncPhase.STOPPED


def test_a_retraction_after_a_history_page_in_flight_still_removes_the_message(
    live_server: LiveServer,
    team: tuple[str, str],
    make_proxy: Callable[[], FaultProxy],
    make_device: Callable[..., Device],
) -> None:
    alice = make_device(live_server.new_staff("alice", teams=(team[1],)))
    alice.engine.start()
    (gone,) = alice.write(team[0], "wrong bay, ignore")
    alice.engine.poke()
    alice.watch.wait_for(lambda: alice.pending() == 0, "sent")
    network = make_proxy()
    bob = make_device(live_server.new_staff("bob", teams=(team[1],)), url=network.url)
    released, computed = threading.Event(), threading.Event()
    network.inject(
        Fault.DELAY,
        "/api/v1/teams/",
        delay=10.0,
        delay_answer=True,
        release=released,
        on_answered=computed.set,
    )
    bob.engine.start()
    assert computed.wait(WAIT)  # the server made bob's history page, with the message in it
    alice.lane.call(messages.retract_message, gone, "wrong bay")
    alice.engine.poke()
    alice.watch.wait_for(lambda: alice.pending() == 0, "retraction sent")
    head = server_head(live_server)
    # The history page made before the retraction arrives only now; the listener applies it,
    # and only then pulls (history and pulls share one thread, in the order fetched), so the
    # retraction it pulls next removes the message again.
    released.set()
    bob.watch.wait_for(lambda: (bob.lane.call(read_cursor) or 0) >= head, "bob pulled it")
    bob.watch.wait_for(lambda: not bob.lane.call(teams.teams_to_backfill), "bob's backfill done")
    assert gone not in bob.ids(team[0])


def server_head(server: LiveServer) -> int:
    with server.services.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM events").scalar())
