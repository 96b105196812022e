"""A note version as HTML: the answers for the patient view, and the whole note for a PDF.

Plain strings, no Qt: both the view's text browser and the PDF's `QTextDocument` read these.
Everything that came from a person (answers, names, reasons) is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from wardlink.core.model import Note
from wardlink.ui.patients.note_text import (
    UNREADABLE,
    NoteContent,
    date_text,
    state_text,
)

CONFIDENTIAL: Final = "confidential patient information"


@dataclass(frozen=True, slots=True)
class Palette:
    """The few colours the HTML needs (the theme's, on screen; print colours in a PDF)."""

    text: str
    muted: str
    border: str
    heading: str


PRINT: Final = Palette(text="#212B32", muted="#4C6272", border="#D8DDE0", heading="#005EB8")


def _lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.splitlines() or [""])


def _rule(colors: Palette) -> str:
    """A thin line (Qt draws a rule in its block's background colour)."""
    return f'<hr style="background-color:{colors.border}">'


def answers_html(content: NoteContent, colors: Palette, *, font_scale: float = 1.0) -> str:
    """Each group of the form as a heading, each answer under its question."""
    if not content.readable:
        return f'<p style="color:{colors.text}">{html.escape(UNREADABLE)}</p>'
    if not content.sections:
        return f'<p style="color:{colors.muted}">This note has no answers to show.</p>'
    parts: list[str] = []
    heading_size = round(11.5 * font_scale, 1)
    for number, section in enumerate(content.sections):
        if not section.heading and number:  # questions after a group: close the group first
            parts.append(_rule(colors))
        if section.heading:
            parts.append(
                f'<p style="margin-top:14px; margin-bottom:4px; font-size:{heading_size}pt; '
                f'font-weight:700; color:{colors.heading}">{html.escape(section.heading)}</p>'
            )
        for answer in section.answers:
            shown = "<br>".join(_lines(line) for line in answer.lines)
            parts.append(
                f'<p style="margin-top:6px; margin-bottom:0; color:{colors.muted}; '
                f'font-weight:600">{html.escape(answer.question)}</p>'
                f'<p style="margin-top:1px; margin-bottom:4px; color:{colors.text}">{shown}</p>'
            )
    return "".join(parts)


def full_when(moment: dt.datetime) -> str:
    """'28 Nov 2026 14:40' in local time: a printed page has no 'today'."""
    local = moment.astimezone()
    return f"{date_text(local.date())} {local:%H:%M}"


@dataclass(frozen=True, slots=True)
class PrintedNote:
    """Everything a printed note shows besides its answers (no Qt, no store)."""

    note: Note
    team_name: str
    patient_line: str  # 'NHS number 943 476 5919 · Date of birth 12 Mar 1948'
    version_count: int
    original: Note
    reason: str | None
    exported_by: str
    exported_at: dt.datetime
    content: NoteContent = field(repr=False)


def footer_text(printed: PrintedNote) -> str:
    """The line at the foot of every page."""
    return (
        f"Exported from Wardlink by {printed.exported_by} at {full_when(printed.exported_at)} "
        f"— {CONFIDENTIAL}"
    )


def pdf_html(printed: PrintedNote, photo_sizes: Mapping[str, tuple[int, int]]) -> str:
    """The printed note: header, answers, then photos (`photo_sizes` maps each photo's resource
    name to its size on the page; a photo not in it is not here yet and is named instead)."""
    c = PRINT
    note = printed.note
    esc = html.escape
    meta = [
        f"<b>Patient:</b> {esc(printed.patient_line)}",
        f"<b>Team:</b> {esc(printed.team_name)}",
        f"<b>Written by:</b> {esc(printed.original.author_name)}, "
        f"{full_when(printed.original.authored)}",
    ]
    if note.is_amendment:
        reason = f" Reason: {esc(printed.reason)}" if printed.reason else ""
        meta.append(
            f"<b>Version {note.version} of {printed.version_count}:</b> amended by "
            f"{esc(note.author_name)}, {full_when(note.authored)}.{reason}"
        )
    else:
        later = printed.version_count - 1
        plural = "s" if later != 1 else ""
        extra = f" (amended since: {later} later version{plural})" if later else ""
        meta.append(f"<b>Version {note.version} of {printed.version_count}:</b> original{extra}")
    meta.append(f"<b>Status:</b> {esc(state_text(note))}")
    parts = [
        f'<body style="color:{c.text}">',
        f'<p style="font-size:17pt; font-weight:700; color:{c.heading}; margin-bottom:6px">'
        f"{esc(note.form_title)}</p>",
        f'<p style="margin-top:0; color:{c.text}">{"<br>".join(meta)}</p>',
        _rule(c),
        answers_html(printed.content, c),
    ]
    if printed.content.photos:
        parts.append(  # photos start a page of their own, two to a page
            f'<p style="page-break-before:always; font-size:11.5pt; font-weight:700; '
            f'color:{c.heading}">Photos</p>'
        )
        for i, photo in enumerate(printed.content.photos, 1):
            name = photo_resource(photo.sha256)
            size = photo_sizes.get(name)
            caption = f"Photo {i}: {esc(photo.title)}"
            if size is None:
                parts.append(
                    f'<p style="color:{c.muted}">{caption} — not on this computer yet, '
                    "so it is not in this copy. The record server holds it.</p>"
                )
                continue
            parts.append(
                f'<p style="margin-bottom:2px"><img src="{name}" width="{size[0]}" '
                f'height="{size[1]}"></p><p style="color:{c.muted}; margin-top:0">{caption}</p>'
            )
    parts.append("</body>")
    return "".join(parts)


def photo_resource(sha256: str) -> str:
    """The name a photo is added to a document under (from memory, never a file)."""
    return f"wardlink-photo:{sha256}"
