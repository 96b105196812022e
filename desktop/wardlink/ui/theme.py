"""The look: a calm clinical palette (NHS colours), as a QPalette plus a style sheet.

Follows the OS light or dark scheme (`QStyleHints.colorScheme`) and re-applies when it changes.
Sizes are in points and `em`, never pixel fonts, so the app scales on high-DPI screens and with
the user's font size. Painted widgets (the timeline's bubbles, the team list) take their colours
from `colors_for(palette)`, so they follow the same scheme.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_PALE_GREY = "#F0F4F5"
NHS_WHITE = "#FFFFFF"
NHS_WARM_YELLOW = "#FFB81C"
NHS_RED = "#D5281B"
NHS_GREEN = "#007F3B"
NHS_BLACK = "#212B32"
NHS_DARK_GREY = "#4C6272"
NHS_MID_GREY = "#768692"
NHS_BORDER_GREY = "#D8DDE0"


class Scheme(StrEnum):
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Colors:
    scheme: Scheme
    window: str  # the app's background
    surface: str  # panels, the team list, other people's bubbles
    text: str
    muted: str  # times, hints
    border: str
    brand: str  # the app bar
    brand_text: str
    primary: str  # main buttons, the selected team
    primary_text: str
    link: str
    own_bubble: str
    other_bubble: str
    urgent: str  # text and borders that must stand out
    urgent_fill: str  # the URGENT label's background
    urgent_bubble: str
    sent: str
    sent_fill: str
    focus: str
    focus_text: str
    hover: str
    disabled_fill: str
    disabled_text: str


LIGHT = Colors(
    scheme=Scheme.LIGHT,
    window=NHS_PALE_GREY,
    surface=NHS_WHITE,
    text=NHS_BLACK,
    muted=NHS_DARK_GREY,
    border=NHS_BORDER_GREY,
    brand=NHS_BLUE,
    brand_text=NHS_WHITE,
    primary=NHS_BLUE,
    primary_text=NHS_WHITE,
    link=NHS_BLUE,
    own_bubble="#DCEAF7",
    other_bubble=NHS_WHITE,
    urgent=NHS_RED,
    urgent_fill=NHS_RED,
    urgent_bubble="#FBE9E7",
    sent=NHS_GREEN,
    sent_fill=NHS_GREEN,
    focus=NHS_WARM_YELLOW,
    focus_text=NHS_BLACK,
    hover="#E4EBEE",
    disabled_fill="#E8EDEE",
    disabled_text=NHS_MID_GREY,
)

DARK = Colors(
    scheme=Scheme.DARK,
    window="#0E171D",
    surface="#17242C",
    text="#F0F4F5",
    muted="#AEB7BD",
    border="#2C3D48",
    brand=NHS_DARK_BLUE,
    brand_text=NHS_WHITE,
    primary=NHS_BLUE,
    primary_text=NHS_WHITE,
    link="#7FC4F0",
    own_bubble="#0D3559",
    other_bubble="#1D2E38",
    urgent="#FF7B6E",
    urgent_fill=NHS_RED,
    urgent_bubble="#3A1916",
    sent="#4CC77F",
    sent_fill=NHS_GREEN,
    focus=NHS_WARM_YELLOW,
    focus_text=NHS_BLACK,
    hover="#223540",
    disabled_fill="#223038",
    disabled_text="#7D8B93",
)


def colors_for(palette: QPalette) -> Colors:
    """The clinical colours that go with a widget's palette (dark if its window is dark)."""
    return DARK if palette.color(QPalette.ColorRole.Window).lightness() < 128 else LIGHT


def system_scheme() -> Scheme:
    """The OS scheme; light when the OS does not say."""
    hints = QGuiApplication.styleHints()
    return Scheme.DARK if hints.colorScheme() == Qt.ColorScheme.Dark else Scheme.LIGHT


def palette_for(colors: Colors) -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    pairs = {
        role.Window: colors.window,
        role.WindowText: colors.text,
        role.Base: colors.surface,
        role.AlternateBase: colors.window,
        role.Text: colors.text,
        role.PlaceholderText: colors.muted,
        role.Button: colors.surface,
        role.ButtonText: colors.text,
        role.BrightText: colors.primary_text,
        role.Highlight: colors.primary,
        role.HighlightedText: colors.primary_text,
        role.ToolTipBase: colors.surface,
        role.ToolTipText: colors.text,
        role.Link: colors.link,
        role.LinkVisited: colors.link,
        role.Mid: colors.border,
        role.Midlight: colors.border,
    }
    for which, value in pairs.items():
        palette.setColor(which, QColor(value))
    for which in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, which, QColor(colors.disabled_text))
    return palette


