"""Dates, times and numbers as staff type them (no Qt needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from wardlink.ui.forms.typed_values import (
    format_date,
    format_datetime,
    format_number,
    local_datetime,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_time,
)

MARCH_12 = dt.date(1950, 3, 12)


@pytest.mark.parametrize(
    "typed",
    ["12/03/1950", "12/3/1950", "12-03-1950", "12.3.1950", "12 3 1950", "1950-03-12",
     "12031950", "12 Mar 1950", "12 march 1950", "12th March 1950", "12-Mar-1950", " 12/03/1950 "],
)  # fmt: skip
def test_dates_are_read_day_first(typed: str) -> None:
    assert parse_date(typed) == MARCH_12


@pytest.mark.parametrize(
    "typed", ["12/3/50", "31/02/1950", "13/13/1950", "1950", "March 1950", "12 Smarch 1950", ""]
)
def test_what_is_not_a_whole_date_is_not_guessed(typed: str) -> None:
    assert parse_date(typed) is None


@pytest.mark.parametrize(
    ("typed", "time"),
    [("14:30", dt.time(14, 30)), ("1430", dt.time(14, 30)), ("9:05", dt.time(9, 5)),
     ("09.05", dt.time(9, 5)), ("905", dt.time(9, 5)), ("00:00", dt.time(0, 0))],
)  # fmt: skip
def test_times_on_the_24_hour_clock(typed: str, time: dt.time) -> None:
    assert parse_time(typed) == time


@pytest.mark.parametrize("typed", ["24:00", "12:60", "2pm", "14", ""])
def test_what_is_not_a_time(typed: str) -> None:
    assert parse_time(typed) is None


def test_dates_and_times_are_written_back_unmistakably() -> None:
    assert format_date(dt.date(2026, 12, 1)) == "1 Dec 2026"
    moment = local_datetime(dt.date(2026, 7, 1), dt.time(9, 15))
    assert moment.utcoffset() is not None  # filed with its offset
    assert format_datetime(moment) == "1 Jul 2026 09:15"
    assert format_datetime(moment.astimezone(dt.UTC)) == "1 Jul 2026 09:15"  # shown locally


def test_numbers() -> None:
    assert parse_integer("-12") == -12 and parse_integer("1.5") is None
    assert parse_decimal("37,5") == 37.5 and parse_decimal(".5") == 0.5
    assert parse_decimal("-") is None and parse_decimal("1.2.3") is None
    assert [format_number(v) for v in (37.0, 37.5, 1200, 0.1)] == ["37", "37.5", "1200", "0.1"]
