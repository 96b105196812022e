"""Push: apply a client's ops, each exactly once (DESIGN.md §4, "Push").

Delivery is at least once (a client resends until it hears back); the effect is exactly once
because each op's `ops` row (primary key op_id) is inserted in the same write transaction as its
effect and its events. A second insert of the same op_id fails, even when two pushes race, and
that op is answered `duplicate` with its original seq: there is no check-then-insert.

A push is one write transaction (one commit, however many ops), and each op runs inside a
savepoint of its own: a rejected op rolls back its savepoint only, so it stores nothing and never
undoes another op. Long-polls are woken once the transaction has committed.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from wardlink.core.protocol import (
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
)
from wardlink_server import events, schema
from wardlink_server.auth import Caller
from wardlink_server.push_context import OpContext, Rejected
from wardlink_server.push_messages import ack_message, post_message, read_receipt, retract_message
from wardlink_server.push_notes import amend_note, submit_note
from wardlink_server.services import Services

_o = schema.ops
# Built once (a push runs them for every op): see `pull._PULL`.
_RECORD_OP: Final = insert(_o).values(
    op_id=bindparam("op_id"),
    staff_id=bindparam("staff_id"),
    device_id=bindparam("device_id"),
    type=bindparam("type"),
    at=bindparam("at"),
)
_SET_SEQ: Final = update(_o).where(_o.c.op_id == bindparam("of_op")).values(seq=bindparam("seq"))
_ORIGINAL: Final = select(_o.c.staff_id, _o.c.seq).where(_o.c.op_id == bindparam("op_id"))


class _SeenBefore(Exception):
    """The op's id is in `ops` already."""


def apply_push(services: Services, caller: Caller, request: PushRequest) -> PushResponse:
    """Apply the ops in order, in one transaction; one result per op, in the same order."""
    results: list[OpResult] = []
    if not request.ops:
        return PushResponse(())
    known: dict[str, object] = {}  # what the ops have read of the directory (`OpContext`)
    with services.writer.begin() as conn:
        conn.execution_options(**events.WAKE_AT_COMMIT)
        for op in request.ops:
            results.append(_apply(services, caller, conn, known, op))
        if any(result.status == "applied" for result in results):
            events.wake_on_commit(conn)
    if any(result.status == "applied" for result in results):
        services.notifier.notify()
    return PushResponse(tuple(results))


def _apply(
    services: Services, caller: Caller, conn: Connection, known: dict[str, object], op: Op
) -> OpResult:
    now = services.now()
    try:
        with conn.begin_nested():  # rolled back by _SeenBefore and Rejected
            try:
                conn.execute(
                    _RECORD_OP,
                    {
                        "op_id": op.op_id,
                        "staff_id": caller.staff_id,
                        "device_id": caller.device_id,
                        "type": op.type,
                        "at": now,
                    },
                )
            except IntegrityError:
                raise _SeenBefore from None
            seq = _dispatch(OpContext(services, caller, conn, now, known), op)
            if seq is not None:
                conn.execute(_SET_SEQ, {"of_op": op.op_id, "seq": seq})
    except _SeenBefore:
        return _seen_before(conn, caller, op)
    except Rejected as refusal:
        return OpResult(op.op_id, "rejected", error=refusal.error())
    return OpResult(op.op_id, "applied", seq)


def _seen_before(conn: Connection, caller: Caller, op: Op) -> OpResult:
    """The original result of an op applied by an earlier push (committed: pushes are serial)."""
    row = conn.execute(_ORIGINAL, {"op_id": op.op_id}).one()
    if row.staff_id != caller.staff_id:
        # Op ids are random UUIDs: this is a client bug, and another's result is not ours to tell.
        error = OpError("conflict", "This op id has been used already.")
        return OpResult(op.op_id, "rejected", error=error)
    return OpResult(op.op_id, "duplicate", None if row.seq is None else int(row.seq))


def _dispatch(ctx: OpContext, op: Op) -> int | None:
    if isinstance(op, MessagePost):
        return post_message(ctx, op)
    if isinstance(op, MessageRetract):
        return retract_message(ctx, op)
    if isinstance(op, MessageAck):
        return ack_message(ctx, op)
    if isinstance(op, ReceiptRead):
        return read_receipt(ctx, op)
    if isinstance(op, NoteSubmit):
        return submit_note(ctx, op)
    if isinstance(op, NoteAmend):
        return amend_note(ctx, op)
    raise TypeError(f"unknown op type {type(op).__name__}")
