"""`wardlink demo`: a walk through the encrypted local store on its own, in a terminal.

No window and no server (`./dev run` runs the app against a local record server): it makes (or
reopens) a demo staff member's profile with the real OS keyring, writes a little ward chat the
way the app does, and shows that it is queued, searchable, audited and encrypted on disk.
"""

from __future__ import annotations

import functools
import getpass
import sqlite3
import sys
from pathlib import Path

import platformdirs

from wardlink.core import policy as policy_mod
from wardlink.core.guard import scan
from wardlink.core.model import Priority, Team, TeamKind
from wardlink.store import audit, messages, outbox, search, teams
from wardlink.store.database import Store
from wardlink.store.device_secrets import KeyringDeviceSecrets
from wardlink.store.errors import StoreError
from wardlink.store.lane import DbLane
from wardlink.store.profiles import Profiles

DEMO_STAFF_ID = "6f1c2a7e-8a51-4d3e-9a43-5b8e0c1d2f30"
DEMO_TEAM = Team("2b7d9c41-3e5f-4a6b-8c7d-9e0f1a2b3c4d", "Ward 7 (Surgical)", TeamKind.WARD)
DEMO_CHAT = [
    ("Porter needed for bay 3, patient going to X-ray", Priority.ROUTINE),
    ("Bloods for bay 4 bed 2 are back, K+ 5.9, FY1 bleeped on 2345", Priority.URGENT),
    ("Handover at 19:30 in the office please", Priority.ROUTINE),
]


def data_dir(configured: Path | None) -> Path:
    return configured or Path(platformdirs.user_data_dir("wardlink", appauthor=False))


def run_demo(password: str | None = None) -> int:
    try:
        policy = policy_mod.merge(policy_mod.read_machine_policy(), None, None)
    except policy_mod.PolicyError as exc:
        print(f"Wardlink cannot start: the machine policy is not valid. {exc.message}")
        return 2
    try:
        profiles = Profiles(data_dir(policy.data_dir), KeyringDeviceSecrets())
        return _walk_through(profiles, password)
    except StoreError as exc:
        print(f"Wardlink: {exc.message}")
        return 1


def _walk_through(profiles: Profiles, password: str | None) -> int:
    print("Wardlink demo — the encrypted local store on its own (`wardlink` runs the app)")
    print(f"  data folder: {profiles.profiles_dir}")
    known = [p for p in profiles.list() if p.staff_id == DEMO_STAFF_ID]
    password = password or "demo"
    if known:
        print(f"  profiles on this PC: {', '.join(p.display_name for p in profiles.list())}")
        unlocked = profiles.unlock(DEMO_STAFF_ID, password)
        print("  unlocked the demo profile with its password (Argon2id + this PC's device key)")
    else:
        unlocked = profiles.create(
            staff_id=DEMO_STAFF_ID,
            username="alice",
            display_name="Alice Adams (demo)",
            password=password,
        )
        print("  created the demo profile 'Alice Adams (demo)', password 'demo'")
    db_path = unlocked.db_path
    dek = bytes(unlocked.dek)
    unlocked.lock()
    lane = DbLane(functools.partial(Store.open, db_path, dek, me=DEMO_STAFF_ID))
    try:
        lane.wait_open()
        _chat(lane)
    finally:
        lane.close()
    plain = sqlite3.connect(db_path)
    try:
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
        readable = True
    except sqlite3.DatabaseError:
        readable = False
    finally:
        plain.close()
    print(f"  plain SQLite can read the database file: {'YES (bug!)' if readable else 'no'}")
    print("Locked. Run it again to reopen the same profile.")
    return 1 if readable else 0


def _chat(lane: DbLane) -> None:
    lane.call(teams.save_directory, teams=[DEMO_TEAM])
    if not lane.call(messages.latest_messages, DEMO_TEAM.id, 1):
        for body, priority in DEMO_CHAT:
            lane.call(messages.add_local_message, DEMO_TEAM.id, body, priority=priority)
    refused = "Mrs Patel in bed 4, NHS 943 476 5919, call her son on 07700 900123"
    kinds = sorted({f.kind for f in scan(refused)})
    print(f"  the composer would refuse a message naming a patient: found {', '.join(kinds)}")
    print(f"  {DEMO_TEAM.name}, newest messages:")
    for m in lane.call(messages.latest_messages, DEMO_TEAM.id, 5):
        flag = " [URGENT]" if m.is_urgent else ""
        print(f"    {m.client_ts:%H:%M} {m.state.value:7}{flag} {m.body}")
    print(f"  waiting in the outbox for the record server: {lane.call(outbox.pending_count)}")
    hits = lane.call(search.search_messages, "bay")
    print(f"  search 'bay': {len(hits)} message(s), newest first")
    lane.call(audit.append, "demo.run")
    report = lane.call(audit.verify)
    print(f"  audit trail: {report.entries} entries, chain {'intact' if report.ok else 'BROKEN'}")


def ask_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Demo profile password [demo]: ") or "demo"
    return "demo"
