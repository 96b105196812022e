"""Team history: backfilled newest-first down to the policy's window, older pages on demand.

A new device starts pulling at the sign-in cursor, so what came before is history: each team is
fetched with `GET /teams/<id>/history?before=` newest first until an event is older than
`history_days`, or the server has nothing older (DESIGN.md §4). A team joined later is backfilled
the same way from its `membership.added` event (see `apply`).

Progress lives in the team's row (`teams.backfilled_to`, `history_complete`) and moves in the same
transaction as the pages it describes, so an interrupted backfill resumes where it stopped. Pages
may overlap what a pull brought (applying is idempotent: rows are keyed by id and seq), and they
never touch the pull cursor: history is older than it.

Run these on the engine's thread, like pulls: a history page fetched before a retraction must be
applied before that retraction is, or the retracted message would come back. Pages are fetched
ahead on a worker while the lane applies earlier ones (`history_ahead`), and the lane applies
what is ready in one transaction: still one page after another, in the order fetched, each with
its progress, and this thread pulls nothing until the worker is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from wardlink.core.clock import Clock, parse_timestamp
from wardlink.core.protocol import MAX_PULL_LIMIT, HistoryResponse
from wardlink.store import teams
from wardlink.store.changes import NOTHING, Changes
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.store.teams import Backfill
from wardlink.sync.apply import Applied, EventApplier, SkippedEvent, read_cursor, with_care
from wardlink.sync.client import RecordClient
from wardlink.sync.history_ahead import FetchedPage, HistoryAhead
from wardlink.sync.message_rows import MessageRead

PAGE_SIZE: Final = MAX_PULL_LIMIT  # the most the server gives in one page


@dataclass(frozen=True, slots=True)
class Backfilled:
    """What backfilling (or loading older history of) one team did.

    `complete`: the automatic backfill of this team is finished; `has_older`: the server may
    hold older history still (for "load older messages"); `left_team`: the server says this
    profile is no longer in the team (the next pull brings the removal)."""

    team_id: str
    changes: Changes = NOTHING
    applied: int = 0
    pages: int = 0
    complete: bool = False
    has_older: bool = True
    left_team: bool = False
    missing_photos: tuple[str, ...] = ()
    skipped: tuple[SkippedEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryApplied:
    """What `apply_history_pages` did: `pages` of the pages given were applied; `ended`: the
    backfill stops here (the team is gone, nothing older exists, the window is reached, or a
    page made no progress)."""

    applied: Applied
    backfill: Backfill | None  # None: the team is no longer held here
    pages: int = 0
    ended: bool = False


# -- store operations (run on the DB lane) ------------------------------------------------------


def history_start(store: Store, team_id: str) -> Backfill | None:
    """The team's backfill progress. A team never started begins just after the pull cursor:
    everything newer arrives by pull. None if the team is not held here."""
    with store.transaction():
        state = teams.get_backfill(store, team_id)
        if state is None or state.backfilled_to is not None:
            return state
        cursor = read_cursor(store)
        if cursor is None:
            return state  # no cursor yet: start from the newest
        teams.set_backfill_in_tx(store, team_id, cursor + 1, complete=state.complete)
        return Backfill(team_id, cursor + 1, state.complete)


def apply_history_pages(
    store: Store,
    team_id: str,
    pages: Sequence[FetchedPage],
    *,
    window_start: dt.datetime | None,
) -> HistoryApplied:
    """Apply history pages one after another, each with the progress it makes, in one
    transaction: one commit for what the lane has ready.

    A page is applied only if the team's progress is the `before` it was fetched with (pages
    fetched ahead were fetched with a guessed one); applying stops at the first page that is
    not, and after a page that ends the backfill. With `window_start`, events older than it (and
    all after the first such, newest first) are left out and the automatic backfill is
    complete; without, whole pages are taken (older pages on demand)."""
    return with_care(
        lambda careful: _apply_history_pages(
            store, team_id, pages, window_start=window_start, careful=careful
        )
    )


def _apply_history_pages(
    store: Store,
    team_id: str,
    pages: Sequence[FetchedPage],
    *,
    window_start: dt.datetime | None,
    careful: bool,
) -> HistoryApplied:
    total, done = Applied(), 0
    with store.transaction():
        state = teams.get_backfill(store, team_id)
        for fetched in pages:
            if state is None:
                return HistoryApplied(total, None, done, ended=True)
            if fetched.page is None or state.backfilled_to != fetched.before:
                break
            applied, state = _apply_history_page(
                store,
                team_id,
                fetched.page,
                fetched.messages,
                state,
                before=fetched.before,
                window_start=window_start,
                careful=careful,
            )
            total, done = _merged(total, applied), done + 1
            if (
                not state.has_older
                or state.backfilled_to == fetched.before  # no progress: never loop on a page
                or (window_start is not None and state.complete)
            ):
                return HistoryApplied(total, state, done, ended=True)
    return HistoryApplied(total, state, done, ended=state is None)


def _apply_history_page(
    store: Store,
    team_id: str,
    page: HistoryResponse,
    reads: Sequence[MessageRead],
    state: Backfill,
    *,
    before: int | None,
    window_start: dt.datetime | None,
    careful: bool,
) -> tuple[Applied, Backfill]:
    paired = list(zip(page.events, reads or (None,) * len(page.events), strict=True))
    taken = paired
    reached_window = False
    # Wire timestamps order as their text does: if the oldest is inside the window, all are.
    if (
        window_start is not None
        and page.events
        and parse_timestamp(min(e.at for e in page.events)) < window_start
    ):
        taken = []
        for event, read in paired:
            if parse_timestamp(event.at) < window_start:
                reached_window = True
                break
            taken.append((event, read))
    applier = EventApplier(store, history_of=team_id, careful=careful)
    for event, read in sorted(taken, key=lambda pair: pair[0].seq):  # an ack after its message
        applier.apply(event, read)
    # An empty page is the end too, whatever `more` says: there is nothing to page past.
    exhausted = not (page.more and page.events) and not reached_window
    oldest = min((e.seq for e, _ in taken), default=before)
    bound = 0 if exhausted else oldest
    if bound is not None and state.backfilled_to is not None:
        bound = min(bound, state.backfilled_to)  # progress never goes back
    elif bound is None:
        bound = state.backfilled_to
    if bound == 0:
        applier.history_is_all_here(team_id)
    applier.finish()
    complete = state.complete or exhausted or reached_window
    teams.set_backfill_in_tx(store, team_id, bound, complete=complete)
    return applier.result(), Backfill(team_id, bound, complete)


def _merged(a: Applied, b: Applied) -> Applied:
    return Applied(
        changes=a.changes | b.changes,
        applied=a.applied + b.applied,
        joined=a.joined | b.joined,
        purged=a.purged | b.purged,
        policy_changed=a.policy_changed or b.policy_changed,
        missing_photos=tuple(dict.fromkeys(a.missing_photos + b.missing_photos)),
        skipped=a.skipped + b.skipped,
    )


# -- fetching (on the engine's thread) ----------------------------------------------------------


def backfill_team(
    lane: DbLane,
    client: RecordClient,
    team_id: str,
    *,
    history_days: int,
    clock: Clock,
    page_size: int = PAGE_SIZE,
    max_pages: int | None = None,
    on_applied: Callable[[int], None] | None = None,
) -> Backfilled:
    """Backfill one team newest-first down to `history_days` before now, or `max_pages` pages
    (so that the engine can pull between pages). Transport errors propagate; every page applied
    before one is kept, and the next call resumes after it. `on_applied(events)` is called on
    this thread after each commit (progress for a first sync)."""
    window_start = clock.now() - dt.timedelta(days=history_days)
    return _fetch(lane, client, team_id, window_start, page_size, max_pages, on_applied, None)


def backfill_all(
    lane: DbLane,
    client: RecordClient,
    *,
    history_days: int,
    clock: Clock,
    page_size: int = PAGE_SIZE,
    max_pages: int | None = None,
    on_applied: Callable[[int], None] | None = None,
) -> list[Backfilled]:
    """`backfill_team` for every team whose automatic backfill is not finished, each next
    team's pages fetched while the one before's last pages are written (`_NextTeam`)."""
    window_start = clock.now() - dt.timedelta(days=history_days)
    team_ids = lane.call(teams.teams_to_backfill)
    relay = _NextTeam(lane, client, team_ids, window_start, page_size, max_pages)
    done: list[Backfilled] = []
    try:
        for index, team_id in enumerate(team_ids):
            relay.at = index
            done.append(
                _fetch(lane, client, team_id, window_start, page_size, max_pages, on_applied, relay)
            )
    finally:
        relay.close()  # nothing fetches once this returns: the caller may pull
    return done


class _NextTeam:
    """The next team's history worker, started while this team's last pages are written, so
    that neither the network nor the lane waits for the other between teams.

    One worker at a time uses the client: this one is started only once the current team's
    worker has fetched its last page and been closed, and it is closed before any other worker
    starts (`adopt`)."""

    def __init__(
        self,
        lane: DbLane,
        client: RecordClient,
        team_ids: list[str],
        window_start: dt.datetime,
        page_size: int,
        max_pages: int | None,
    ) -> None:
        self._lane = lane
        self._client = client
        self._team_ids = team_ids
        self._window_start = window_start
        self._page_size = page_size
        self._max_pages = max_pages
        self._worker: HistoryAhead | None = None
        self.at = 0  # the team being backfilled

    def start(self) -> None:
        """Start fetching the next team's pages (the client must be free)."""
        following = self.at + 1
        if self._worker is not None or following >= len(self._team_ids):
            return
        team_id = self._team_ids[following]
        state = self._lane.call(history_start, team_id)
        if state is None or state.complete:
            return
        self._worker = HistoryAhead(
            self._client,
            team_id,
            state.backfilled_to,
            page_size=self._page_size,
            window_start=self._window_start,
            limit=self._max_pages,
        )

    def adopt(self, team_id: str, before: int | None) -> HistoryAhead | None:
        """The worker started for `team_id` from `before`, if there is one; any other is
        closed (its request under way is dropped), leaving the client free."""
        worker = self._worker
        if worker is not None and (worker.team_id, worker.before) == (team_id, before):
            self._worker = None
            return worker
        self.close()
        return None

    def close(self) -> None:
        """Close the worker started ahead, if any (its request under way is dropped)."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None


def load_older(
    lane: DbLane, client: RecordClient, team_id: str, *, limit: int = PAGE_SIZE
) -> Backfilled:
    """One page older than what is here, whatever the window: the timeline's "load older"."""
    return _fetch(lane, client, team_id, None, limit, 1, None, None)


