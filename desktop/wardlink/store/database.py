"""`Store`: one open database with the context every operation needs (clock, who is signed in).

A Store is used only on the DB lane's thread (see lane.py); operations are plain functions that
take it as their first argument, so they are testable without threads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlcipher3

from wardlink.core.clock import Clock, SystemClock
from wardlink.store.connection import Connection, open_database, translate_error


@dataclass
class Store:
    """An open encrypted database. `me` is the signed-in staff member's id."""

    conn: Connection
    me: str
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def open(
        cls, path: Path, dek: bytes | bytearray, *, me: str, clock: Clock | None = None
    ) -> Store:
        return cls(open_database(path, dek), me, clock or SystemClock())

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error; driver errors the user can act
        on (disk full, damaged file) come out as their StoreError."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlcipher3.Error as exc:
            raise translate_error(exc) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlcipher3.Error):
                translated = translate_error(exc)
                if translated is not exc:
                    raise translated from None
            raise

    def close(self) -> None:
        self.conn.close()

    # -- small key/value state (cursor, token, lease, counters) --------------------------------

    def get_state(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO sync_state(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete_state(self, key: str) -> None:
        self.conn.execute("DELETE FROM sync_state WHERE key = ?", (key,))

    def get_json_state(self, key: str) -> object:
        raw = self.get_state(key)
        return None if raw is None else json.loads(raw)

    def set_json_state(self, key: str, value: object) -> None:
        self.set_state(key, json.dumps(value, separators=(",", ":"), sort_keys=True))
