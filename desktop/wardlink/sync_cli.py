"""`wardlink sync --profile U --once`: one full sync from the command line, for scripts and support.

The password is read from standard input (a prompt without echo on a terminal), never from the
command line. The profile (a username or staff id) is opened as the app opens it: offline with
the local password while the lease allows, else (or when there is no profile here yet, or the
password was reset by IT) by an online sign-in. Then one full sync runs (`run_once`) and a plain
summary is printed. Exit status: 0 done, 1 a failure the message explains, 2 a wrong command line.

The device secret lives in the OS keyring (`KeyringDeviceSecrets`), as for the app.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import platformdirs

from wardlink.core.clock import Clock, SystemClock
from wardlink.core.policy import Policy, PolicyError, merge, read_machine_policy
from wardlink.store.device_secrets import KeyringDeviceSecrets
from wardlink.store.errors import StoreError, WrongPassword
from wardlink.store.profiles import ProfileInfo, Profiles
from wardlink.sync.account import reauthenticate, sign_in_online, unlock_offline
from wardlink.sync.account_state import OnlineSignInRequired, SignInResult
from wardlink.sync.client import RecordClient
from wardlink.sync.engine import run_once
from wardlink.sync.errors import InsecureServer, MustWipe, NeedsSignIn, SyncError
from wardlink.sync.escrow import restore_session
from wardlink.sync.status import SyncStatus
from wardlink.sync.transport import Transport, check_server_url
from wardlink.sync.wipe import ProfileWiped, reason_for, wipe_profile

PROG = "wardlink sync"


class UsageError(Exception):
    """A command line that cannot be run as given (exit 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", required=True, metavar="U", help="the profile's username or staff id"
    )
    parser.add_argument(
        "--once", action="store_true", help="sync once and exit (the only mode for now)"
    )
    parser.add_argument("--server", metavar="URL", help="the record server (default: policy)")
    parser.add_argument("--data-dir", metavar="DIR", type=Path, help="where profiles live")


def run(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run `wardlink sync`; returns the exit status."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    try:
        settings = _settings(args)
        password = _read_password(stdin)
        return _sync(settings, args.profile.strip(), password, out)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except (SyncError, StoreError) as exc:
        print(f"{PROG}: {exc.message}", file=sys.stderr)
        return 1


@dataclass(frozen=True)
class _Settings:
    machine: dict[str, object]
    policy: Policy
    server_url: str
    data_dir: Path


def _settings(args: argparse.Namespace) -> _Settings:
    if not args.once:
        raise UsageError("give --once: the command line syncs once (the app keeps syncing)")
    try:
        machine = read_machine_policy()
        policy = merge(machine, None, None)
    except PolicyError as exc:
        raise SyncError(f"The machine policy is not valid. {exc.message}") from None
    url = args.server or policy.server_url
    if not url:
        raise UsageError("give --server URL (no server_url is set in the machine policy)")
    try:
        url = check_server_url(url)
    except InsecureServer as exc:
        raise UsageError(exc.message) from None
    folder = args.data_dir or policy.data_dir
    if folder is None:
        folder = Path(platformdirs.user_data_dir("wardlink", appauthor=False))
    return _Settings(machine, policy, url, folder)


def _read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        password = getpass.getpass("Password: ")
    else:
        password = stdin.readline().removesuffix("\n").removesuffix("\r")
    if not password:
        raise UsageError("give the password on standard input")
    return password


def _find(profiles: Profiles, who: str) -> ProfileInfo | None:
    wanted = who.lower()
    for info in profiles.list():
        if info.staff_id.lower() == wanted or info.username.strip().lower() == wanted:
            return info
    return None


def _sync(settings: _Settings, who: str, password: str, out: TextIO) -> int:
    profiles = Profiles(settings.data_dir, KeyringDeviceSecrets())
    clock = SystemClock()
    pinned = settings.policy.server_public_key
    client = RecordClient(Transport(settings.server_url, ca_bundle=settings.policy.ca_bundle))
    try:
        opened = _open(profiles, client, who, password, clock, pinned)
        try:
            status = _run(profiles, opened, client, password, settings, clock)
        finally:
            opened.close()
    finally:
        client.close()
    _summary(status, opened, settings.server_url, out)
    return 0


def _open(
    profiles: Profiles,
    client: RecordClient,
    who: str,
    password: str,
    clock: Clock,
    pinned: str | None,
) -> SignInResult:
    """Open the profile offline if the lease allows, else sign in online."""
    known = _find(profiles, who)
    username = who if known is None else known.username
    if known is not None:
        try:
            opened = unlock_offline(
                profiles, known.staff_id, password, clock=clock, pinned_key=pinned
            )
        except (OnlineSignInRequired, WrongPassword):
            pass  # past the lease, or a password IT has reset: the server decides
        else:
            restore_session(opened.lane, client)
            return opened
    return sign_in_online(
        profiles,
        client,
        username=username,
        password=password,
        device_name=socket.gethostname() or "PC",
        platform=sys.platform,
        clock=clock,
        pinned_key=pinned,
    )


def _run(
    profiles: Profiles,
    opened: SignInResult,
    client: RecordClient,
    password: str,
    settings: _Settings,
    clock: Clock,
) -> SyncStatus:
    policy = merge(settings.machine, dict(opened.policy), None)
    pinned = settings.policy.server_public_key
    try:
        try:
            return run_once(opened.lane, client, policy=policy, clock=clock, pinned_key=pinned)
        except NeedsSignIn:  # the stored session ended: sign in again with this password
            reauthenticate(
                opened.lane,
                client,
                password,
                pinned_key=pinned,
                profiles=profiles,
                unlocked=opened.profile,
            )
            return run_once(opened.lane, client, policy=policy, clock=clock, pinned_key=pinned)
    except MustWipe as exc:
        wipe_profile(
            profiles,
            opened.staff.id,
            opened.lane,
            reason=reason_for(exc),
            profile=opened.profile,
        )
        raise ProfileWiped(reason_for(exc)) from None


def _summary(status: SyncStatus, opened: SignInResult, url: str, out: TextIO) -> None:
    how = "signed in online" if opened.online else "opened offline"
    if opened.created:
        how = "signed in online; set up on this computer"
    elif opened.recovered:
        how = "signed in online with the password IT set; local data kept"
    print(f"Synced {opened.staff.username} with {url} ({how}).", file=out)
    print(f"  sent: {status.sent}", file=out)
    print(f"  received: {status.received}", file=out)
    print(f"  still queued: {status.to_send}", file=out)
    if opened.key_trusted_on_first_use:
        print(
            "  warning: this computer now trusts the record server's signing key "
            f"{opened.key_trusted_on_first_use}; check it with IT.",
            file=out,
        )
    if status.warning:
        print(f"  warning: {status.warning}", file=out)
