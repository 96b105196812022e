"""Helper for the command-line test: write one queued message into a profile, as the app's
composer would, opening it with the real OS keyring. Prints the message id.

argv: data dir, username, team id, body. The password comes on stdin.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wardlink.core.clock import SystemClock
from wardlink.store import messages
from wardlink.store.device_secrets import KeyringDeviceSecrets
from wardlink.store.profiles import Profiles
from wardlink.sync.account import unlock_offline


def main() -> int:
    data_dir, username, team_id, body = sys.argv[1:5]
    password = sys.stdin.readline().rstrip("\n")
    profiles = Profiles(Path(data_dir), KeyringDeviceSecrets())
    (info,) = [p for p in profiles.list() if p.username == username]
    opened = unlock_offline(profiles, info.staff_id, password, clock=SystemClock())
    try:
        message, _ = opened.lane.call(messages.add_local_message, team_id, body)
    finally:
        opened.close()
    print(message.id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
