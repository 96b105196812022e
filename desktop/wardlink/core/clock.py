"""Wall-clock time, injectable, and the protocol's one timestamp format.

Everything that stamps or compares times (outbox, sync, lease, idle lock) takes a `Clock`, so that
tests move time forward instead of sleeping. The wire format is RFC 3339 UTC with exactly three
fractional digits and a `Z` (`2026-11-28T09:15:02.123Z`); times are cut to milliseconds so that a
value survives a round trip through the wire unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import NoReturn, Protocol

# The wire form, with each field in its range; only the day of the month (and the year 0, which
# `datetime` refuses) needs a calendar to check.
_TIMESTAMP = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z",
    re.ASCII,
)
# The form alone, fields unchecked: what tells a bad shape from a time that does not exist.
_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)
EXAMPLE_TIMESTAMP = "2026-11-28T09:15:02.123Z"
_NOT_THE_FORM = f"not an RFC 3339 UTC timestamp with milliseconds (like {EXAMPLE_TIMESTAMP})"
_NO_SUCH_TIME = "timestamp names a date or time that does not exist"


class Clock(Protocol):
    """A source of the current time as an aware UTC datetime."""

    def now(self) -> dt.datetime: ...


def _require_aware(moment: dt.datetime, what: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, not a naive one")
    return moment.astimezone(dt.UTC)


def truncate_to_ms(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC without its sub-millisecond part (truncated, never rounded up)."""
    moment = _require_aware(moment, "the time")
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that always says the same time: for tests that need one stable 'now'."""

    def __init__(self, moment: dt.datetime) -> None:
        self._moment = _require_aware(moment, "FixedClock's time")

    def now(self) -> dt.datetime:
        return self._moment


class ManualClock:
    """A clock that tests move by hand; safe to read from worker threads."""

    def __init__(self, start: dt.datetime) -> None:
        self._lock = threading.Lock()
        self._moment = _require_aware(start, "ManualClock's start")

    def now(self) -> dt.datetime:
        with self._lock:
            return self._moment

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move forward by `delta` (never backwards: wall-clock jumps are a separate test)."""
        if delta < dt.timedelta(0):
            raise ValueError("ManualClock.advance takes a non-negative timedelta")
        with self._lock:
            self._moment += delta
            return self._moment

    def set(self, moment: dt.datetime) -> None:
        """Jump to `moment`, forwards or backwards, as a user changing the PC's clock would."""
        moment = _require_aware(moment, "ManualClock's time")
        with self._lock:
            self._moment = moment


SYSTEM_CLOCK = SystemClock()


def utc_now_ms(clock: Clock = SYSTEM_CLOCK) -> dt.datetime:
    """The current time in UTC, cut to milliseconds, as the wire carries it."""
    return truncate_to_ms(clock.now())


def format_timestamp(moment: dt.datetime) -> str:
    """`moment` as RFC 3339 UTC with milliseconds, e.g. '2026-11-28T09:15:02.123Z'."""
    m = truncate_to_ms(moment)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T"
        f"{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond // 1000:03d}Z"
    )


def parse_timestamp(text: str) -> dt.datetime:
    """An aware UTC datetime from the wire format; anything else is a ValueError.

    Strict on purpose: client and server both write exactly this form, so any other shape is a
    bug worth hearing about. The message never repeats the text.
    """
    if _TIMESTAMP.fullmatch(text) is None:
        _refuse(text)
    try:
        # The form is checked: what is left is ISO 8601 as `fromisoformat` reads it ("Z": UTC).
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(_NO_SUCH_TIME) from None


def check_timestamp(text: str) -> None:
    """Refuse what `parse_timestamp` refuses, with its messages, without making a datetime (for
    readers that keep the text)."""
    if _TIMESTAMP.fullmatch(text) is None:
        _refuse(text)
    if text[8:10] > "28" or text.startswith("0000"):  # the only ways a matching form can fail
        try:
            dt.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
        except ValueError:
            raise ValueError(_NO_SUCH_TIME) from None


def _refuse(text: str) -> NoReturn:
    raise ValueError(_NO_SUCH_TIME if _SHAPE.fullmatch(text) else _NOT_THE_FORM)
