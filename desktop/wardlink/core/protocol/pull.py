"""Pull and history: the event sequence a client applies (DESIGN.md §4, "Pull")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from wardlink.core.protocol.fields import (
    EVENT_TYPES,
    MAX_BODY_CHARS,
    SHA256_PATTERN,
    Json,
    Priority,
    ProtocolError,
    as_object,
    drop_none,
    is_plain_str,
    is_timestamp,
    is_uuid,
    read_int,
    read_list,
    read_opt_uuid,
    read_priority,
    read_resource,
    read_str,
    read_timestamp,
    read_uuid,
)

_EVENT_TYPES = frozenset(EVENT_TYPES)

# -- pull ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the event sequence. `data`'s shape depends on `type` (DESIGN.md §4); the
    typed readers below check it where a client applies it."""

    seq: int
    type: str
    team_id: str | None
    at: str
    data: Mapping[str, Json] = field(repr=False)

    @classmethod
    def from_json(cls, value: Json, path: str) -> Event:
        if type(value) is dict:  # the common case, every field plainly valid, in one test
            kind, seq, team_id = value.get("type"), value.get("seq"), value.get("team_id")
            at, data = value.get("at"), value.get("data")
            if is_plain_event(kind, seq, team_id, at) and type(data) is dict:
                return cls(seq, kind, team_id, at, data)  # type: ignore[arg-type]  # checked above
        obj = as_object(value, path)
        kind = obj.get("type")
        if type(kind) is not str or kind not in _EVENT_TYPES:
            read_str(obj, "type", path)  # says what is wrong, if it is not a plain string
            raise ProtocolError(f"{path}.type", "is not a known event type")
        seq = read_int(obj, "seq", path, minimum=1)
        team_id = read_opt_uuid(obj, "team_id", path)
        at = read_timestamp(obj, "at", path)
        data = obj.get("data")
        if not isinstance(data, dict):
            raise ProtocolError(f"{path}.data", "must be an object")
        return cls(seq, kind, team_id, at, data)

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "type": self.type,
            "team_id": self.team_id,
            "at": self.at,
            "data": dict(self.data),
        }


@dataclass(frozen=True, slots=True)
class PullResponse:
    """`GET /api/v1/sync/pull`: `next` is the highest seq this page covered for the caller."""

    events: tuple[Event, ...]
    next: int
    more: bool

    @classmethod
    def from_json(cls, value: Json) -> PullResponse:
        obj = as_object(value, "")
        more = obj.get("more")
        if not isinstance(more, bool):
            raise ProtocolError("more", "must be true or false")
        events = tuple(
            Event.from_json(e, f"events[{i}]") for i, e in enumerate(read_list(obj, "events", ""))
        )
        return cls(events, read_int(obj, "next", ""), more)

    def to_json(self) -> dict[str, object]:
        return {"events": [e.to_json() for e in self.events], "next": self.next, "more": self.more}


@dataclass(frozen=True, slots=True)
class HistoryResponse:
    """`GET /api/v1/teams/<id>/history?before=&limit=`: a team's events older than `before`,
    newest first; `more` says whether older ones remain."""

    events: tuple[Event, ...]
    more: bool

    @classmethod
    def from_json(cls, value: Json) -> HistoryResponse:
        obj = as_object(value, "")
        more = obj.get("more")
        if not isinstance(more, bool):
            raise ProtocolError("more", "must be true or false")
        events = tuple(
            Event.from_json(e, f"events[{i}]") for i, e in enumerate(read_list(obj, "events", ""))
        )
        return cls(events, more)

    def to_json(self) -> dict[str, object]:
        return {"events": [e.to_json() for e in self.events], "more": self.more}


@dataclass(frozen=True, slots=True)
class MessageData:
    """The `message` event's data."""

    id: str
    op_id: str
    author_id: str
    author_name: str
    body: str = field(repr=False)
    priority: Priority
    client_ts: str
    server_ts: str
    note_ref: str | None = None

    @classmethod
    def from_json(cls, value: Json, path: str = "data") -> MessageData:
        return cls(*read_message(value, path))

    def to_json(self) -> dict[str, object]:
        return drop_none(
            {
                "id": self.id,
                "op_id": self.op_id,
                "author": {"id": self.author_id, "display_name": self.author_name},
                "body": self.body,
                "priority": self.priority,
                "client_ts": self.client_ts,
                "server_ts": self.server_ts,
                "note_ref": self.note_ref,
            }
        )


MessageFields: TypeAlias = tuple[str, str, str, str, str, Priority, str, str, str | None]


