"""Opening the SQLCipher database: raw key, key check, PRAGMAs, migrations.

The DEK is opened as a raw key (no SQLCipher KDF: the key slots already did the slow part), then
checked at once with a real query, so a wrong or damaged file is reported before anything else.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any, Final, TypeAlias

import sqlcipher3

from wardlink.store.errors import DatabaseDamaged, DiskFull, StoreError
from wardlink.store.migrations import migrate

DEK_BYTES: Final = 32
CACHE_SIZE_KIB: Final = 32 * 1024
BUSY_TIMEOUT_MS: Final = 5_000

# sqlcipher3 ships no type hints: its Connection is the DB-API sqlite3 one, untyped here.
Connection: TypeAlias = Any


def _raw_key_pragma(dek: bytes | bytearray) -> str:
    if len(dek) != DEK_BYTES:
        raise ValueError("the database key must be 32 bytes")
    return f"PRAGMA key = \"x'{bytes(dek).hex()}'\""


def open_database(path: Path, dek: bytes | bytearray, *, migrate_schema: bool = True) -> Connection:
    """Open (creating if missing) the encrypted database at `path` and bring its schema up to date.

    Raises DatabaseDamaged if the file is not a database this key opens, DatabaseTooNew if a newer
    Wardlink wrote it, DiskFull when the disk is full. The connection is in autocommit mode:
    callers open transactions explicitly (see `transaction`).
    """
    conn: Connection = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(_raw_key_pragma(dek))
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise DatabaseDamaged() from _scrubbed(exc)
        _set_pragmas(conn)
        if migrate_schema:
            migrate(conn)
    except StoreError:
        conn.close()
        raise
    except sqlcipher3.Error as exc:
        conn.close()
        raise translate_error(exc) from None
    return conn


def _set_pragmas(conn: Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise DatabaseDamaged()
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{CACHE_SIZE_KIB}")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


class _Scrubbed(Exception):
    """Stands in for a driver exception whose text could echo SQL parameters."""


def _scrubbed(exc: BaseException) -> _Scrubbed:
    return _Scrubbed(type(exc).__name__)


def translate_error(exc: BaseException) -> BaseException:
    """Map a driver error the user can act on to its StoreError; other errors pass through."""
    if isinstance(exc, sqlcipher3.Error):
        text = str(exc).lower()
        if "database or disk is full" in text or (
            "disk i/o error" in text and _disk_full_hint(exc)
        ):
            return DiskFull()
        if "file is not a database" in text or "malformed" in text:
            return DatabaseDamaged()
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull()
    return exc


def _disk_full_hint(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code == 13  # SQLITE_FULL


def integrity_errors(conn: Connection) -> list[str]:
    """Problems `PRAGMA cipher_integrity_check` and `integrity_check` find (empty when sound)."""
    problems = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        problems.extend(rows)
    return problems
