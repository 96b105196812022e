"""Search parameters: each resource type's list (DESIGN.md §5), and their values parsed and checked.

The same parameters arrive in a URL or in a `POST /fhir/<type>/_search` form body. Repeating a
parameter means AND; commas in one value mean OR (FHIR's rules). A parameter this server does
not serve is refused (400) rather than ignored: an ignored filter would answer with more
patients' records than were asked for. Refusals name the parameter only when it is one of ours,
never a value or a name the caller made up.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlalchemy import ColumnElement, and_, false, or_

from wardlink.core.clock import format_timestamp
from wardlink_server.errors import ApiError

ParamType = Literal["token", "reference", "date", "uri"]
COUNT: Final = "_count"
PAGE: Final = "_page"
DEFAULT_COUNT: Final = 50
MAX_COUNT: Final = 500
MAX_PARAMETERS: Final = 50
MAX_VALUE_CHARS: Final = 1000
DATE_PREFIXES: Final = ("eq", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class Param:
    """One search parameter as a query writes it (modifier included: `subject:identifier`)."""

    name: str
    type: ParamType
    documentation: str
    raw: bool = False  # the value is kept as text (a canonical URL, `url|version`)


LAST_UPDATED: Final = Param(
    "_lastUpdated",
    "date",
    "When the server last changed the resource (prefixes eq, lt, le, gt, ge).",
)


@dataclass(frozen=True)
class Token:
    """`system|code`: `system` None matches any system and "" none; `code` None any code."""

    system: str | None
    code: str | None


@dataclass(frozen=True)
class Reference:
    """`[Type/]id[/_history/version]`, possibly as an absolute URL."""

    type: str | None
    id: str
    version: str | None


@dataclass(frozen=True)
class DateRange:
    """A date search value: `prefix` and the range [low, high) its precision covers."""

    prefix: str
    low: str
    high: str

    def condition(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        """Timestamps in the record are RFC 3339 UTC with ms, so they compare as text."""
        if self.prefix == "lt":
            return column < self.low
        if self.prefix == "le":
            return column < self.high
        if self.prefix == "gt":
            return column >= self.high
        if self.prefix == "ge":
            return column >= self.low
        return and_(column >= self.low, column < self.high)

    def holds(self, value: str) -> bool:
        """The same test in Python, for resources that are not rows."""
        if self.prefix == "lt":
            return value < self.low
        if self.prefix == "le":
            return value < self.high
        if self.prefix == "gt":
            return value >= self.high
        if self.prefix == "ge":
            return value >= self.low
        return self.low <= value < self.high


Value = Token | Reference | DateRange | str


@dataclass(frozen=True)
class Criteria:
    """Parsed parameters: by name, each occurrence (AND) a tuple of alternatives (OR)."""

    values: Mapping[str, tuple[tuple[Value, ...], ...]]

    def of(self, name: str) -> tuple[tuple[Value, ...], ...]:
        return self.values.get(name, ())


@dataclass(frozen=True)
class SearchRequest:
    criteria: Criteria
    count: int
    pairs: tuple[tuple[str, str], ...]  # the parameters as given (`_count` apart), for page links


def matching(
    criteria: Criteria, name: str, condition: Callable[[Value], ColumnElement[bool]]
) -> list[ColumnElement[bool]]:
    """The SQL conditions for one parameter: AND over its occurrences, OR within each."""
    return [or_(*(condition(value) for value in values)) for values in criteria.of(name)]


def date_condition(value: Value, column: ColumnElement[Any]) -> ColumnElement[bool]:
    return value.condition(column) if isinstance(value, DateRange) else false()


def parse_search(params: Sequence[Param], pairs: Sequence[tuple[str, str]]) -> SearchRequest:
    """Check and parse a search's parameters against the type's `params`."""
    if len(pairs) > MAX_PARAMETERS:
        raise ApiError("invalid", "The search has too many parameters.")
    by_name = {param.name: param for param in params}
    values: dict[str, list[tuple[Value, ...]]] = {}
    kept: list[tuple[str, str]] = []
    count = DEFAULT_COUNT
    for name, raw in pairs:
        if "\x00" in name or "\x00" in raw:
            raise ApiError("invalid", "The search holds a character that is not allowed.")
        if len(raw) > MAX_VALUE_CHARS:
            raise _invalid(name if name in by_name or name == COUNT else None, "is too long")
        if name == COUNT:
            count = parse_count(raw)
            continue
        param = by_name.get(name)
        if param is None:
            base = name.partition(":")[0]
            if base in {p.name.partition(":")[0] for p in params}:
                raise _invalid(base, "does not take that modifier here")
            raise ApiError(
                "invalid", "This search does not take one of the parameters it was given."
            )
        if not raw.strip():
            raise _invalid(name, "has no value")
        alternatives = tuple(_parse_value(param, part) for part in _split_commas(raw))
        values.setdefault(name, []).append(alternatives)
        kept.append((name, raw))
    criteria = Criteria({name: tuple(found) for name, found in values.items()})
    return SearchRequest(criteria, count, tuple(kept))


def parse_count(raw: str) -> int:
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_COUNT:
        raise _invalid(COUNT, f"must be a whole number from 0 to {MAX_COUNT}")
    return int(text)


def _invalid(name: str | None, problem: str) -> ApiError:
    if name is None:
        return ApiError("invalid", f"A search parameter {problem}.")
    return ApiError("invalid", f"The search parameter {name} {problem}.", field=name)


def _split_commas(raw: str) -> list[str]:
    return [part.replace("\\,", ",").strip() for part in re.split(r"(?<!\\),", raw)]


def _parse_value(param: Param, text: str) -> Value:
    if not text:
        raise _invalid(param.name, "has an empty alternative")
    if param.raw:
        return text
    if param.type == "token":
        return parse_token(text)
    if param.type == "reference":
        found = parse_reference(text)
        if found is None:
            raise _invalid(param.name, "must be a reference such as Type/id")
        return found
    if param.type == "date":
        try:
            return parse_date(text)
        except (ValueError, OverflowError):
            raise _invalid(
                param.name, "must be a date or time, with an optional prefix eq, lt, le, gt or ge"
            ) from None
    return text


def parse_token(text: str) -> Token:
    system, bar, code = text.partition("|")
    if not bar:
        return Token(None, text)
    return Token(system, code or None)


_ID = r"[A-Za-z0-9\-.]{1,64}"
_REFERENCE = re.compile(
    rf"(?:https?://\S+/)?([A-Z][A-Za-z]{{1,63}})/({_ID})(?:/_history/({_ID}))?", re.ASCII
)
_BARE_ID = re.compile(_ID, re.ASCII)


def parse_reference(text: str) -> Reference | None:
    if _BARE_ID.fullmatch(text):
        return Reference(None, text, None)
    match = _REFERENCE.fullmatch(text)
    if match is None:
        return None
    return Reference(match[1], match[2], match[3])


_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?",
    re.ASCII,
)


def parse_date(text: str) -> DateRange:
    """A FHIR date search value (`ge2026-11`, `2026-11-28T09:15Z`, ...); ValueError if not one.

    A time without a zone is read as UTC, the server's zone.
    """
    prefix = "eq"
    if text[:2] in DATE_PREFIXES:
        prefix, text = text[:2], text[2:]
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError("not a date")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    low = dt.datetime(
        int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
        int(second or 0), int((fraction or "0").ljust(6, "0")[:6]), tzinfo=_zone(zone),
    )  # fmt: skip
    if month is None:
        high = low.replace(year=low.year + 1)
    elif day is None:
        high = (low.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    elif hour is None:
        high = low + dt.timedelta(days=1)
    elif second is None:
        high = low + dt.timedelta(minutes=1)
    elif fraction is None:
        high = low + dt.timedelta(seconds=1)
    else:
        high = low + dt.timedelta(milliseconds=1)
    return DateRange(prefix, format_timestamp(low), format_timestamp(high))


def _zone(zone: str | None) -> dt.tzinfo:
    if zone is None or zone == "Z":
        return dt.UTC
    sign = -1 if zone[0] == "-" else 1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