def is_plain_event(kind: Json, seq: Json, team_id: Json, at: Json) -> bool:
    """Whether an event's own fields are plainly valid: the quick test of `Event.from_json`,
    which the page reader (`event_pages`) makes too."""
    return (
        type(kind) is str
        and kind in _EVENT_TYPES
        and type(seq) is int
        and 1 <= seq <= 2**62
        and (team_id is None or is_uuid(team_id))
        and is_timestamp(at)
    )


def plain_message(
    message_id: Json,
    op_id: Json,
    author_id: Json,
    name: Json,
    body: Json,
    priority: Json,
    client_ts: Json,
    server_ts: Json,
    note_ref: Json,
) -> MessageFields | None:
    """A `message` event's fields as `read_message` returns them if every one is plainly valid
    (its quick test, which the page reader makes too); None: read them field by field."""
    if (
        is_uuid(message_id)
        and is_uuid(op_id)
        and is_uuid(author_id)
        and is_plain_str(name)
        and is_plain_str(body, MAX_BODY_CHARS)
        and (priority == "routine" or priority == "urgent")
        and is_timestamp(client_ts)
        and (server_ts == client_ts or is_timestamp(server_ts))
        and (note_ref is None or is_uuid(note_ref))
    ):
        return (
            message_id,
            op_id,
            author_id,
            name,
            body,
            "urgent" if priority == "urgent" else "routine",
            client_ts,
            server_ts,
            note_ref,
        )
    return None


def read_message(value: Json, path: str = "data") -> MessageFields:
    """The `message` event's data, checked as `MessageData.from_json` checks it, as the fields
    of a `MessageData` in order (for a reader that builds rows of its own from many)."""
    if type(value) is dict and type(author := value.get("author")) is dict:
        # The common case, every field plainly valid, in one test (a client reads 100,000).
        fields = plain_message(
            value.get("id"),
            value.get("op_id"),
            author.get("id"),
            author.get("display_name"),
            value.get("body"),
            value.get("priority", "routine"),
            value.get("client_ts"),
            value.get("server_ts"),
            value.get("note_ref"),
        )
        if fields is not None:
            return fields
    obj = as_object(value, path)
    at_author = "data.author" if path == "data" else f"{path}.author"
    author = as_object(obj.get("author"), at_author)
    return (
        read_uuid(obj, "id", path),
        read_uuid(obj, "op_id", path),
        read_uuid(author, "id", at_author),
        read_str(author, "display_name", at_author),
        read_str(obj, "body", path, max_chars=MAX_BODY_CHARS),
        read_priority(obj, "priority", path),
        read_timestamp(obj, "client_ts", path),
        read_timestamp(obj, "server_ts", path),
        read_opt_uuid(obj, "note_ref", path),
    )


@dataclass(frozen=True, slots=True)
class NoteData:
    """The `note` / `note.amended` event's data."""

    id: str
    version: int
    version_of: str | None
    author_id: str
    author_name: str
    form_url: str
    form_version: str
    form_title: str
    resource: Mapping[str, Json] = field(repr=False)
    photos: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, value: Json, path: str = "data") -> NoteData:
        obj = as_object(value, path)
        author = as_object(obj.get("author"), f"{path}.author")
        form = as_object(obj.get("form"), f"{path}.form")
        photos = read_list(obj, "photos", path)
        for i, sha in enumerate(photos):
            if not isinstance(sha, str) or not SHA256_PATTERN.fullmatch(sha):
                raise ProtocolError(f"{path}.photos[{i}]", "must be a SHA-256 in hex")
        return cls(
            read_uuid(obj, "id", path),
            read_int(obj, "version", path, minimum=1),
            read_opt_uuid(obj, "version_of", path),
            read_uuid(author, "id", f"{path}.author"),
            read_str(author, "display_name", f"{path}.author"),
            read_str(form, "url", f"{path}.form"),
            read_str(form, "version", f"{path}.form"),
            read_str(form, "title", f"{path}.form"),
            read_resource(obj, "resource", path),
            tuple(str(p) for p in photos),
        )

    def to_json(self) -> dict[str, object]:
        return drop_none(
            {
                "id": self.id,
                "version": self.version,
                "version_of": self.version_of,
                "author": {"id": self.author_id, "display_name": self.author_name},
                "form": {
                    "url": self.form_url,
                    "version": self.form_version,
                    "title": self.form_title,
                },
                "resource": dict(self.resource),
                "photos": list(self.photos),
            }
        )
