"""Where the project's resource files (form definitions, icons, demo data) live.

In the source tree they sit in `resources/` at the repository root; a packaged build or a test
points elsewhere with the `WARDLINK_RESOURCES` environment variable. Looked up on every call
(it is cheap) so that a test can move it.
"""

from __future__ import annotations

import os
from pathlib import Path

RESOURCES_ENV = "WARDLINK_RESOURCES"


class ResourceMissing(FileNotFoundError):
    """A resource file the program needs is not where it should be: an installation fault."""


def resources_root() -> Path:
    """The resources folder: `WARDLINK_RESOURCES` if set, else the repository's `resources/`."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "resources"


def resource_path(*parts: str) -> Path:
    """The path of a resource (file or folder) inside the resources folder, which must exist."""
    root = resources_root()
    if not root.is_dir():
        raise ResourceMissing(
            f"Wardlink's resources folder is missing ({root}); reinstall Wardlink or set "
            f"{RESOURCES_ENV} to the folder that holds its forms."
        )
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError("resource paths must stay inside the resources folder")
    if not path.exists():
        raise ResourceMissing(f"Wardlink resource {'/'.join(parts)!r} is missing from {root}.")
    return path
