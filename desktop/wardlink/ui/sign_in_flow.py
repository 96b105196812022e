"""What happens behind the sign-in window: online when the server answers, offline otherwise.

No Qt here: `SignInFlow.sign_in` runs on a worker thread (it does HTTP and Argon2id) and reports
progress through a plain callback. The rules (DESIGN.md §3, §4):

- the first sign-in on a PC needs the record server: it makes the profile and fetches the
  teams' recent history (with progress, so the wait is explained);
- a later sign-in tries the server first, to refresh the session, lease and directory; when
  the server cannot be reached it opens the profile with the local password alone, as long as
  the offline lease allows;
- every failure the user can act on is raised as a `SignInProblem` with a plain message.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.core.policy import Policy, PolicyError, check_setting, merge
from wardlink.store.errors import StoreError
from wardlink.store.profiles import ProfileInfo, Profiles
from wardlink.sync.account import sign_in_online, unlock_offline
from wardlink.sync.account_state import OnlineSignInRequired, SignInResult
from wardlink.sync.apply import pull_page
from wardlink.sync.backfill import backfill_all
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import BadCredentials, BadResponse, Offline, ServerBusy, SyncError
from wardlink.ui.user_settings import UserSettings, load_user_settings

Progress = Callable[[str], None]
MakeClient = Callable[[str], RecordClient]

SIGNING_IN: Final = "Signing in…"
OPENING: Final = "Opening your messages…"
FIRST_SYNC: Final = "Getting your teams' recent messages…"
UNREACHABLE = (Offline, ServerBusy, BadResponse)


def first_sync_text(received: int) -> str:
    return f"{FIRST_SYNC} {received} received" if received else FIRST_SYNC


class SignInProblem(Exception):
    """A sign-in that did not work, for a reason the user can act on; `message` says it."""

    message = "Wardlink could not sign you in."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class NeedsNetwork(SignInProblem):
    message = (
        "The first sign-in on this computer needs the network, and the record server cannot be "
        "reached. Connect to the network (or ask IT) and try again."
    )


class NeedsServerAddress(SignInProblem):
    message = "Type the record server's address (IT can tell you what it is)."


class NeedsUsername(SignInProblem):
    message = "Type your username."


class NeedsPassword(SignInProblem):
    message = "Type your password."


class WrongCredentials(SignInProblem):
    message = "That username or password is not right. Check them and try again."


class LeaseNeedsNetwork(SignInProblem):
    """The offline lease ran out while the server cannot be reached."""


@dataclass(frozen=True)
class Attempt:
    """What the sign-in window collected. `staff_id`: a profile on this PC was picked."""

    password: str = field(repr=False)
    staff_id: str | None = None
    username: str = ""
    server_url: str | None = None


@dataclass(eq=False)
class Session:
    """A signed-in profile, ready for the main window: the open lane and key, the server to
    sync with (None: none is known, so it stays offline) and the user's own settings."""

    result: SignInResult
    server_url: str | None
    settings: UserSettings

    @property
    def staff_id(self) -> str:
        return self.result.staff.id

    def policy(self, machine: Mapping[str, object]) -> Policy:
        """Machine and server policy, made stricter by the user's settings. Server policy that
        does not pass its checks is left out (machine policy and the defaults still apply)."""
        user = self.settings.policy_values()
        try:
            return merge(machine, dict(self.result.policy), user)
        except PolicyError:
            return merge(machine, None, user)


