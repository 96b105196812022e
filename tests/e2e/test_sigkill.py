"""A ward PC's sync process killed with SIGKILL at random points, again and again: every message
written before each kill reaches the server exactly once.

The child (`sync_child.py`) opens the profile as the app does after a restart, writes numbered
messages (printing each id only once its transaction committed) and runs full syncs. The parent
kills it from outside after the N-th progress line (sometimes after a further random moment), or
has it kill itself at a checkpoint around a push or pull (e.g. after the server committed a push
but before the answer is recorded) or after a number of SQLite VM steps, i.e. inside a local
transaction. All draws come from a seeded RNG. Rounds: 10 by default,
WARDLINK_SYNC_KILL_ROUNDS=100 (or more) on demand.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.sync.live_server import LiveServer
from wardlink.core.clock import SystemClock
from wardlink.core.model import MessageState
from wardlink.store import messages, outbox
from wardlink.sync.account import unlock_offline

from .clients import Device, assert_exactly_once

CHILD = Path(__file__).with_name("sync_child.py")
ROUNDS = int(os.environ.get("WARDLINK_SYNC_KILL_ROUNDS", "10"))


def _child(device: Device, server: LiveServer, team_id: str, label: str, mode: str, log: Path):
    folder = device.profiles.profiles_dir.parent
    with log.open("a") as errors:
        child = subprocess.Popen(
            [
                sys.executable,
                str(CHILD),
                str(folder),
                str(device.secrets.path),
                device.staff_id,
                server.url,
                team_id,
                label,
                mode,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            cwd=Path(__file__).parents[2],
        )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(device.account.password + "\n")
    child.stdin.close()
    return child


def test_sigkill_at_random_points_loses_and_duplicates_nothing(
    live_server: LiveServer, team: tuple[str, str], tmp_path: Path
) -> None:
    account = live_server.new_staff("community", teams=(team[1],))
    device = Device(tmp_path / "pc", live_server, account)  # the first, online sign-in
    device.close()
    log = tmp_path / "child-stderr.txt"
    rng = random.Random(20261128)
    printed: list[str] = []
    kinds: list[str] = []
    for round_no in range(ROUNDS):
        kind = ("outside", "hook", "vm")[round_no % 3]
        mode = {
            "outside": "none",
            "hook": f"hook:{rng.randint(1, 9)}",
            "vm": f"vm:{rng.randint(1, 400)}",
        }[kind]
        kinds.append(mode)
        child = _child(device, live_server, team[0], f"k{round_no}", mode, log)
        assert child.stdout is not None
        if kind == "outside":
            for _ in range(rng.randint(1, 8)):
                line = child.stdout.readline()
                assert line, f"the child ended early: {log.read_text()}"
                if line.startswith("wrote "):
                    printed.append(line.split()[1])
            if rng.random() < 0.5:
                threading.Event().wait(rng.uniform(0, 0.05))  # a random moment, not a sync
            child.send_signal(signal.SIGKILL)
        for line in child.stdout:
            if line.startswith("wrote "):
                printed.append(line.split()[1])
        child.stdout.close()
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL, (mode, log.read_text())

    drain = _child(device, live_server, team[0], "drain", "drain", log)
    assert drain.stdout is not None
    out = drain.stdout.read()
    drain.stdout.close()
    assert drain.wait(timeout=30) == 0, log.read_text()
    assert out.split()[:2] == ["drained", "0"]

    opened = unlock_offline(device.profiles, device.staff_id, account.password, clock=SystemClock())
    try:
        assert opened.lane.call(outbox.pending_count) == 0
        local = opened.lane.call(messages.latest_messages, team[0], 100_000)
    finally:
        opened.close()
    assert all(m.state is MessageState.SENT for m in local), "something was not sent"
    local_ids = [m.id for m in local]
    assert len(printed) == len(set(printed))
    assert set(printed) <= set(local_ids), "a message reported as written was lost"
    order = assert_exactly_once(live_server, team[0], set(local_ids))
    assert local_ids == order
    assert len(printed) >= ROUNDS // 2, kinds  # the rounds did get to write
