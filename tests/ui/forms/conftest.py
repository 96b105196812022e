"""The note editor on screen, for the forms tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from wardlink.core.forms import Form, load_form
from wardlink.core.photos import max_bytes_from_policy
from wardlink.ui import demo_history
from wardlink.ui.forms import NoteEditor

from .driver import TODAY

MakeEditor = Callable[..., NoteEditor]
WARD = demo_history.WARD


@pytest.fixture
def make_editor(qtbot: QtBot) -> MakeEditor:
    """`make_editor("news2-observations")` (or a Form): an editor shown in a window of its own."""

    def make(form: str | Form, *, max_photo_bytes: int | None = None) -> NoteEditor:
        editor = NoteEditor(
            load_form(form) if isinstance(form, str) else form,
            team_id=WARD.id,
            team_name=WARD.name,
            max_photo_bytes=max_photo_bytes or max_bytes_from_policy(10),
            today=lambda: TODAY,
        )
        qtbot.addWidget(editor)
        editor.resize(1000, 800)
        # Focus moves (and "moved on" is seen) only in an active window.
        with qtbot.waitActive(editor):
            editor.show()
            editor.activateWindow()
        return editor

    return make
