"""Message events read into the store rows they become, on whichever thread has time for it.

The DB lane is the one thread every store access waits for, so the backfill reads a page's
messages on the thread that fetched it (`history_ahead`) and the lane only writes them. Reading
decides nothing about applying: whether the team is held here, say, is still decided by the
`EventApplier` on the lane, which reads a message itself when it was not read ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from wardlink.core.protocol import Event, ProtocolError
from wardlink.core.protocol.pull import read_message
from wardlink.store.messages import RemoteMessage

# A `message` event read ahead: its row, or what refused it (applying skips it with that reason);
# None: not read ahead (another type of event).
MessageRead: TypeAlias = RemoteMessage | ProtocolError | None


def read_remote_message(event: Event) -> RemoteMessage:
    """A `message` event as the store row it becomes; ProtocolError if its data is malformed."""
    # The fields as MessageData holds them, without making one: this runs for every message.
    message_id, _op, author_id, author_name, body, priority, client_ts, server_ts, note_ref = (
        read_message(event.data)
    )
    return RemoteMessage(
        event.seq, message_id, event.team_id or "", author_id, author_name, body, priority,
        client_ts, server_ts, note_ref,
    )  # fmt: skip


def read_messages(events: Sequence[Event]) -> tuple[MessageRead, ...]:
    """Each `message` event of a page read ahead, None for the other events."""
    return tuple(_read_ahead(e) if e.type == "message" else None for e in events)


def _read_ahead(event: Event) -> MessageRead:
    try:
        return read_remote_message(event)
    except ProtocolError as exc:
        return exc
