"""The patient view's own look, on top of the app's theme: the header card, the state badge,
the answers panel. Colours come from `ui.theme`, so light and dark schemes both work."""

from __future__ import annotations

from wardlink.ui.theme import NHS_BLACK, NHS_WARM_YELLOW, NHS_WHITE, Colors, Scheme


def view_style_sheet(c: Colors) -> str:
    title = c.primary if c.scheme is Scheme.LIGHT else c.text
    return f"""
#patientHeader {{
    background: {c.surface}; border: 1px solid {c.border}; border-left: 4px solid {c.primary};
    border-radius: 0.25em;
}}
#patientIdentifier {{ font-size: 14pt; font-weight: 700; }}
#patientNotes {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 0.25em; outline: 0;
}}
#patientNotes:focus, #noteAnswers:focus {{ border: 2px solid {c.focus}; }}
#emptyState {{ color: {c.muted}; font-size: 12pt; padding: 2em; }}
#noteTitle {{ font-size: 14pt; font-weight: 700; color: {title}; }}
#noteState {{ font-weight: 600; color: {c.sent}; }}
#noteState[state="queued"] {{
    background: {NHS_WARM_YELLOW}; color: {NHS_BLACK}; padding: 0.2em 0.5em; border-radius: 0.2em;
}}
#noteState[state="held"] {{
    background: {c.urgent_fill}; color: {NHS_WHITE}; padding: 0.2em 0.5em; border-radius: 0.2em;
}}
#amendReason {{
    background: {c.hover}; border-left: 4px solid {c.primary}; padding: 0.3em 0.6em;
}}
#noteAnswers {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 0.25em;
    padding: 0.3em 0.5em;
}}
#photoStrip QToolButton {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 0.25em;
    padding: 0.25em; color: {c.text};
}}
#photoStrip QToolButton:focus {{ border: 2px solid {c.focus}; background: {c.hover}; }}
#photoStrip QToolButton:disabled {{ color: {c.disabled_text}; }}
"""
