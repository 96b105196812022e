"""`wardlink-server`: the record server's command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point. The server itself arrives with the record-server issue."""
    print(
        "wardlink-server: the record server is not built yet; nothing to run.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
