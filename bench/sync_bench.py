"""Sync benchmark: a fresh client's initial sync of 100,000 messages, and a push of 10,000.

A record server (`wardlink-server serve`, a subprocess on 127.0.0.1:0, so that its CPU is not
the client's) holds 100,000 messages in 5 teams, seeded in bulk straight into its schema (rows
and events as a push writes them; the seeding is set-up, not measured). Then, measured:

1. initial sync: a fresh client signs in (a new encrypted profile) and runs one full sync
   (`run_once`): it pulls from the sign-in cursor and backfills every team newest first with a
   history window that covers all 100,000 messages, applying each page with its progress;
2. the baseline, in the same run: a bare `requests` loop fetches exactly the pages the client
   fetched (same URLs, same token), reading the bytes and applying nothing;
3. push: a second client writes 10,000 messages offline (one local transaction each, as the
   composer does; not measured), then sends its outbox (`push_round` until empty).

    .venv/bin/python bench/sync_bench.py [--messages N] [--push N] [--ids time|random]
                                         [--profile FILE]

`--ids`: the seeded messages' ids as this version's clients make them (`time`: time-ordered,
version 7, the default) or as earlier versions did (`random`: version 4), which every index keyed
by them takes in random places.

`--profile FILE` runs the measured client parts under cProfile and writes the stats there.
The last line is:
sync_bench initial_events_per_s=<> push_msgs_per_s=<> raw_http_ratio=<client initial sync time
/ bare loop time> server_ms_per_page=<bare loop time per page>
Goals (2 cores, server and client together): initial >= 15,000 events/s, push >= 2,000
messages/s, raw_http_ratio <= 2.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests
from sqlalchemy import insert

from wardlink.core.clock import SystemClock, format_timestamp
from wardlink.core.ids import time_ordered_id
from wardlink.core.policy import merge
from wardlink.core.protocol import MessageData
from wardlink.store import messages, outbox
from wardlink.store.database import Store
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.keyslots import PRODUCTION_KDF
from wardlink.store.profiles import Profiles
from wardlink.sync.account import sign_in_online
from wardlink.sync.account_state import SignInResult
from wardlink.sync.client import RecordClient
from wardlink.sync.engine import run_once
from wardlink.sync.pusher import push_round
from wardlink.sync.transport import Transport
from wardlink_server import directory, schema
from wardlink_server.audit import CLI
from wardlink_server.config import MINIMAL_HASHING, ServerConfig
from wardlink_server.services import build_services

ROOT = Path(__file__).resolve().parents[1]
TEAMS = 5
PASSWORD = "bench password"
GOALS = {"initial_events_per_s": 15_000.0, "push_msgs_per_s": 2_000.0, "raw_http_ratio": 2.0}
WORDS = (
    "porter bay bed obs bloods review pharmacy handover please ready done doctor nurse ward "
    "round fluids meds pain wound dressing discharge transfer theatre bleep chart sats temp "
    "pulse news escalate plan family physio dietitian catheter cannula oral stat insulin "
    "antibiotics falls pressure turn mobilise breakfast lunch visiting relatives later morning "
    "evening night shift rota cover break meeting training equipment pump hoist mattress linen"
).split()


def _body(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14))).capitalize()


# -- the server ---------------------------------------------------------------------------------


def seed(database: Path, count: int, *, time_ordered: bool = True) -> dict[str, object]:
    """Teams, accounts and `count` messages (rows + events + op records, as pushes leave them);
    ids time-ordered as this version makes them, or random as earlier versions did."""
    services = build_services(
        ServerConfig(database_url=f"sqlite:///{database}", password_hashing=MINIMAL_HASHING)
    )
    rng = random.Random(20261128)
    try:
        with services.writer.begin() as conn:
            teams = [
                directory.create_team(conn, services, CLI, name=f"Ward {n}", kind="ward")
                for n in range(TEAMS)
            ]
            accounts = {}
            for who in ("author", "reader", "sender"):
                accounts[who] = directory.create_staff(
                    conn, services, CLI, username=who, display_name=who.title(), role="staff",
                    password=PASSWORD,
                )  # fmt: skip
                for n in range(TEAMS):
                    directory.add_member(conn, services, CLI, f"Ward {n}", who)
            head = int(conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM events").scalar())
            start = dt.datetime.now(dt.UTC) - dt.timedelta(days=25)
            step = dt.timedelta(days=24) / max(count, 1)
            events, rows, ops = [], [], []
            author = str(accounts["author"])
            for n in range(count):
                seq = head + 1 + n
                team = teams[n % TEAMS]
                when = start + step * n
                at = format_timestamp(when)

                def new_id(when: dt.datetime = when) -> str:
                    if time_ordered:
                        return time_ordered_id(when, rng.getrandbits)
                    return str(uuid.UUID(int=rng.getrandbits(128), version=4))

                data = MessageData(
                    id=new_id(),
                    op_id=new_id(),
                    author_id=author,
                    author_name="Author",
                    body=_body(rng),
                    priority="urgent" if n % 50 == 0 else "routine",
                    client_ts=at,
                    server_ts=at,
                )
                events.append(
                    {"seq": seq, "type": "message", "team_id": team, "staff_id": None, "at": at,
                     "data": json.dumps(data.to_json(), separators=(",", ":"))}
                )  # fmt: skip
                rows.append(
                    {"id": data.id, "op_id": data.op_id, "team_id": team, "author_id": author,
                     "body": data.body, "priority": data.priority, "client_ts": at,
                     "server_ts": at, "seq": seq}
                )  # fmt: skip
                ops.append(
                    {"op_id": data.op_id, "staff_id": author, "device_id": "seeded",
                     "type": "message.post", "seq": seq, "at": at}
                )  # fmt: skip
            for table, values in ((schema.events, events), (schema.messages, rows)):
                conn.execute(insert(table), values)
            conn.execute(insert(schema.ops), ops)
    finally:
        services.engine.dispose()
    return {"teams": teams}


@contextlib.contextmanager
def serving(database: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    command = [sys.executable, "-m", "wardlink_server", "serve", "--port", "0",
               "--database", f"sqlite:///{database}"]  # fmt: skip
    with log.open("w") as errors:
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"the server did not start: {log.read_text()}")
        url = line.split()[-1]
        requests.get(f"{url}/healthz", timeout=30).raise_for_status()  # warmed up
        yield url, server
    finally:
        server.terminate()
        server.wait(30)
        if server.stdout is not None:
            server.stdout.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0


# -- the clients --------------------------------------------------------------------------------


def sign_in(folder: Path, client: RecordClient, username: str) -> SignInResult:
    profiles = Profiles(folder, FileDeviceSecrets(folder / "secrets.json"), kdf=PRODUCTION_KDF)
    return sign_in_online(
        profiles, client, username=username, password=PASSWORD, device_name="Bench PC",
        platform=sys.platform, clock=SystemClock(),
    )  # fmt: skip


def count_messages(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--push", type=int, default=10_000)
    parser.add_argument("--ids", choices=("time", "random"), default="time")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the client here")
    args = parser.parse_args()
    # The client's work runs on two threads: this one (HTTP, parsing) and the DB lane.
    profiler = cProfile.Profile() if args.profile else None
    lane_profiler = cProfile.Profile() if args.profile else None

    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        seed(folder / "server.db", args.messages, time_ordered=args.ids == "time")
        print(f"seeded {args.messages} messages ({args.ids} ids) in {TEAMS} teams in "
              f"{time.perf_counter() - started:.1f} s (set-up, not measured)")  # fmt: skip
        with serving(folder / "server.db", folder / "server.log") as (url, server):
            # 1. the initial sync of a fresh client
            client = RecordClient(Transport(url))
            fetched: list[str] = []
            client.transport.session.hooks["response"].append(
                lambda r, *a, **k: fetched.append(r.url) if r.request.method == "GET" else None
            )
            server_cpu = cpu_seconds(server.pid)
            if profiler:
                profiler.enable()
            began = time.perf_counter()
            result = sign_in(folder / "reader", client, "reader")
            signed_in = time.perf_counter()
            if lane_profiler:
                result.lane.call(lambda _store: lane_profiler.enable())
            policy = merge(None, {**dict(result.policy), "history_days": 30}, None)
            status = run_once(result.lane, client, policy=policy, clock=SystemClock())
            initial = time.perf_counter() - began
            if profiler and lane_profiler:
                profiler.disable()
                result.lane.call(lambda _store: lane_profiler.disable())
            initial_server_cpu = cpu_seconds(server.pid) - server_cpu
            held = result.lane.call(count_messages)
            assert held == args.messages, (held, args.messages)
            pages = [u for u in fetched if "/history" in u or "/sync/pull" in u]
            token = client.token
            result.close()
            client.close()
            print(f"initial sync: {held} messages in {initial:.2f} s (sign-in "
                  f"{signed_in - began:.2f} s), {len(pages)} pages, received "
                  f"{status.received}, server CPU {initial_server_cpu:.2f} s")  # fmt: skip

            # 2. the bare loop over the same pages
            with requests.Session() as bare:
                bare.headers["Authorization"] = f"Bearer {token}"
                began = time.perf_counter()
                size = 0
                for page in pages:
                    answer = bare.get(page, timeout=60)
                    answer.raise_for_status()
                    size += len(answer.content)
                raw = time.perf_counter() - began
            print(f"bare requests loop: {len(pages)} pages, {size / 1e6:.1f} MB in {raw:.2f} s")

            # 3. a push of messages written offline
            sender = RecordClient(Transport(url))
            pushed = sign_in(folder / "sender", sender, "sender")
            team = pushed.teams[0].id
            rng = random.Random(7)

            def write_offline(store: Store) -> None:
                for _ in range(args.push):
                    messages.add_local_message(store, team, _body(rng))

            pushed.lane.call(write_offline)
            if profiler and lane_profiler:
                profiler.enable()
                pushed.lane.call(lambda _store: lane_profiler.enable())
            server_cpu = cpu_seconds(server.pid)
            began = time.perf_counter()
            rounds = 0
            while pushed.lane.call(outbox.pending_count):
                push_round(pushed.lane, sender)
                rounds += 1
            push = time.perf_counter() - began
            push_server_cpu = cpu_seconds(server.pid) - server_cpu
            if profiler and lane_profiler:
                profiler.disable()
                pushed.lane.call(lambda _store: lane_profiler.disable())
            pushed.close()
            sender.close()
            print(f"push: {args.push} messages in {push:.2f} s, {rounds} pushes, server CPU "
                  f"{push_server_cpu:.2f} s")  # fmt: skip

    if profiler and lane_profiler and args.profile:
        profiler.dump_stats(args.profile)
        lane_profiler.dump_stats(args.profile.with_suffix(".lane"))
        print(f"profiles: {args.profile} (this thread), {args.profile.with_suffix('.lane')} (lane)")
    figures = {
        "initial_events_per_s": args.messages / initial,
        "push_msgs_per_s": args.push / push,
        "raw_http_ratio": initial / raw,
    }
    for name, goal in GOALS.items():
        better = figures[name] <= goal if name == "raw_http_ratio" else figures[name] >= goal
        print(f"  {name}: {figures[name]:.2f} (goal {'<=' if name == 'raw_http_ratio' else '>='}"
              f" {goal:g}: {'met' if better else 'MISSED'})")  # fmt: skip
    print(
        f"sync_bench initial_events_per_s={figures['initial_events_per_s']:.0f} "
        f"push_msgs_per_s={figures['push_msgs_per_s']:.0f} "
        f"raw_http_ratio={figures['raw_http_ratio']:.2f} "
        f"server_ms_per_page={raw / len(pages) * 1000:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
