"""The offline lease on the client (DESIGN.md §4, "Lease and wipe"): trust it, keep it, judge it.

The record server signs each lease with its Ed25519 key. A lease is kept only if it verifies
against the trusted key: the one machine policy pins (`server_public_key`), else the one this
profile trusted on first use. A lease that fails is ignored, the previous one stays, and the
caller hears of it.

Time is judged against a high-water mark, the latest time this profile has seen (its own clock
at every check, and the server's `issued_at` at every contact), so turning the PC's clock back
does not stretch the lease. The lease is re-verified whenever it is judged, so with a pinned key
an edited lease in the store counts as no lease at all.

The functions taking a `Store` are operations for the DB lane; `renew_lease` is called from the
engine's thread and hands its store work to the lane.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from wardlink.core.clock import format_timestamp, parse_timestamp
from wardlink.core.lease import verify_lease
from wardlink.core.protocol import Lease, ProtocolError
from wardlink.store import outbox
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import SyncError

WARN_BEFORE_WIPE: Final = dt.timedelta(days=3)

# sync_state keys
LEASE_KEY: Final = "lease"
HIGH_WATER_KEY: Final = "lease.high_water"
SERVER_KEY_KEY: Final = "lease.server_key"
SERVER_DEVICE_KEY: Final = "lease.device_id"


class LeaseState(StrEnum):
    OK = "ok"
    WARN = "warn"  # the wipe is near: connect (and send what is unsent)
    LOCKED = "locked"  # past lock_after: the local password alone no longer opens the profile
    WIPE = "wipe"  # past wipe_after: delete the profile


@dataclass(frozen=True, slots=True)
class LeaseStatus:
    """What the lease says at `now` (the high-water mark). `unsent` counts the outbox, so the UI
    can say "connect to send 12 unsent items"; `wipe_soon` may be set in the LOCKED state too."""

    state: LeaseState
    now: dt.datetime
    lock_after: dt.datetime | None = None
    wipe_after: dt.datetime | None = None
    unsent: int = 0

    @property
    def wipe_soon(self) -> bool:
        return self.wipe_after is not None and self.now >= self.wipe_after - WARN_BEFORE_WIPE

    @property
    def time_to_wipe(self) -> dt.timedelta | None:
        if self.wipe_after is None:
            return None
        return max(dt.timedelta(0), self.wipe_after - self.now)

    @property
    def message(self) -> str:
        """Plain language for the UI; empty when all is well."""
        if self.state is LeaseState.WIPE:
            return (
                "This computer has not reached the record server for too long, so Wardlink "
                "removes its data here."
            )
        warning = self._wipe_warning() if self.wipe_soon else ""
        if self.state is LeaseState.LOCKED:
            text = (
                "This computer has not reached the record server for a while, so Wardlink needs "
                "an online sign-in before it opens again."
            )
            return f"{text} {warning}" if warning else text
        return warning

    def _wipe_warning(self) -> str:
        remaining = self.time_to_wipe or dt.timedelta(0)
        days = math.ceil(remaining / dt.timedelta(days=1))
        when = "within a day" if days <= 1 else f"in {days} days"
        text = (
            "Connect to the network: unless this computer reaches the record server, its "
            f"Wardlink data will be removed {when}."
        )
        if self.unsent:
            items = "item is" if self.unsent == 1 else "items are"
            text += f" {self.unsent} unsent {items} waiting to be sent."
        return text


class LeaseNotTrusted(SyncError):
    """A lease whose signature does not verify against the trusted key (or names another staff
    member or device). It is not stored; the previous lease stays."""

    message = (
        "The record server's answer could not be verified, so Wardlink did not accept it. "
        "Your local data is unchanged. If this keeps happening, ask IT."
    )


class ServerKeyChanged(SyncError):
    """The server now signs with another key than the one this computer trusts."""

    message = (
        "The record server's signing key is not the one this computer trusts, so Wardlink did "
        "not sign in. Your local data is unchanged. Ask IT to confirm the server's new key and "
        "set it in Wardlink's machine policy."
    )


def judge_lease(
    lease: Lease | None, now: dt.datetime, *, unsent: int = 0, trusted: bool = True
) -> LeaseStatus:
    """Pure: the state of `lease` at `now`. No lease (or an untrusted one) is LOCKED: only an
    online sign-in can vouch for this device then."""
    if lease is None or not trusted:
        return LeaseStatus(LeaseState.LOCKED, now, unsent=unsent)
    lock_after = parse_timestamp(lease.lock_after)
    wipe_after = parse_timestamp(lease.wipe_after)
    if now >= wipe_after:
        state = LeaseState.WIPE
    elif now >= lock_after:
        state = LeaseState.LOCKED
    elif now >= wipe_after - WARN_BEFORE_WIPE:
        state = LeaseState.WARN
    else:
        state = LeaseState.OK
    return LeaseStatus(state, now, lock_after, wipe_after, unsent)


# -- store operations (run on the DB lane) ------------------------------------------------------


def trusted_key(store: Store, pinned_key: str | None = None) -> str | None:
    """The key leases must verify against: machine policy's pin wins over the stored one."""
    return pinned_key or store.get_state(SERVER_KEY_KEY)


