"""Sign-in, the offline lease and the escrow key (DESIGN.md §4, "Sign-in")."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from wardlink.core.protocol.fields import (
    Json,
    ProtocolError,
    as_object,
    read_int,
    read_list,
    read_str,
    read_timestamp,
    read_uuid,
)

# -- sign-in ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    name: str
    platform: str

    @classmethod
    def from_json(cls, value: Json, path: str = "device") -> DeviceInfo:
        obj = as_object(value, path)
        return cls(
            read_uuid(obj, "id", path), read_str(obj, "name", path), read_str(obj, "platform", path)
        )

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "platform": self.platform}


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """`POST /api/v1/sessions`."""

    username: str
    password: str = field(repr=False)
    device: DeviceInfo

    @classmethod
    def from_json(cls, value: Json) -> SessionRequest:
        obj = as_object(value, "")
        return cls(
            read_str(obj, "username", ""),
            read_str(obj, "password", "", max_chars=1024),
            DeviceInfo.from_json(obj.get("device")),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "username": self.username,
            "password": self.password,
            "device": self.device.to_json(),
        }


@dataclass(frozen=True, slots=True)
class StaffInfo:
    id: str
    username: str
    display_name: str
    role: str

    @classmethod
    def from_json(cls, value: Json, path: str = "staff") -> StaffInfo:
        obj = as_object(value, path)
        role = read_str(obj, "role", path)
        if role not in ("staff", "admin", "integration"):
            raise ProtocolError(f"{path}.role", "must be staff, admin or integration")
        return cls(
            read_uuid(obj, "id", path),
            read_str(obj, "username", path),
            read_str(obj, "display_name", path),
            role,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
        }


@dataclass(frozen=True, slots=True)
class TeamInfo:
    id: str
    name: str
    kind: str

    @classmethod
    def from_json(cls, value: Json, path: str = "team") -> TeamInfo:
        obj = as_object(value, path)
        kind = read_str(obj, "kind", path)
        if kind not in ("ward", "community"):
            raise ProtocolError(f"{path}.kind", "must be ward or community")
        return cls(read_uuid(obj, "id", path), read_str(obj, "name", path), kind)

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Lease:
    """How long a device may work offline. `lock_after` and `wipe_after` are absolute times;
    the signature is Ed25519 over `signing_bytes()`, base64-encoded."""

    device_id: str
    staff_id: str
    issued_at: str
    lock_after: str
    wipe_after: str
    signature: str = ""

    def signing_bytes(self) -> bytes:
        """What the server signs: the other fields as canonical JSON (sorted keys, no spaces)."""
        payload = {
            "device_id": self.device_id,
            "staff_id": self.staff_id,
            "issued_at": self.issued_at,
            "lock_after": self.lock_after,
            "wipe_after": self.wipe_after,
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def signature_bytes(self) -> bytes:
        try:
            return base64.b64decode(self.signature, validate=True)
        except ValueError:
            raise ProtocolError("lease.signature", "must be base64") from None

    @classmethod
    def from_json(cls, value: Json, path: str = "lease") -> Lease:
        obj = as_object(value, path)
        return cls(
            read_uuid(obj, "device_id", path),
            read_uuid(obj, "staff_id", path),
            read_timestamp(obj, "issued_at", path),
            read_timestamp(obj, "lock_after", path),
            read_timestamp(obj, "wipe_after", path),
            read_str(obj, "signature", path, max_chars=200),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "device_id": self.device_id,
            "staff_id": self.staff_id,
            "issued_at": self.issued_at,
            "lock_after": self.lock_after,
            "wipe_after": self.wipe_after,
            "signature": self.signature,
        }


@dataclass(frozen=True, slots=True)
class SessionResponse:
    """`201` answer to a sign-in."""

    token: str = field(repr=False)
    expires_at: str
    staff: StaffInfo
    teams: tuple[TeamInfo, ...]
    policy: Mapping[str, object]
    lease: Lease
    cursor: int

    @classmethod
    def from_json(cls, value: Json) -> SessionResponse:
        obj = as_object(value, "")
        policy = obj.get("policy")
        if not isinstance(policy, dict):
            raise ProtocolError("policy", "must be an object")
        return cls(
            read_str(obj, "token", "", max_chars=200),
            read_timestamp(obj, "expires_at", ""),
            StaffInfo.from_json(obj.get("staff")),
            tuple(
                TeamInfo.from_json(t, f"teams[{i}]")
                for i, t in enumerate(read_list(obj, "teams", ""))
            ),
            policy,
            Lease.from_json(obj.get("lease")),
            read_int(obj, "cursor", ""),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "token": self.token,
            "expires_at": self.expires_at,
            "staff": self.staff.to_json(),
            "teams": [t.to_json() for t in self.teams],
            "policy": dict(self.policy),
            "lease": self.lease.to_json(),
            "cursor": self.cursor,
        }


@dataclass(frozen=True, slots=True)
class EscrowKey:
    """`PUT`/`GET /api/v1/devices/current/escrow`: 32 random bytes, base64."""

    escrow_key: str = field(repr=False)

    @classmethod
    def from_json(cls, value: Json) -> EscrowKey:
        obj = as_object(value, "")
        text = read_str(obj, "escrow_key", "", max_chars=64)
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            raise ProtocolError("escrow_key", "must be base64") from None
        if len(raw) != 32:
            raise ProtocolError("escrow_key", "must encode 32 bytes")
        return cls(text)

    @classmethod
    def from_bytes(cls, key: bytes) -> EscrowKey:
        return cls(base64.b64encode(key).decode("ascii"))

    def key_bytes(self) -> bytes:
        return base64.b64decode(self.escrow_key)

    def to_json(self) -> dict[str, object]:
        return {"escrow_key": self.escrow_key}
