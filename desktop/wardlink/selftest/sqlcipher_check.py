"""Check: the bundled SQLCipher really encrypts, with the same opening code the app uses.

A throw-away database in a temporary folder (removed afterwards) is written under a random key;
its file must not start with SQLite's plain header, the wrong key must be refused, and the right
key must read the row back.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Final

from wardlink.selftest.report import CheckResult, Status

NAME = "sqlcipher"
PLAIN_HEADER: Final = b"SQLite format 3\x00"
_MARK: Final = "wardlink self-test"


def check_sqlcipher() -> CheckResult:
    try:
        from wardlink.store.connection import DEK_BYTES, open_database
        from wardlink.store.errors import DatabaseDamaged
    except ImportError as exc:
        return CheckResult(
            NAME, Status.FAIL, f"The encrypted database library could not be loaded ({exc.name})."
        )
    key, wrong = secrets.token_bytes(DEK_BYTES), secrets.token_bytes(DEK_BYTES)
    try:
        with tempfile.TemporaryDirectory(prefix="wardlink-selftest-") as folder:
            path = Path(folder) / "selftest.db"
            conn = open_database(path, key, migrate_schema=False)
            try:
                version = str(conn.execute("PRAGMA cipher_version").fetchone()[0] or "")
                conn.execute("CREATE TABLE probe (mark TEXT)")
                conn.execute("INSERT INTO probe VALUES (?)", (_MARK,))
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
            header = path.read_bytes()[: len(PLAIN_HEADER)]
            try:
                open_database(path, wrong, migrate_schema=False).close()
                refused = False
            except DatabaseDamaged:
                refused = True
            conn = open_database(path, key, migrate_schema=False)
            try:
                read_back = conn.execute("SELECT mark FROM probe").fetchone()
            finally:
                conn.close()
    except Exception as exc:  # any failure here means the database layer is not usable
        return CheckResult(
            NAME, Status.FAIL, f"A test database could not be made ({type(exc).__name__})."
        )
    if not version:
        return CheckResult(
            NAME, Status.FAIL, "The database library is plain SQLite, not SQLCipher: no encryption."
        )
    if header == PLAIN_HEADER or not refused:
        return CheckResult(
            NAME, Status.FAIL, f"SQLCipher {version} wrote a test database that is not encrypted."
        )
    if read_back is None or read_back[0] != _MARK:
        return CheckResult(NAME, Status.FAIL, f"SQLCipher {version} did not read back its data.")
    return CheckResult(
        NAME,
        Status.PASS,
        f"SQLCipher {version}: a test database was encrypted, refused a wrong key, read back "
        "with the right one, and removed.",
    )
