"""Ids this client makes (messages, note versions, ops): time-ordered UUIDs (version 7).

DESIGN.md §4 asks for UUID strings and nothing more of them. A random (version 4) id lands
anywhere in every index keyed by it, so each commit that adds a few thousand rows rewrites
nearly the whole index: on a new device's first sync that was most of the cost of storing
history. A version 7 id starts with its creation time in milliseconds (RFC 9562, section 5.7),
so ids made close in time sit close in an index, on the record server as on every PC. The time
it shows is no secret: the message or note it names carries its own time.

The other 74 bits are random (from `secrets`), so ids stay unguessable and unique however many
are made in one millisecond, on however many PCs, whatever their clocks say.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from typing import Final

_VERSION: Final = 7
_VARIANT: Final = 0b10
_MAX_MS: Final = (1 << 48) - 1


def time_ordered_id(now: dt.datetime, bits: Callable[[int], int] = secrets.randbits) -> str:
    """A new version 7 UUID for an id made at `now` (an aware datetime; the store's clock).
    `bits(k)`: k random bits (a seeded generator only where ids must repeat, as in a benchmark's
    data)."""
    millis = min(max(int(now.timestamp() * 1000), 0), _MAX_MS)
    rand_a = bits(12)
    rand_b = bits(62)
    value = (millis << 80) | (_VERSION << 76) | (rand_a << 64) | (_VARIANT << 62) | rand_b
    return str(uuid.UUID(int=value))
