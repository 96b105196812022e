"""The patient's notes, one row per note (all its versions together), newest first.

A row shows the form's title, the team, who wrote it and when, where the latest version stands
(queued, filed or held) and whether it was amended. The list is one patient's notes, bounded by
the query's limit, so the model holds the lineages it was given rather than fetching rows.
"""

from __future__ import annotations

import html
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QStyleOptionViewItem

from wardlink.core.clock import Clock
from wardlink.core.model import NoteState
from wardlink.store.patient_notes import NoteLineage
from wardlink.ui.patients.note_text import amended_marker, state_label, when_text
from wardlink.ui.rich_rows import RichTextRows
from wardlink.ui.theme import NHS_BLACK, NHS_WARM_YELLOW, NHS_WHITE, Colors, colors_for

Index = QModelIndex | QPersistentModelIndex
LineageRole: Final = Qt.ItemDataRole.UserRole + 1
WhenRole: Final = Qt.ItemDataRole.UserRole + 2


def spoken_row(lineage: NoteLineage, when: str) -> str:
    """What a screen reader says for a row (and what tests read)."""
    first = lineage.original
    parts = [
        f"{first.form_title}, {lineage.team_name}, {first.author_name}, {when}.",
        f"{state_label(lineage.latest)}.",
    ]
    if lineage.is_amended:
        parts.append(f"{amended_marker(lineage)}.")
    return " ".join(parts)


class NotesListModel(QAbstractListModel):
    """The lineages of the patient on screen, in the order the store gave them."""

    def __init__(self, clock: Clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._lineages: tuple[NoteLineage, ...] = ()

    def show(self, lineages: tuple[NoteLineage, ...]) -> None:
        self.beginResetModel()
        self._lineages = lineages
        self.endResetModel()

    def lineage_at(self, row: int) -> NoteLineage | None:
        return self._lineages[row] if 0 <= row < len(self._lineages) else None

    def row_of(self, lineage_id: str) -> int | None:
        return next((i for i, n in enumerate(self._lineages) if n.lineage_id == lineage_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lineages)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        lineage = self.lineage_at(index.row()) if index.isValid() else None
        if lineage is None:
            return None
        if role == LineageRole:
            return lineage
        if role == WhenRole:
            return when_text(lineage.original.authored, self._clock.now())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return spoken_row(lineage, when_text(lineage.original.authored, self._clock.now()))
        return None


def badge_html(state: NoteState, text: str, colors: Colors) -> str:
    """The state as a small coloured label: calm for filed, yellow for queued, red for held."""
    if state is NoteState.FILED:
        return f'<span style="color:{colors.sent}; font-weight:600">{html.escape(text)}</span>'
    fill, ink = (
        (NHS_WARM_YELLOW, NHS_BLACK)
        if state is NoteState.QUEUED
        else (colors.urgent_fill, NHS_WHITE)
    )
    return (
        f'<span style="background-color:{fill}; color:{ink}; font-weight:600">'
        f"&nbsp;{html.escape(text)}&nbsp;</span>"
    )


class NoteRowDelegate(RichTextRows):
    """Paints a row: the title and state, then team · author · time, then 'Amended'."""

    fallback_width = 320
    indent = 6

    def document(self, option: QStyleOptionViewItem, index: Index, width: int) -> QTextDocument:
        lineage: NoteLineage = index.data(LineageRole)
        colors = colors_for(option.palette)
        first, latest = lineage.original, lineage.latest
        esc = html.escape
        amended = amended_marker(lineage)
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(option.fontMetrics.height() * 0.5)
        document.setHtml(
            f'<div style="color:{colors.text}; font-weight:700">{esc(first.form_title)}</div>'
            f'<div style="color:{colors.muted}; margin-top:2px">{esc(lineage.team_name)} · '
            f"{esc(first.author_name)} · {esc(str(index.data(WhenRole)))}</div>"
            f'<div style="margin-top:3px">{badge_html(latest.state, state_label(latest), colors)}'
            + (
                f' <span style="color:{colors.link}; font-weight:600">&nbsp;· {esc(amended)}</span>'
                if amended
                else ""
            )
            + "</div>"
        )
        document.setTextWidth(width)
        return document
