"""`wardlink demo` (the encrypted store walk-through, in a terminal) works end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from wardlink.demo import _walk_through, run_demo
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import Profiles


def test_demo_creates_then_reopens_the_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles = Profiles(tmp_path / "data", FileDeviceSecrets(tmp_path / "s.json"), kdf=MINIMAL_KDF)
    assert _walk_through(profiles, None) == 0
    first = capsys.readouterr().out
    assert first.startswith("Wardlink demo — the encrypted local store on its own")
    assert "created the demo profile" in first
    assert "found name, nhs_number, phone" in first
    assert "waiting in the outbox for the record server: 3" in first
    assert "chain intact" in first
    assert "plain SQLite can read the database file: no" in first
    assert _walk_through(profiles, None) == 0
    second = capsys.readouterr().out
    assert "unlocked the demo profile" in second
    assert second.count("Porter needed for bay 3") == 1  # nothing written twice


def test_demo_reports_an_unusable_keyring_plainly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an allowed keyring the demo says so plainly instead of crashing."""
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    assert run_demo() == 1
    out = capsys.readouterr().out
    assert out.startswith("Wardlink: ")
    assert "Traceback" not in out
