"""Engines and schema migrations for the record server (SQLite by default, PostgreSQL too).

Write transactions (`services.writer.begin()`) are serial on both databases, which is what
numbers events and audit entries in commit order (DESIGN.md §4): SQLite starts them with
BEGIN IMMEDIATE; PostgreSQL takes one transaction-scoped advisory lock as their first statement.
Reads run beside them on both (WAL on SQLite, MVCC on PostgreSQL). Database errors never carry
the statement's parameters (`hide_parameters`): they may hold patient identifiers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

MIGRATIONS = Path(__file__).with_name("migrations")

# Advisory lock keys (PostgreSQL): one for every write transaction, one for migrations.
WRITE_LOCK_KEY: Final = 0x57_4C_57_52  # "WLWR"
MIGRATE_LOCK_KEY: Final = 0x57_4C_4D_47  # "WLMG"

# A server process runs DB work in up to 40 threads (anyio's default); long-polls hold none
# while they wait. On PostgreSQL a pool of 10 with 30 more on demand covers them. A SQLite
# connection costs nothing to keep but a file open and its PRAGMAs to make, so all 40 are kept:
# under load, connections made and closed for each request cost more than the queries.
PG_POOL_SIZE: Final = 10
PG_MAX_OVERFLOW: Final = 30
PG_POOL_RECYCLE_S: Final = 1800
SQLITE_POOL_SIZE: Final = 40
APPLICATION_NAME: Final = "wardlink-server"


class DatabaseError(Exception):
    """A database the server cannot use; `message` is plain and never holds a password."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def backend_of(url: str) -> str:
    """Which database `url` names, "sqlite" or "postgresql"; DatabaseError for any other."""
    return _backend(_parse(url))


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseError("The database URL must be sqlite:///… or postgresql://….") from None


def _backend(parsed: URL) -> str:
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return "sqlite"
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return "postgresql"
    raise DatabaseError("The database URL must be sqlite:///… or postgresql://….")


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection,
    PostgreSQL the psycopg driver, a sized pool and serial write transactions."""
    parsed = _parse(url)
    if _backend(parsed) == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so that a write
        # transaction starts with BEGIN IMMEDIATE and never deadlocks on lock upgrade.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return _postgresql_engine(parsed)


def _postgresql_engine(parsed: URL) -> Engine:
    try:
        import psycopg  # noqa: F401  (the driver; imported here to say plainly when it is missing)
    except ImportError:
        raise DatabaseError(
            "PostgreSQL needs the psycopg package: install wardlink with its server extra."
        ) from None
    engine = create_engine(
        parsed.set(drivername="postgresql+psycopg"),
        hide_parameters=True,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_pre_ping=True,
        pool_recycle=PG_POOL_RECYCLE_S,
        connect_args={"application_name": APPLICATION_NAME},
    )
    event.listen(engine, "begin", _postgresql_begin)
    return engine


def postgresql_connect_args(engine: Engine) -> dict[str, Any]:
    """Keyword arguments for `psycopg.connect` that reach the database `engine` uses."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    assert not cargs
    cparams.pop("context", None)
    return {"application_name": APPLICATION_NAME, **cparams}


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


WRITE = {"wardlink_write": True}


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front (no deadlock on upgrade, and seq order is commit
    # order); readers start a plain deferred transaction and run beside them under WAL.
    immediate = conn.get_execution_options().get("wardlink_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgresql_begin(conn: Connection) -> None:
    # The lock is the transaction's first statement, before it holds any row lock, so waiting
    # for it can never be part of a deadlock; it is released when the transaction ends, after
    # its commit is visible. So a writer that takes a seq after another has committed.
    if conn.get_execution_options().get("wardlink_write", False):
        _take_write_lock(conn)


def _take_write_lock(conn: Connection) -> None:
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def serialise_writes(conn: Connection) -> None:
    """Make sure this transaction holds the write lock before it numbers anything.

    A no-op on SQLite (every writer began with BEGIN IMMEDIATE) and for `services.writer`
    transactions on PostgreSQL (they took the lock as they began); any other transaction that
    appends events or audit entries takes it here.
    """
    if conn.dialect.name == "postgresql" and not conn.get_execution_options().get(
        "wardlink_write", False
    ):
        _take_write_lock(conn)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (creating it in an empty database).

    On PostgreSQL several server processes may start at once: they migrate one at a time.
    """
    with _migration_lock(engine):
        command.upgrade(_alembic_config(engine), "head")


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if not is_postgresql(engine):
        yield
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATE_LOCK_KEY})")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATE_LOCK_KEY})")


def schema_is_current(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(_alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current == script.get_current_head()
