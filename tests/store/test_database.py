"""Opening the encrypted database: key check, PRAGMAs, migrations, refusal of newer versions."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from pathlib import Path

import pytest
import sqlcipher3

from wardlink.store import messages
from wardlink.store.connection import integrity_errors, open_database
from wardlink.store.errors import DatabaseDamaged, DatabaseTooNew, DiskFull
from wardlink.store.migrations import MIGRATIONS, latest_version, migrate, user_version

from .store_helpers import WARD, new_store


def test_new_database_is_migrated_with_the_design_pragmas(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "w.db", secrets.token_bytes(32))
    assert user_version(conn) == latest_version()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    assert conn.execute("PRAGMA cipher_page_size").fetchone()[0] == "4096"
    assert integrity_errors(conn) == []
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    for table in (
        "teams",
        "members",
        "staff",
        "messages",
        "notes",
        "attachments",
        "outbox",
        "sync_state",
        "audit",
        "messages_fts",
        "notes_fts",
    ):
        assert table in names
    conn.close()


def test_plain_sqlite_cannot_read_it(tmp_path: Path) -> None:
    store = new_store(tmp_path / "w.db")
    store.close()
    plain = sqlite3.connect(tmp_path / "w.db")
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT * FROM sqlite_master").fetchall()
    plain.close()


def test_wrong_key_is_reported_as_damaged_not_opened(tmp_path: Path) -> None:
    store = new_store(tmp_path / "w.db")
    store.close()
    with pytest.raises(DatabaseDamaged):
        open_database(tmp_path / "w.db", secrets.token_bytes(32))


def test_garbage_file_is_damaged(tmp_path: Path) -> None:
    (tmp_path / "w.db").write_bytes(secrets.token_bytes(8192))
    with pytest.raises(DatabaseDamaged) as info:
        open_database(tmp_path / "w.db", secrets.token_bytes(32))
    assert "damaged" in info.value.message


def test_migrations_run_once_and_in_one_transaction(tmp_path: Path) -> None:
    dek = secrets.token_bytes(32)
    extra = (*MIGRATIONS, (2, "CREATE TABLE extra(x); INSERT INTO extra VALUES (1);"))
    conn = open_database(tmp_path / "w.db", dek)
    assert migrate(conn, extra) == 1
    assert migrate(conn, extra) == 0
    conn.close()
    conn = open_database(tmp_path / "w.db", dek, migrate_schema=False)
    assert migrate(conn, extra) == 0
    assert conn.execute("SELECT count(*) FROM extra").fetchone()[0] == 1
    assert user_version(conn) == 2
    conn.close()


def test_a_failing_migration_leaves_the_old_version(tmp_path: Path) -> None:
    dek = secrets.token_bytes(32)
    broken = (*MIGRATIONS, (2, "CREATE TABLE half(x); INSERT INTO no_such_table VALUES (1);"))
    conn = open_database(tmp_path / "w.db", dek)
    with pytest.raises(sqlcipher3.OperationalError):
        migrate(conn, broken)
    assert user_version(conn) == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0
    conn.close()


def test_database_from_a_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    dek = secrets.token_bytes(32)
    store = new_store(tmp_path / "w.db", dek=dek)
    messages.add_local_message(store, WARD, "kept")
    store.conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    before = hashlib.sha256((tmp_path / "w.db").read_bytes()).hexdigest()
    with pytest.raises(DatabaseTooNew) as info:
        open_database(tmp_path / "w.db", dek)
    assert "newer version" in info.value.message
    assert hashlib.sha256((tmp_path / "w.db").read_bytes()).hexdigest() == before


def test_migration_numbering_is_checked(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "w.db", secrets.token_bytes(32))
    with pytest.raises(ValueError, match="numbered"):
        migrate(conn, ((1, ""), (3, "")))
    conn.close()


def test_disk_full_is_its_own_error_and_loses_nothing(tmp_path: Path) -> None:
    """SQLITE_FULL, provoked for real by capping the page count, becomes DiskFull."""
    store = new_store(tmp_path / "w.db")
    messages.add_local_message(store, WARD, "written before the disk filled")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")

    def fill_the_disk() -> None:
        for i in range(200):
            messages.add_local_message(store, WARD, f"filler {i} " + "x" * 3000)

    with pytest.raises(DiskFull) as info:
        fill_the_disk()
    assert "disk is full" in info.value.message
    assert not store.conn.in_transaction
    bodies = [m.body for m in messages.latest_messages(store, WARD, 500)]
    assert bodies[0] == "written before the disk filled"
    assert integrity_errors(store.conn) == []
    store.close()
