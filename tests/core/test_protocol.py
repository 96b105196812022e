"""The wire schema: every type round-trips, and malformed input is refused naming the field."""

from __future__ import annotations

import contextlib
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core import protocol as p

U1, U2, U3, U4 = (str(uuid.UUID(int=i + 1, version=4)) for i in range(4))
TS = "2026-11-28T09:15:02.123Z"
QR = {"resourceType": "QuestionnaireResponse", "status": "completed"}


def roundtrip(cls: type, value: dict[str, object]) -> object:
    parsed = cls.from_json(json.loads(json.dumps(value)))
    assert parsed.to_json() == value
    return parsed


def test_session_request_and_response_round_trip() -> None:
    req = {
        "username": "alice",
        "password": "pw",
        "device": {"id": U1, "name": "PC-7", "platform": "linux"},
    }
    parsed = roundtrip(p.SessionRequest, req)
    assert "pw" not in repr(parsed)
    lease = {
        "device_id": U1,
        "staff_id": U2,
        "issued_at": TS,
        "lock_after": TS,
        "wipe_after": TS,
        "signature": "c2ln",
    }
    resp = {
        "token": "t" * 43,
        "expires_at": TS,
        "staff": {"id": U2, "username": "alice", "display_name": "Alice", "role": "staff"},
        "teams": [{"id": U3, "name": "Ward 7 (Surgical)", "kind": "ward"}],
        "policy": {"idle_lock_minutes": 5},
        "lease": lease,
        "cursor": 42,
    }
    parsed_resp = roundtrip(p.SessionResponse, resp)
    assert "t" * 43 not in repr(parsed_resp)


def test_lease_signing_bytes_are_canonical_and_exclude_the_signature() -> None:
    a = p.Lease(U1, U2, TS, TS, TS, "x")
    b = p.Lease(U1, U2, TS, TS, TS, "y")
    assert a.signing_bytes() == b.signing_bytes()
    assert json.loads(a.signing_bytes()) == {
        "device_id": U1,
        "staff_id": U2,
        "issued_at": TS,
        "lock_after": TS,
        "wipe_after": TS,
    }
    assert b" " not in a.signing_bytes()


def test_every_op_type_round_trips() -> None:
    ops = [
        {
            "op_id": U1,
            "type": "message.post",
            "team_id": U2,
            "message_id": U3,
            "body": "Porter bay 3",
            "priority": "urgent",
            "client_ts": TS,
            "note_ref": U4,
        },
        {"op_id": U2, "type": "message.retract", "message_id": U3, "reason": "wrong team"},
        {"op_id": U3, "type": "message.ack", "message_id": U1},
        {"op_id": U4, "type": "receipt.read", "team_id": U2, "up_to_seq": 9},
        {
            "op_id": str(uuid.uuid4()),
            "type": "note.submit",
            "team_id": U2,
            "note_id": U3,
            "resource": QR,
        },
        {
            "op_id": str(uuid.uuid4()),
            "type": "note.amend",
            "note_id": U4,
            "version_of": U3,
            "reason": "typo",
            "resource": QR,
        },
    ]
    request = roundtrip(p.PushRequest, {"ops": ops})
    assert [op.type for op in request.ops] == list(p.OP_TYPES)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("op", "path"),
    [
        ({"type": "message.post"}, "ops[0].op_id"),
        ({"op_id": "not-a-uuid", "type": "message.ack", "message_id": U1}, "ops[0].op_id"),
        ({"op_id": U1, "type": "message.explode"}, "ops[0].type"),
        (
            {
                "op_id": U1,
                "type": "message.post",
                "team_id": U2,
                "message_id": U3,
                "body": "",
                "client_ts": TS,
            },
            "ops[0].body",
        ),
        (
            {
                "op_id": U1,
                "type": "message.post",
                "team_id": U2,
                "message_id": U3,
                "body": "x" * 4001,
                "client_ts": TS,
            },
            "ops[0].body",
        ),
        (
            {
                "op_id": U1,
                "type": "message.post",
                "team_id": U2,
                "message_id": U3,
                "body": "hi",
                "client_ts": "yesterday",
            },
            "ops[0].client_ts",
        ),
        (
            {
                "op_id": U1,
                "type": "message.post",
                "team_id": U2,
                "message_id": U3,
                "body": "hi",
                "client_ts": TS,
                "priority": "loud",
            },
            "ops[0].priority",
        ),
        ({"op_id": U1, "type": "receipt.read", "team_id": U2, "up_to_seq": -1}, "ops[0].up_to_seq"),
        (
            {"op_id": U1, "type": "receipt.read", "team_id": U2, "up_to_seq": True},
            "ops[0].up_to_seq",
        ),
        (
            {
                "op_id": U1,
                "type": "note.submit",
                "team_id": U2,
                "note_id": U3,
                "resource": {"resourceType": "Patient"},
            },
            "ops[0].resource",
        ),
        ("not an object", "ops[0]"),
    ],
)
def test_malformed_ops_name_the_field(op: object, path: str) -> None:
    with pytest.raises(p.ProtocolError) as info:
        p.PushRequest.from_json({"ops": [op]})
    assert info.value.path == path


