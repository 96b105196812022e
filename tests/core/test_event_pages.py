"""Pages read from their bytes (`event_pages`) answer exactly as `json.loads` and the exact
readers do: the same events, the same message fields, the same refusals naming the same field,
for any page; and a plainly valid page never needs the exact readers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core.protocol import HistoryResponse, ProtocolError, PullResponse, event_pages
from wardlink.core.protocol.event_pages import read_history_page, read_pull_page
from wardlink.core.protocol.pull import read_message

U = str(uuid.UUID(int=7, version=4))
TEAM = str(uuid.UUID(int=8, version=4))
TS = "2026-11-28T09:15:02.123Z"


def message_data(**fields: object) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()), "op_id": str(uuid.uuid4()),
        "author": {"id": U, "display_name": "Bob"}, "body": "Bay 3 obs due",
        "priority": "routine", "client_ts": TS, "server_ts": TS, **fields,
    }  # fmt: skip


def event(seq: int = 3, **fields: object) -> dict[str, object]:
    return {"seq": seq, "type": "message", "team_id": TEAM, "at": TS, "data": message_data(),
            **fields}  # fmt: skip


def encoded(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# -- the reference: json.loads, then the exact readers -------------------------------------------


def outcome(read: Callable[[], object]) -> object:
    try:
        return ("value", read())
    except ProtocolError as exc:
        return ("refused", exc.path, exc.problem)


def _messages(events: Any) -> list[object]:
    return [
        outcome(lambda e=e: read_message(e.data)) if e.type == "message" else None for e in events
    ]


def _events(events: Any) -> list[object]:
    return [(e.seq, e.type, e.team_id, e.at, dict(e.data)) for e in events]


def reference(raw: bytes, kind: str) -> object:
    try:
        value = json.loads(raw)
    except ValueError:
        return ("refused", "", "is not JSON")
    parse = HistoryResponse.from_json if kind == "history" else PullResponse.from_json
    parsed = outcome(lambda: parse(value))
    if parsed[0] != "value":  # type: ignore[index]
        return parsed
    response: Any = parsed[1]  # type: ignore[index]
    return ("value", _events(response.events), getattr(response, "next", None), response.more,
            _messages(response.events))  # fmt: skip


def quick(raw: bytes, kind: str) -> object:
    read = read_history_page if kind == "history" else read_pull_page
    parsed = outcome(lambda: read(raw))
    if parsed[0] != "value":  # type: ignore[index]
        return parsed
    page: Any = parsed[1]  # type: ignore[index]
    response = page.response
    messages = [
        None if m is None else ("refused", m.path, m.problem) if isinstance(m, ProtocolError)
        else ("value", m)
        for m in page.messages
    ]  # fmt: skip
    return ("value", _events(response.events), getattr(response, "next", None), response.more,
            messages)  # fmt: skip


# -- pages near every check's edge ---------------------------------------------------------------

strings = st.sampled_from(
    ["", " ", "é", "\ud800", "\u2003", "x" * 201, U, U.upper(), TS, "2026-02-30T09:15:02.123Z",
     "2026-11-28T24:00:00.000Z", "message", "receipt", "nope", "routine", "urgent", "Bob"]
)  # fmt: skip
values = st.one_of(
    strings, st.none(), st.booleans(), st.integers(min_value=-1, max_value=3),
    st.sampled_from([2**62, 2**62 + 1, 2**64, 1.0, float("nan"), [], {}, ["a"]]),
)  # fmt: skip
# Mostly strings: a value of the wrong type never passes msgspec's typed reading, while a string
# of the wrong form is what only the quick tests can refuse.
changed = st.one_of(strings, strings, strings, values)
data_changes = st.dictionaries(
    st.sampled_from(["id", "op_id", "body", "priority", "client_ts", "server_ts", "note_ref", "x"]),
    changed,
    min_size=1,
    max_size=1,
)
event_changes = st.dictionaries(
    st.sampled_from(["seq", "type", "team_id", "at", "data", "x"]), changed, min_size=1, max_size=1
)


@st.composite
def pages(draw: st.DrawFn) -> tuple[bytes, str]:
    """A plain page with one thing changed in it (or none): one change at a time is what finds a
    quick test that lets something through."""
    kind = draw(st.sampled_from(["history", "pull"]))
    count = draw(st.integers(min_value=1, max_value=3))
    page: dict[str, Any] = {"events": [event(seq) for seq in range(count, 0, -1)], "more": True}
    if kind == "pull":
        page["next"] = count
    target = draw(st.integers(min_value=0, max_value=count - 1))
    where = draw(st.sampled_from(["none", "event", "data", "author", "page", "drop"]))
    if where == "event":
        page["events"][target].update(draw(event_changes))
    elif where == "data":
        page["events"][target]["data"].update(draw(data_changes))
    elif where == "author":
        page["events"][target]["data"]["author"] = {
            "id": draw(st.one_of(st.just(U), changed)),
            "display_name": draw(st.one_of(st.just("Bob"), changed)),
        }
    elif where == "page":
        page[draw(st.sampled_from(["events", "more", "next"]))] = draw(values)
    elif where == "drop":
        chosen = page["events"][target]
        inner = draw(st.sampled_from([chosen, chosen["data"], chosen["data"]["author"]]))
        inner.pop(draw(st.sampled_from(sorted(inner))))
    text = json.dumps(page, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass"), kind


@settings(max_examples=600, derandomize=True, deadline=None)
@given(pages())
def test_any_page_reads_as_json_loads_and_the_exact_readers_read_it(
    case: tuple[bytes, str],
) -> None:
    raw, kind = case
    assert quick(raw, kind) == reference(raw, kind)


EDGE_VALUES = [
    "", " ", "é", "\ud800", "\u2003", "x" * 201, "x" * 4001, U, U.upper(), U + " ", TS,
    "2026-02-30T09:15:02.123Z", "2026-11-28T24:00:00.000Z", TS.replace("Z", ""), "message",
    "receipt", "nope", "routine", "urgent", "Bob", None, True, False, -1, 0, 1, 2**62, 2**62 + 1,
    2**64, 1.0, float("nan"), [], {}, ["a"],
]  # fmt: skip
FIELDS = [
    ("page", "more"), ("page", "next"),
    ("event", "seq"), ("event", "type"), ("event", "team_id"), ("event", "at"), ("event", "data"),
    ("data", "id"), ("data", "op_id"), ("data", "body"), ("data", "priority"),
    ("data", "client_ts"), ("data", "server_ts"), ("data", "note_ref"), ("data", "author"),
    ("author", "id"), ("author", "display_name"),
]  # fmt: skip


@pytest.mark.parametrize(("where", "key"), FIELDS)
@pytest.mark.parametrize("kind", ["history", "pull"])
def test_every_field_at_every_edge_reads_as_the_exact_readers_read_it(
    where: str, key: str, kind: str
) -> None:
    """Each field of an otherwise plain page, set to each value near a check's edge, or left
    out: one at a time, so that a quick test that lets one through cannot hide."""
    for value in [*EDGE_VALUES, "<missing>"]:
        page: dict[str, Any] = {"events": [event(2), event(1)], "more": True, "next": 2}
        target = {"page": page, "event": page["events"][1], "data": page["events"][1]["data"],
                  "author": page["events"][1]["data"]["author"]}[where]  # fmt: skip
        if value == "<missing>":
            target.pop(key, None)
        else:
            target[key] = value
        raw = json.dumps(page).encode("utf-8", "surrogatepass")
        assert repr(quick(raw, kind)) == repr(reference(raw, kind)), (where, key, value)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"events":[],"more":true,"more":false,"next":1}',  # the last of a repeated key counts
        b'{"events":[{"seq":1,"type":"message","at":"'
        + TS.encode()
        + b'","data":{"id":1,"id":"'
        + U.encode()
        + b'","op_id":"'
        + U.encode()
        + b'","author":{"id":"'
        + U.encode()
        + b'","display_name":"Bob"},"body":"b","client_ts":"'
        + TS.encode()
        + b'","server_ts":"'
        + TS.encode()
        + b'"}}],"more":false,"next":1}',
        b'{"events":[{"seq":1,"type":"receipt","at":"' + TS.encode() + b'","data":{"n":NaN}}],'
        b'"more":false,"next":1}',  # json.loads takes NaN; so must this
        b' \n{"events":[],"more":false,"next":0}\n ',
        b'{"events":[],"more":false,"next":0} x',
        b'{"events":[],"more":false,"next":0',
        b"[]",
        b"",
        b"\xff\xfe",
        json.dumps({"events": [], "more": False, "next": 0}).encode("utf-16"),
        b'{"events":[{"seq":1,"type":"message","at":"' + TS.encode() + b'","data":"text"}],'
        b'"more":false,"next":1}',  # data not an object: the whole page is refused
    ],
)
@pytest.mark.parametrize("kind", ["history", "pull"])
def test_unusual_json_reads_as_json_loads_reads_it(raw: bytes, kind: str) -> None:
    assert repr(quick(raw, kind)) == repr(reference(raw, kind))


# -- plain pages take the quick reading ----------------------------------------------------------


def test_a_plain_page_needs_no_exact_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = encoded({"events": [event(seq) for seq in range(40, 0, -1)], "more": True})
    monkeypatch.setattr(event_pages, "_exact_json", _refuse_to_be_called)
    page = read_history_page(raw)
    assert [e.seq for e in page.response.events] == list(range(40, 0, -1))
    assert all(isinstance(m, tuple) and m[4] == "Bay 3 obs due" for m in page.messages)


def test_one_unusual_message_is_read_exactly_and_the_rest_quickly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = [event(3), event(2), event(1)]
    page[1]["data"] = message_data(body="Chest pain — review")  # not plain ASCII
    page[2]["data"] = message_data(priority="soon")  # refused: read exactly, to say why
    calls: list[object] = []
    exact = event_pages._exact_json

    def counted(raw: bytes) -> object:
        calls.append(raw)
        return exact(raw)

    monkeypatch.setattr(event_pages, "_exact_json", counted)
    read = read_pull_page(encoded({"events": page, "next": 3, "more": False}))

    assert len(calls) == 2  # the two unusual messages' data, not the page
    plain, accented, refused = read.messages
    assert isinstance(plain, tuple) and plain[4] == "Bay 3 obs due"
    assert isinstance(accented, tuple) and accented[4] == "Chest pain — review"
    assert isinstance(refused, ProtocolError) and refused.path == "data.priority"


def _refuse_to_be_called(raw: bytes) -> object:
    raise AssertionError("a plain page was read by the exact readers")


def test_a_message_events_data_kept_as_bytes_reads_as_json_loads_reads_it() -> None:
    """The quick reading keeps a message's data undecoded (nobody reads it in a sync); read,
    it is the object `json.loads` makes, and the exact message reader takes it as one."""
    sent = event(5, data=message_data(body="Bay 3 obs due", note_ref=U))
    page = read_history_page(encoded({"events": [sent], "more": False}))
    (read,) = page.response.events
    assert dict(read.data) == sent["data"] and len(read.data) == len(sent["data"])
    assert read.data["author"] == {"id": U, "display_name": "Bob"}
    assert read_message(read.data) == page.messages[0]
    assert read.to_json()["data"] == sent["data"]
