"""Deleting a profile because the server said so, or because its lease ran out (DESIGN.md §4).

A revoked device or a disabled account wipes at its next contact, unsent work included: the
device is presumed lost. An expired lease wipes at the next check. What is left afterwards is
nothing: key slots overwritten, database files removed, the keyring entry gone.
"""

from __future__ import annotations

import contextlib
from enum import StrEnum
from typing import Final

from wardlink.store.errors import ProfileNotFound
from wardlink.store.lane import DbLane
from wardlink.store.profiles import Profiles, UnlockedProfile
from wardlink.sync.errors import MustWipe, SyncError


class WipeReason(StrEnum):
    DEVICE_REVOKED = "device_revoked"
    ACCOUNT_DISABLED = "account_disabled"
    LEASE_EXPIRED = "lease_expired"


REASONS: Final[dict[WipeReason, str]] = {
    WipeReason.DEVICE_REVOKED: (
        "This device's access was withdrawn; its Wardlink data has been removed."
    ),
    WipeReason.ACCOUNT_DISABLED: (
        "This account has been disabled; its Wardlink data has been removed from this computer."
    ),
    WipeReason.LEASE_EXPIRED: (
        "This computer had not reached the record server for too long; its Wardlink data has "
        "been removed. Sign in online to set it up again."
    ),
}


class ProfileWiped(SyncError):
    """Raised by a sign-in or unlock that wiped the profile; `message` is the reason to show."""

    def __init__(self, reason: WipeReason) -> None:
        super().__init__(REASONS[reason])
        self.reason = reason


def reason_for(error: MustWipe) -> WipeReason:
    """Which wipe a server refusal asks for."""
    if error.code == WipeReason.ACCOUNT_DISABLED.value:
        return WipeReason.ACCOUNT_DISABLED
    return WipeReason.DEVICE_REVOKED


def wipe_profile(
    profiles: Profiles,
    staff_id: str,
    lane: DbLane | None = None,
    *,
    reason: WipeReason = WipeReason.DEVICE_REVOKED,
    profile: UnlockedProfile | None = None,
) -> str:
    """Close the lane (its queued operations finish first), zero the key, delete the profile.

    Call it from any thread but the lane's own. A profile that is already gone is fine: the
    wipe is done either way. Returns the plain-language reason the UI shows.
    """
    if lane is not None:
        lane.close()
    if profile is not None:
        profile.lock()
    with contextlib.suppress(ProfileNotFound):
        profiles.delete(staff_id)
    return REASONS[reason]
