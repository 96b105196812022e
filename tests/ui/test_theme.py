"""The theme: NHS colours, light and dark, a style sheet Qt parses without complaint."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from wardlink.ui.mainwindow import MainWindow
from wardlink.ui.theme import DARK, LIGHT, Scheme, apply_theme, colors_for, palette_for, style_sheet


def test_light_and_dark_palettes_follow_the_scheme() -> None:
    light, dark = palette_for(LIGHT), palette_for(DARK)
    assert light.color(QPalette.ColorRole.Window) == QColor("#F0F4F5")
    assert light.color(QPalette.ColorRole.Highlight) == QColor("#005EB8")
    assert colors_for(light) is LIGHT
    assert colors_for(dark) is DARK
    for colors in (LIGHT, DARK):
        sheet = style_sheet(colors)
        assert "#FFB81C" in sheet  # the yellow focus ring, in both schemes
        assert "px;" not in sheet.replace("1px", "").replace("2px", "").replace("4px", "")
        assert "font-size" not in sheet or "pt" in sheet  # fonts in points, never pixels


def test_the_window_renders_in_both_schemes_without_style_warnings(
    qtbot: QtBot, qtlog: Any, window: MainWindow
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        for scheme in (Scheme.DARK, Scheme.LIGHT):
            colors = apply_theme(app, scheme)
            assert colors.scheme is scheme
            window.grab()  # paints every visible part, bubbles and team list included
            window.lock()
            window.grab()
            window._unlock()
    finally:
        apply_theme(app, Scheme.LIGHT)
    problems = [r.message for r in qtlog.records if "style" in r.message.lower()]
    assert problems == []


def test_the_theme_follows_the_os_scheme(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    from wardlink.ui import theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    hints = QGuiApplication.styleHints()
    follower = theme.ThemeFollower(app)
    try:
        # The offscreen platform has no OS scheme to switch, so the OS's answer is stood in for.
        monkeypatch.setattr(theme, "system_scheme", lambda: Scheme.DARK)
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert colors_for(app.palette()) is DARK
        monkeypatch.setattr(theme, "system_scheme", lambda: Scheme.LIGHT)
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert colors_for(app.palette()) is LIGHT
    finally:
        follower.deleteLater()
        apply_theme(app, Scheme.LIGHT)
