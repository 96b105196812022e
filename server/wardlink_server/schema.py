"""The record server's tables (SQLAlchemy Core), written to run on SQLite and PostgreSQL.

Times are RFC 3339 UTC strings with milliseconds (they sort as they read); ids are UUID strings.
Alembic migrations in `migrations/` create exactly this; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Integer primary keys that count (event seq, audit seq): BIGINT on PostgreSQL, and SQLite's
# rowid alias (INTEGER PRIMARY KEY) there, so numbers are assigned in commit order.
Counter = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 36
TS = 24

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

staff = Table(
    "staff",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", String(TS), nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", String(TS), nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("team_id", String(ID), ForeignKey("teams.id"), primary_key=True),
    Column("staff_id", String(ID), ForeignKey("staff.id"), primary_key=True),
    Column("added_at", String(TS), nullable=False),
    Index(None, "staff_id"),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(ID), primary_key=True),  # server-made
    Column("client_id", String(ID), nullable=False),  # the id the client sent at sign-in
    Column("staff_id", String(ID), ForeignKey("staff.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("platform", String(200), nullable=False),
    Column("created_at", String(TS), nullable=False),
    Column("last_seen_at", String(TS), nullable=False),
    Column("revoked_at", String(TS), nullable=True),
    Column("revoked_by", String(ID), nullable=True),
    Column("escrow_key", LargeBinary, nullable=True),
    Column("escrow_set_at", String(TS), nullable=True),
    UniqueConstraint("staff_id", "client_id"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the opaque token
    Column("staff_id", String(ID), ForeignKey("staff.id"), nullable=False),
    Column("device_id", String(ID), ForeignKey("devices.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # password | integration
    Column("created_at", String(TS), nullable=False),
    Column("expires_at", String(TS), nullable=False),
    Column("ended_at", String(TS), nullable=True),
    Index(None, "device_id"),
)

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(200), primary_key=True),  # "account:<username>" or "address:<ip>"
    Column("failures", Integer, nullable=False),
    Column("window_start", String(TS), nullable=False),
    Column("blocked_until", String(TS), nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("seq", Counter, primary_key=True, autoincrement=True),
    Column("type", String(32), nullable=False),
    Column("team_id", String(ID), nullable=True),
    Column("staff_id", String(ID), nullable=True),  # an event addressed to one account
    Column("at", String(TS), nullable=False),
    Column("data", Text, nullable=False),
    Index(None, "team_id", "seq"),
    Index(None, "staff_id", "seq"),
)

ops = Table(
    "ops",
    metadata,
    # The primary key is what makes a retried op take effect once: a second insert of the same
    # op_id fails, even when two pushes race (no check-then-insert).
    Column("op_id", String(ID), primary_key=True),
    Column("staff_id", String(ID), nullable=False),
    Column("device_id", String(ID), nullable=False),
    Column("type", String(32), nullable=False),
    Column("seq", BigInteger, nullable=True),
    Column("at", String(TS), nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("op_id", String(ID), nullable=False),
    Column("team_id", String(ID), ForeignKey("teams.id"), nullable=False),
    Column("author_id", String(ID), ForeignKey("staff.id"), nullable=False),
    Column("body", Text, nullable=True),  # removed on retraction
    Column("priority", String(16), nullable=False),
    Column("client_ts", String(TS), nullable=False),
    Column("server_ts", String(TS), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("note_ref", String(ID), nullable=True),
    Column("retracted_at", String(TS), nullable=True),
    Column("retracted_by", String(ID), nullable=True),
    Index(None, "team_id", "seq"),
)

acks = Table(
    "acks",
    metadata,
    Column("message_id", String(ID), ForeignKey("messages.id"), primary_key=True),
    Column("staff_id", String(ID), ForeignKey("staff.id"), primary_key=True),
    Column("at", String(TS), nullable=False),
)

receipts = Table(
    "receipts",
    metadata,
    Column("team_id", String(ID), ForeignKey("teams.id"), primary_key=True),
    Column("staff_id", String(ID), ForeignKey("staff.id"), primary_key=True),
    Column("up_to_seq", BigInteger, nullable=False),
)

notes = Table(
    "notes",
    metadata,
    Column("id", String(ID), primary_key=True),  # this version's id
    Column("lineage_id", String(ID), nullable=False),  # the first version's id
    Column("version", Integer, nullable=False),
    Column("version_of", String(ID), nullable=True),
    Column("team_id", String(ID), ForeignKey("teams.id"), nullable=False),
    Column("author_id", String(ID), ForeignKey("staff.id"), nullable=False),
    Column("device_id", String(ID), nullable=False),
    Column("form_url", String(500), nullable=False),
    Column("form_version", String(64), nullable=False),
    Column("form_title", String(200), nullable=False),
    Column("patient_system", String(200), nullable=False),
    Column("patient_value", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("authored", String(TS), nullable=False),
    Column("recorded", String(TS), nullable=False),
    Column("reason", Text, nullable=True),
    Column("resource", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    UniqueConstraint("lineage_id", "version"),
    Index(None, "patient_system", "patient_value"),
    Index(None, "team_id", "seq"),
)

note_photos = Table(
    "note_photos",
    metadata,
    Column("note_id", String(ID), ForeignKey("notes.id"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Index(None, "sha256"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha1_b64", String(28), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("uploaded_by", String(ID), nullable=False),
    Column("created_at", String(TS), nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", Counter, primary_key=True, autoincrement=True),
    Column("at", String(TS), nullable=False),
    Column("actor_id", String(ID), nullable=True),
    Column("device_id", String(ID), nullable=True),
    Column("action", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("patient_system", String(200), nullable=True),
    Column("patient_value", String(64), nullable=True),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "patient_system", "patient_value"),
)
