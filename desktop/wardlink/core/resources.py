"""Where the project's resource files (form definitions, icons, demo data) live.

In the source tree they sit in `resources/` at the repository root; in a frozen bundle
(PyInstaller) they sit in the bundle's data folder (`sys._MEIPASS`), or beside the executable
when a bundle has no such folder; a test or an unusual installation points elsewhere with the
`WARDLINK_RESOURCES` environment variable. Looked up on every call (it is cheap) so that a test
can move it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

RESOURCES_ENV = "WARDLINK_RESOURCES"
FOLDER = "resources"


class ResourceMissing(FileNotFoundError):
    """A resource file the program needs is not where it should be: an installation fault."""


def frozen_resources_root() -> Path | None:
    """The resources folder of a frozen bundle, or None when running from source.

    PyInstaller sets `sys.frozen`, and `sys._MEIPASS` to the folder that holds the bundle's data
    files; the executable's own folder is the fallback for bundlers that set only `frozen`.
    """
    if not getattr(sys, "frozen", False):
        return None
    bundle_data = getattr(sys, "_MEIPASS", None)
    base = Path(bundle_data) if bundle_data else Path(sys.executable).resolve().parent
    return base / FOLDER


def resources_root() -> Path:
    """The resources folder: `WARDLINK_RESOURCES` if set, else the frozen bundle's, else the
    repository's `resources/`."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    frozen = frozen_resources_root()
    if frozen is not None:
        return frozen
    return Path(__file__).resolve().parents[3] / FOLDER


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
