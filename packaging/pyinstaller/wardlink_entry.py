"""The frozen bundle's entry point: the same `main` as the `wardlink` console script."""

from __future__ import annotations

import sys

from wardlink.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
