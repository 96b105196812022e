"""Push: ops from a client, and the server's result for each (DESIGN.md §4, "Push")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from wardlink.core.protocol.fields import (
    MAX_BODY_CHARS,
    MAX_PUSH_OPS,
    MAX_REASON_CHARS,
    OP_TYPES,
    Json,
    Priority,
    ProtocolError,
    as_object,
    drop_none,
    read_int,
    read_list,
    read_opt_uuid,
    read_priority,
    read_resource,
    read_str,
    read_timestamp,
    read_uuid,
)

# -- push -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessagePost:
    op_id: str
    team_id: str
    message_id: str
    body: str = field(repr=False)
    priority: Priority
    client_ts: str
    note_ref: str | None = None
    type: Literal["message.post"] = "message.post"


@dataclass(frozen=True, slots=True)
class MessageRetract:
    op_id: str
    message_id: str
    reason: str = field(repr=False)
    type: Literal["message.retract"] = "message.retract"


@dataclass(frozen=True, slots=True)
class MessageAck:
    op_id: str
    message_id: str
    type: Literal["message.ack"] = "message.ack"


@dataclass(frozen=True, slots=True)
class ReceiptRead:
    op_id: str
    team_id: str
    up_to_seq: int
    type: Literal["receipt.read"] = "receipt.read"


@dataclass(frozen=True, slots=True)
class NoteSubmit:
    op_id: str
    team_id: str
    note_id: str
    resource: Mapping[str, Json] = field(repr=False)
    type: Literal["note.submit"] = "note.submit"


@dataclass(frozen=True, slots=True)
class NoteAmend:
    op_id: str
    note_id: str
    version_of: str
    reason: str = field(repr=False)
    resource: Mapping[str, Json] = field(repr=False)
    type: Literal["note.amend"] = "note.amend"


Op: TypeAlias = MessagePost | MessageRetract | MessageAck | ReceiptRead | NoteSubmit | NoteAmend


def parse_op(value: Json, path: str) -> Op:
    obj = as_object(value, path)
    op_id = read_uuid(obj, "op_id", path)
    kind = obj.get("type")
    if kind == "message.post":
        return MessagePost(
            op_id,
            read_uuid(obj, "team_id", path),
            read_uuid(obj, "message_id", path),
            read_str(obj, "body", path, max_chars=MAX_BODY_CHARS),
            read_priority(obj, "priority", path),
            read_timestamp(obj, "client_ts", path),
            read_opt_uuid(obj, "note_ref", path),
        )
    if kind == "message.retract":
        return MessageRetract(
            op_id,
            read_uuid(obj, "message_id", path),
            read_str(obj, "reason", path, max_chars=MAX_REASON_CHARS),
        )
    if kind == "message.ack":
        return MessageAck(op_id, read_uuid(obj, "message_id", path))
    if kind == "receipt.read":
        return ReceiptRead(op_id, read_uuid(obj, "team_id", path), read_int(obj, "up_to_seq", path))
    if kind == "note.submit":
        return NoteSubmit(
            op_id,
            read_uuid(obj, "team_id", path),
            read_uuid(obj, "note_id", path),
            read_resource(obj, "resource", path),
        )
    if kind == "note.amend":
        return NoteAmend(
            op_id,
            read_uuid(obj, "note_id", path),
            read_uuid(obj, "version_of", path),
            read_str(obj, "reason", path, max_chars=MAX_REASON_CHARS),
            read_resource(obj, "resource", path),
        )
    raise ProtocolError(f"{path}.type", f"must be one of {', '.join(OP_TYPES)}")


def op_to_json(op: Op) -> dict[str, object]:
    values = {name: getattr(op, name) for name in op.__slots__}
    if isinstance(op, NoteSubmit | NoteAmend):
        values["resource"] = dict(op.resource)
    return drop_none(values)


@dataclass(frozen=True, slots=True)
class PushRequest:
    """`POST /api/v1/sync/push`: at most MAX_PUSH_OPS ops (more is 413, as is > 2 MiB)."""

    ops: tuple[Op, ...]

    @classmethod
    def from_json(cls, value: Json) -> PushRequest:
        obj = as_object(value, "")
        ops = read_list(obj, "ops", "")
        if len(ops) > MAX_PUSH_OPS:
            raise ProtocolError("ops", f"must hold at most {MAX_PUSH_OPS} ops")
        parsed = tuple(parse_op(op, f"ops[{i}]") for i, op in enumerate(ops))
        if len({op.op_id for op in parsed}) != len(parsed):
            raise ProtocolError("ops", "op_id values must be unique within a push")
        return cls(parsed)

    def to_json(self) -> dict[str, object]:
        return {"ops": [op_to_json(op) for op in self.ops]}


@dataclass(frozen=True, slots=True)
class OpError:
    code: str
    message: str
    details: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_json(cls, value: Json, path: str) -> OpError:
        obj = as_object(value, path)
        code = read_str(obj, "code", path)
        message = read_str(obj, "message", path, max_chars=2000)
        details = {k: v for k, v in obj.items() if k not in ("code", "message")}
        return cls(code, message, details)

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, **self.details}


@dataclass(frozen=True, slots=True)
class OpResult:
    op_id: str
    status: Literal["applied", "duplicate", "rejected"]
    seq: int | None = None
    error: OpError | None = None

    @classmethod
    def from_json(cls, value: Json, path: str) -> OpResult:
        obj = as_object(value, path)
        status = obj.get("status")
        if status not in ("applied", "duplicate", "rejected"):
            raise ProtocolError(f"{path}.status", "must be applied, duplicate or rejected")
        seq = None if obj.get("seq") is None else read_int(obj, "seq", path, minimum=1)
        error = (
            None if obj.get("error") is None else OpError.from_json(obj["error"], f"{path}.error")
        )
        if status == "rejected" and error is None:
            raise ProtocolError(f"{path}.error", "a rejected op carries an error")
        return cls(read_uuid(obj, "op_id", path), status, seq, error)

    def to_json(self) -> dict[str, object]:
        return drop_none(
            {
                "op_id": self.op_id,
                "status": self.status,
                "seq": self.seq,
                "error": None if self.error is None else self.error.to_json(),
            }
        )


@dataclass(frozen=True, slots=True)
class PushResponse:
    results: tuple[OpResult, ...]

    @classmethod
    def from_json(cls, value: Json) -> PushResponse:
        obj = as_object(value, "")
        return cls(
            tuple(
                OpResult.from_json(r, f"results[{i}]")
                for i, r in enumerate(read_list(obj, "results", ""))
            )
        )

    def to_json(self) -> dict[str, object]:
        return {"results": [r.to_json() for r in self.results]}
