"""The wire timestamp: `parse_timestamp` and `check_timestamp` take exactly what the plain reading
of the format takes (a regular expression for the shape, then `datetime` for the calendar), and
refuse everything else with the same two messages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core.clock import check_timestamp, format_timestamp, parse_timestamp

_SHAPE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z", re.ASCII)


def reference(text: str) -> dt.datetime:
    """The format read the plain way (as the first version of `parse_timestamp` did)."""
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise ValueError(
            "not an RFC 3339 UTC timestamp with milliseconds (like 2026-11-28T09:15:02.123Z)"
        )
    year, month, day, hour, minute, second, millis = (int(g) for g in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=dt.UTC)
    except ValueError:
        raise ValueError("timestamp names a date or time that does not exist") from None


def outcome(read: object, text: str) -> object:
    try:
        return read(text)  # type: ignore[operator]
    except ValueError as exc:
        return ("refused", str(exc))


def assert_same(text: str) -> None:
    expected = outcome(reference, text)
    assert outcome(parse_timestamp, text) == expected, text
    checked = outcome(check_timestamp, text)
    assert checked == (expected if isinstance(expected, tuple) else None), text
    if isinstance(expected, dt.datetime):
        parsed = parse_timestamp(text)
        assert parsed.tzinfo is not None and parsed.utcoffset() == dt.timedelta(0)
        assert format_timestamp(parsed) == text


def test_every_kind_of_day_reads_as_the_calendar_says() -> None:
    for year in ("0000", "0001", "1900", "1999", "2000", "2024", "2026", "2100", "9999"):
        for month in range(14):
            for day in (0, 1, 9, 10, 19, 20, 28, 29, 30, 31, 32, 39, 99):
                assert_same(f"{year}-{month:02d}-{day:02d}T09:15:02.123Z")


def test_every_kind_of_time_reads_as_the_clock_says() -> None:
    for hour in (0, 9, 19, 23, 24, 29, 99):
        for minute in (0, 59, 60, 99):
            for second in (0, 59, 60, 61):
                clock = f"{hour:02d}:{minute:02d}:{second:02d}"
                assert_same(f"2026-11-28T{clock}.000Z")
                assert_same(f"2024-02-29T{clock}.999Z")


@pytest.mark.parametrize(
    "text",
    [
        "", "Z", "2026-11-28", "2026-11-28T09:15:02Z", "2026-11-28T09:15:02.12Z",
        "2026-11-28T09:15:02.1234Z", "2026-11-28T09:15:02.123z", "2026-11-28t09:15:02.123Z",
        "2026-11-28 09:15:02.123Z", "2026-11-28T09:15:02.123+00:00", "2026-11-28T09:15:02,123Z",
        " 2026-11-28T09:15:02.123Z", "2026-11-28T09:15:02.123Z\n", "20261128T091502.123Z",
        "２026-11-28T09:15:02.123Z", "2026-11-28T09:15:0٢.123Z", "+2026-11-28T09:15:02.123Z",
        "-026-11-28T09:15:02.123Z", "2026-1-28T09:15:02.123Z", "2026-11-28T9:15:02.123Z",
    ],
)  # fmt: skip
def test_every_other_shape_is_refused_as_the_plain_reading_refuses_it(text: str) -> None:
    assert_same(text)


@settings(max_examples=500, derandomize=True)
@given(st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z"))
def test_any_string_of_the_shape_reads_as_the_plain_reading(text: str) -> None:
    assert_same(text)


@settings(max_examples=500, derandomize=True)
@given(st.text(alphabet="0123456789-T:.Zz+ ٢", max_size=26))
def test_any_nearby_string_reads_as_the_plain_reading(text: str) -> None:
    assert_same(text)
