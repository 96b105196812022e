"""Server policy (DESIGN.md §7): the keys the record server sets for every client, from a TOML
file IT writes (`serve --policy FILE`, or `WARDLINK_SERVER_POLICY`).

The file is checked strictly, as machine policy is on a PC: an unknown key (a typo) or a key only
machine policy may set is an error naming it, and so is a bad value; the server then refuses to
start rather than run with a policy IT did not mean. Clients receive the policy at sign-in and
with every lease; when it changes between runs, `publish` appends one `policy.updated` event so
that signed-in clients apply it without signing in again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from sqlalchemy import insert, select, update

from wardlink.core.policy import KEYS_BY_NAME, PolicyError, check_server_policy
from wardlink.core.policy_file import TomlPolicyFile
from wardlink_server import events, schema
from wardlink_server.services import Services

POLICY_ENV: Final = "WARDLINK_SERVER_POLICY"
_PUBLISHED: Final = "published_policy"


def policy_path(given: str | None) -> Path | None:
    """`--policy`, else the environment's; None: no server policy (every key at its default)."""
    named = given or os.environ.get(POLICY_ENV)
    return Path(named) if named else None


def read_policy_file(path: Path) -> dict[str, object]:
    """The server policy in `path`, checked; PolicyError names the key (or the file) at fault.

    A missing file is an error here, unlike on a PC: IT named this file on purpose."""
    if not path.is_file():
        raise PolicyError("policy", f"the server policy file {path} does not exist")
    raw = TomlPolicyFile(path).read()
    for key in raw:
        if key not in KEYS_BY_NAME:
            raise PolicyError(key, "is not a Wardlink policy key (check the spelling)")
    return check_server_policy(raw)


def publish(services: Services) -> bool:
    """Tell signed-in clients if the policy differs from what they were last told; True if so."""
    policy = services.client_policy()
    text = json.dumps(policy, sort_keys=True, separators=(",", ":"))
    s = schema.settings
    with services.writer.begin() as conn:
        last = conn.execute(select(s.c.value).where(s.c.key == _PUBLISHED)).scalar_one_or_none()
        if last == text:
            return False
        if last is None and not _ever_announced(policy):
            # A new server with every key at its default: clients had it from sign-in.
            conn.execute(insert(s).values(key=_PUBLISHED, value=text))
            return False
        events.append(conn, "policy.updated", at=services.now(), data={"policy": policy})
        if last is None:
            conn.execute(insert(s).values(key=_PUBLISHED, value=text))
        else:
            conn.execute(update(s).where(s.c.key == _PUBLISHED).values(value=text))
    services.notifier.notify()
    return True


def _ever_announced(policy: Mapping[str, object]) -> bool:
    """Whether the policy sets anything a client would not assume by default."""
    defaults = {name: spec.default for name, spec in KEYS_BY_NAME.items()}
    return any(defaults.get(key) != value for key, value in policy.items())
