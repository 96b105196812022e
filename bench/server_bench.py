"""The record server under long-poll load: push latency and delivery latency.

200 clients long-poll `GET /api/v1/sync/pull?wait=25` against a real `wardlink-server serve`
(a subprocess on 127.0.0.1:0) while an asyncio load generator posts messages at a steady
50 a second in total (`message.post`, one op per push, each from a member of the team).
Two cases, each on a server of its own:
- 10 teams of 20 clients (each message is for 20 of them): the figures on the last line;
- all 200 clients in one team (each message is for all 200): the harder case, reported above it.

Measured: push latency (request sent → response read), delivery latency (the message's
`server_ts`, stamped as its op began, so before the commit → each long-poller has read it;
every member of the team counts, its author included), the CPU time of the server's process
tree and of this load generator over the load window, and, as the baseline in the same run, the
round trip of `GET /healthz` (no database) under that load. Clients use tokens made as
`admin issue-token` makes them (the directory API, in this process, before the server starts),
and raw HTTP/1.1 keep-alive connections on asyncio streams (the load generator stays light).

    .venv/bin/python bench/server_bench.py [--database URL] [--seconds S] [--workers N]
    .venv/bin/python bench/server_bench.py --throwaway-postgresql   # a private cluster

The default database is a fresh SQLite file per case. The last line is:
server_bench db=<sqlite|postgresql> clients=200 push_p95_ms=<> delivery_p95_ms=<>
msgs_per_s=<> server_cpu_s=<> loadgen_cpu_s=<>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from wardlink.core.clock import format_timestamp, parse_timestamp
from wardlink_server import directory, events
from wardlink_server.audit import CLI
from wardlink_server.config import DATABASE_ENV, MINIMAL_HASHING, ServerConfig
from wardlink_server.database import backend_of
from wardlink_server.services import build_services

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 200
RATE = 50.0  # messages a second, in total
WAIT_S = 25  # each long-poll's `wait`
DRAIN_S = 10.0  # after the last push, how long deliveries may still arrive
PUSH_CONNECTIONS = 16
GOALS = {"sqlite": (100.0, 250.0), "postgresql": (None, 400.0)}  # push p95, delivery p95 (ms)


# -- a minimal HTTP/1.1 client -------------------------------------------------------------------


class Http:
    """One keep-alive connection; requests on it run one at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, token: str | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        for attempt in range(2):  # the server may have closed an idle connection
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            if token:
                head += f"Authorization: Bearer {token}\r\n"
            if body:
                head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            try:
                self.writer.write(head.encode() + b"\r\n" + body)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        assert self.reader is not None
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, closing = 0, False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                closing = True
        data = await self.reader.readexactly(length)
        if closing:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# -- the board -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    username: str
    team_index: int
    token: str


@dataclass
class Board:
    teams: list[str]
    members: list[list[Client]]
    head: int


def seed(url: str, teams: int, per_team: int, tag: str) -> Board:
    """Teams and staff, and a token for each as `admin issue-token` makes it."""
    services = build_services(ServerConfig(database_url=url, password_hashing=MINIMAL_HASHING))
    try:
        team_ids: list[str] = []
        members: list[list[Client]] = []
        with services.writer.begin() as conn:
            for t in range(teams):
                name = f"Bench {tag} ward {t + 1}"
                team_ids.append(directory.create_team(conn, services, CLI, name=name))
                members.append([])
                for c in range(per_team):
                    username = f"bench-{tag}-{t + 1}-{c + 1}"
                    directory.create_staff(
                        conn, services, CLI, username=username, display_name=f"Nurse {c + 1}",
                        role="staff", password=uuid.uuid4().hex,
                    )  # fmt: skip
                    directory.add_member(conn, services, CLI, name, username)
                    token, _ = directory.issue_token(
                        conn, services, CLI, username, f"bench-{tag}-{t}-{c}"
                    )
                    members[t].append(Client(username, t, token))
            head = events.head(conn)
        return Board(team_ids, members, head)
    finally:
        services.engine.dispose()


