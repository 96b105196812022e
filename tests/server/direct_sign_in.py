"""Tokens made straight through the directory, so these tests need no sign-in route."""

from __future__ import annotations

import uuid
from datetime import timedelta

from wardlink_server import directory
from wardlink_server.services import Services


def token_for(services: Services, staff_id: str, *, client_id: str | None = None) -> str:
    """A password-kind session for `staff_id` on a device of its own (made if need be)."""
    with services.writer.begin() as conn:
        device = directory.ensure_device(
            conn, services, staff_id, client_id or str(uuid.uuid5(uuid.NAMESPACE_URL, staff_id)),
            "test PC", "linux",
        )  # fmt: skip
        token, _ = directory.start_session(
            conn, services, staff_id, str(device["id"]), kind="password", ttl=timedelta(hours=1)
        )
    return token