@dataclass
class SignInFlow:
    """Signs a staff member in on this PC. `make_client(url)` builds a client for the server
    (short timeouts: a sign-in must not hang on a network that drops packets)."""

    profiles: Profiles
    make_client: MakeClient
    machine_policy: Mapping[str, object] = field(default_factory=dict)
    clock: Clock = SYSTEM_CLOCK
    device_name: str = "Wardlink PC"
    platform: str = sys.platform

    @property
    def pinned_key(self) -> str | None:
        key = self.machine_policy.get("server_public_key")
        return key if isinstance(key, str) else None

    def known_profiles(self) -> list[ProfileInfo]:
        """The staff who have used this PC (names only: no password needed to list them)."""
        return self.profiles.list()

    def sign_in(self, attempt: Attempt, progress: Progress = lambda _t: None) -> Session:
        """Sign in as `attempt` says; raises SignInProblem, StoreError or SyncError (each with
        a plain `message`)."""
        if not attempt.password:
            raise NeedsPassword()
        known = self._profile(attempt.staff_id) if attempt.staff_id else None
        username = known.username if known is not None else attempt.username.strip()
        if not username and known is None:
            raise NeedsUsername()
        url = self._checked_url(attempt.server_url)
        progress(SIGNING_IN)
        if url is None:
            local = known or self._profile_named(username)
            if local is None:
                raise NeedsServerAddress()
            return self._offline(local, attempt.password, None)
        client = self.make_client(url)
        try:
            try:
                result = sign_in_online(
                    self.profiles,
                    client,
                    username=username,
                    password=attempt.password,
                    device_name=self.device_name,
                    platform=self.platform,
                    clock=self.clock,
                    pinned_key=self.pinned_key,
                )
            except UNREACHABLE:
                local = known or self._profile_named(username)
                if local is None:
                    raise NeedsNetwork() from None
                return self._offline(local, attempt.password, url)
            except BadCredentials:
                raise WrongCredentials() from None
            settings = result.lane.call(load_user_settings)
            if result.created:
                self._first_sync(result, client, progress)
            progress(OPENING)
            return Session(result, url, settings)
        finally:
            client.close()

    # -- the parts ------------------------------------------------------------------------------

    def _offline(self, info: ProfileInfo, password: str, url: str | None) -> Session:
        try:
            result = unlock_offline(
                self.profiles, info.staff_id, password, clock=self.clock, pinned_key=self.pinned_key
            )
        except OnlineSignInRequired as exc:
            raise LeaseNeedsNetwork(
                f"{exc.message} The record server cannot be reached just now: connect to the "
                "network and try again."
            ) from None
        try:
            settings = result.lane.call(load_user_settings)
        except BaseException:
            result.close()
            raise
        return Session(result, url, settings)

    def _first_sync(self, result: SignInResult, client: RecordClient, progress: Progress) -> None:
        """Fetch what the teams said lately, so the first window is not empty. A failure here
        is no failure of the sign-in: the sync engine carries on where this stopped."""
        history_days = merge(self.machine_policy, dict(result.policy), None).history_days
        received = 0
        progress(first_sync_text(received))
        with contextlib.suppress(SyncError, StoreError):
            while True:
                applied = pull_page(result.lane, client, wait=0)
                received += applied.applied
                progress(first_sync_text(received))
                if not applied.more:
                    break
            # Every team's newest page first, so each opens with its latest news; then the
            # rest of the history window, fetched ahead while earlier pages are written.
            done = backfill_all(
                result.lane, client, history_days=history_days, clock=self.clock, max_pages=1
            )
            received += sum(team.applied for team in done)
            progress(first_sync_text(received))

            def more(events: int) -> None:
                nonlocal received
                received += events
                progress(first_sync_text(received))

            backfill_all(
                result.lane, client, history_days=history_days, clock=self.clock, on_applied=more
            )

    def _profile(self, staff_id: str | None) -> ProfileInfo | None:
        return next((p for p in self.profiles.list() if p.staff_id == staff_id), None)

    def _profile_named(self, username: str) -> ProfileInfo | None:
        wanted = username.strip().lower()
        return next((p for p in self.profiles.list() if p.username.strip().lower() == wanted), None)

    def _checked_url(self, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        try:
            return str(check_setting("server_url", url.strip()))
        except PolicyError:
            raise SignInProblem(
                "That server address is not one Wardlink can use: it must start with https:// "
                "(plain http only to this computer). Check it, or ask IT."
            ) from None
