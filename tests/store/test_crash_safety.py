"""A process killed with SIGKILL mid bulk-write leaves a sound database with whole transactions.

Half the rounds kill from inside SQLite at a random VM step (a progress handler in the child), so
the kill lands mid-transaction at a reproducible point; the others kill from outside as soon as a
commit is reported, landing wherever the next page's write happens to be. No sleeps either way.
Rounds: 10 by default, WARDLINK_CRASH_ROUNDS=100 (or more) on demand.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from wardlink.store.connection import integrity_errors, open_database

WRITER = Path(__file__).with_name("crash_writer.py")
BATCH = 1500


def _state(path: Path, dek: bytes) -> tuple[dict[int, int], int | None]:
    conn = open_database(path, dek)
    try:
        assert integrity_errors(conn) == []
        counts: dict[int, int] = {}
        for (mid,) in conn.execute("SELECT id FROM messages"):
            batch = int(mid[1 : mid.index("-")])
            counts[batch] = counts.get(batch, 0) + 1
        row = conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone()
        fts = conn.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'handover'")
        assert fts.fetchone()[0] == sum(counts.values())  # the index committed with its rows
        return counts, None if row is None else int(row[0])
    finally:
        conn.close()


def test_sigkill_mid_bulk_write_keeps_whole_transactions(tmp_path: Path) -> None:
    rounds = int(os.environ.get("WARDLINK_CRASH_ROUNDS", "10"))
    rng = random.Random(20261128)
    path, dek = tmp_path / "w.db", secrets.token_bytes(32)
    open_database(path, dek).close()
    next_batch, reported = 0, -1
    for round_no in range(rounds):
        self_kill = round_no % 2 == 0
        kill_at = rng.randint(50, 3000) if self_kill else 0
        child = subprocess.Popen(
            [
                sys.executable,
                str(WRITER),
                str(path),
                dek.hex(),
                str(next_batch),
                str(BATCH),
                str(kill_at),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        if not self_kill:
            wanted = rng.randint(1, 3)
            for _ in range(wanted):
                line = child.stdout.readline()
                assert line.startswith("committed"), line
                reported = max(reported, int(line.split()[1]))
            child.send_signal(signal.SIGKILL)
        for line in child.stdout:
            reported = max(reported, int(line.split()[1]))
        child.stdout.close()
        child.wait(timeout=60)
        assert child.returncode == -signal.SIGKILL
        counts, cursor = _state(path, dek)
        assert all(n == BATCH for n in counts.values()), "a page was half written"
        complete = sorted(counts)
        assert complete == list(range(len(complete))), "a committed page went missing"
        assert len(complete) - 1 >= reported, "a page reported as committed was lost"
        assert cursor == (len(complete) * BATCH if complete else None), "cursor and page disagree"
        next_batch = len(complete)
    assert next_batch >= 1
