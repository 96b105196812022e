"""Check: the data folder (where the encrypted profiles live) is usable.

It must exist or be creatable, be writable, and be on a local disk: the databases use SQLite's
write-ahead log, which needs a local file system (a network share can corrupt them). Warnings:
other users of the computer can read or list it; less than 500 MB free. Anything the check makes
(a missing folder, a test file) it removes again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import sys
from pathlib import Path
from typing import Final

from wardlink.selftest.report import CheckResult, Status

NAME = "data folder"
LOW_SPACE_BYTES: Final = 500 * 1024 * 1024
NETWORK_FILE_SYSTEMS: Final = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs",
     "fuse.sshfs", "fuse.glusterfs", "fuse.cephfs", "davfs", "fuse.davfs2", "fuse.rclone"}
)  # fmt: skip


def check_data_folder(
    folder: Path, *, platform: str = sys.platform, mounts: Path = Path("/proc/self/mounts")
) -> CheckResult:
    created: list[Path] = []
    try:
        return _check(folder, created, platform, mounts)
    finally:
        for made in reversed(created):  # deepest first
            with contextlib.suppress(OSError):
                made.rmdir()


def _check(folder: Path, created: list[Path], platform: str, mounts: Path) -> CheckResult:
    network = _network_kind(folder, platform, mounts)
    if network is not None:
        return CheckResult(
            NAME,
            Status.FAIL,
            f"{folder} is on a network drive ({network}). Wardlink's encrypted databases need "
            "a local disk; set data_dir in the machine policy to a local folder.",
        )
    existed = folder.is_dir()
    if not existed:
        if folder.exists():
            return CheckResult(NAME, Status.FAIL, f"{folder} exists but is not a folder.")
        try:
            _make(folder, created)
        except OSError as exc:
            return CheckResult(
                NAME, Status.FAIL, f"{folder} does not exist and cannot be created ({_why(exc)})."
            )
    probe = folder / f".wardlink-selftest-{secrets.token_hex(8)}"
    try:
        with probe.open("xb") as handle:
            handle.write(b"self-test")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return CheckResult(NAME, Status.FAIL, f"{folder} cannot be written to ({_why(exc)}).")
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    found = (
        f"{folder} exists and is writable"
        if existed
        else f"{folder} does not exist yet and can be created (Wardlink makes it at first sign-in)"
    )
    free = shutil.disk_usage(_existing(folder)).free
    warnings = [w for w in (_exposure(folder, existed, platform), _space(free)) if w]
    if warnings:
        return CheckResult(NAME, Status.WARN, f"{found}; but " + "; and ".join(warnings) + ".")
    local = " on a local disk," if platform == "win32" or platform.startswith("linux") else ""
    return CheckResult(NAME, Status.PASS, f"{found}; it is{local} with {_size(free)} free.")


def _make(folder: Path, created: list[Path]) -> None:
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):  # the shallowest first
        path.mkdir(mode=0o700)
        created.append(path)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _exposure(folder: Path, existed: bool, platform: str) -> str:
    """Why other users can see into the folder, or "" (checked where POSIX modes apply)."""
    if platform == "win32" or not existed:
        return ""
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & (stat.S_IROTH | stat.S_IXOTH):
        return (
            f"other users of this computer can list it (permissions {mode:o}); "
            f"restrict it with: chmod 700 '{folder}'"
        )
    return ""


def _existing(folder: Path) -> Path:
    """The folder, or its nearest ancestor that exists."""
    return next(p for p in (folder, *folder.parents) if p.exists())


def _size(free: int) -> str:
    if free >= 1024**3:
        return f"{free / 1024**3:.1f} GB"
    return f"{free // 1024**2} MB"


def _space(free: int) -> str:
    if free < LOW_SPACE_BYTES:
        return f"only {_size(free)} is free on its disk (500 MB or more is advised)"
    return ""


def _network_kind(folder: Path, platform: str, mounts: Path) -> str | None:
    """The network file system the folder is on, or None if local (or not known)."""
    if platform == "win32":
        return _windows_network(folder)
    if platform.startswith("linux"):
        return _linux_network(folder, mounts)
    return None


def _windows_network(folder: Path) -> str | None:
    text = str(folder)
    if text.startswith("\\\\") and not text.startswith("\\\\?\\"):
        return "a \\\\server\\share path"
    if sys.platform != "win32":
        return None
    import ctypes

    drive_remote = 4
    root = folder.anchor or text[:3]
    kind = ctypes.windll.kernel32.GetDriveTypeW(root)
    return "a mapped network drive" if kind == drive_remote else None


def _linux_network(folder: Path, mounts: Path) -> str | None:
    try:
        lines = mounts.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = os.path.realpath(_existing(folder))
    best, kind = "", ""
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind if kind in NETWORK_FILE_SYSTEMS or kind.startswith("fuse.sshfs") else None
