"""The demo history reads like a ward's chat and passes the guard; the screenshot tool renders
every screen it promises, against the demo record server."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from wardlink.core.guard import Rules, scan
from wardlink.ui import demo_history
from wardlink.ui.screenshots import OFFLINE_MESSAGES, main, render_all


def test_demo_chat_carries_no_patient_identifiers() -> None:
    for line in demo_history.HISTORY:
        assert scan(line.body) == [], line.body
    for body, _priority in demo_history.OFFLINE_MESSAGES:
        assert scan(body) == []
    # The held message is what a server with a hospital-number rule refuses.
    rules = Rules(hospital_number_pattern=r"\bRX\d{7}\b")
    assert [f.kind for f in scan(demo_history.HELD_BODY, rules=rules)] == ["hospital_number"]


@pytest.mark.slow
def test_the_screenshots_are_rendered(tmp_path: Path) -> None:
    paths = render_all(tmp_path / "shots")
    assert [p.name for p in paths] == [
        "sign-in.png",
        "main-window.png",
        "composer-refusing-nhs-number.png",
        "search-results.png",
        "lock-screen.png",
        "main-window-dark.png",
        "move-to-patient-note.png",
        "wound-assessment-photo.png",
        "news2-score.png",
        "patient-view.png",
        "offline-queued.png",
        "sign-in-shared-pc.png",
    ]
    for path in paths:
        image = QImage(str(path))
        assert not image.isNull() and image.width() >= 800 and image.height() >= 600
    for body, _urgent in OFFLINE_MESSAGES:
        assert scan(body) == []


def test_the_command_needs_an_output_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
