"""The sync protocol's wire schema (DESIGN.md §4), shared by the client and the record server.

One frozen dataclass per request, response, op and event. Each parses itself from decoded JSON
with `from_json`, refusing anything malformed with a `ProtocolError` that names the field (never
its value, which may be patient data), and writes itself back with `to_json`. Both sides use
these, so the two cannot drift.
"""

from __future__ import annotations

from wardlink.core.protocol.errors import error_body, findings_detail
from wardlink.core.protocol.fields import (
    ERROR_CODES,
    EVENT_TYPES,
    MAX_BODY_CHARS,
    MAX_PULL_LIMIT,
    MAX_PULL_WAIT_S,
    MAX_PUSH_BYTES,
    MAX_PUSH_OPS,
    MAX_REASON_CHARS,
    OP_TYPES,
    PROTOCOL_VERSION,
    ProtocolError,
)
from wardlink.core.protocol.pull import Event, HistoryResponse, MessageData, NoteData, PullResponse
from wardlink.core.protocol.push import (
    MessageAck,
    MessagePost,
    MessageRetract,
    NoteAmend,
    NoteSubmit,
    Op,
    OpError,
    OpResult,
    PushRequest,
    PushResponse,
    ReceiptRead,
    op_to_json,
    parse_op,
)
from wardlink.core.protocol.session import (
    DeviceInfo,
    EscrowKey,
    Lease,
    SessionRequest,
    SessionResponse,
    StaffInfo,
    TeamInfo,
)

__all__ = [
    "ERROR_CODES",
    "EVENT_TYPES",
    "MAX_BODY_CHARS",
    "MAX_PULL_LIMIT",
    "MAX_PULL_WAIT_S",
    "MAX_PUSH_BYTES",
    "MAX_PUSH_OPS",
    "MAX_REASON_CHARS",
    "OP_TYPES",
    "PROTOCOL_VERSION",
    "DeviceInfo",
    "EscrowKey",
    "Event",
    "HistoryResponse",
    "Lease",
    "MessageAck",
    "MessageData",
    "MessagePost",
    "MessageRetract",
    "NoteAmend",
    "NoteData",
    "NoteSubmit",
    "Op",
    "OpError",
    "OpResult",
    "ProtocolError",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "ReceiptRead",
    "SessionRequest",
    "SessionResponse",
    "StaffInfo",
    "TeamInfo",
    "error_body",
    "findings_detail",
    "op_to_json",
    "parse_op",
]
