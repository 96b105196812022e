"""Signing and checking the offline lease (DESIGN.md §4, "Lease and wipe").

The record server signs each lease with its Ed25519 key; the client checks it against the key
that machine policy pins (`server_public_key`: standard base64 of the 32 raw bytes), so a lease
cannot be stretched by editing the local store. Pure: no I/O, shared by client and server.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from wardlink.core.protocol import Lease

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    """The public half of `private_key` in the form policy pins (44 characters of base64)."""
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign_lease(lease: Lease, private_key: Ed25519PrivateKey) -> Lease:
    """`lease` with its `signature` filled in (any signature it had is replaced)."""
    signature = private_key.sign(lease.signing_bytes())
    return dataclasses.replace(lease, signature=base64.b64encode(signature).decode("ascii"))


def _decode(text: str, length: int) -> bytes | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def verify_lease(lease: Lease, public_key_b64: str) -> bool:
    """True only if `lease` carries a valid signature by the key `public_key_b64` names.

    Anything malformed (a key or signature that is not base64 or has the wrong length) is
    simply not valid: the caller treats every False the same way, as an untrusted lease.
    """
    key_bytes = _decode(public_key_b64, PUBLIC_KEY_BYTES)
    signature = _decode(lease.signature, SIGNATURE_BYTES)
    if key_bytes is None or signature is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(key_bytes).verify(signature, lease.signing_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True
