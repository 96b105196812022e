"""`Services`: what every request needs (config, engine, signing key, notifier), built once."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2 import Type as Argon2Type
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Engine, insert, select

from wardlink.core.clock import format_timestamp
from wardlink.core.policy import Policy, merge
from wardlink_server import schema
from wardlink_server.config import ServerConfig
from wardlink_server.database import WRITE, make_engine, migrate
from wardlink_server.events import EventNotifier, scanner

SIGNING_KEY = "lease_signing_key"


@dataclass
class Services:
    config: ServerConfig
    engine: Engine
    signing_key: Ed25519PrivateKey
    notifier: EventNotifier
    hasher: PasswordHasher
    policy: Policy

    @property
    def writer(self) -> Engine:
        """Use `services.writer.begin()` for any transaction that writes."""
        return self.engine.execution_options(**WRITE)

    def now(self) -> str:
        return format_timestamp(self.config.clock.now())

    def later(self, delta: timedelta) -> str:
        return format_timestamp(self.config.clock.now() + delta)

    @property
    def public_key_b64(self) -> str:
        raw = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def client_policy(self) -> dict[str, object]:
        """The server-sourced policy keys a client receives at sign-in (DESIGN.md §7)."""
        keys = (
            "idle_lock_minutes", "lock_after_hours", "wipe_after_days", "history_days",
            "device_retention_days", "hospital_number_pattern", "chi_system", "max_photo_mb",
        )  # fmt: skip
        values = self.policy.as_dict()
        return {k: values[k] for k in keys if values.get(k) is not None}


def _load_signing_key(engine: Engine) -> Ed25519PrivateKey:
    with engine.execution_options(**WRITE).begin() as conn:
        stored = conn.execute(
            select(schema.settings.c.value).where(schema.settings.c.key == SIGNING_KEY)
        ).scalar_one_or_none()
        if stored is None:
            seed = secrets.token_bytes(32)
            conn.execute(
                insert(schema.settings).values(
                    key=SIGNING_KEY, value=base64.b64encode(seed).decode("ascii")
                )
            )
        else:
            seed = base64.b64decode(stored)
    return Ed25519PrivateKey.from_private_bytes(seed)


def build_services(config: ServerConfig, *, engine: Engine | None = None) -> Services:
    """Connect, migrate the schema, and load (or make) the lease signing key."""
    engine = engine or make_engine(config.database_url)
    migrate(engine)
    cost = config.password_hashing
    hasher = PasswordHasher(
        time_cost=cost.time_cost,
        memory_cost=cost.memory_cost,
        parallelism=cost.parallelism,
        type=Argon2Type.ID,
    )
    return Services(
        config=config,
        engine=engine,
        signing_key=_load_signing_key(engine),
        notifier=EventNotifier(scanner(engine)),
        hasher=hasher,
        policy=merge(None, dict(config.policy), None),
    )
