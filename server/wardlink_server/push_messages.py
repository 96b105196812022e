"""Push ops on team chat: post, retract, acknowledge, and read receipts.

Each handler runs in its op's savepoint of the push's write transaction (see `push`), returns
the seq of the event it appended, and refuses with `Rejected`. A message or team the caller
cannot see is refused as `not_found` or `forbidden` without saying whether it exists elsewhere.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import RowMapping, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from wardlink.core.protocol import MessageAck, MessageData, MessagePost, MessageRetract, ReceiptRead
from wardlink_server import audit, events, schema
from wardlink_server.push_context import OpContext, Rejected, identifiers_found

NOT_A_MEMBER = "You are not a member of that team."

_m = schema.messages
# Built once (see `pull._PULL`): a push of 500 messages runs it 500 times.
_INSERT_MESSAGE: Final = insert(_m).values(
    id=bindparam("v_id"),
    op_id=bindparam("v_op_id"),
    team_id=bindparam("v_team_id"),
    author_id=bindparam("v_author_id"),
    body=bindparam("v_body"),
    priority=bindparam("v_priority"),
    client_ts=bindparam("v_client_ts"),
    server_ts=bindparam("v_server_ts"),
    seq=bindparam("v_seq"),
    note_ref=bindparam("v_note_ref"),
)


def post_message(ctx: OpContext, op: MessagePost) -> int:
    if not ctx.is_member(op.team_id):
        raise Rejected("forbidden", NOT_A_MEMBER)
    findings = ctx.scan(op.body)
    if findings:
        raise identifiers_found(findings, "message")
    if op.note_ref is not None:
        n = schema.notes
        note = ctx.conn.execute(
            select(n.c.id).where(n.c.id == op.note_ref, n.c.team_id == op.team_id)
        ).first()
        if note is None:
            raise Rejected(
                "invalid", "The note this message refers to is not in this team.", field="note_ref"
            )
    data = MessageData(
        id=op.message_id,
        op_id=op.op_id,
        author_id=ctx.caller.staff_id,
        author_name=ctx.caller_name(),
        body=op.body,
        priority=op.priority,
        client_ts=op.client_ts,
        server_ts=ctx.now,
        note_ref=op.note_ref,
    )
    seq = events.append(ctx.conn, "message", at=ctx.now, data=data.to_json(), team_id=op.team_id)
    try:
        ctx.conn.execute(
            _INSERT_MESSAGE,
            {
                "v_id": op.message_id,
                "v_op_id": op.op_id,
                "v_team_id": op.team_id,
                "v_author_id": ctx.caller.staff_id,
                "v_body": op.body,
                "v_priority": op.priority,
                "v_client_ts": op.client_ts,
                "v_server_ts": ctx.now,
                "v_seq": seq,
                "v_note_ref": op.note_ref,
            },
        )
    except IntegrityError:  # the message id is taken (by another op: this one is new)
        raise Rejected("conflict", "A message with this id exists already.") from None
    return seq


def _visible_message(ctx: OpContext, message_id: str, *, any_team: bool = False) -> RowMapping:
    """The message, if the caller may act on it: in one of their teams (or any, for admins)."""
    m = schema.messages
    row = ctx.conn.execute(select(m).where(m.c.id == message_id)).mappings().first()
    if row is None or not (any_team or ctx.is_member(str(row["team_id"]))):
        raise Rejected("not_found", "That message was not found.")
    return row


def retract_message(ctx: OpContext, op: MessageRetract) -> int:
    """Remove a message everywhere: its body and its event go; the audit keeps who and why."""
    row = _visible_message(ctx, op.message_id, any_team=ctx.caller.is_admin)
    if row["author_id"] != ctx.caller.staff_id and not ctx.caller.is_admin:
        raise Rejected("forbidden", "Only its author or an administrator can retract a message.")
    if row["retracted_at"] is not None:
        raise Rejected("not_found", "That message has already been retracted.", in_effect=True)
    findings = ctx.scan(op.reason)
    if findings:
        raise identifiers_found(findings, "reason", field="reason")
    team_id = str(row["team_id"])
    seq = events.append(
        ctx.conn,
        "message.retracted",
        at=ctx.now,
        data={"id": op.message_id, "by": ctx.caller.staff_id, "reason": op.reason},
        team_id=team_id,
    )
    # Deleted only after the retraction is appended: SQLite numbers a new row max(seq) + 1, so
    # deleting first could hand the deleted event's seq to the retraction, and a client that had
    # pulled past that seq would never see the retraction.
    ctx.conn.execute(delete(schema.events).where(schema.events.c.seq == row["seq"]))
    ctx.conn.execute(
        update(schema.messages)
        .where(schema.messages.c.id == op.message_id)
        .values(body=None, retracted_at=ctx.now, retracted_by=ctx.caller.staff_id)
    )
    audit.record(
        ctx.conn,
        ctx.actor,
        "message.retract",
        op.message_id,
        at=ctx.now,
        detail={"team_id": team_id, "author_id": row["author_id"], "reason": op.reason},
    )
    return seq


def ack_message(ctx: OpContext, op: MessageAck) -> int:
    row = _visible_message(ctx, op.message_id)
    if row["retracted_at"] is not None:
        raise Rejected("not_found", "That message has been retracted.")
    if row["priority"] != "urgent":
        raise Rejected("invalid", "Only an urgent message is acknowledged.")
    try:
        ctx.conn.execute(
            insert(schema.acks).values(
                message_id=op.message_id, staff_id=ctx.caller.staff_id, at=ctx.now
            )
        )
    except IntegrityError:  # acknowledged before, by another op (say, from another PC)
        raise Rejected(
            "conflict", "You have already acknowledged this message.", in_effect=True
        ) from None
    return events.append(
        ctx.conn,
        "message.acked",
        at=ctx.now,
        data={"id": op.message_id, "by": ctx.caller.staff_id, "at": ctx.now},
        team_id=str(row["team_id"]),
    )


def read_receipt(ctx: OpContext, op: ReceiptRead) -> int | None:
    """Move the caller's read position forward (never back); None when it already was there."""
    if not ctx.is_member(op.team_id):
        raise Rejected("forbidden", NOT_A_MEMBER)
    if op.up_to_seq > events.head(ctx.conn):
        raise Rejected("invalid", "That read position is past the newest event.", field="up_to_seq")
    r = schema.receipts
    mine = (r.c.team_id == op.team_id) & (r.c.staff_id == ctx.caller.staff_id)
    moved = ctx.conn.execute(
        update(r).where(mine, r.c.up_to_seq < op.up_to_seq).values(up_to_seq=op.up_to_seq)
    ).rowcount
    if not moved:
        if ctx.conn.execute(select(r.c.up_to_seq).where(mine)).first() is not None:
            return None  # already at or past this position
        try:
            ctx.conn.execute(
                insert(r).values(
                    team_id=op.team_id, staff_id=ctx.caller.staff_id, up_to_seq=op.up_to_seq
                )
            )
        except IntegrityError:  # another device of the caller's got there first: send again
            raise Rejected("conflict", "The read position changed meanwhile; try again.") from None
    return events.append(
        ctx.conn,
        "receipt",
        at=ctx.now,
        data={"staff_id": ctx.caller.staff_id, "up_to_seq": op.up_to_seq},
        team_id=op.team_id,
    )