def load_lease(store: Store) -> Lease | None:
    raw = store.get_state(LEASE_KEY)
    if raw is None:
        return None
    try:
        return Lease.from_json(json.loads(raw))
    except (ValueError, ProtocolError):
        return None  # unreadable counts as no lease: an online sign-in replaces it


def high_water(store: Store) -> dt.datetime | None:
    raw = store.get_state(HIGH_WATER_KEY)
    if raw is None:
        return None
    try:
        return parse_timestamp(raw)
    except ValueError:
        return None


def advance_high_water(store: Store, *seen: dt.datetime) -> dt.datetime:
    """Raise the high-water mark to the latest of itself, the clock and `seen`; return it."""
    moments = [store.clock.now(), *seen]
    stored = high_water(store)
    if stored is not None:
        moments.append(stored)
    latest = max(moments)
    store.set_state(HIGH_WATER_KEY, format_timestamp(latest))
    return parse_timestamp(format_timestamp(latest))


def record_contact(store: Store) -> None:
    """A successful answer from the server: the time seen moves on (the clock alone here; the
    server's own time arrives with each lease)."""
    advance_high_water(store)


def check_lease(store: Store, *, pinned_key: str | None = None) -> LeaseStatus:
    """Judge the stored lease now, raising the high-water mark first (so every check counts)."""
    with store.transaction():
        now = advance_high_water(store)
        lease = load_lease(store)
        key = trusted_key(store, pinned_key)
        trusted = lease is not None and key is not None and verify_lease(lease, key)
        return judge_lease(lease, now, unsent=outbox.pending_count(store), trusted=trusted)


def lease_fits(lease: Lease, key: str, *, staff_id: str, device_id: str | None) -> bool:
    """Pure: signed by `key`, for this staff member and (when known) this server device."""
    if not verify_lease(lease, key) or lease.staff_id != staff_id:
        return False
    return device_id is None or lease.device_id == device_id


def store_lease_in_tx(store: Store, lease: Lease) -> None:
    """Keep a lease the caller has verified, and the server time it carries."""
    store.set_state(LEASE_KEY, json.dumps(lease.to_json(), sort_keys=True, separators=(",", ":")))
    store.set_state(SERVER_DEVICE_KEY, lease.device_id)
    advance_high_water(store, parse_timestamp(lease.issued_at))


def accept_lease(store: Store, lease: Lease, *, pinned_key: str | None = None) -> bool:
    """Keep `lease` if it verifies against the trusted key and is for this profile's staff member
    and server device, and is not older than the one kept; else keep the previous one and
    return False. The server's time counts towards the high-water mark only if it verifies."""
    with store.transaction():
        key = trusted_key(store, pinned_key)
        device_id = store.get_state(SERVER_DEVICE_KEY)
        if key is None or not lease_fits(lease, key, staff_id=store.me, device_id=device_id):
            return False
        previous = load_lease(store)
        if previous is not None and parse_timestamp(lease.issued_at) < parse_timestamp(
            previous.issued_at
        ):
            return False  # a replayed older lease never replaces a newer one
        store_lease_in_tx(store, lease)
        return True


# -- from the engine's thread -------------------------------------------------------------------


def renew_lease(
    lane: DbLane, client: RecordClient, *, pinned_key: str | None = None
) -> LeaseStatus:
    """Ask the server for a fresh lease (after a successful sync) and keep it if it verifies.

    The server's errors pass through: MustWipe (wipe now), NeedsSignIn, Offline... A lease that
    does not verify raises LeaseNotTrusted after the contact is recorded and the old lease kept.
    """
    lease = client.renew_lease()
    lane.call(record_contact)
    if not lane.call(accept_lease, lease, pinned_key=pinned_key):
        raise LeaseNotTrusted()
    return lane.call(check_lease, pinned_key=pinned_key)
