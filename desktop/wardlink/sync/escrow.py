"""The escrow key: made once per profile, sealed locally, registered with the server, and the
session helpers the calling thread uses around sign-in (DESIGN.md §3)."""

from __future__ import annotations

import secrets

from wardlink.core.policy import PolicyError, check_setting
from wardlink.store.lane import DbLane
from wardlink.store.profiles import Profiles, UnlockedProfile
from wardlink.sync.account_state import (
    ESCROW_KEY_BYTES,
    HEALTH_PATH,
    escrow_registered,
    escrow_settled,
    load_token,
    pending_escrow_key,
    set_pending_escrow,
    settle_escrow,
)
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import (
    BadCredentials,
    BadResponse,
    MustWipe,
    NeedsSignIn,
    Offline,
    ServerBusy,
    ServerRefused,
)

# -- session helpers for the calling thread ------------------------------------------------------


def restore_session(lane: DbLane, client: RecordClient) -> bool:
    """Give the client the stored token (after an offline unlock); False if there is none."""
    client.token = lane.call(load_token)
    return client.token is not None


def fetch_lease_key(client: RecordClient) -> str:
    """The lease key the server offers at `GET /healthz`, for trust on first use."""
    answer = client.transport.get_json(HEALTH_PATH)
    key = answer.get("lease_key") if isinstance(answer, dict) else None
    try:
        return str(check_setting("server_public_key", key))
    except PolicyError:
        raise BadResponse() from None


def send_pending_escrow(lane: DbLane, client: RecordClient) -> bool:
    """Send an escrow key still waiting to reach the server; True once nothing waits.

    Transient failures leave it pending (call again after the next successful contact). If the
    server already holds another key for this device, ours can never be used: it is dropped and
    the profile is marked so, rather than retried for ever.
    """
    key = lane.call(pending_escrow_key)
    if key is None:
        return lane.call(escrow_settled)
    try:
        client.put_escrow(key)
    except (Offline, ServerBusy, BadResponse):
        return False
    except ServerRefused as exc:
        if isinstance(exc, MustWipe | NeedsSignIn | BadCredentials) or exc.code != "conflict":
            raise
        lane.call(settle_escrow, "refused")
        return True
    lane.call(settle_escrow, "registered")
    return True


def ensure_escrow(
    profiles: Profiles, unlocked: UnlockedProfile, lane: DbLane, client: RecordClient
) -> bool:
    """Make and register this profile's escrow key unless that is done; True if registered.
    The local slot is sealed before the key is recorded as pending, so a key that reaches the
    server always opens the profile."""
    if not lane.call(escrow_settled):
        if lane.call(pending_escrow_key) is None:
            key = secrets.token_bytes(ESCROW_KEY_BYTES)
            profiles.set_escrow_key(unlocked, key)
            lane.call(set_pending_escrow, key)
        send_pending_escrow(lane, client)
    return lane.call(escrow_registered)
