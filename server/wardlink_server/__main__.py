"""`wardlink-server`: the record server's command line (see `cli.py`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: serve, migrate, admin and demo."""
    from wardlink_server.cli import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
