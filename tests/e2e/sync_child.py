"""Child process for the SIGKILL test: a ward PC that writes messages and syncs until killed.

argv: data dir, device-secrets file, staff id, server URL, team id, label, kill mode.
The password comes on stdin. The profile is opened as the app does after a restart (offline
unlock, stored session); each round writes one to three numbered messages, each in its own
local transaction, prints `wrote <id>` only once that committed, then runs one full sync
(`run_once`) and prints `synced <sent> <received>`.

Kill modes (the parent draws them from a seeded RNG):
- `none`: runs until the parent kills it (after the N-th progress line it read);
- `hook:K`: kills itself at the K-th checkpoint around the network calls (before a push is sent,
  after its answer came but before it is recorded, likewise for pulls);
- `vm:K`: kills itself after K×100 SQLite VM steps, i.e. inside whatever local transaction runs;
- `drain`: no new messages: one `run_once`, then `drained <pending>` and exit 0.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from wardlink.core.clock import SystemClock
from wardlink.core.policy import merge
from wardlink.core.protocol import MAX_PULL_LIMIT, Op, PushResponse
from wardlink.core.protocol.event_pages import PullPage
from wardlink.store import messages, outbox
from wardlink.store.database import Store
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import Profiles
from wardlink.sync.account import unlock_offline
from wardlink.sync.client import RecordClient
from wardlink.sync.engine import run_once
from wardlink.sync.escrow import restore_session
from wardlink.sync.transport import Timeouts, Transport


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class Checkpoints:
    def __init__(self, kill_at: int) -> None:
        self.kill_at = kill_at
        self.passed = 0

    def __call__(self) -> None:
        self.passed += 1
        if self.passed == self.kill_at:
            die()


class DyingClient(RecordClient):
    """The real client, with checkpoints on each side of the calls that change state."""

    def __init__(self, transport: Transport, checkpoint: Checkpoints) -> None:
        super().__init__(transport)
        self.checkpoint = checkpoint

    def push(self, ops: Sequence[Op]) -> PushResponse:
        self.checkpoint()  # before the server has it
        answer = super().push(ops)
        self.checkpoint()  # the server committed; nothing is recorded here yet
        return answer

    def pull_page(self, since: int, *, limit: int = MAX_PULL_LIMIT, wait: float = 0) -> PullPage:
        answer = super().pull_page(since, limit=limit, wait=wait)
        self.checkpoint()  # a page in hand, not applied
        return answer


def main() -> int:
    data_dir, secrets_file, staff_id, url, team_id, label, mode = sys.argv[1:8]
    password = sys.stdin.readline().rstrip("\n")
    profiles = Profiles(Path(data_dir), FileDeviceSecrets(Path(secrets_file)), kdf=MINIMAL_KDF)
    clock = SystemClock()
    opened = unlock_offline(profiles, staff_id, password, clock=clock)
    lane = opened.lane
    kind, _, number = mode.partition(":")
    checkpoint = Checkpoints(int(number) if kind == "hook" else 0)
    client = DyingClient(Transport(url, timeouts=Timeouts(2.0, 5.0)), checkpoint)
    restore_session(lane, client)
    policy = merge(None, dict(opened.policy), None)
    if kind == "vm":
        steps = int(number)

        def arm(store: Store) -> None:
            ticks = itertools.count(1)
            store.conn.set_progress_handler(lambda: die() if next(ticks) >= steps else 0, 100)

        lane.call(arm)
    if kind == "drain":
        status = run_once(lane, client, policy=policy, clock=clock)
        print(f"drained {lane.call(outbox.pending_count)} {status.sent}", flush=True)
        opened.close()
        return 0
    for round_no in itertools.count():
        for n in range(1 + round_no % 3):
            message, _ = lane.call(messages.add_local_message, team_id, f"{label} r{round_no} m{n}")
            print(f"wrote {message.id}", flush=True)
        status = run_once(lane, client, policy=policy, clock=clock)
        print(f"synced {status.sent} {status.received}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
