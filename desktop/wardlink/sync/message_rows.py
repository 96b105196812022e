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
from wardlink.core.protocol.event_pages import MessageRead as FieldsRead
from wardlink.core.protocol.pull import MessageFields, read_message
from wardlink.store.messages import RemoteMessage

# A `message` event read ahead: its row, or what refused it (applying skips it with that reason);
# None: not read ahead (another type of event).
MessageRead: TypeAlias = RemoteMessage | ProtocolError | None


def read_remote_message(event: Event) -> RemoteMessage:
    """A `message` event as the store row it becomes; ProtocolError if its data is malformed."""
    return _row(event, read_message(event.data))


def rows_of(events: Sequence[Event], reads: Sequence[FieldsRead]) -> tuple[MessageRead, ...]:
    """Each `message` event of a page as its row, from its data as the page reader read it
    (`event_pages`); None for the other events."""
    return tuple(
        read if read is None or isinstance(read, ProtocolError) else _row(event, read)
        for event, read in zip(events, reads, strict=True)
    )


def _row(event: Event, fields: MessageFields) -> RemoteMessage:
    # The fields as MessageData holds them, without making one: this runs for every message.
    message_id, _op, author_id, author_name, body, priority, client_ts, server_ts, note_ref = fields
    return RemoteMessage(
        event.seq, message_id, event.team_id or "", author_id, author_name, body, priority,
        client_ts, server_ts, note_ref,
    )  # fmt: skip
