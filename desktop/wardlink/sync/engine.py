"""The sync engine: the client's half of DESIGN.md §4, running off the GUI thread.

Two threads, each with its own HTTP session: the *sender* pushes as soon as something is queued
(and renews the lease, registers escrow, fetches photos, keeps the retention), and the
*listener* long-polls and applies each page with its cursor, backfilling team history between
pulls. Two, because a long-poll that waits for news must never delay an urgent message waiting
to go out. Every store access goes through the profile's DB lane.

The engine reports `SyncStatus` values and store `Changes` through callbacks, from its threads;
the UI hands them to the GUI thread. It never raises into its caller: a failure is a status.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Literal

from wardlink.core.clock import Clock
from wardlink.core.policy import Policy
from wardlink.store import outbox, retention
from wardlink.store.changes import Changes
from wardlink.store.errors import ProfileLocked, StoreError
from wardlink.store.lane import DbLane
from wardlink.store.profiles import Profiles, UnlockedProfile
from wardlink.sync.account import reauthenticate
from wardlink.sync.apply import pull_page
from wardlink.sync.backfill import backfill_all
from wardlink.sync.backoff import Backoff
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import (
    BadCredentials,
    BadResponse,
    MustWipe,
    NeedsSignIn,
    Offline,
    ServerBusy,
    SyncError,
)
from wardlink.sync.escrow import restore_session, send_pending_escrow
from wardlink.sync.lease import LeaseNotTrusted, LeaseState, check_lease, renew_lease
from wardlink.sync.pusher import fetch_photos, push_round
from wardlink.sync.status import SyncPhase, SyncStatus
from wardlink.sync.wipe import WipeReason, reason_for, wipe_profile

TRANSIENT = (Offline, BadResponse, ServerBusy)


class _Keep(Enum):
    KEEP = 0  # "leave this field as it is"


@dataclass(frozen=True)
class EngineTimings:
    """Seconds. Tests shrink them so that every wait is short."""

    long_poll_wait: float = 25.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    housekeeping_every: float = 300.0  # lease renewal, retention, escrow, photos
    # History pages per team between pulls: enough for the lane's batches of four (a fresh
    # fetch worker each round starts with a page alone), few enough that a first sync of five
    # busy teams still pulls about once a second.
    backfill_pages_per_round: int = 9


@dataclass
class _Shared:
    """State both threads read and write, under the engine's lock."""

    phase_sender: SyncPhase = SyncPhase.CONNECTING
    phase_listener: SyncPhase = SyncPhase.CONNECTING
    reason: str = ""
    warning: str = ""
    retry_in: float | None = None
    to_send: int = 0
    sent: int = 0
    received: int = 0
    signed_out: bool = False
    wiped: str = ""
    last: SyncStatus | None = None
    backfill_wanted: bool = True
    photos_wanted: bool = True
    extra: dict[str, object] = field(default_factory=dict)


