"""The patient view's fixtures: the demo directory, one patient's notes, and a dialog on them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from tests.ui.conftest import NOW
from wardlink.core.clock import ManualClock
from wardlink.core.policy import Policy
from wardlink.store.lane import DbLane
from wardlink.ui.bridge import Bridge
from wardlink.ui.patients import PatientDialog

from .patient_data import Scene, fill_scene, png_photo


@pytest.fixture
def scene(qapp: QApplication, lane: DbLane, directory: None) -> Scene:
    """The patient's notes (Qt's application exists: drawing photos and PDFs needs it)."""
    return lane.call(fill_scene, NOW, png_photo())


class PathChooser:
    """Stands in for the save dialog: answers with `path`, and counts the times it was asked."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.asked = 0

    def __call__(self, _parent: object) -> Path | None:
        self.asked += 1
        return self.path


@pytest.fixture
def make_dialog(qtbot: QtBot, bridge: Bridge, clock: ManualClock) -> Callable[..., PatientDialog]:
    def make(*, policy: Policy | None = None, choose: PathChooser | None = None) -> PatientDialog:
        dialog = PatientDialog(
            bridge, policy=policy, clock=clock, choose_pdf_path=choose or PathChooser(None)
        )
        qtbot.addWidget(dialog)
        dialog.resize(1180, 800)
        dialog.open_search()
        wait_shown(qtbot, dialog)
        return dialog

    return make