def _fetch(
    lane: DbLane,
    client: RecordClient,
    team_id: str,
    window_start: dt.datetime | None,
    page_size: int,
    max_pages: int | None,
    on_applied: Callable[[int], None] | None,
    relay: _NextTeam | None,
) -> Backfilled:
    state = lane.call(history_start, team_id)
    if state is None:
        return Backfilled(team_id, complete=True, has_older=False)
    total, pages, left_team = Applied(), 0, False
    ended = window_start is not None and state.complete
    while not ended and (max_pages is None or pages < max_pages):
        # The worker fetches from where the team's progress is; it is started again only when
        # a guess of its was wrong (the progress is not where it fetched from).
        limit = None if max_pages is None else max_pages - pages
        adopted = None if relay is None else relay.adopt(team_id, state.backfilled_to)
        with adopted or HistoryAhead(
            client,
            team_id,
            state.backfilled_to,
            page_size=page_size,
            window_start=window_start,
            limit=limit,
        ) as ahead:
            while not ended:
                ready = ahead.take()
                if not ready:
                    break  # it guessed the end, or spent its limit: the outer loop decides
                if relay is not None and ahead.fetching_done():
                    ahead.close()  # it fetches no more: the client is free
                    relay.start()  # the next team's pages come while these are written
                result = lane.call(apply_history_pages, team_id, ready, window_start=window_start)
                total, pages = _merged(total, result.applied), pages + result.pages
                if result.pages and on_applied is not None:
                    on_applied(result.applied.applied)
                if result.backfill is None:
                    left_team = ended = True
                    break
                state = result.backfill
                ended = result.ended
                if not ended and result.pages < len(ready):
                    if ready[result.pages].page is None:
                        left_team = ended = True  # the pull brings the removal, and the purge
                    break  # a wrong guess: fetch again from where the progress is
    return Backfilled(
        team_id,
        changes=total.changes,
        applied=total.applied,
        pages=pages,
        complete=state.complete and not left_team,
        has_older=state.has_older and not left_team,
        left_team=left_team,
        missing_photos=total.missing_photos,
        skipped=total.skipped,
    )
