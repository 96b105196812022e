"""Signing in (DESIGN.md §3, §4): online the first time on a PC, after an admin password reset and
when a session ends; offline with the local password while the lease allows.

Where things are kept: the session token in memory (the client) and in the encrypted store,
never in the clear on disk; the cursor, lease, server policy, the server's lease key and a
pending escrow key in `sync_state`. The device id (a client-made UUID, one per profile) is kept in
`sync_state` and, since it is no secret, beside the key slots too (`Profiles.device_id`): after
an admin reset the sign-in must name the same server device before the profile can be opened,
because the escrow key that opens it belongs to that device.

These functions run on a worker thread (never the GUI thread: they do HTTP and Argon2id) and
hand every store access to the profile's DB lane. A sign-in returns the open lane; the caller
owns it from then on (`SignInResult.close`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid

from wardlink.core.clock import Clock
from wardlink.core.protocol import SessionResponse
from wardlink.store.database import Store
from wardlink.store.errors import ProfileNotFound, WrongPassword
from wardlink.store.lane import DbLane
from wardlink.store.profiles import ProfileInfo, Profiles, UnlockedProfile
from wardlink.sync.account_state import (
    AccountSnapshot,
    DeviceRecord,
    EscrowUnavailable,
    NotSignedIn,
    OnlineSignInRequired,
    SessionRefresh,
    SignInResult,
    WrongAccount,
    escrow_registered,
    load_snapshot,
    record_sign_in,
)
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import (
    BadCredentials,
    MustWipe,
    NeedsSignIn,
    ServerRefused,
    SyncError,
)
from wardlink.sync.escrow import (
    ensure_escrow,
    fetch_lease_key,
    send_pending_escrow,
)
from wardlink.sync.lease import (
    LeaseNotTrusted,
    LeaseState,
    ServerKeyChanged,
    check_lease,
    lease_fits,
    trusted_key,
)
from wardlink.sync.wipe import ProfileWiped, WipeReason, reason_for, wipe_profile


def _sign_out_quietly(client: RecordClient) -> None:
    """End a session we will not use; the token is dropped from memory whatever happens."""
    if client.token is not None:
        with contextlib.suppress(SyncError):
            client.sign_out()
    client.token = None


def _open_lane(unlocked: UnlockedProfile, clock: Clock) -> DbLane:
    staff_id = unlocked.info.staff_id

    def opener() -> Store:
        return Store.open(unlocked.db_path, unlocked.dek, me=staff_id, clock=clock)

    lane = DbLane(opener)
    try:
        lane.wait_open()
    except BaseException:
        lane.close()
        raise
    return lane


def _local_profile_named(profiles: Profiles, username: str) -> ProfileInfo | None:
    wanted = username.strip().lower()  # as the server keeps usernames
    for info in profiles.list():
        if info.username.strip().lower() == wanted:
            return info
    return None


def _key_for(client: RecordClient, pinned: str | None, stored: str | None) -> tuple[str, bool]:
    """The key to verify a lease with, and whether it is being trusted on first use now."""
    if pinned:
        return pinned, False
    if stored:
        return stored, False
    return fetch_lease_key(client), True


def _verify_session_lease(
    client: RecordClient, session: SessionResponse, key: str, *, first_use: bool
) -> None:
    """Refuse a sign-in whose lease does not verify: ServerKeyChanged if the server now offers
    another key than the trusted one, else LeaseNotTrusted."""
    if lease_fits(session.lease, key, staff_id=session.staff.id, device_id=None):
        return
    if not first_use:
        offered = None
        with contextlib.suppress(SyncError):
            offered = fetch_lease_key(client)
        if offered is not None and offered != key:
            raise ServerKeyChanged()
    raise LeaseNotTrusted()


def _sign_in_or_wipe(
    profiles: Profiles,
    client: RecordClient,
    username: str,
    password: str,
    device: DeviceRecord,
    *,
    staff_id: str | None,
    lane: DbLane | None = None,
    unlocked: UnlockedProfile | None = None,
) -> SessionResponse:
    """Sign in; if the server says this device or account must wipe, wipe the local profile of
    `staff_id` (the password was right: the server checks it before refusing) and say so."""
    try:
        return client.sign_in(username, password, device.info())
    except MustWipe as exc:
        client.token = None  # whatever session it had belongs to what is being wiped
        if staff_id is None:
            raise
        reason = reason_for(exc)
        wipe_profile(profiles, staff_id, lane, reason=reason, profile=unlocked)
        raise ProfileWiped(reason) from None


# -- signing in ---------------------------------------------------------------------------------


def sign_in_online(
    profiles: Profiles,
    client: RecordClient,
    *,
    username: str,
    password: str,
    device_name: str,
    platform: str,
    clock: Clock,
    pinned_key: str | None = None,
) -> SignInResult:
    """Sign in with the server and open (or make) this staff member's profile.

    No local profile: the lease must verify (against `pinned_key` from machine policy, else the
    key `/healthz` offers, trusted on first use), then the profile is made with this password,
    starting at the sign-in cursor, and its escrow key is registered. A local profile that the
    password opens: token, lease, policy and directory are refreshed; the cursor is kept. A local
    profile that the password does not open, although the server accepted it (an admin reset
    it): the escrow key reopens it and its password becomes this one; unsent work is kept.

    Raises BadCredentials, Offline..., ProfileWiped (the server said wipe: done), LeaseNotTrusted,
    ServerKeyChanged, EscrowUnavailable, or the store's errors (e.g. KeyringChanged).
    """
    known = _local_profile_named(profiles, username)
    known_id = None if known is None else known.staff_id
    device_id = (None if known_id is None else profiles.device_id(known_id)) or str(uuid.uuid4())
    device = DeviceRecord(device_id, device_name, platform)
    session = _sign_in_or_wipe(profiles, client, username, password, device, staff_id=known_id)
    try:
        staff_id = session.staff.id
        stored_id = profiles.device_id(staff_id)
        if stored_id is not None and stored_id != device.id:
            # The username led to another profile (renamed since): sign in as this one's device.
            _sign_out_quietly(client)
            device = dataclasses.replace(device, id=stored_id)
            session = _sign_in_or_wipe(
                profiles, client, username, password, device, staff_id=staff_id
            )
        try:
            unlocked = profiles.unlock(staff_id, password)
        except ProfileNotFound:
            return _first_sign_in(profiles, client, session, device, password, clock, pinned_key)
        except WrongPassword:
            unlocked = _reopen_with_escrow(profiles, client, staff_id)
            return _sign_in_existing(
                profiles, client, session, device, unlocked, password, clock, pinned_key, True
            )
        return _sign_in_existing(
            profiles, client, session, device, unlocked, password, clock, pinned_key, False
        )
    except BaseException:
        _sign_out_quietly(client)
        raise


def _reopen_with_escrow(profiles: Profiles, client: RecordClient, staff_id: str) -> UnlockedProfile:
    try:
        key = client.get_escrow()
    except ServerRefused as exc:
        if isinstance(exc, MustWipe | NeedsSignIn | BadCredentials):
            raise
        raise EscrowUnavailable() from None
    return profiles.unlock_with_escrow(staff_id, key)  # EscrowKeyRejected if it does not fit


def _first_sign_in(
    profiles: Profiles,
    client: RecordClient,
    session: SessionResponse,
    device: DeviceRecord,
    password: str,
    clock: Clock,
    pinned_key: str | None,
) -> SignInResult:
    key, first_use = _key_for(client, pinned_key, None)
    _verify_session_lease(client, session, key, first_use=first_use)
    staff = session.staff
    unlocked = profiles.create(
        staff_id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        password=password,
    )
    lane: DbLane | None = None
    try:
        profiles.set_device_id(staff.id, device.id)
        lane = _open_lane(unlocked, clock)
        lane.call(record_sign_in, session, device, key)
        registered = ensure_escrow(profiles, unlocked, lane, client)
        return _result(
            unlocked,
            lane,
            online=True,
            pinned_key=pinned_key,
            created=True,
            escrow_registered=registered,
            key_trusted_on_first_use=key if first_use else None,
        )
    except BaseException:
        # Nothing of value is in a profile this young: leave none behind, so the next try is
        # a first sign-in again.
        if lane is not None:
            lane.close()
        unlocked.lock()
        with contextlib.suppress(ProfileNotFound):
            profiles.delete(staff.id)
        raise


def _sign_in_existing(
    profiles: Profiles,
    client: RecordClient,
    session: SessionResponse,
    device: DeviceRecord,
    unlocked: UnlockedProfile,
    password: str,
    clock: Clock,
    pinned_key: str | None,
    recovered: bool,
) -> SignInResult:
    staff_id = unlocked.info.staff_id
    lane = _open_lane(unlocked, clock)
    try:
        stored = lane.call(load_snapshot_or_none)
        if stored is not None and stored.device.id != device.id:
            # Signed in as another device than the one this profile registered (its device id
            # file was lost): sign in again as the registered one, whose escrow key is known.
            _sign_out_quietly(client)
            device = dataclasses.replace(device, id=stored.device.id)
            session = _sign_in_or_wipe(
                profiles,
                client,
                session.staff.username,
                password,
                device,
                staff_id=staff_id,
                lane=lane,
                unlocked=unlocked,
            )
        key, first_use = _key_for(client, pinned_key, lane.call(trusted_key))
        _verify_session_lease(client, session, key, first_use=first_use)
        if recovered:
            # Only now that the server has proved itself with a verified lease.
            profiles.change_password(unlocked, password)
        if profiles.device_id(staff_id) != device.id:
            profiles.set_device_id(staff_id, device.id)
        lane.call(record_sign_in, session, device, key)
        registered = ensure_escrow(profiles, unlocked, lane, client)
        return _result(
            unlocked,
            lane,
            online=True,
            pinned_key=pinned_key,
            recovered=recovered,
            escrow_registered=registered,
            key_trusted_on_first_use=key if first_use else None,
        )
    except BaseException:
        lane.close()
        unlocked.lock()
        raise


def load_snapshot_or_none(store: Store) -> AccountSnapshot | None:
    try:
        return load_snapshot(store)
    except NotSignedIn:
        return None


def _result(
    unlocked: UnlockedProfile,
    lane: DbLane,
    *,
    online: bool,
    pinned_key: str | None = None,
    created: bool = False,
    recovered: bool = False,
    escrow_registered: bool = True,
    key_trusted_on_first_use: str | None = None,
) -> SignInResult:
    snapshot = lane.call(load_snapshot)
    status = lane.call(check_lease, pinned_key=pinned_key)
    return SignInResult(
        profile=unlocked,
        lane=lane,
        staff=snapshot.staff,
        teams=snapshot.teams,
        cursor=snapshot.cursor,
        lease=snapshot.lease,
        lease_status=status,
        policy=snapshot.policy,
        online=online,
        created=created,
        recovered=recovered,
        escrow_registered=escrow_registered,
        key_trusted_on_first_use=key_trusted_on_first_use,
    )


def unlock_offline(
    profiles: Profiles,
    staff_id: str,
    password: str,
    *,
    clock: Clock,
    pinned_key: str | None = None,
) -> SignInResult:
    """Open the profile with the local password alone, as long as the lease allows.

    Past `lock_after` (or with no lease that verifies): OnlineSignInRequired, the profile left
    as it was. Past `wipe_after`: the profile is deleted and ProfileWiped raised. The session
    token is not given to any client here: see `restore_session`.
    """
    unlocked = profiles.unlock(staff_id, password)
    lane = _open_lane(unlocked, clock)
    try:
        status = lane.call(check_lease, pinned_key=pinned_key)
        if status.state is LeaseState.WIPE:
            wipe_profile(
                profiles, staff_id, lane, reason=WipeReason.LEASE_EXPIRED, profile=unlocked
            )
            raise ProfileWiped(WipeReason.LEASE_EXPIRED)
        if status.state is LeaseState.LOCKED:
            raise OnlineSignInRequired(status)
        snapshot = lane.call(load_snapshot)
    except BaseException:
        lane.close()
        unlocked.lock()
        raise
    return SignInResult(
        profile=unlocked,
        lane=lane,
        staff=snapshot.staff,
        teams=snapshot.teams,
        cursor=snapshot.cursor,
        lease=snapshot.lease,
        lease_status=status,
        policy=snapshot.policy,
        online=False,
        escrow_registered=snapshot.escrow_registered,
    )


def reauthenticate(
    lane: DbLane,
    client: RecordClient,
    password: str,
    *,
    pinned_key: str | None = None,
    profiles: Profiles | None = None,
    unlocked: UnlockedProfile | None = None,
) -> SessionRefresh:
    """Sign in again (the server said NeedsSignIn) as the same staff member and server device,
    and keep the new token, lease and policy; the cursor is kept.

    Given `profiles` and `unlocked`, a password that an admin has reset since becomes the local
    password too (and an escrow key still to be made is made). MustWipe passes through: the
    caller wipes with `wipe_profile`. BadCredentials: ask for the password again.
    """
    snapshot = lane.call(load_snapshot)
    session = client.sign_in(snapshot.staff.username, password, snapshot.device.info())
    try:
        if session.staff.id != snapshot.staff.id:
            raise WrongAccount()
        key, first_use = _key_for(client, pinned_key, lane.call(trusted_key))
        _verify_session_lease(client, session, key, first_use=first_use)
        lane.call(record_sign_in, session, snapshot.device, key)
        updated = False
        if profiles is not None and unlocked is not None:
            updated = _keep_password_in_step(profiles, unlocked, password)
            registered = ensure_escrow(profiles, unlocked, lane, client)
        else:
            send_pending_escrow(lane, client)
            registered = lane.call(escrow_registered)
        refreshed = lane.call(load_snapshot)
        status = lane.call(check_lease, pinned_key=pinned_key)
    except BaseException:
        _sign_out_quietly(client)
        raise
    return SessionRefresh(
        staff=refreshed.staff,
        teams=refreshed.teams,
        policy=refreshed.policy,
        lease_status=status,
        escrow_registered=registered,
        password_updated=updated,
    )


def _keep_password_in_step(profiles: Profiles, unlocked: UnlockedProfile, password: str) -> bool:
    """Make `password` (which the server just accepted) the local one if it is not already."""
    try:
        profiles.unlock(unlocked.info.staff_id, password).lock()
    except WrongPassword:
        profiles.change_password(unlocked, password)
        return True
    return False
