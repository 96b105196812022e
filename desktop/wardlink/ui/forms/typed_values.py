"""Dates, times and numbers as staff type them, read into Python values and written back.

UK habits: day before month (`12/03/1950`, `12.3.1950`, `12 Mar 1950`), the 24-hour clock
(`14:30`, `1430`). A two-digit year is refused rather than guessed: for a date of birth, `50`
could be 1950 or 2050, and a wrong guess is a wrong patient. Anything that cannot be read comes
back as None, and the field then reports "needs a date" in plain words.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_ISO: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_NUMERIC: Final = re.compile(r"(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})", re.ASCII)
_WORDY: Final = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-/]*([a-z]+)\.?[\s\-/,]*(\d{4})")
_COMPACT: Final = re.compile(r"(\d{2})(\d{2})(\d{4})", re.ASCII)
_TIME: Final = re.compile(r"(\d{1,2})\s*[:.h]\s*(\d{2})", re.ASCII)
_TIME_COMPACT: Final = re.compile(r"(\d{1,2})(\d{2})", re.ASCII)
_INTEGER: Final = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL: Final = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)", re.ASCII)

INTEGER_PATTERN: Final = r"[+-]?\d{0,9}"  # what an integer field lets you type
DECIMAL_PATTERN: Final = r"[+-]?\d{0,7}([.,]\d{0,4})?"
DATE_HINT: Final = "dd/mm/yyyy"
TIME_HINT: Final = "hh:mm"


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    """A date typed day first (or ISO), or None if it is not one."""
    text = text.strip().lower()
    if match := _ISO.fullmatch(text):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.fullmatch(text):
        return _date(int(match[3]), int(match[2]), int(match[1]))
    if match := _COMPACT.fullmatch(text):
        return _date(int(match[3]), int(match[2]), int(match[1]))
    if (match := _WORDY.fullmatch(text)) and match[2] in _MONTHS:
        return _date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    return None


def parse_time(text: str) -> dt.time | None:
    """A 24-hour time (`14:30`, `14.30`, `1430`, `9:05`), or None."""
    text = text.strip().lower()
    match = _TIME.fullmatch(text) or _TIME_COMPACT.fullmatch(text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    """A wall-clock date and time here, as an aware datetime (the offset of that day)."""
    return dt.datetime.combine(day, time).astimezone()


def format_date(day: dt.date) -> str:
    """`12 Mar 1950`: the month in words, so that day and month cannot be mistaken."""
    return f"{day.day} {day.strftime('%b %Y')}"


def format_time(moment: dt.datetime | dt.time) -> str:
    return moment.strftime("%H:%M")


def format_datetime(moment: dt.datetime) -> str:
    """A moment in local time, as `28 Nov 2026 09:15`."""
    local = moment.astimezone()
    return f"{format_date(local.date())} {format_time(local)}"


def parse_integer(text: str) -> int | None:
    text = text.strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def parse_decimal(text: str) -> float | None:
    text = text.strip()
    return float(text.replace(",", ".")) if _DECIMAL.fullmatch(text) else None


def format_number(value: float) -> str:
    """A number as typed: `37.5`, `37` (not `37.0`), `1200` (not `1.2e+03`)."""
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    return text.removesuffix(".0")
