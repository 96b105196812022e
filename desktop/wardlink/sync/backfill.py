"""Team history: backfilled newest-first down to the policy's window, older pages on demand.

A new device starts pulling at the sign-in cursor, so what came before is history: each team is
fetched with `GET /teams/<id>/history?before=` newest first until an event is older than
`history_days`, or the server has nothing older (DESIGN.md §4). A team joined later is backfilled
the same way from its `membership.added` event (see `apply`).

Progress lives in the team's row (`teams.backfilled_to`, `history_complete`) and moves in the same
transaction as the page it describes, so an interrupted backfill resumes where it stopped. Pages
may overlap what a pull brought (applying is idempotent: rows are keyed by id and seq), and they
never touch the pull cursor: history is older than it.

Run these on the engine's thread, like pulls: a history page fetched before a retraction must be
applied before that retraction is, or the retracted message would come back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from wardlink.core.clock import Clock, parse_timestamp
from wardlink.core.protocol import MAX_PULL_LIMIT, Event, HistoryResponse
from wardlink.store import teams
from wardlink.store.changes import NOTHING, Changes
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.store.teams import Backfill
from wardlink.sync.apply import Applied, EventApplier, SkippedEvent, read_cursor, with_care
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import BadCredentials, MustWipe, NeedsSignIn, ServerRefused

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
    applied: Applied
    backfill: Backfill | None  # None: the team is no longer held here


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


def apply_history_page(
    store: Store,
    team_id: str,
    page: HistoryResponse,
    *,
    before: int | None,
    window_start: dt.datetime | None,
) -> HistoryApplied:
    """Apply a history page fetched with `before`, and the progress it makes, in one transaction.

    With `window_start`, events older than it (and all after the first such, newest first) are
    left out and the automatic backfill is complete; without, the whole page is taken (older
    pages on demand)."""
    return with_care(
        lambda careful: _apply_history_page(
            store, team_id, page, before=before, window_start=window_start, careful=careful
        )
    )


def _apply_history_page(
    store: Store,
    team_id: str,
    page: HistoryResponse,
    *,
    before: int | None,
    window_start: dt.datetime | None,
    careful: bool,
) -> HistoryApplied:
    with store.transaction():
        state = teams.get_backfill(store, team_id)
        if state is None:
            return HistoryApplied(Applied(), None)
        taken: list[Event] = []
        reached_window = False
        for event in page.events:
            if window_start is not None and parse_timestamp(event.at) < window_start:
                reached_window = True
                break
            taken.append(event)
        applier = EventApplier(store, history_of=team_id, careful=careful)
        for event in sorted(taken, key=lambda e: e.seq):  # an ack after its message
            applier.apply(event)
        # An empty page is the end too, whatever `more` says: there is nothing to page past.
        exhausted = not (page.more and page.events) and not reached_window
        oldest = min((e.seq for e in taken), default=before)
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
        return HistoryApplied(applier.result(), Backfill(team_id, bound, complete))


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
) -> Backfilled:
    """Backfill one team newest-first down to `history_days` before now, or `max_pages` pages
    (so that the engine can pull between pages). Transport errors propagate; every page applied
    before one is kept, and the next call resumes after it."""
    window_start = clock.now() - dt.timedelta(days=history_days)
    return _fetch(lane, client, team_id, window_start, page_size, max_pages)


def backfill_all(
    lane: DbLane,
    client: RecordClient,
    *,
    history_days: int,
    clock: Clock,
    page_size: int = PAGE_SIZE,
    max_pages: int | None = None,
) -> list[Backfilled]:
    """`backfill_team` for every team whose automatic backfill is not finished."""
    return [
        backfill_team(
            lane,
            client,
            team_id,
            history_days=history_days,
            clock=clock,
            page_size=page_size,
            max_pages=max_pages,
        )
        for team_id in lane.call(teams.teams_to_backfill)
    ]


def load_older(
    lane: DbLane, client: RecordClient, team_id: str, *, limit: int = PAGE_SIZE
) -> Backfilled:
    """One page older than what is here, whatever the window: the timeline's "load older"."""
    return _fetch(lane, client, team_id, None, limit, 1)


def _fetch(
    lane: DbLane,
    client: RecordClient,
    team_id: str,
    window_start: dt.datetime | None,
    page_size: int,
    max_pages: int | None,
) -> Backfilled:
    state = lane.call(history_start, team_id)
    if state is None:
        return Backfilled(team_id, complete=True, has_older=False)
    changes, applied, pages = NOTHING, 0, 0
    photos: dict[str, None] = {}
    skipped: list[SkippedEvent] = []
    left_team = False
    automatic = window_start is not None
    while (max_pages is None or pages < max_pages) and not (automatic and state.complete):
        before = state.backfilled_to
        if before is not None and before <= 1:
            page = HistoryResponse((), more=False)  # nothing older can exist
        else:
            try:
                page = client.history(team_id, before=before, limit=page_size)
            except (NeedsSignIn, MustWipe, BadCredentials):
                raise
            except ServerRefused as refused:
                if refused.code not in ("forbidden", "not_found"):
                    raise
                left_team = True  # the pull brings the removal, and the purge with it
                break
        result = lane.call(
            apply_history_page, team_id, page, before=before, window_start=window_start
        )
        pages += 1
        changes |= result.applied.changes
        applied += result.applied.applied
        photos.update(dict.fromkeys(result.applied.missing_photos))
        skipped.extend(result.applied.skipped)
        if result.backfill is None:
            left_team = True
            break
        state = result.backfill
        if not state.has_older or state.backfilled_to == before:
            break  # the start, or a page that made no progress (never loop on one)
    return Backfilled(
        team_id,
        changes=changes,
        applied=applied,
        pages=pages,
        complete=state.complete and not left_team,
        has_older=state.has_older and not left_team,
        left_team=left_team,
        missing_photos=tuple(photos),
        skipped=tuple(skipped),
    )
