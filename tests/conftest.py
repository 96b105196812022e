"""Session-wide test set-up: Qt offscreen, and every test's config and data in its own temp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt must never look for a display in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point policy, data and temp folders at this test's own directory."""
    home = tmp_path / "env"
    for sub in ("data", "config", "cache", "tmp"):
        (home / sub).mkdir(parents=True)
    monkeypatch.setenv("WARDLINK_POLICY_FILE", str(home / "config" / "policy.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("TMPDIR", str(home / "tmp"))
    return home