def test_push_limits() -> None:
    op = {"op_id": U1, "type": "message.ack", "message_id": U2}
    with pytest.raises(p.ProtocolError, match="unique"):
        p.PushRequest.from_json({"ops": [op, op]})
    many = [
        {"op_id": str(uuid.uuid4()), "type": "message.ack", "message_id": U2} for _ in range(501)
    ]
    with pytest.raises(p.ProtocolError, match="at most 500"):
        p.PushRequest.from_json({"ops": many})
    with pytest.raises(p.ProtocolError):
        p.PushRequest.from_json({"ops": "nope"})


def test_errors_never_repeat_values() -> None:
    secret = "Mrs Example 943 476 5919"
    with pytest.raises(p.ProtocolError) as info:
        p.PushRequest.from_json({"ops": [{"op_id": U1, "type": "message.post", "team_id": secret}]})
    assert secret not in str(info.value)


def test_push_response_and_events_round_trip() -> None:
    results = {
        "results": [
            {"op_id": U1, "status": "applied", "seq": 7},
            {"op_id": U2, "status": "duplicate", "seq": 5},
            {
                "op_id": U3,
                "status": "rejected",
                "error": {
                    "code": "patient_identifiers",
                    "message": "…",
                    "findings": [{"kind": "nhs_number", "start": 0, "end": 10}],
                },
            },
        ]
    }
    roundtrip(p.PushResponse, results)
    with pytest.raises(p.ProtocolError, match="carries an error"):
        p.PushResponse.from_json({"results": [{"op_id": U1, "status": "rejected"}]})
    message = p.MessageData(U1, U2, U3, "Bob", "hello", "routine", TS, TS)
    event = {"seq": 3, "type": "message", "team_id": U4, "at": TS, "data": message.to_json()}
    pulled = roundtrip(p.PullResponse, {"events": [event], "next": 3, "more": False})
    assert p.MessageData.from_json(pulled.events[0].data) == message  # type: ignore[attr-defined]
    note = p.NoteData(U1, 2, U2, U3, "Bob", "https://x/Q/wound", "1.0.0", "Wound", QR, ("a" * 64,))
    assert p.NoteData.from_json(note.to_json()) == note
    roundtrip(p.HistoryResponse, {"events": [event], "more": True})
    with pytest.raises(p.ProtocolError):
        p.Event.from_json({**event, "type": "nonsense"}, "events[0]")


def test_escrow_key_must_be_32_bytes() -> None:
    key = p.EscrowKey.from_bytes(bytes(range(32)))
    assert p.EscrowKey.from_json(key.to_json()).key_bytes() == bytes(range(32))
    with pytest.raises(p.ProtocolError):
        p.EscrowKey.from_json({"escrow_key": "c2hvcnQ="})
    with pytest.raises(p.ProtocolError):
        p.EscrowKey.from_json({"escrow_key": "!!!"})


def test_error_body_shape() -> None:
    assert p.error_body("not_found", "No such team.") == {
        "error": {"code": "not_found", "message": "No such team."}
    }
    assert p.error_body("device_revoked", "Revoked.", wipe=True)["error"]["wipe"] is True  # type: ignore[index]
    with pytest.raises(ValueError, match="unknown error code"):
        p.error_body("teapot", "no")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
@settings(max_examples=300, derandomize=True)
def test_any_json_is_parsed_or_refused_cleanly(value: object) -> None:
    for cls in (p.PushRequest, p.SessionRequest, p.PullResponse, p.SessionResponse, p.EscrowKey):
        with contextlib.suppress(p.ProtocolError):
            cls.from_json(value)  # type: ignore[attr-defined]
