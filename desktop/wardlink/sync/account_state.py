"""What a signed-in profile keeps in its encrypted `sync_state`: the account, the device, the
session token, the cursor, the server policy and the escrow key's progress; the store
operations (run on the DB lane) that read and write them."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from wardlink.core.model import Role, Staff, Team, TeamKind
from wardlink.core.protocol import DeviceInfo, Lease, SessionResponse
from wardlink.store import teams as team_store
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.store.profiles import UnlockedProfile
from wardlink.sync.errors import (
    SyncError,
)
from wardlink.sync.lease import (
    SERVER_KEY_KEY,
    LeaseStatus,
    load_lease,
    store_lease_in_tx,
)

# sync_state keys
ACCOUNT_KEY: Final = "account"  # the signed-in staff member, as the server described them
DEVICE_KEY: Final = "device"  # {"id", "name", "platform"}: what this profile signs in as
TOKEN_KEY: Final = "session.token"  # noqa: S105 (a state key, not a secret)
TOKEN_EXPIRES_KEY: Final = "session.expires_at"  # noqa: S105
CURSOR_KEY: Final = "cursor"  # the pull cursor (store.messages writes the same key)
POLICY_KEY: Final = "policy.server"  # the server policy as last received
ESCROW_PENDING_KEY: Final = "escrow.pending"  # an escrow key not yet registered with the server
ESCROW_STATE_KEY: Final = "escrow.state"  # "registered", or "refused" (the server has another)

ESCROW_KEY_BYTES: Final = 32
HEALTH_PATH: Final = "/healthz"


class OnlineSignInRequired(SyncError):
    """The lease is past `lock_after` (or missing): the local password alone no longer opens
    the profile. `status` carries the wipe date and the unsent count for the sign-in window."""

    def __init__(self, status: LeaseStatus) -> None:
        super().__init__(status.message)
        self.status = status


class EscrowUnavailable(SyncError):
    message = (
        "Your password was changed by IT, and the record server could not give this computer the "
        "key to reopen your local data. Ask IT for help; your local data has not been changed."
    )


class NotSignedIn(SyncError):
    message = "This profile has not signed in online on this computer yet. Sign in online first."


class WrongAccount(SyncError):
    message = (
        "That username now belongs to a different account from the one this profile was set up "
        "for. Ask IT for help."
    )


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """What this profile signs in as: its client-made id and how the server should name it."""

    id: str
    name: str
    platform: str

    def info(self) -> DeviceInfo:
        return DeviceInfo(self.id, self.name, self.platform)


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """What the store knows of the signed-in account, read in one go."""

    staff: Staff
    device: DeviceRecord
    teams: tuple[Team, ...]
    cursor: int
    lease: Lease | None
    policy: Mapping[str, object]
    escrow_registered: bool


@dataclass(eq=False)
class SignInResult:
    """An unlocked profile and its open DB lane, with what the sign-in knows.

    `created`: a new profile on this PC. `recovered`: opened with the escrow key after an admin
    reset, and now under the new password. `escrow_registered` is False while the escrow key still
    waits to reach the server (`send_pending_escrow`). `key_trusted_on_first_use`: the server's
    lease key, trusted now for the first time: show it so the user can check it with IT.
    """

    profile: UnlockedProfile
    lane: DbLane
    staff: Staff
    teams: tuple[Team, ...]
    cursor: int
    lease: Lease | None
    lease_status: LeaseStatus
    policy: Mapping[str, object]
    online: bool
    created: bool = False
    recovered: bool = False
    escrow_registered: bool = True
    key_trusted_on_first_use: str | None = None

    def close(self) -> None:
        """Close the lane (queued operations finish first) and zero the key."""
        self.lane.close()
        self.profile.lock()


@dataclass(frozen=True, slots=True)
class SessionRefresh:
    """What `reauthenticate` renewed."""

    staff: Staff
    teams: tuple[Team, ...]
    policy: Mapping[str, object]
    lease_status: LeaseStatus
    escrow_registered: bool
    password_updated: bool


# -- store operations (run on the DB lane) ------------------------------------------------------


def record_sign_in(
    store: Store, session: SessionResponse, device: DeviceRecord, server_key: str
) -> None:
    """Keep what a sign-in brought, in one transaction. The cursor is set only if there is none:
    a new device starts at the sign-in cursor; later sign-ins keep their place."""
    staff = session.staff
    with store.transaction():
        store.set_json_state(ACCOUNT_KEY, staff.to_json())
        store.set_json_state(
            DEVICE_KEY, {"id": device.id, "name": device.name, "platform": device.platform}
        )
        store.set_state(TOKEN_KEY, session.token)
        store.set_state(TOKEN_EXPIRES_KEY, session.expires_at)
        if store.get_state(CURSOR_KEY) is None:
            store.set_state(CURSOR_KEY, str(session.cursor))
        store.set_state(SERVER_KEY_KEY, server_key)
        store_lease_in_tx(store, session.lease)
        store.set_json_state(POLICY_KEY, dict(session.policy))
        team_store.upsert_teams_in_tx(
            store, [Team(t.id, t.name, TeamKind(t.kind)) for t in session.teams]
        )
        team_store.upsert_staff_in_tx(store, [_staff_of(staff.to_json())])
        for team in session.teams:
            team_store.add_member_in_tx(store, team.id, staff.id)


def load_snapshot(store: Store) -> AccountSnapshot:
    account = store.get_json_state(ACCOUNT_KEY)
    device = store.get_json_state(DEVICE_KEY)
    if not isinstance(account, dict) or not isinstance(device, dict):
        raise NotSignedIn()
    policy = store.get_json_state(POLICY_KEY)
    return AccountSnapshot(
        staff=_staff_of(account),
        device=DeviceRecord(str(device["id"]), str(device["name"]), str(device["platform"])),
        teams=tuple(team_store.list_teams(store)),
        cursor=int(store.get_state(CURSOR_KEY) or 0),
        lease=load_lease(store),
        policy=policy if isinstance(policy, dict) else {},
        escrow_registered=escrow_registered(store),
    )


def load_token(store: Store) -> str | None:
    return store.get_state(TOKEN_KEY)


def pending_escrow_key(store: Store) -> bytes | None:
    raw = store.get_state(ESCROW_PENDING_KEY)
    return None if raw is None else base64.b64decode(raw)


def escrow_settled(store: Store) -> bool:
    """Registered with the server, or refused for good: either way nothing is left to send."""
    return store.get_state(ESCROW_STATE_KEY) is not None


def escrow_registered(store: Store) -> bool:
    return store.get_state(ESCROW_STATE_KEY) == "registered"


def set_pending_escrow(store: Store, key: bytes) -> None:
    store.set_state(ESCROW_PENDING_KEY, base64.b64encode(key).decode("ascii"))


def settle_escrow(store: Store, state: str) -> None:
    with store.transaction():
        store.delete_state(ESCROW_PENDING_KEY)
        store.set_state(ESCROW_STATE_KEY, state)


def _staff_of(value: Mapping[str, object]) -> Staff:
    return Staff(
        str(value["id"]),
        str(value["username"]),
        str(value["display_name"]),
        Role(str(value["role"])),
    )
