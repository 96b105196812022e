"""Pull and history pages read from their bytes: quickly where plainly valid, exactly always.

A first sync reads a hundred thousand events, and reading them (JSON, then the strict checks of
`Event.from_json` and `read_message`) cost as much client time as storing them. Here a page is
decoded by msgspec into typed wire structs in one C pass, and the same quick tests those
readers make are made on the result. Whatever is not plainly valid is read again by the exact
readers from `json.loads`: the event's data when only a message's data is in doubt, the whole
page otherwise. So every page read here gives the same events, the same message fields and the
same errors as the exact readers: this is only faster (tests hold the two to each other).

Message events come with their data read into `MessageFields` (or the `ProtocolError` that
refuses it), one entry per event and None for other types, so that a caller can turn them into
store rows off the DB thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Generic, TypeAlias, TypeVar

import msgspec

from wardlink.core.protocol.fields import Json, ProtocolError
from wardlink.core.protocol.pull import (
    Event,
    HistoryResponse,
    MessageFields,
    PullResponse,
    is_plain_event,
    plain_message,
    read_message,
)

# A message event's data as read, or what refuses it; None for an event of another type.
MessageRead: TypeAlias = MessageFields | ProtocolError | None

_MAX_SEQ: Final = 2**62


class _WireEvent(msgspec.Struct, gc=False):
    seq: int
    type: str
    at: str
    data: msgspec.Raw
    team_id: str | None = None


class _WireHistory(msgspec.Struct, gc=False):
    events: list[_WireEvent]
    more: bool


class _WirePull(msgspec.Struct, gc=False):
    events: list[_WireEvent]
    next: int
    more: bool


class _WireBound(msgspec.Struct, gc=False):
    seq: int
    at: str


class _WireBounds(msgspec.Struct, gc=False):
    events: list[_WireBound]
    more: bool


class _WireAuthor(msgspec.Struct, gc=False):
    id: str
    display_name: str


class _WireMessage(msgspec.Struct, gc=False):
    id: str
    op_id: str
    author: _WireAuthor
    body: str
    client_ts: str
    server_ts: str
    priority: str = "routine"
    note_ref: str | None = None


_HISTORY: Final = msgspec.json.Decoder(_WireHistory)
_PULL: Final = msgspec.json.Decoder(_WirePull)
_MESSAGE: Final = msgspec.json.Decoder(_WireMessage)
_BOUNDS: Final = msgspec.json.Decoder(_WireBounds)


Response = TypeVar("Response", HistoryResponse, PullResponse)


@dataclass(frozen=True, slots=True)
class ReadPage(Generic[Response]):
    """A page and its message events' data, read (`messages[i]` is `events[i]`'s)."""

    response: Response
    messages: tuple[MessageRead, ...]


HistoryPage: TypeAlias = ReadPage[HistoryResponse]
PullPage: TypeAlias = ReadPage[PullResponse]


@dataclass(frozen=True, slots=True)
class PageBounds:
    """What a quick look at a history page shows: its oldest seq (None if it has no events),
    its last event's time as written, and whether older events remain."""

    oldest_seq: int | None
    last_at: str
    more: bool


def page_bounds(raw: bytes) -> PageBounds | None:
    """A history page's bounds, read without reading its events (a few percent of the time);
    None if they can't be read so (reading the page in full says what is wrong). Nothing here
    is checked as the full reading checks it: use it to guess, never to decide."""
    try:
        page = _BOUNDS.decode(raw)
    except (msgspec.MsgspecError, ValueError):
        return None
    events = page.events
    oldest = min((e.seq for e in events), default=None)
    return PageBounds(oldest, events[-1].at if events else "", page.more)


class _NotPlain(Exception):
    """The quick reading stops: the page is read again by the exact readers."""


def read_history_page(raw: bytes) -> HistoryPage:
    """`GET /teams/<id>/history`'s answer from its bytes; ProtocolError if malformed."""
    return _read_page(
        raw,
        lambda: _quick_history(_HISTORY.decode(raw)),
        HistoryResponse.from_json,
    )


def read_pull_page(raw: bytes) -> PullPage:
    """`GET /sync/pull`'s answer from its bytes; ProtocolError if malformed."""
    return _read_page(raw, lambda: _quick_pull(_PULL.decode(raw)), PullResponse.from_json)


