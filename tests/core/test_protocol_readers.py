"""The protocol's field readers take their quick path only for values their full checks pass:
for any value, each reader answers exactly as the plain, check-by-check reading does (the same
value, or the same refusal naming the same field), and so do the event and message readers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core.clock import parse_timestamp
from wardlink.core.protocol import Event, MessageData, ProtocolError
from wardlink.core.protocol.fields import (
    EVENT_TYPES,
    MAX_BODY_CHARS,
    is_plain_str,
    is_timestamp,
    is_uuid,
    read_int,
    read_opt_uuid,
    read_priority,
    read_str,
    read_timestamp,
    read_uuid,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# -- the plain readings (as the readers were first written) -------------------------------------


def plain_str(obj: Mapping[str, Any], key: str, path: str, *, max_chars: int = 200,
              empty: bool = False) -> str:  # fmt: skip
    value = obj.get(key)
    where = f"{path}.{key}" if path else key
    if not isinstance(value, str):
        raise ProtocolError(where, "must be a string")
    if not empty and not value.strip():
        raise ProtocolError(where, "must not be empty")
    if len(value) > max_chars:
        raise ProtocolError(where, f"must be at most {max_chars} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError(where, "must be valid Unicode text") from None
    return value


def plain_uuid(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = plain_str(obj, key, path)
    if not UUID.fullmatch(value):
        raise ProtocolError(f"{path}.{key}" if path else key, "must be a lowercase UUID")
    return value


def plain_opt_uuid(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    return None if obj.get(key) is None else plain_uuid(obj, key, path)


def plain_int(obj: Mapping[str, Any], key: str, path: str, *, minimum: int = 0) -> int:
    value = obj.get(key)
    where = f"{path}.{key}" if path else key
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(where, "must be a whole number")
    if value < minimum:
        raise ProtocolError(where, f"must be at least {minimum}")
    if value > 2**62:
        raise ProtocolError(where, "is too large")
    return value


def plain_timestamp(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = plain_str(obj, key, path)
    try:
        parse_timestamp(value)
    except ValueError as exc:
        raise ProtocolError(f"{path}.{key}" if path else key, str(exc)) from None
    return value


def plain_event(value: Any, path: str) -> tuple[object, ...]:
    if not isinstance(value, dict):
        raise ProtocolError(path, "must be an object")
    kind = plain_str(value, "type", path)
    if kind not in EVENT_TYPES:
        raise ProtocolError(f"{path}.type", "is not a known event type")
    seq = plain_int(value, "seq", path, minimum=1)
    team = plain_opt_uuid(value, "team_id", path)
    at = plain_timestamp(value, "at", path)
    data = value.get("data")
    if not isinstance(data, dict):
        raise ProtocolError(f"{path}.data", "must be an object")
    return (seq, kind, team, at, data)


def plain_message(value: Any, path: str = "data") -> tuple[object, ...]:
    if not isinstance(value, dict):
        raise ProtocolError(path, "must be an object")
    author = value.get("author")
    if not isinstance(author, dict):
        raise ProtocolError(f"{path}.author", "must be an object")
    return (
        plain_uuid(value, "id", path),
        plain_uuid(value, "op_id", path),
        plain_uuid(author, "id", f"{path}.author"),
        plain_str(author, "display_name", f"{path}.author"),
        plain_str(value, "body", path, max_chars=MAX_BODY_CHARS),
        read_priority(value, "priority", path),
        plain_timestamp(value, "client_ts", path),
        plain_timestamp(value, "server_ts", path),
        plain_opt_uuid(value, "note_ref", path),
    )


def outcome(read: Callable[[], object]) -> object:
    try:
        return ("value", read())
    except ProtocolError as exc:
        return ("refused", exc.path, exc.problem)


# -- values near every check's edge ------------------------------------------------------------

U = str(uuid.UUID(int=7, version=4))
TS = "2026-11-28T09:15:02.123Z"
strings = st.one_of(
    st.sampled_from(
        ["", " ", "\t\n", "\u2003", "a", " a ", "x" * 200, "x" * 201, "é", "\ud800", U, U.upper(),
         U + " ", f"{{{U}}}", TS, "2026-02-30T09:15:02.123Z", "2026-11-28T24:00:00.000Z", "message",
         "note", "nope", "Bob", "\u00a0", "\x1c", "\x85"]
    ),
    st.text(max_size=8),
)  # fmt: skip
values = st.one_of(
    strings, st.none(), st.booleans(), st.integers(min_value=-3, max_value=3),
    st.sampled_from([2**62, 2**62 + 1, 1.0, [], {}, ["a"]]),
)  # fmt: skip
objects = st.dictionaries(
    st.sampled_from(["k", "id", "type", "seq", "team_id", "at", "data"]), values, max_size=4
)

READERS: list[tuple[Callable[..., object], Callable[..., object], dict[str, Any]]] = [
    (read_str, plain_str, {}),
    (read_str, plain_str, {"empty": True}),
    (read_str, plain_str, {"max_chars": 1}),
    (read_uuid, plain_uuid, {}),
    (read_opt_uuid, plain_opt_uuid, {}),
    (read_int, plain_int, {}),
    (read_int, plain_int, {"minimum": 1}),
    (read_timestamp, plain_timestamp, {}),
]


@pytest.mark.parametrize(("quick", "plain", "options"), READERS)
@settings(max_examples=300, derandomize=True)
@given(value=values, path=st.sampled_from(["", "data", "events[3]"]))
def test_each_reader_answers_as_the_plain_reading(
    quick: Callable[..., object],
    plain: Callable[..., object],
    options: dict[str, Any],
    value: object,
    path: str,
) -> None:
    obj = {"k": value}
    assert outcome(lambda: quick(obj, "k", path, **options)) == outcome(
        lambda: plain(obj, "k", path, **options)
    )


def event(**fields: object) -> dict[str, object]:
    return {"seq": 3, "type": "message", "team_id": U, "at": TS, "data": {}, **fields}


@settings(max_examples=400, derandomize=True)
@given(st.one_of(objects.map(lambda o: event(**o)), objects, values))
def test_events_read_as_the_plain_reading(value: object) -> None:
    quick = outcome(lambda: Event.from_json(value, "events[0]"))
    plain = outcome(lambda: plain_event(value, "events[0]"))
    if quick[0] == "value":
        read: Event = quick[1]  # type: ignore[index]
        quick = ("value", (read.seq, read.type, read.team_id, read.at, read.data))
    assert quick == plain


def message(**fields: object) -> dict[str, object]:
    return {
        "id": U, "op_id": U, "author": {"id": U, "display_name": "Bob"}, "body": "Bay 3",
        "priority": "routine", "client_ts": TS, "server_ts": TS, **fields,
    }  # fmt: skip


message_fields = st.dictionaries(
    st.sampled_from(
        ["id", "op_id", "author", "body", "priority", "client_ts", "server_ts", "note_ref"]
    ),
    st.one_of(values, st.fixed_dictionaries({"id": values, "display_name": values})),
    max_size=3,
)


@settings(max_examples=400, derandomize=True)
@given(st.one_of(message_fields.map(lambda o: message(**o)), values))
def test_messages_read_as_the_plain_reading(value: object) -> None:
    quick = outcome(lambda: MessageData.from_json(value))
    if quick[0] == "value":
        read: MessageData = quick[1]  # type: ignore[index]
        fields = (read.id, read.op_id, read.author_id, read.author_name, read.body,
                  read.priority, read.client_ts, read.server_ts, read.note_ref)  # fmt: skip
        quick = ("value", fields)
    assert quick == outcome(lambda: plain_message(value))


PREDICATES: list[tuple[Callable[[object], bool], Callable[..., object]]] = [
    (is_uuid, plain_uuid),
    (is_timestamp, plain_timestamp),
    (is_plain_str, plain_str),
    (
        lambda v: is_plain_str(v, MAX_BODY_CHARS),
        lambda o, k, p: plain_str(o, k, p, max_chars=MAX_BODY_CHARS),
    ),
]


@pytest.mark.parametrize(("quick", "plain"), PREDICATES)
@settings(max_examples=300, derandomize=True)
@given(value=values)
def test_a_quick_test_passes_only_what_the_plain_reading_returns_as_it_is(
    quick: Callable[[object], bool], plain: Callable[..., object], value: object
) -> None:
    """The quick paths trust these tests: each passes a value only if the full reading would
    return that very value (it may send plain but unusual values the long way)."""
    if quick(value):
        assert outcome(lambda: plain({"k": value}, "k", "")) == ("value", value)


@pytest.mark.parametrize(
    ("field", "other"),
    [("client_ts", "server_ts"), ("server_ts", "client_ts")],
)
def test_each_message_time_is_checked_even_where_the_other_is_valid(field: str, other: str) -> None:
    bad = "2026-02-30T09:15:02.123Z"
    refused = outcome(lambda: MessageData.from_json(message(**{field: bad, other: TS})))
    assert refused == (
        "refused",
        f"data.{field}",
        "timestamp names a date or time that does not exist",
    )
    both = outcome(lambda: MessageData.from_json(message(client_ts=bad, server_ts=bad)))
    assert both[:2] == ("refused", "data.client_ts")
