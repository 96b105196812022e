"""How forms look, on top of the app's theme: cards for sections, clear labels, problems in red
with a bar beside them, and the NEWS2 band colours.

The colours all come from `ui.theme` (the NHS palette), and follow its light or dark scheme.
The NEWS2 bands use the chart's own colours: green, yellow, orange (the NHS orange, which the
theme has no role for yet) and red, each with the text colour that reads on it.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QWidget

from wardlink.ui.theme import (
    NHS_BLACK,
    NHS_GREEN,
    NHS_RED,
    NHS_WARM_YELLOW,
    NHS_WHITE,
    Colors,
    colors_for,
)

NHS_ORANGE: Final = "#ED8B00"
# (background, text) per NEWS2 clinical risk band.
BAND_COLOURS: Final = {
    "low": (NHS_GREEN, NHS_WHITE),
    "low-medium": (NHS_WARM_YELLOW, NHS_BLACK),
    "medium": (NHS_ORANGE, NHS_BLACK),
    "high": (NHS_RED, NHS_WHITE),
}


def form_style_sheet(c: Colors) -> str:
    bands = "\n".join(
        f'#news2Panel[band="{band}"] {{ background: {bg}; border: 2px solid {bg}; }}\n'
        f'#news2Panel[band="{band}"] QLabel {{ color: {fg}; }}'
        for band, (bg, fg) in BAND_COLOURS.items()
    )
    return f"""
#noteEditor, #summaryDialog, #formPicker {{ background: {c.window}; }}
#formScroll, #formScroll > QWidget > QWidget, #summaryScroll, #summaryScroll > QWidget > QWidget {{
    background: {c.window}; border: none; }}
#formTitle {{ font-size: 16pt; font-weight: 700; }}
#sectionTitle, #subsectionTitle, #summaryHeading, #fieldError, #formGuidance, #problemBanner,
#confirmText {{ qproperty-indent: 0; }}
#formTeam, #fieldHint, #formLegend {{ color: {c.muted}; }}
#formSection {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 0.4em; }}
#formSubsection {{
    border-style: solid; border-color: {c.border}; border-width: 0 0 0 3px; }}
#sectionTitle {{ font-size: 13pt; font-weight: 700; color: {c.text}; padding: 0 0 0.2em 0; }}
#subsectionTitle {{ font-size: 11pt; font-weight: 700; color: {c.text}; }}
#fieldLabel {{ font-weight: 600; }}
#formGuidance {{
    color: {c.text}; background: {c.hover}; border-left: 4px solid {c.primary};
    padding: 0.4em 0.6em; }}
#fieldError {{
    color: {c.urgent}; font-weight: 600; padding: 0.1em 0 0.1em 0.5em;
    border-style: solid; border-color: {c.urgent}; border-width: 0 0 0 4px; }}
#problemBanner {{
    color: {c.urgent}; font-weight: 700; background: {c.urgent_bubble};
    border: 2px solid {c.urgent}; border-radius: 0.25em; padding: 0.5em 0.8em; }}
#numberChecked {{ color: {c.sent}; font-weight: 600; }}
#calculatedValue {{ font-size: 12pt; font-weight: 700; }}
#calculatedValue[pending="true"] {{ font-size: 10pt; font-weight: 400; color: {c.muted}; }}
#dropHint {{
    color: {c.muted}; border: 2px dashed {c.border}; border-radius: 0.4em; padding: 1.2em; }}
#photoList {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 0.25em; }}
#photoList:focus {{ border: 2px solid {c.focus}; }}
#photoList::item:selected {{ background: {c.primary}; color: {c.primary_text}; }}

QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border: 2px solid {c.urgent}; }}
QComboBox {{ min-height: 1.7em; }}
QComboBox QAbstractItemView {{
    background: {c.surface}; selection-background-color: {c.primary};
    selection-color: {c.primary_text}; }}
QRadioButton, QCheckBox {{ spacing: 0.45em; padding: 0.15em 0.3em; }}
QRadioButton:focus, QCheckBox:focus {{ background: {c.focus}; color: {c.focus_text}; }}
QRadioButton::indicator, QCheckBox::indicator {{ width: 1.1em; height: 1.1em; }}
QToolButton {{
    background: {c.surface}; color: {c.link}; border: 2px solid {c.link};
    border-radius: 0.25em; padding: 0.3em 0.6em; font-weight: 600; }}
QToolButton:focus {{ background: {c.focus}; color: {c.focus_text}; border-color: {c.focus_text}; }}
QToolButton::menu-indicator {{ image: none; width: 0; }}

#news2Panel {{ border-radius: 0.4em; }}
#news2Panel[band="pending"], #news2Panel[band="check"] {{
    background: {c.surface}; border: 2px dashed {c.muted}; }}
#news2Panel[band="check"] {{ border: 2px solid {c.urgent}; }}
#news2Score {{ font-size: 30pt; font-weight: 800; min-width: 2.2em; }}
#news2Band {{ font-size: 14pt; font-weight: 700; }}
#news2Detail {{ font-size: 11pt; }}
#news2Parts {{ font-size: 9pt; }}

#patientCard {{
    background: {c.surface}; border: 2px solid {c.primary}; border-radius: 0.4em; }}
#patientIdentifier {{ font-size: 15pt; font-weight: 700; }}
#patientBirthDate {{ font-size: 13pt; font-weight: 600; }}
#summaryQuestion {{ color: {c.muted}; }}
#summaryAnswer {{ font-weight: 600; }}
#summaryHeading {{ font-size: 11pt; font-weight: 700; padding: 0.5em 0 0 0; }}
#summaryRule {{ background: {c.border}; max-height: 1px; min-height: 1px; border: none; }}
#confirmBox {{
    background: {c.hover}; border-left: 4px solid {NHS_WARM_YELLOW}; padding: 0.5em 0.7em; }}
#confirmText {{ font-weight: 600; }}
#formList {{ font-size: 12pt; background: {c.surface}; border: 1px solid {c.border}; }}
#formList::item {{ padding: 0.5em 0.6em; }}
#formDescription {{ color: {c.muted}; }}
#formList::item:selected {{ background: {c.primary}; color: {c.primary_text}; }}
#formList:focus {{ border: 2px solid {c.focus}; }}
{bands}
"""


def apply_form_style(widget: QWidget) -> None:
    """Style a form's top-level widget for its palette's scheme; call it again on a palette
    change (the OS switched between light and dark). Nothing happens if nothing changed."""
    sheet = form_style_sheet(colors_for(widget.palette()))
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def restyle_on_palette_change(widget: QWidget, event: QEvent) -> None:
    if event.type() == QEvent.Type.PaletteChange:
        apply_form_style(widget)
