"""Fetching a team's history pages ahead, on a worker thread, while the DB lane applies others.

A backfill used to fetch a page, apply it, fetch the next: the network and the store waited on
each other. Here a worker fetches pages (HTTP, JSON, strict parsing, messages read into rows) up
to `AHEAD_PAGES` ahead, and the caller hands them to the lane `BATCH_PAGES` at a time. Each page's
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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from wardlink.core.clock import parse_timestamp
from wardlink.core.protocol import HistoryResponse
from wardlink.core.protocol.event_pages import page_bounds, read_history_page
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import BadCredentials, MustWipe, NeedsSignIn, ServerRefused
from wardlink.sync.message_rows import MessageRead, rows_of
from wardlink.sync.transport import parse_or_bad

# Fetched and not yet applied, at most: a page of 1,000 messages read is about 1.5 MB.
AHEAD_PAGES: Final = 8
# Pages the lane is given at once (fewer only first and last), applied in one transaction.
# Commits are what costs: message ids are random UUIDs, so every page touches the id index all
# over, and a commit encrypts and writes every page it touched. Writing 100,000 messages a page
# a commit took 2.4 s here, 4 pages a commit 1.6 s; bigger batches left the lane waiting.
BATCH_PAGES: Final = 4


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A history page and the `before` it was fetched with; `page` None: the server says this
    profile is no longer in the team. `messages`: its message events read ahead
    (`message_rows.rows_of`; empty: read them when applying)."""

    before: int | None
    page: HistoryResponse | None
    messages: tuple[MessageRead, ...] = ()


# What the server answers for history older than seq 1: nothing can exist there.
_NOTHING_OLDER: Final = b'{"events":[],"more":false}'


def history_bytes(
    client: RecordClient, team_id: str, before: int | None, page_size: int
) -> bytes | None:
    """The team's page before `before`, as it came; None if the server says this profile left
    the team."""
    if before is not None and before <= 1:
        return _NOTHING_OLDER
    try:
        return client.history_bytes(team_id, before=before, limit=page_size)
    except (NeedsSignIn, MustWipe, BadCredentials):
        raise
    except ServerRefused as refused:
        if refused.code not in ("forbidden", "not_found"):
            raise
        return None


def next_before(raw: bytes, window_start: dt.datetime | None) -> int | None:
    """The `before` of the page after this one, as applying it most likely leaves it; None if
    it most likely ends the backfill. Only a guess, from a quick look at the page (a wrong one
    costs a request, never a wrong page), made before the page is read in full so that the
    server can work on the next one meanwhile."""
    bounds = page_bounds(raw)
    if bounds is None or not bounds.more or bounds.oldest_seq is None:
        return None
    if window_start is not None:
        try:
            if parse_timestamp(bounds.last_at) < window_start:
                return None  # the window ends on this page
        except ValueError:
            return None  # reading the page in full says what is wrong
    return bounds.oldest_seq


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
        batch: int = BATCH_PAGES,
    ) -> None:
        self._client = client
        self._team_id = team_id
        self._before = before
        self._page_size = page_size
        self._window_start = window_start
        self._limit = limit
        self._ahead = max(ahead, 2)  # the page being read and the one asked for meanwhile
        self._batch = max(1, min(batch, self._ahead - 2))  # so that a batch always fills
        self._changed = threading.Condition()
        self._ready: deque[FetchedPage] = deque()
        self._error: Exception | None = None
        self._stopped = False  # the worker fetches no more
        self._taken = False  # a page was taken
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="wardlink-history", daemon=True)
        self._thread.start()

    def __enter__(self) -> HistoryAhead:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def take(self) -> list[FetchedPage]:
        """Every page fetched and not yet taken, waiting until there are `batch` of them (the
        first page is taken alone, as soon as it is here: the newest history shows at once) or
        the worker has stopped; [] when it stopped with nothing more. What stopped it is raised
        once the pages fetched before it are taken."""
        with self._changed:
            wanted = self._batch if self._taken else 1
            self._changed.wait_for(lambda: len(self._ready) >= wanted or self._stopped)
            if self._ready:
                self._taken = True
                taken = list(self._ready)
                self._ready.clear()
                self._changed.notify_all()
                return taken
            error, self._error = self._error, None
        if error is not None:
            raise error
        return []

    @property
    def team_id(self) -> str:
        return self._team_id

    @property
    def before(self) -> int | None:
        """Where it started fetching from."""
        return self._before

    def fetching_done(self) -> bool:
        """Every page it will fetch is taken, without an error: once closed (which then returns
        at once), the client is free for another worker."""
        with self._changed:
            return self._stopped and self._error is None and not self._ready

    def close(self) -> None:
        """Stop fetching (a request under way is finished and dropped) and join the worker."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join()

    def _run(self) -> None:
        """Fetch a page, ask for the next by guess, read the first in full meanwhile, and so
        on: the requests go out one after another on a thread of their own (the session is
        never used by two threads at once), so that the server works while this one reads."""
        with ThreadPoolExecutor(1, thread_name_prefix="wardlink-history-fetch") as fetcher:
            self._fetch_and_read(fetcher)

    def _fetch_and_read(self, fetcher: ThreadPoolExecutor) -> None:
        before: int | None = self._before
        fetched = 0
        try:
            asked = self._ask(fetcher, before, fetched)
            while asked is not None:
                raw = asked.result()  # a request's error is raised here, in turn
                fetched += 1
                guess = None if raw is None else next_before(raw, self._window_start)
                asked = None if guess is None else self._ask(fetcher, guess, fetched)
                if raw is None:
                    fetched_page = FetchedPage(before, None)
                else:
                    read = parse_or_bad(read_history_page, raw)
                    rows = rows_of(read.response.events, read.messages)
                    fetched_page = FetchedPage(before, read.response, rows)
                with self._changed:
                    self._ready.append(fetched_page)
                    self._changed.notify_all()
                if guess is not None:
                    before = guess
        except Exception as exc:  # raised by `take`, after the pages fetched before it
            with self._changed:
                self._error = exc
        finally:
            with self._changed:
                self._stopped = True
                self._changed.notify_all()

    def _ask(
        self, fetcher: ThreadPoolExecutor, before: int | None, fetched: int
    ) -> Future[bytes | None] | None:
        """Send the request for the page before `before` once there is room for its answer
        (`ahead` pages waiting, counting the one being read), or None: the limit is reached, or
        the worker is closing."""
        if self._limit is not None and fetched >= self._limit:
            return None
        with self._changed:
            self._changed.wait_for(lambda: self._closing or len(self._ready) < self._ahead - 1)
            if self._closing:
                return None
        return fetcher.submit(history_bytes, self._client, self._team_id, before, self._page_size)