class SyncEngine:
    """Keeps one profile in step with the record server until stopped.

    Callbacks (called from the engine's threads): `on_status(SyncStatus)` whenever the status
    changes; `on_changes(Changes)` after anything the store changed; `on_policy()` when the
    server's policy changed (the app merges policy again and may pass a new `policy`).

    Given the open profile's `unlocked` key, a password an admin has reset, once the server
    accepts it at a re-sign-in, becomes the local password too, so the lock screen takes it.
    """

    def __init__(
        self,
        *,
        profiles: Profiles,
        staff_id: str,
        lane: DbLane,
        make_client: Callable[[], RecordClient],
        policy: Policy,
        clock: Clock,
        pinned_key: str | None = None,
        on_status: Callable[[SyncStatus], None] = lambda _s: None,
        on_changes: Callable[[Changes], None] = lambda _c: None,
        on_policy: Callable[[], None] = lambda: None,
        timings: EngineTimings | None = None,
        rng: random.Random | None = None,
        unlocked: UnlockedProfile | None = None,
    ) -> None:
        self.profiles = profiles
        self.unlocked = unlocked
        self.staff_id = staff_id
        self.lane = lane
        self.policy = policy
        self.clock = clock
        self.pinned_key = pinned_key
        self.timings = timings or EngineTimings()
        self._make_client = make_client
        self._on_status = on_status
        self._on_changes = on_changes
        self._on_policy = on_policy
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._wiping = threading.Lock()
        self._shared = _Shared()
        self._stop = threading.Event()
        self._wake = threading.Event()  # the sender: something to send, or a password came
        self._authenticated = threading.Event()  # both: a usable token is held
        self._password: str | None = None
        self._threads: list[threading.Thread] = []
        self._clients: list[RecordClient] = []

    # -- control (any thread) ---------------------------------------------------------------

    def start(self) -> None:
        """Start both threads; the status goes to connecting at once."""
        if self._threads:
            return
        with self._lock:
            self._shared.to_send = self.lane.call(outbox.pending_count)
        sender, listener = self._make_client(), self._make_client()
        self._clients = [sender, listener]
        if restore_session(self.lane, sender):
            listener.token = sender.token
            self._authenticated.set()
        else:
            self._needs_sign_in("Sign in to connect to the record server.")
        self._threads = [
            threading.Thread(target=self._run_sender, args=(sender,), name="wardlink-send"),
            threading.Thread(target=self._run_listener, args=(listener,), name="wardlink-listen"),
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()
        self._publish()

    def poke(self) -> None:
        """Something was queued: send it now rather than at the next round."""
        self._wake.set()

    def provide_password(self, password: str) -> None:
        """The user's password after a `needs_sign_in` status; the sender signs in again."""
        with self._lock:
            self._password = password
        self._wake.set()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop both threads. Returns within `timeout` even if a long-poll is still waiting on
        the network: that thread then ends on its own without touching the store again."""
        self._stop.set()
        self._wake.set()
        self._authenticated.set()  # release a listener waiting for a sign-in
        # Half the budget for joining: what is left covers closing the sessions. A listener
        # still inside a long-poll is not waited for; it ends on its own, touching nothing.
        deadline = time.monotonic() + timeout / 2
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for client in self._clients:
            client.close()
        with self._lock:
            self._shared.phase_sender = self._shared.phase_listener = SyncPhase.STOPPED
        self._publish()

    @property
    def status(self) -> SyncStatus:
        with self._lock:
            return self._compose()

    # -- the sender -------------------------------------------------------------------------

    def _run_sender(self, client: RecordClient) -> None:
        backoff = Backoff(self.timings.backoff_base, self.timings.backoff_cap, self._rng)
        next_housekeeping = 0.0
        not_before = 0.0  # time.monotonic() before which the server asked not to be called
        while not self._stop.is_set():
            self._wake.clear()
            try:
                if self._sign_in_if_asked(client):
                    backoff.reset()
                if not self._authenticated.is_set():
                    # Waiting for a password, the lease still runs: past wipe_after, wipe.
                    if self._lease_expired():
                        self._wipe(WipeReason.LEASE_EXPIRED)
                        return
                    self._wake.wait(self.timings.housekeeping_every)
                    continue
                self._check_lease()
                self._send_all(client)
                now = self.clock.now().timestamp()
                if now >= next_housekeeping:
                    self._housekeeping(client)
                    next_housekeeping = now + self.timings.housekeeping_every
                self._catch_up(client)
                backoff.reset()
                self._set(sender=SyncPhase.UP_TO_DATE, retry_in=None)
                wait: float | None = max(0.0, next_housekeeping - self.clock.now().timestamp())
            except TRANSIENT as exc:
                wait = self._transient(exc, backoff, sender=True)
                if isinstance(exc, ServerBusy) and exc.retry_after is not None:
                    not_before = time.monotonic() + wait
            except Exception as exc:  # every failure becomes a status
                if not self._settle(exc):
                    return
                wait = None if self._shared.signed_out else self.timings.backoff_cap
            self._wake.wait(wait)
            # A wake-up (new work queued) may cut a back-off short, but not a pause the server
            # asked for with Retry-After.
            while (left := not_before - time.monotonic()) > 0 and not self._stop.wait(left):
                pass

    def _send_all(self, client: RecordClient) -> None:
        pending = self.lane.call(outbox.pending_count)
        while pending and not self._stop.is_set():
            self._set(sender=SyncPhase.SYNCING, to_send=pending)
            round_ = push_round(self.lane, client)
            self._contact()
            with self._lock:
                self._shared.sent += round_.sent + round_.held
            pending = self.lane.call(outbox.pending_count)
            self._set(to_send=pending)
            self._changed(round_.changes)
            if not round_.more and round_.taken == 0:
                return

    def _housekeeping(self, client: RecordClient) -> None:
        renewed = renew_lease(self.lane, client, pinned_key=self.pinned_key)
        self._note_lease(renewed.state, renewed.message)
        send_pending_escrow(self.lane, client)
        self._changed(self.lane.call(retention.purge_older_than, self.policy.device_retention_days))

    def _catch_up(self, client: RecordClient) -> None:
        """Fetch the photos that pulled or backfilled notes refer to and this PC lacks."""
        with self._lock:
            photos, self._shared.photos_wanted = self._shared.photos_wanted, False
        if photos:
            self._changed(fetch_photos(self.lane, client).changes)

    def _backfill_step(self, client: RecordClient) -> bool:
        """A few pages of team history; True while more remain.

        Runs on the listener's thread, between pulls: history pages and pull pages are then
        applied in the order they were fetched, so a retraction pulled after a history page
        always wins (on two threads, an older history page applied late would bring a
        retracted message back).
        """
        with self._lock:
            if not self._shared.backfill_wanted:
                return False
        done = backfill_all(
            self.lane,
            client,
            history_days=self.policy.history_days,
            clock=self.clock,
            max_pages=self.timings.backfill_pages_per_round,
        )
        for result in done:
            self._changed(result.changes)
        remaining = any(not result.complete for result in done)
        with self._lock:
            self._shared.backfill_wanted = remaining
            self._shared.received += sum(result.applied for result in done)
            if any(result.missing_photos for result in done):
                self._shared.photos_wanted = True
        if any(result.missing_photos for result in done):
            self._wake.set()
        return remaining

    def _sign_in_if_asked(self, client: RecordClient) -> bool:
        with self._lock:
            password, self._password = self._password, None
        if password is None:
            return False
        self._set(sender=SyncPhase.CONNECTING, reason="")
        try:
            reauthenticate(
                self.lane,
                client,
                password,
                pinned_key=self.pinned_key,
                profiles=self.profiles if self.unlocked is not None else None,
                unlocked=self.unlocked,
            )
        except BadCredentials:
            self._needs_sign_in("That password was not accepted. Try again.")
            return False
        for other in self._clients:
            other.token = client.token
        with self._lock:
            self._shared.signed_out = False
        self._authenticated.set()
        return True

    # -- the listener -----------------------------------------------------------------------

    def _run_listener(self, client: RecordClient) -> None:
        backoff = Backoff(self.timings.backoff_base, self.timings.backoff_cap, self._rng)
        wait_next = 0.0
        while not self._stop.is_set():
            self._authenticated.wait()
            if self._stop.is_set():
                return
            if client.token is None:
                client.token = self._clients[0].token
            try:
                if self._backfill_step(client):
                    wait_next = 0.0
                applied = pull_page(self.lane, client, wait=wait_next)
            except TRANSIENT as exc:
                self._stop.wait(self._transient(exc, backoff, sender=False))
                continue
            except ProfileLocked:
                return  # the app closed the profile while this thread waited on the network
            except Exception as exc:
                if not self._settle(exc):
                    return
                continue
            if self._stop.is_set():
                return
            backoff.reset()
            self._contact()
            self._changed(applied.changes)
            with self._lock:
                self._shared.received += applied.applied
                if applied.joined:
                    self._shared.backfill_wanted = True
                if applied.missing_photos:
                    self._shared.photos_wanted = True
            if applied.missing_photos:
                self._wake.set()
            if applied.policy_changed:
                self._on_policy()
            busy = applied.more or applied.joined or self._shared.backfill_wanted
            self._set(listener=SyncPhase.SYNCING if busy else SyncPhase.UP_TO_DATE)
            wait_next = 0.0 if busy else self.timings.long_poll_wait

    # -- shared handling --------------------------------------------------------------------

    def _transient(self, exc: SyncError, backoff: Backoff, *, sender: bool) -> float:
        retry_after = exc.retry_after if isinstance(exc, ServerBusy) else None
        delay = backoff.next_delay(retry_after)
        phase = SyncPhase.OFFLINE if isinstance(exc, Offline) else SyncPhase.ERROR
        if sender:
            self._set(sender=phase, reason=exc.message, retry_in=delay)
        else:
            self._set(listener=phase, reason=exc.message, retry_in=delay)
        return delay

    def _settle(self, exc: Exception) -> bool:
        """Handle a failure that is not a network hiccup; False when the engine must end."""
        if isinstance(exc, MustWipe):
            self._wipe(reason_for(exc))
            return False
        if isinstance(exc, NeedsSignIn):
            with self._lock:
                waiting = self._shared.signed_out
            if waiting:
                # Already asking for the password: the other thread finding the session gone
                # too (late, from a request sent before) must not replace what the user was
                # told, such as that the password just tried was not accepted.
                self._authenticated.clear()
            else:
                self._needs_sign_in(exc.message)
            return True
        if isinstance(exc, ProfileLocked):
            return False
        message = (
            exc.message
            if isinstance(exc, SyncError | StoreError)
            else ("Something went wrong while syncing. Wardlink will try again.")
        )
        self._set(sender=SyncPhase.ERROR, reason=message, retry_in=self.timings.backoff_cap)
        if not isinstance(exc, SyncError | StoreError):
            raise exc  # a bug: crash loudly (the thread's excepthook reports it)
        return True

    def _needs_sign_in(self, reason: str) -> None:
        self._authenticated.clear()
        with self._lock:
            self._shared.signed_out = True
            self._shared.reason = reason
        self._publish()

    def _lease_expired(self) -> bool:
        status = self.lane.call(check_lease, pinned_key=self.pinned_key)
        return status.state is LeaseState.WIPE

    def _check_lease(self) -> None:
        status = self.lane.call(check_lease, pinned_key=self.pinned_key)
        self._note_lease(status.state, status.message)

    def _note_lease(self, state: LeaseState, message: str) -> None:
        if state is LeaseState.WIPE:
            self._wipe(WipeReason.LEASE_EXPIRED)
            raise ProfileLocked()
        if state is LeaseState.LOCKED:
            self._needs_sign_in(message)
            raise NeedsSignIn(401, "unauthenticated", message)
        with self._lock:
            self._shared.warning = message if state is LeaseState.WARN else ""

    def _wipe(self, reason: WipeReason) -> None:
        self._stop.set()
        self._wake.set()
        self._authenticated.set()
        # Both threads may hear "wipe" at once: WIPED is reported only once the wipe is whole.
        with self._wiping:
            text = wipe_profile(self.profiles, self.staff_id, self.lane, reason=reason)
        with self._lock:
            self._shared.wiped = text
        self._publish()

    def _contact(self) -> None:
        with self._lock:
            if self._shared.phase_sender in (SyncPhase.OFFLINE, SyncPhase.ERROR):
                self._shared.phase_sender = SyncPhase.SYNCING
            if self._shared.phase_listener in (SyncPhase.OFFLINE, SyncPhase.ERROR):
                self._shared.phase_listener = SyncPhase.SYNCING
            self._shared.reason = ""
            self._shared.retry_in = None

    def _changed(self, changes: Changes) -> None:
        if changes:
            self._on_changes(changes)

    def _set(
        self,
        *,
        sender: SyncPhase | None = None,
        listener: SyncPhase | None = None,
        reason: str | None = None,
        retry_in: float | Literal[_Keep.KEEP] | None = _Keep.KEEP,
        to_send: int | None = None,
    ) -> None:
        with self._lock:
            s = self._shared
            if sender is not None:
                s.phase_sender = sender
            if listener is not None:
                s.phase_listener = listener
            if reason is not None:
                s.reason = reason
            if retry_in is not _Keep.KEEP:
                s.retry_in = retry_in
            if to_send is not None:
                s.to_send = to_send
        self._publish()

    def _compose(self) -> SyncStatus:
        s = self._shared
        if s.wiped:
            return SyncStatus(SyncPhase.WIPED, reason=s.wiped)
        if s.phase_sender is SyncPhase.STOPPED:
            return SyncStatus(SyncPhase.STOPPED, to_send=s.to_send)
        if s.signed_out:
            return SyncStatus(SyncPhase.NEEDS_SIGN_IN, reason=s.reason, to_send=s.to_send)
        phases = (s.phase_sender, s.phase_listener)
        for phase in (SyncPhase.OFFLINE, SyncPhase.ERROR, SyncPhase.CONNECTING, SyncPhase.SYNCING):
            if phase in phases:
                return SyncStatus(
                    phase,
                    reason=s.reason if phase in (SyncPhase.OFFLINE, SyncPhase.ERROR) else "",
                    to_send=s.to_send,
                    sent=s.sent,
                    received=s.received,
                    retry_in=s.retry_in,
                    warning=s.warning,
                )
        return SyncStatus(
            SyncPhase.UP_TO_DATE,
            to_send=s.to_send,
            sent=s.sent,
            received=s.received,
            warning=s.warning,
        )

    def _publish(self) -> None:
        with self._lock:
            status = self._compose()
            if status == self._shared.last:
                return
            self._shared.last = status
        self._on_status(status)


def run_once(
    lane: DbLane,
    client: RecordClient,
    *,
    policy: Policy,
    clock: Clock,
    pinned_key: str | None = None,
) -> SyncStatus:
    """One full sync in the calling thread (the command line and tests): send everything, pull
    until caught up, backfill, fetch photos, renew the lease. Errors propagate to the caller.
    `received` counts the events applied, pulled or backfilled."""
    sent = received = 0
    while True:
        round_ = push_round(lane, client)
        sent += round_.sent + round_.held
        if not round_.more and round_.taken == 0:
            break
    while True:
        applied = pull_page(lane, client, wait=0)
        received += applied.applied
        if not applied.more:
            break
    for backfilled in backfill_all(lane, client, history_days=policy.history_days, clock=clock):
        received += backfilled.applied
    fetch_photos(lane, client)
    renewed = renew_lease(lane, client, pinned_key=pinned_key)
    send_pending_escrow(lane, client)
    status = SyncStatus(
        SyncPhase.UP_TO_DATE, sent=sent, received=received, to_send=lane.call(outbox.pending_count)
    )
    if renewed.state is LeaseState.WARN:
        status = replace(status, warning=renewed.message)
    return status


__all__ = ["EngineTimings", "LeaseNotTrusted", "SyncEngine", "run_once"]
