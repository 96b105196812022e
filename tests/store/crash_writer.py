"""Child process for the SIGKILL test: bulk-applies numbered pages until it is killed.

argv: db path, DEK hex, first batch number, batch size, kill-at VM step (0: never self-kill).
Prints "committed <batch>" after each page's transaction commits.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from wardlink.store import messages
from wardlink.store.database import Store
from wardlink.store.messages import RemoteMessage

TEAM = "10000000-0000-4000-8000-000000000001"
BODY = "Obs due for bay {b}: BP, pulse, temp and NEWS2, then update the board and handover sheet ok"


def page(batch: int, size: int) -> list[RemoteMessage]:
    return [
        RemoteMessage(
            seq=batch * size + i + 1,
            id=f"b{batch}-{i}",
            team_id=TEAM,
            author_id="other",
            author_name="Bob Brown",
            body=BODY.format(b=i % 12),
            priority="routine",
            client_ts="2026-11-28T09:00:00.000Z",
            server_ts="2026-11-28T09:00:01.000Z",
        )
        for i in range(size)
    ]


def main() -> None:
    path, dek_hex, first, size, kill_at = sys.argv[1:6]
    store = Store.open(Path(path), bytes.fromhex(dek_hex), me="me")
    store.conn.execute(
        "INSERT INTO teams(id, name, kind) VALUES (?, 'Ward', 'ward') ON CONFLICT DO NOTHING",
        (TEAM,),
    )
    if int(kill_at):
        steps = 0

        def progress() -> int:
            nonlocal steps
            steps += 1
            if steps >= int(kill_at):
                os.kill(os.getpid(), signal.SIGKILL)
            return 0

        store.conn.set_progress_handler(progress, 1000)
    batch = int(first)
    while True:
        messages.apply_remote_messages(
            store, page(batch, int(size)), cursor=(batch + 1) * int(size)
        )
        print(f"committed {batch}", flush=True)
        batch += 1


if __name__ == "__main__":
    main()