def _read_page(
    raw: bytes,
    quickly: Callable[[], ReadPage[Response]],
    exactly: Callable[[Json], Response],
) -> ReadPage[Response]:
    """The quick reading, or where it stops, the exact one (which raises what is wrong)."""
    try:
        return quickly()
    except (msgspec.MsgspecError, ValueError, _NotPlain):  # ValueError: not UTF-8, say
        response = exactly(_exact_json(raw))
        return ReadPage(response, read_message_events(response.events))


def _quick_history(wire: _WireHistory) -> HistoryPage:
    events, messages = _read_events(wire.events)
    return ReadPage(HistoryResponse(events, wire.more), messages)


def _quick_pull(wire: _WirePull) -> PullPage:
    if not 0 <= wire.next <= _MAX_SEQ:
        raise _NotPlain()
    events, messages = _read_events(wire.events)
    return ReadPage(PullResponse(events, wire.next, wire.more), messages)


def read_message_events(events: tuple[Event, ...]) -> tuple[MessageRead, ...]:
    """Each message event's data read exactly (`read_message`), None for other events."""
    return tuple(_read_exactly(e.data) if e.type == "message" else None for e in events)


def _read_exactly(data: Json) -> MessageRead:
    try:
        return read_message(data)
    except ProtocolError as exc:
        return exc


def _exact_json(raw: bytes) -> Json:
    try:
        value: Json = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("", "is not JSON") from None
    return value


def _read_events(wire: list[_WireEvent]) -> tuple[tuple[Event, ...], tuple[MessageRead, ...]]:
    """The quick reading: every event plainly valid as `Event.from_json`'s quick test has it,
    else _NotPlain (for the exact readers to say what is wrong, or to take what is unusual)."""
    events: list[Event] = []
    messages: list[MessageRead] = []
    for e in wire:
        if not is_plain_event(e.type, e.seq, e.team_id, e.at):
            raise _NotPlain()
        if e.type == "message":
            data, read = _read_message(e.data)
        else:
            data, read = _object(e.data), None
        events.append(Event(e.seq, e.type, e.team_id, e.at, data))
        messages.append(read)
    return tuple(events), tuple(messages)


def _read_message(raw: msgspec.Raw) -> tuple[Mapping[str, Json], MessageRead]:
    """A message event's data and its fields, as `read_message` reads them."""
    try:
        m = _MESSAGE.decode(raw)
    except (msgspec.MsgspecError, ValueError):
        m = None
    fields = None if m is None else plain_message(
        m.id, m.op_id, m.author.id, m.author.display_name, m.body, m.priority, m.client_ts,
        m.server_ts, m.note_ref,
    )  # fmt: skip
    if fields is None:
        data = _object(raw)
        return data, _read_exactly(data)
    return RawObject(raw), fields


class RawObject(Mapping[str, Json]):
    """A message event's data, kept as the bytes it came in until something reads it (nothing
    does in a sync: its fields are read already). Decoding and keeping a hundred thousand dicts
    that nobody reads, and the garbage collector walking them, cost a first sync a sixth of the
    client's CPU. Read, it is exactly what `json.loads` makes of those bytes."""

    __slots__ = ("_raw", "_value")

    def __init__(self, raw: msgspec.Raw) -> None:
        self._raw: msgspec.Raw | None = raw
        self._value: dict[str, Json] | None = None

    def _loaded(self) -> dict[str, Json]:
        if self._value is None:
            assert self._raw is not None
            value = json.loads(bytes(self._raw))
            assert type(value) is dict  # the quick reading took it as an object
            self._value, self._raw = value, None
        return self._value

    def __getitem__(self, key: str) -> Json:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def __repr__(self) -> str:
        return f"RawObject({self._loaded()!r})"


def _object(raw: msgspec.Raw) -> dict[str, Json]:
    """An event's data as `json.loads` has it; _NotPlain unless it is an object."""
    try:
        value = _exact_json(bytes(raw))
    except ProtocolError:
        raise _NotPlain() from None
    if type(value) is not dict:
        raise _NotPlain()
    return value
