"""The offline lease's signature: made with the server key, checked with the pinned public key."""

from __future__ import annotations

import base64
import dataclasses
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core.lease import public_key_b64, sign_lease, verify_lease
from wardlink.core.policy import check_machine_policy
from wardlink.core.protocol import Lease

DEVICE = str(uuid.UUID(int=1, version=4))
STAFF = str(uuid.UUID(int=2, version=4))
LEASE = Lease(
    device_id=DEVICE,
    staff_id=STAFF,
    issued_at="2026-11-28T09:00:00.000Z",
    lock_after="2026-12-01T09:00:00.000Z",
    wipe_after="2026-12-28T09:00:00.000Z",
)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def test_a_signed_lease_verifies_with_the_servers_public_key() -> None:
    signed = sign_lease(LEASE, KEY)
    assert signed.signature
    assert dataclasses.replace(signed, signature="") == LEASE
    assert verify_lease(signed, public_key_b64(KEY))


def test_the_public_key_is_in_the_form_machine_policy_pins() -> None:
    text = public_key_b64(KEY)
    assert len(text) == 44
    assert len(base64.b64decode(text, validate=True)) == 32
    assert check_machine_policy({"server_public_key": text})["server_public_key"] == text


def test_an_unsigned_lease_does_not_verify() -> None:
    assert not verify_lease(LEASE, public_key_b64(KEY))


def test_a_lease_signed_by_another_key_does_not_verify() -> None:
    assert not verify_lease(sign_lease(LEASE, OTHER_KEY), public_key_b64(KEY))


@pytest.mark.parametrize(
    "field", ["device_id", "staff_id", "issued_at", "lock_after", "wipe_after"]
)
def test_changing_any_signed_field_breaks_the_signature(field: str) -> None:
    signed = sign_lease(LEASE, KEY)
    if field.endswith("_id"):
        changed = str(uuid.UUID(int=99, version=4))
    else:
        changed = "2036-12-28T09:00:00.000Z"
    assert not verify_lease(dataclasses.replace(signed, **{field: changed}), public_key_b64(KEY))


def test_a_stretched_lease_keeps_no_valid_signature() -> None:
    """The attack the signature exists for: pushing `wipe_after` out in the local store."""
    signed = sign_lease(LEASE, KEY)
    stretched = dataclasses.replace(signed, lock_after=signed.wipe_after)
    assert not verify_lease(stretched, public_key_b64(KEY))


@pytest.mark.parametrize(
    "signature",
    ["", "not base64!", "c2ln", base64.b64encode(b"\0" * 64).decode(), "é" * 88],
)
def test_a_malformed_or_forged_signature_is_refused_without_raising(signature: str) -> None:
    assert not verify_lease(dataclasses.replace(LEASE, signature=signature), public_key_b64(KEY))


@pytest.mark.parametrize(
    "key",
    ["", "not a key", base64.b64encode(b"\1" * 31).decode(), "00" * 32, "é" * 44],
)
def test_a_malformed_public_key_verifies_nothing(key: str) -> None:
    assert not verify_lease(sign_lease(LEASE, KEY), key)


@settings(derandomize=True, max_examples=50)
@given(flip=st.integers(min_value=0, max_value=64 * 8 - 1))
def test_any_flipped_signature_bit_breaks_it(flip: int) -> None:
    signed = sign_lease(LEASE, KEY)
    raw = bytearray(base64.b64decode(signed.signature))
    raw[flip // 8] ^= 1 << (flip % 8)
    tampered = dataclasses.replace(signed, signature=base64.b64encode(bytes(raw)).decode())
    assert not verify_lease(tampered, public_key_b64(KEY))


def test_a_signed_lease_survives_the_wire() -> None:
    signed = sign_lease(LEASE, KEY)
    assert verify_lease(Lease.from_json(signed.to_json()), public_key_b64(KEY))