# -- the server ----------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[str]
    host: str
    port: int
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(url: str, workers: int, log: Path) -> Server:
    env = {k: v for k, v in os.environ.items() if k != DATABASE_ENV}
    command = [sys.executable, "-m", "wardlink_server", "serve", "--database", url, "--port", "0"]
    if workers > 1:
        command += ["--workers", str(workers)]
    with log.open("w") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    first = process.stdout.readline() if ready else ""
    if not first.startswith("wardlink-server listening on "):
        process.kill()
        raise SystemExit(f"the server did not start:\n{log.read_text()[-2000:]}")
    host, port = first.split()[-1].removeprefix("http://").rsplit(":", 1)
    return Server(process, host, int(port), log)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and every process below it."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime, stime
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += used.get(current, 0)
        todo += [child for child, parent in parents.items() if parent == current]
    return total / tick


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the load ------------------------------------------------------------------------------------


@dataclass
class Result:
    pushes: list[float] = field(default_factory=list)  # ms
    deliveries: list[float] = field(default_factory=list)  # ms
    healthz: list[float] = field(default_factory=list)  # ms
    applied: int = 0
    expected: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    loadgen_cpu_s: float = 0.0
    database_cpu_s: float | None = None  # a throwaway cluster's, when there is one


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def p95(values: list[float]) -> float:
    return quantile(values, 0.95)


async def load(
    server: Server, board: Board, seconds: float, rate: float, database_pid: int | None
) -> Result:
    result = Result()
    sent: dict[str, int] = {}  # message id -> its team's index
    stop = asyncio.Event()
    clients = [client for team in board.members for client in team]

    async def poll(client: Client) -> None:
        http = Http(server.host, server.port)
        since = board.head
        try:
            while not stop.is_set():
                path = f"/api/v1/sync/pull?since={since}&wait={WAIT_S}"
                status, data = await http.request("GET", path, client.token)
                now = time.time()
                if status != 200:
                    raise SystemExit(f"pull answered {status}: {data[:200]!r}")
                page = json.loads(data)
                for event in page["events"]:
                    if event["type"] == "message" and event["data"]["id"] in sent:
                        stamped = parse_timestamp(event["data"]["server_ts"]).timestamp()
                        result.deliveries.append((now - stamped) * 1000)
                since = page["next"]
        finally:
            http.close()

    pool: asyncio.Queue[Http] = asyncio.Queue()
    for _ in range(PUSH_CONNECTIONS):
        pool.put_nowait(Http(server.host, server.port))
    rng = random.Random(7)

    async def push(n: int) -> None:
        team = n % len(board.teams)
        author = rng.choice(board.members[team])
        message_id = str(uuid.uuid4())
        op = {
            "op_id": str(uuid.uuid4()), "type": "message.post", "team_id": board.teams[team],
            "message_id": message_id, "body": f"Bay {n % 6 + 1} obs done, round {n}",
            "priority": "routine", "client_ts": format_timestamp(dt.datetime.now(dt.UTC)),
        }  # fmt: skip
        sent[message_id] = team
        http = await pool.get()
        try:
            started = time.perf_counter()
            status, data = await http.request(
                "POST", "/api/v1/sync/push", author.token, json.dumps({"ops": [op]}).encode()
            )
            result.pushes.append((time.perf_counter() - started) * 1000)
        finally:
            pool.put_nowait(http)
        if status == 200 and json.loads(data)["results"][0]["status"] == "applied":
            result.applied += 1
            result.expected += len(board.members[team])
        else:
            del sent[message_id]

    async def probe() -> None:
        http = Http(server.host, server.port)
        try:
            while not stop.is_set():
                started = time.perf_counter()
                await http.request("GET", "/healthz")
                result.healthz.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.1)
        finally:
            http.close()

    pollers = [asyncio.create_task(poll(client)) for client in clients]
    await asyncio.sleep(1.0)  # every long-poll connected and waiting
    cpu_server, cpu_self = tree_cpu_s(server.process.pid), own_cpu_s()
    cpu_database = tree_cpu_s(database_pid) if database_pid else 0.0
    probing = asyncio.create_task(probe())
    loop = asyncio.get_running_loop()
    start = loop.time()
    pushes: list[asyncio.Task[None]] = []
    total = int(seconds * rate)
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        pushes.append(asyncio.create_task(push(n)))
    await asyncio.gather(*pushes)
    result.seconds = loop.time() - start
    deadline = loop.time() + DRAIN_S
    while len(result.deliveries) < result.expected and loop.time() < deadline:
        await asyncio.sleep(0.05)
    result.server_cpu_s = tree_cpu_s(server.process.pid) - cpu_server
    result.loadgen_cpu_s = own_cpu_s() - cpu_self
    if database_pid:
        result.database_cpu_s = tree_cpu_s(database_pid) - cpu_database
    stop.set()
    for task in [*pollers, probing]:
        task.cancel()
    await asyncio.gather(*pollers, probing, return_exceptions=True)
    while not pool.empty():
        pool.get_nowait().close()
    return result


