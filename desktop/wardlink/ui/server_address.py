"""The record server's address, remembered per data folder when machine policy sets none.

DESIGN.md §7: without a `server_url` in machine policy the sign-in asks for it. Asking every
staff member on a shared PC every time would be a chore, so the address of the last successful
online sign-in is kept beside the profiles in a small plain file. It holds the address and
nothing else: no names, no patient data, nothing secret.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Final

from wardlink.core.policy import PolicyError, check_setting
from wardlink.store.durable_files import write_atomically

FILE_NAME: Final = "server.json"


def remembered_server(data_dir: Path) -> str | None:
    """The address kept for this data folder, if there is a usable one."""
    try:
        value = json.loads((data_dir / FILE_NAME).read_text("utf-8")).get("server_url")
        return str(check_setting("server_url", value))
    except (OSError, ValueError, AttributeError, PolicyError):
        return None


def remember_server(data_dir: Path, url: str) -> None:
    """Keep `url` for the next sign-in here; a folder that cannot be written is no failure."""
    data = json.dumps({"server_url": url}, indent=1).encode("utf-8")
    with contextlib.suppress(OSError):
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(data_dir / FILE_NAME, data)
