"""Check: the OS key store the app would use is on the allow-list and really keeps a secret.

A throw-away entry under its own service name is stored, read back and removed; the app's own
entries (service "Wardlink", one per profile) are never read or touched.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Final

import keyring
import keyring.backend

from wardlink.selftest.report import CheckResult, Status
from wardlink.store.device_secrets import ALLOWED_BACKENDS, backend_name, checked_backend
from wardlink.store.errors import KeyringUnavailable

NAME = "keyring"
SELF_TEST_SERVICE: Final = "Wardlink self-test"


def check_keyring(backend: keyring.backend.KeyringBackend | None = None) -> CheckResult:
    """`backend`: the key store to check (tests); None is the OS keyring, found as the app does."""
    try:
        if backend is None:
            backend = keyring.get_keyring()
        chosen = checked_backend(backend)
    except KeyringUnavailable as exc:
        return CheckResult(NAME, Status.FAIL, exc.message)
    except Exception as exc:  # third-party code talking to an OS service
        return CheckResult(NAME, Status.FAIL, _no_answer("looking for it", exc))
    label = ALLOWED_BACKENDS[backend_name(chosen)]
    account = f"self-test-{uuid.uuid4()}"
    value = secrets.token_urlsafe(24)
    step = "storing a test entry"
    try:
        chosen.set_password(SELF_TEST_SERVICE, account, value)
        step = "reading the test entry back"
        read_back = chosen.get_password(SELF_TEST_SERVICE, account)
        step = "removing the test entry"
        chosen.delete_password(SELF_TEST_SERVICE, account)
        left = chosen.get_password(SELF_TEST_SERVICE, account)
    except Exception as exc:  # third-party code talking to an OS service
        return CheckResult(NAME, Status.FAIL, f"{label}: " + _no_answer(step, exc))
    if read_back != value:
        return CheckResult(
            NAME, Status.FAIL, f"{label} gave back something other than what was stored in it."
        )
    if left is not None:
        return CheckResult(NAME, Status.FAIL, f"{label} did not remove a test entry when asked.")
    return CheckResult(
        NAME, Status.PASS, f"{label} is in use; a test entry was stored, read back and removed."
    )


def _no_answer(step: str, exc: Exception) -> str:
    return (
        f"the key store failed while {step} ({type(exc).__name__}). If it is locked, unlock it; "
        "otherwise ask IT to check it."
    )
