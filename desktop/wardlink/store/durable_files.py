"""Small files that must survive a crash or a full disk whole, and be destroyed for real.

A key file half written is a profile lost, so it is replaced atomically: the old file stays as
it was until the new one is complete on disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path
from typing import Final

from wardlink.store.errors import DiskFull

_DISK_FULL: Final = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None
)


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in _DISK_FULL


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` (mode 0600) so that a reader sees the old or the new file.

    A temp file in the same folder is written, flushed and fsynced, renamed over `path`, and the
    folder fsynced so that the rename itself is durable. On a full disk this raises DiskFull and
    leaves the old file as it was.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if is_disk_full(exc):
            raise DiskFull() from exc
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename or removal in `folder` durable (POSIX; Windows has no folder handles)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def destroy_file(path: Path) -> None:
    """Overwrite `path` with random bytes of its own length, fsync, then remove it.

    For small files holding key material: the overwrite makes the old bytes unrecoverable from
    the file's blocks on ordinary file systems before the name goes away.
    """
    size = path.stat().st_size
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
    try:
        view = memoryview(secrets.token_bytes(size))
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    fsync_folder(path.parent)