# -- the cases -----------------------------------------------------------------------------------


def run_case(
    url: str, teams: int, args: argparse.Namespace, folder: Path, database_pid: int | None
) -> Result:
    tag = uuid.uuid4().hex[:6]
    board = seed(url, teams, CLIENTS // teams, tag)
    server = start_server(url, args.workers, folder / f"server-{tag}.log")
    try:
        return asyncio.run(load(server, board, args.seconds, RATE, database_pid))
    finally:
        server.stop()


def report(case: str, result: Result) -> str:
    database = (
        f", PostgreSQL CPU {result.database_cpu_s:.1f} s"
        if result.database_cpu_s is not None
        else ""
    )
    return (
        f"{case}: pushed {result.applied} in {result.seconds:.1f} s "
        f"({result.applied / result.seconds:.1f}/s); push p95 {p95(result.pushes):.1f} ms; "
        f"delivered {len(result.deliveries)}/{result.expected}, p95 "
        f"{p95(result.deliveries):.1f} ms (median {quantile(result.deliveries, 0.5):.1f} ms); "
        f"server CPU {result.server_cpu_s:.1f} s, load generator CPU "
        f"{result.loadgen_cpu_s:.1f} s{database}; "
        f"baseline GET /healthz p95 {p95(result.healthz):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Long-poll load on the record server.")
    parser.add_argument("--database", metavar="URL", help="default: a fresh SQLite file per case")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL)")
    parser.add_argument(
        "--throwaway-postgresql", action="store_true",
        help="run on a private PostgreSQL cluster made (and removed) for this run",
    )  # fmt: skip
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        cluster_url, database_pid = None, None
        if args.throwaway_postgresql:
            sys.path.insert(0, str(ROOT))
            from tests.server.postgres import Cluster

            cluster = Cluster()
            stack.callback(cluster.stop)
            cluster_url = cluster.database(empty=True)
            database_pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="server-bench-")))
        url = args.database or cluster_url or ""
        db = backend_of(url) if url else "sqlite"
        results = {}
        for case, teams in (("one team of 200", 1), ("10 teams of 20", 10)):
            chosen = url or f"sqlite:///{folder / f'{teams}.db'}"
            results[case] = run_case(chosen, teams, args, folder, database_pid)
            print(report(case, results[case]), flush=True)
    push_goal, delivery_goal = GOALS[db]
    goals = f"delivery p95 <= {delivery_goal:.0f} ms"
    if push_goal is not None:
        goals += f", push p95 <= {push_goal:.0f} ms"
    print(f"goals on {db} (10 teams of 20): {goals}")
    main_case = results["10 teams of 20"]
    print(
        f"server_bench db={db} clients={CLIENTS} push_p95_ms={p95(main_case.pushes):.1f} "
        f"delivery_p95_ms={p95(main_case.deliveries):.1f} "
        f"msgs_per_s={main_case.applied / main_case.seconds:.1f} "
        f"server_cpu_s={main_case.server_cpu_s:.1f} loadgen_cpu_s={main_case.loadgen_cpu_s:.1f}"
    )


if __name__ == "__main__":
    main()
