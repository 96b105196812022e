"""Long-poll wake-ups go to whom the new events concern (on SQLite and PostgreSQL): a message
to one team wakes its members' long-polls, not every other team's, while global events,
membership changes and waits with no staff member still wake as they must."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tests.server.conftest import Directory
from wardlink_server import directory, events
from wardlink_server.audit import CLI
from wardlink_server.events import EventNotifier, scanner
from wardlink_server.services import Services

TIMEOUT_S = 10.0


def message_to(services: Services, team_id: str) -> None:
    with services.writer.begin() as conn:
        events.append(conn, "message", at=services.now(), data={"id": "m"}, team_id=team_id)


async def settled(notifier: EventNotifier, commit: Callable[[], None]) -> None:
    """Commit in a worker thread, notify as a writer does, and let the dispatch run out."""
    await asyncio.to_thread(commit)
    notifier.notify()
    await notifier.dispatched()
    for _ in range(5):  # the woken waits run to their end
        await asyncio.sleep(0)


async def primed(notifier: EventNotifier) -> None:
    """The loop's first dispatch knows no seq yet, so it wakes everyone; get it over with."""
    first = waits(notifier, "someone")["someone"]
    await asyncio.sleep(0)
    await settled(notifier, lambda: None)
    assert first.done()


def waits(notifier: EventNotifier, *staff_ids: str | None) -> dict[str | None, asyncio.Task[bool]]:
    return {s: asyncio.create_task(notifier.wait(TIMEOUT_S, staff_id=s)) for s in staff_ids}


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


@pytest.fixture
def notifier(services: Services) -> EventNotifier:
    return EventNotifier(scanner(services.engine))


def test_a_team_message_wakes_its_members_only(
    services: Services, board: Directory, notifier: EventNotifier
) -> None:
    alice, bob, carol = (board.staff[n] for n in ("alice", "bob", "carol"))

    async def scenario() -> None:
        await primed(notifier)
        waiting = waits(notifier, alice, bob, carol)
        await asyncio.sleep(0)
        await settled(notifier, lambda: message_to(services, board.teams["ward"]))
        assert waiting[alice].done() and waiting[bob].done()
        assert not waiting[carol].done()
        await settled(notifier, lambda: message_to(services, board.teams["community"]))
        assert waiting[carol].done()
        assert all(task.result() for task in waiting.values())

    run(scenario)


def test_global_events_membership_changes_and_anonymous_waits_wake(
    services: Services, board: Directory, notifier: EventNotifier
) -> None:
    carol, dave = board.staff["carol"], board.staff["dave"]

    def add_dave() -> None:
        with services.writer.begin() as conn:
            directory.add_member(conn, services, CLI, "Ward 7 (Surgical)", "dave")

    def disable_bob() -> None:
        with services.writer.begin() as conn:
            directory.disable_staff(conn, services, CLI, "bob")  # a global staff.updated

    async def scenario() -> None:
        await primed(notifier)
        waiting = waits(notifier, carol, dave, None)
        await asyncio.sleep(0)
        await settled(notifier, add_dave)  # dave in no team yet: his own event wakes him
        assert waiting[dave].done() and waiting[None].done()
        assert not waiting[carol].done()
        await settled(notifier, disable_bob)
        assert waiting[carol].done()

    run(scenario)


def test_when_the_scan_fails_everyone_wakes(
    services: Services, board: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_after: int | None) -> tuple[int, frozenset[str] | None]:
        raise OSError("the database went away")

    notifier = EventNotifier(broken)

    async def scenario() -> None:
        waiting = waits(notifier, board.staff["carol"])
        await asyncio.sleep(0)
        await settled(notifier, lambda: message_to(services, board.teams["ward"]))
        assert waiting[board.staff["carol"]].done()

    run(scenario)


def test_the_scan_names_whom_events_concern(services: Services, board: Directory) -> None:
    scan = scanner(services.engine)
    head, everyone = scan(None)
    assert everyone is None  # nothing known yet: everyone
    message_to(services, board.teams["ward"])
    newest, concerned = scan(head)
    assert newest > head
    assert concerned == {board.staff["alice"], board.staff["bob"]}
    assert scan(newest) == (newest, frozenset())
