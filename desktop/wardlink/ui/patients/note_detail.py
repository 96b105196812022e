"""One note, read-only: its header, a version selector, the answers grouped like the form, its
photos as thumbnails (opening a zoomable viewer), and the Amend and Export buttons.

Every version stays readable: the selector lists them newest first, the original last.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Final

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.clock import Clock
from wardlink.core.model import Note
from wardlink.store.errors import StoreError
from wardlink.store.patient_notes import NoteLineage
from wardlink.ui.bridge import Bridge
from wardlink.ui.patients.note_html import Palette, answers_html
from wardlink.ui.patients.note_photos import LoadedPhoto, load_photos
from wardlink.ui.patients.note_text import (
    PhotoRef,
    amend_blocked,
    note_content,
    short_when,
    state_text,
    version_label,
    when_text,
)
from wardlink.ui.patients.photo_viewer import PhotoViewer
from wardlink.ui.patients.while_alive import while_alive
from wardlink.ui.theme import Scheme, colors_for

CHOOSE_A_NOTE: Final = "Choose a note on the left to read it."


def elided(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


THUMBNAIL_ICON: Final = QSize(120, 120)


class NoteDetail(QWidget):
    """The chosen note.

    Signals:
    - version_shown(str): a version's answers are on screen (its note id).
    - photos_shown(int): the shown version's photos are loaded (how many are here).
    - amend_requested(str): the user chose "Amend…" on the latest version (its note id).
    - export_requested(str): the user chose "Export PDF…" (the shown version's note id).
    """

    version_shown = Signal(str)
    photos_shown = Signal(int)
    amend_requested = Signal(str)
    export_requested = Signal(str)

    def __init__(
        self, bridge: Bridge, *, clock: Clock, allow_export: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._clock = clock
        self._lineage: NoteLineage | None = None
        self._note: Note | None = None
        self._photos: dict[str, LoadedPhoto] = {}
        self._photo_refs: tuple[PhotoRef, ...] = ()
        self._request = 0
        self.viewer: PhotoViewer | None = None

        self.placeholder = QLabel(CHOOSE_A_NOTE, self)
        self.placeholder.setObjectName("hint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.title = QLabel(self)
        self.title.setObjectName("noteTitle")
        self.title.setWordWrap(True)
        self.title.setAccessibleName("Form")
        self.meta = QLabel(self)
        self.meta.setObjectName("hint")
        self.meta.setWordWrap(True)
        self.meta.setAccessibleName("Team, author and time")
        self.state = QLabel(self)
        self.state.setObjectName("noteState")
        self.state.setWordWrap(True)
        self.state.setAccessibleName("Where this version stands")
        self.versions = QComboBox(self)
        self.versions.setAccessibleName("Version")
        self.versions.view().setAccessibleName("Versions of this note, newest first")
        self.versions.setToolTip("Every version stays readable; the original is last.")
        self.versions.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.versions.setMinimumContentsLength(30)
        versions_label = QLabel("&Version:", self)
        versions_label.setBuddy(self.versions)
        self.reason = QLabel(self)
        self.reason.setObjectName("amendReason")
        self.reason.setWordWrap(True)
        self.reason.setAccessibleName("Amendment")
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answers = QTextBrowser(self)
        self.answers.setObjectName("noteAnswers")
        self.answers.setAccessibleName("Answers")
        self.answers.setOpenLinks(False)
        self.answers.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.answers.setTabChangesFocus(True)  # Tab goes on to the photos and the buttons
        self.photo_strip = QWidget(self)
        self.photo_strip.setObjectName("photoStrip")
        self._strip_layout = QHBoxLayout(self.photo_strip)
        self._strip_layout.setContentsMargins(0, 0, 0, 0)
        self.photo_area = QScrollArea(self)
        self.photo_area.setWidget(self.photo_strip)
        self.photo_area.setWidgetResizable(True)
        self.photo_area.setFrameShape(QFrame.Shape.NoFrame)
        self.photo_area.setAccessibleName("Photos")
        self.photo_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.photo_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.photo_area.setFixedHeight(THUMBNAIL_ICON.height() + 56)
        self.photo_buttons: list[QToolButton] = []
        self.amend = QPushButton("&Amend…", self)
        self.amend.setAccessibleName("Amend this note")
        self.amend.setAutoDefault(False)
        self.amend_hint = QLabel(self)
        self.amend_hint.setObjectName("hint")
        self.amend_hint.setWordWrap(True)
        self.amend_hint.setAccessibleName("About amending")
        self.export: QPushButton | None = None
        if allow_export:
            self.export = QPushButton("&Export PDF…", self)
            self.export.setAccessibleName("Export this version as a PDF file")
            self.export.setAutoDefault(False)
            self.export.clicked.connect(self._export)
        self.action_status = QLabel(self)
        self.action_status.setObjectName("hint")
        self.action_status.setWordWrap(True)
        self.action_status.setAccessibleName("Export status")

        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        layout.addWidget(self.state)
        pick = QHBoxLayout()
        pick.addWidget(versions_label)
        pick.addWidget(self.versions, 1)
        layout.addLayout(pick)
        layout.addWidget(self.reason)
        layout.addWidget(self.answers, 1)
        layout.addWidget(self.photo_area)
        actions = QHBoxLayout()
        actions.addWidget(self.amend)
        if self.export is not None:
            actions.addWidget(self.export)
        actions.addWidget(self.amend_hint, 1)
        layout.addLayout(actions)
        layout.addWidget(self.action_status)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)

        self.versions.activated.connect(self._version_chosen)
        self.amend.clicked.connect(self._amend)

    # -- what is shown -------------------------------------------------------------------------

    @property
    def note(self) -> Note | None:
        """The version on screen."""
        return self._note

    @property
    def lineage(self) -> NoteLineage | None:
        return self._lineage

    def clear(self) -> None:
        """Forget the note (the dialog closed, or another patient is shown)."""
        self._request += 1
        self._lineage = self._note = None
        self._photos = {}
        self._photo_refs = ()
        self.versions.clear()
        self.answers.clear()
        self.action_status.clear()
        self._set_photo_buttons(())
        if self.viewer is not None:
            self.viewer.close()
            self.viewer.deleteLater()
            self.viewer = None
        self.pages.setCurrentWidget(self.placeholder)

    def show_lineage(self, lineage: NoteLineage, version_id: str | None = None) -> None:
        """Show a note, at `version_id` if given (and still there), else its latest version."""
        self._lineage = lineage
        self.versions.clear()
        now = self._clock.now()
        for note in reversed(lineage.versions):
            self.versions.addItem(version_label(lineage, note, now), note.id)
        self.versions.setEnabled(len(lineage.versions) > 1)
        chosen = lineage.version(version_id) if version_id else None
        self.show_version((chosen or lineage.latest).id)

    def show_version(self, note_id: str) -> None:
        lineage = self._lineage
        note = None if lineage is None else lineage.version(note_id)
        if lineage is None or note is None:
            return
        previous = self._note
        self._note = note
        self.versions.setCurrentIndex(max(0, self.versions.findData(note.id)))
        now = self._clock.now()
        first = lineage.original
        self.title.setText(note.form_title)
        written = when_text(first.authored, now)
        self.meta.setText(f"{lineage.team_name} · Written by {first.author_name} · {written}")
        self.state.setText(state_text(note))
        self.state.setProperty("state", str(note.state))
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        reason = lineage.reason_for(note.id)
        if note.is_amendment:
            said = f" Reason: {reason}" if reason else ""
            self.reason.setText(
                f"Amended {short_when(note.authored, now)} by {note.author_name}.{said}"
            )
        elif len(lineage.versions) > 1:
            self.reason.setText("This is the original version. Later versions amend it.")
        else:
            self.reason.setText("")
        self.reason.setVisible(bool(self.reason.text()))
        content = note_content(note)
        colors = colors_for(self.palette())
        heading = colors.primary if colors.scheme is Scheme.LIGHT else colors.text
        self.answers.setHtml(
            answers_html(content, Palette(colors.text, colors.muted, colors.border, heading))
        )
        blocked = amend_blocked(lineage, note)
        self.amend.setEnabled(blocked is None)
        self.amend.setToolTip(blocked or "Write a new version of this note, with a reason.")
        self.amend.setAccessibleDescription(blocked or "")
        self.amend_hint.setText(blocked or "")
        if previous is None or previous.id != note.id:
            self.action_status.clear()
        self.pages.setCurrentIndex(1)
        self._load_photos(content.photos)
        self.version_shown.emit(note.id)

    # -- photos --------------------------------------------------------------------------------

    def _load_photos(self, refs: tuple[PhotoRef, ...]) -> None:
        self._request += 1
        request = self._request
        self._photo_refs = refs
        self._photos = {}
        self._set_photo_buttons(refs)
        if not refs:
            self.photos_shown.emit(0)
            return
        self._bridge.run(
            load_photos,
            [ref.sha256 for ref in refs],
            on_done=while_alive(self, lambda found: self._photos_arrived(request, found)),
            on_error=while_alive(self, self._photos_failed),
        )

    def _photos_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, StoreError):
            raise exc
        self.action_status.setText(exc.message)

    def _photos_arrived(self, request: int, found: Mapping[str, LoadedPhoto]) -> None:
        if request != self._request:
            return  # another version (or nothing) is on screen now
        self._photos = dict(found)
        self._set_photo_buttons(self._photo_refs)
        self.photos_shown.emit(sum(1 for ref in self._photo_refs if ref.sha256 in self._photos))

    def _set_photo_buttons(self, refs: tuple[PhotoRef, ...]) -> None:
        while self._strip_layout.count():
            item = self._strip_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.photo_buttons = []
        count = len(refs)
        for i, ref in enumerate(refs, 1):
            button = QToolButton(self.photo_strip)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(THUMBNAIL_ICON)
            button.setAutoRaise(False)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            loaded = self._photos.get(ref.sha256)
            if loaded is not None and not loaded.thumbnail.isNull():
                button.setIcon(QIcon(QPixmap.fromImage(loaded.thumbnail)))
                button.setText(elided(f"Photo {i}: {ref.title}", 24))
                button.setAccessibleName(f"Photo {i} of {count}: {ref.title}. Opens it larger.")
                button.setToolTip(f"{ref.title} — open larger")
                button.clicked.connect(lambda _c=False, r=ref, n=i: self.open_photo(r, n))
            else:
                button.setText(f"Photo {i}\nnot on this\ncomputer yet")
                button.setAccessibleName(
                    f"Photo {i} of {count}: not on this computer yet. It appears once Wardlink "
                    "has downloaded it."
                )
                button.setEnabled(False)
            self._strip_layout.addWidget(button)
            self.photo_buttons.append(button)
        if count:
            self._strip_layout.addStretch(1)
        self.photo_area.setVisible(bool(count))
        chain: list[QWidget] = [self.answers, *self.photo_buttons, self.amend]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def open_photo(self, ref: PhotoRef, number: int) -> None:
        loaded = self._photos.get(ref.sha256)
        if loaded is None:
            return
        if self.viewer is not None:
            self.viewer.close()
            self.viewer.deleteLater()
        count = len(self._photo_refs)
        self.viewer = PhotoViewer(loaded.data, f"Photo {number} of {count}: {ref.title}", self)
        self.viewer.open()

    # -- actions -------------------------------------------------------------------------------

    def _version_chosen(self, index: int) -> None:
        note_id = self.versions.itemData(index)
        if isinstance(note_id, str):
            self.show_version(note_id)

    def _amend(self) -> None:
        lineage, note = self._lineage, self._note
        if lineage is not None and note is not None and amend_blocked(lineage, note) is None:
            self.amend_requested.emit(note.id)

    def _export(self) -> None:
        if self._note is not None:
            self.export_requested.emit(self._note.id)

    def show_action_message(self, text: str, *, problem: bool = False) -> None:
        self.action_status.setObjectName("refusal" if problem else "hint")
        self.action_status.style().unpolish(self.action_status)
        self.action_status.style().polish(self.action_status)
        self.action_status.setText(text)