def style_sheet(c: Colors) -> str:
    """The app's style sheet. Widgets opt into variants with object names and properties."""
    focus = f"background: {c.focus}; color: {c.focus_text}; border: 2px solid {c.focus_text};"
    title = c.primary if c.scheme is Scheme.LIGHT else c.text
    return f"""
QWidget {{ color: {c.text}; }}
QMainWindow, QDialog, #workspace, #lockScreen {{ background: {c.window}; }}
QToolTip {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border}; }}

#appBar {{ background: {c.brand}; }}
#appBar QLabel {{ color: {c.brand_text}; }}
#appName {{ font-size: 13pt; font-weight: 600; }}
#teamHeader {{ background: {c.surface}; border-bottom: 1px solid {c.border}; }}
#teamTitle {{ font-size: 13pt; font-weight: 600; }}
#sectionLabel {{ color: {c.muted}; font-weight: 600; padding: 0.6em 0.9em 0.3em 0.9em; }}

#teamList, #timeline, #searchResults {{ border: none; outline: 0; }}
#teamList {{ background: {c.surface}; }}
#sidePanel {{ background: {c.surface}; border-right: 1px solid {c.border}; }}
#timeline {{ background: {c.window}; }}
#searchResults {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 0.3em; }}

QPlainTextEdit, QLineEdit {{
    background: {c.surface}; color: {c.text};
    border: 2px solid {c.muted}; border-radius: 0.25em; padding: 0.35em 0.5em;
    selection-background-color: {c.primary}; selection-color: {c.primary_text};
}}
QPlainTextEdit:focus, QLineEdit:focus {{ border: 2px solid {c.focus}; }}
QPlainTextEdit[urgent="true"] {{ border: 2px solid {c.urgent}; }}
QPlainTextEdit[urgent="true"]:focus {{ border: 2px solid {c.focus}; }}
QPlainTextEdit[refused="true"] {{ border: 2px solid {c.urgent}; }}

QPushButton {{
    background: {c.surface}; color: {c.primary}; border: 2px solid {c.primary};
    border-radius: 0.25em; padding: 0.35em 1em; font-weight: 600;
}}
QPushButton:hover {{ background: {c.hover}; }}
QPushButton[role="primary"] {{
    background: {c.sent_fill}; color: {NHS_WHITE}; border: 2px solid {c.sent_fill};
}}
QPushButton[role="primary"]:hover {{ background: #00662F; }}
QPushButton[role="warning"] {{ color: {c.urgent}; border-color: {c.urgent}; }}
QPushButton[role="quiet"] {{ border: 2px solid transparent; background: transparent; }}
#appBar QPushButton {{
    color: {c.brand_text}; border: 2px solid {c.brand_text}; background: transparent;
}}
QPushButton:focus, QPushButton[role="primary"]:focus, QPushButton[role="warning"]:focus,
QPushButton[role="quiet"]:focus, #appBar QPushButton:focus {{ {focus} }}
QPushButton:disabled, QPushButton[role="primary"]:disabled {{
    background: {c.disabled_fill}; color: {c.disabled_text}; border-color: {c.disabled_fill};
}}

QCheckBox#urgentToggle {{
    font-weight: 600; spacing: 0.4em; padding: 0.2em 0.4em; border-radius: 0.25em;
}}
QCheckBox#urgentToggle:checked {{ color: {c.urgent}; }}
QCheckBox#urgentToggle:focus {{ background: {c.focus}; color: {c.focus_text}; }}

#refusal {{ color: {c.urgent}; font-weight: 600; }}
#hint {{ color: {c.muted}; }}
#undeliveredBanner {{
    background: {c.urgent_fill}; border-radius: 0.25em; padding: 0.5em 0.8em;
}}
#undeliveredBanner QLabel {{ color: {NHS_WHITE}; font-weight: 700; }}
#editBanner {{ background: {c.hover}; border-left: 4px solid {c.primary}; padding: 0.3em 0.6em; }}
#composer {{ background: {c.surface}; border-top: 1px solid {c.border}; }}

#lockCard, #signInCard {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 0.5em; }}
#signInWindow {{ background: {c.window}; }}
#signInNotice {{
    background: {c.hover}; border-left: 4px solid {c.primary}; padding: 0.4em 0.6em; }}
#peopleList {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 0.25em; padding: 0.2em;
}}
#peopleList {{ font-size: 12pt; }}
#peopleList::item {{ padding: 0.45em 0.6em; border-radius: 0.2em; }}
#peopleList::item:selected {{ background: {c.primary}; color: {c.primary_text}; }}
#peopleList:focus {{ border: 2px solid {c.focus}; }}
#lockTitle {{ font-size: 20pt; font-weight: 700; color: {title}; }}
#lockName {{ font-size: 13pt; font-weight: 600; }}
#lockError {{ color: {c.urgent}; font-weight: 600; }}

QStatusBar {{ background: {c.surface}; border-top: 1px solid {c.border}; }}
QStatusBar::item {{ border: none; }}
#syncStatus QLabel#syncText {{ padding: 0 0.3em; }}
#syncStatus QLabel#syncWarning {{ color: {c.urgent}; font-weight: 600; padding: 0 0.6em; }}
#syncStatus[phase="error"] QLabel#syncText, #syncStatus[phase="needs_sign_in"] QLabel#syncText,
#syncStatus[phase="wiped"] QLabel#syncText {{ color: {c.urgent}; font-weight: 600; }}
#syncStatus[phase="offline"] QLabel#syncText {{ font-weight: 600; }}
#syncStatus QLabel#syncDot {{ color: {c.muted}; }}
#syncStatus[phase="up_to_date"] QLabel#syncDot {{ color: {c.sent}; }}
#syncStatus[phase="syncing"] QLabel#syncDot, #syncStatus[phase="connecting"] QLabel#syncDot {{
    color: {c.primary}; }}
#syncStatus[phase="offline"] QLabel#syncDot {{ color: {NHS_WARM_YELLOW}; }}
#syncStatus[phase="error"] QLabel#syncDot, #syncStatus[phase="needs_sign_in"] QLabel#syncDot,
#syncStatus[phase="wiped"] QLabel#syncDot {{ color: {c.urgent}; }}
#syncStatus[phase="up_to_date"] QLabel#syncText {{ color: {c.sent}; }}
QProgressBar {{
    border: 1px solid {c.border}; border-radius: 0.2em; background: {c.window}; max-height: 0.7em;
}}
QProgressBar::chunk {{ background: {c.primary}; }}

QMenuBar {{ background: {c.surface}; border-bottom: 1px solid {c.border}; }}
QMenuBar::item:selected {{ background: {c.hover}; }}
QMenu {{ background: {c.surface}; border: 1px solid {c.border}; }}
QMenu::item {{ padding: 0.3em 1.5em 0.3em 1em; }}
QMenu::item:selected {{ background: {c.primary}; color: {c.primary_text}; }}
QMenu::item:disabled {{ color: {c.disabled_text}; }}
QSplitter::handle {{ background: {c.border}; }}
"""


def apply_theme(app: QApplication, scheme: Scheme | None = None) -> Colors:
    """Style the whole app for `scheme` (None: the OS scheme)."""
    colors = DARK if (scheme or system_scheme()) is Scheme.DARK else LIGHT
    style = QStyleFactory.create("Fusion")
    if style is not None and app.style().name() != "fusion":
        app.setStyle(style)
    app.setPalette(palette_for(colors))
    app.setStyleSheet(style_sheet(colors))
    return colors


class ThemeFollower(QObject):
    """Re-applies the theme when the OS switches between light and dark, unless the user chose
    one scheme (`set_choice`)."""

    def __init__(self, app: QApplication, choice: Scheme | None = None) -> None:
        super().__init__(app)
        self._app = app
        self._choice = choice
        apply_theme(app, choice)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    @property
    def choice(self) -> Scheme | None:
        return self._choice

    def set_choice(self, choice: Scheme | None) -> None:
        """Light, dark, or None to follow the OS."""
        if choice != self._choice:
            self._choice = choice
            apply_theme(self._app, choice)

    def _scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._choice is None:
            apply_theme(self._app)
