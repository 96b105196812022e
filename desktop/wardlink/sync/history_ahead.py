"""Fetching a team's history pages ahead, on a worker thread, while the DB lane applies others.

A backfill used to fetch a page, apply it, fetch the next: the network and the store waited on
each other. Here a worker fetches pages (HTTP, JSON, strict parsing, messages read into rows) up
to `AHEAD_PAGES` ahead, and the caller hands whatever is ready to the lane in one go. Each page's
`before` is guessed from the page before it (its oldest seq: where applying that page leaves
the team's progress, unless it ends the history); `backfill.apply_history_pages` applies a page
only if the progress is exactly the `before` it was fetched with, so a wrong guess costs a
request, never a wrong page.

Order is kept: pages are applied one after another in the order fetched, and the caller, the
engine's listener, does nothing else (no pull) until it has closed the worker, so no pull can
come between a page's fetch and its application (see `backfill`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from dataclasses import dataclass
from typing import Final

from wardlink.core.clock import parse_timestamp
from wardlink.core.protocol import HistoryResponse
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import BadCredentials, MustWipe, NeedsSignIn, ServerRefused
from wardlink.sync.message_rows import MessageRead, read_messages

# Fetched and not yet applied, at most; the lane applies as many in one transaction. A page of
# 1,000 messages parsed is about 1.5 MB; one commit for 4 pages writes about half the database
# pages of 4 commits (an id index of random UUIDs is touched all over by every page).
AHEAD_PAGES: Final = 4


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A history page and the `before` it was fetched with; `page` None: the server says this
    profile is no longer in the team. `messages`: its message events read ahead
    (`message_rows.read_messages`; empty: read them when applying)."""

    before: int | None
    page: HistoryResponse | None
    messages: tuple[MessageRead, ...] = ()


def history_page(
    client: RecordClient, team_id: str, before: int | None, page_size: int
) -> HistoryResponse | None:
    """The team's page before `before`; None if the server says this profile left the team."""
    if before is not None and before <= 1:
        return HistoryResponse((), more=False)  # nothing older can exist
    try:
        return client.history(team_id, before=before, limit=page_size)
    except (NeedsSignIn, MustWipe, BadCredentials):
        raise
    except ServerRefused as refused:
        if refused.code not in ("forbidden", "not_found"):
            raise
        return None


def next_before(page: HistoryResponse, window_start: dt.datetime | None) -> int | None:
    """The `before` of the page after `page`, as applying `page` most likely leaves it; None if
    `page` most likely ends the backfill. Only a guess: a wrong one costs a request."""
    if not (page.more and page.events):
        return None
    if window_start is not None and parse_timestamp(page.events[-1].at) < window_start:
        return None  # the window ends on this page
    return min(e.seq for e in page.events)


class HistoryAhead:
    """A worker thread fetching one team's pages from `before` on, at most `limit` of them.

    It uses `client` until `close()` returns (which joins it): the caller must not use the
    client meanwhile. It stops after a page that most likely ends the backfill, after a page
    saying the team was left, at its limit, or at an error, which `take` raises in turn."""

    def __init__(
        self,
        client: RecordClient,
        team_id: str,
        before: int | None,
        *,
        page_size: int,
        window_start: dt.datetime | None,
        limit: int | None,
        ahead: int = AHEAD_PAGES,
    ) -> None:
        self._client = client
        self._team_id = team_id
        self._before = before
        self._page_size = page_size
        self._window_start = window_start
        self._limit = limit
        self._ahead = ahead
        self._changed = threading.Condition()
        self._ready: deque[FetchedPage] = deque()
        self._error: Exception | None = None
        self._stopped = False  # the worker fetches no more
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="wardlink-history", daemon=True)
        self._thread.start()

    def __enter__(self) -> HistoryAhead:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def take(self) -> list[FetchedPage]:
        """Every page fetched and not yet taken, waiting for one if there is none; [] when the
        worker stopped with nothing more. What stopped it is raised once the pages fetched
        before it are taken."""
        with self._changed:
            self._changed.wait_for(lambda: self._ready or self._stopped)
            if self._ready:
                taken = list(self._ready)
                self._ready.clear()
                self._changed.notify_all()
                return taken
            error, self._error = self._error, None
        if error is not None:
            raise error
        return []

    def close(self) -> None:
        """Stop fetching (a request under way is finished and dropped) and join the worker."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join()

    def _run(self) -> None:
        before, fetched = self._before, 0
        try:
            while self._limit is None or fetched < self._limit:
                with self._changed:
                    self._changed.wait_for(lambda: self._closing or len(self._ready) < self._ahead)
                    if self._closing:
                        return
                page = history_page(self._client, self._team_id, before, self._page_size)
                fetched += 1
                read = () if page is None else read_messages(page.events)
                with self._changed:
                    self._ready.append(FetchedPage(before, page, read))
                    self._changed.notify_all()
                guess = None if page is None else next_before(page, self._window_start)
                if guess is None:
                    return
                before = guess
        except Exception as exc:  # raised by `take`, after the pages fetched before it
            with self._changed:
                self._error = exc
        finally:
            with self._changed:
                self._stopped = True
                self._changed.notify_all()
