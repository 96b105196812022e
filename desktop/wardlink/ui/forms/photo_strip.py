"""The photos on a form (an `attachment` item): thumbnails, and the ways to add one.

Add from a file, paste (Ctrl+V; the clipboard is emptied afterwards, so the photo does not stay in
clipboard history), drag and drop, or take one with the camera where the PC can. Each is
processed by the core first; a refusal is said in plain words under the strip. Thumbnails and the
viewer are made from the bytes in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.forms import Item, PhotoLike
from wardlink.core.photos import ProcessedPhoto
from wardlink.ui.forms.attached_photo import THUMBNAIL, AttachedPhoto, attached, thumbnail
from wardlink.ui.forms.field_input import FieldInput
from wardlink.ui.forms.photo_import import (
    NO_PHOTO,
    PhotoImporter,
    Source,
    could_hold_photos,
    sources_in,
)
from wardlink.ui.forms.photo_viewer import PhotoViewer
from wardlink.ui.forms.webcam import CaptureDialog, camera_available

FILE_FILTER: Final = "Photos (*.jpg *.jpeg *.png *.heic *.heif);;All files (*)"
HINT: Final = "Drag a photo here, paste one (Ctrl+V), or add one from a file."

ChooseFiles = Callable[[QWidget], list[str]]


def choose_files(parent: QWidget) -> list[str]:
    """The photo files the user picks (reading them is fine; nothing is ever written)."""
    paths, _ = QFileDialog.getOpenFileNames(parent, "Add photos", "", FILE_FILTER)
    return list(paths)


class PhotoStrip(FieldInput):
    """The photos answering one attachment item, in the order they were attached.
    Signals: FieldInput's."""

    def __init__(
        self,
        item: Item,
        parent: QWidget | None = None,
        *,
        max_bytes: int,
        known: Mapping[str, tuple[str, bytes]] | None = None,
        choose: ChooseFiles = choose_files,
    ) -> None:
        super().__init__(parent)
        self.item = item
        self.most = item.max_occurs if item.repeats else 1
        self.known = dict(known or {})
        self.photos: list[AttachedPhoto] = []
        self._choose = choose
        self.importer = PhotoImporter(max_bytes, self)
        self.importer.processed.connect(self._processed)
        self.importer.refused.connect(self._refused)
        self.importer.busy_changed.connect(self._busy)

        self.list = QListWidget(self)
        self.list.setObjectName("photoList")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(True)
        self.list.setSpacing(6)
        self.list.setFixedHeight(THUMBNAIL + 48)
        self.list.itemActivated.connect(lambda _item: self.view_current())
        self.hint = QLabel(HINT, self)
        self.hint.setObjectName("dropHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.add_button = QPushButton("Add from a file…", self)
        self.paste_button = QPushButton("Paste photo", self)
        self.camera_button: QPushButton | None = None
        if camera_available():
            self.camera_button = QPushButton("Take photo", self)
            self.camera_button.clicked.connect(self.take_photo)
        self.view_button = QPushButton("View larger", self)
        self.remove_button = QPushButton("Remove photo", self)
        self.remove_button.setProperty("role", "warning")
        self.status = QLabel(self)
        self.status.setObjectName("fieldHint")
        self.status.hide()
        self.refusal = QLabel(self)
        self.refusal.setObjectName("fieldError")
        self.refusal.setWordWrap(True)
        self.refusal.setAccessibleName("Why the photo was not attached")
        self.refusal.hide()

        self.add_button.clicked.connect(self.add_from_files)
        self.paste_button.clicked.connect(self.paste)
        self.view_button.clicked.connect(self.view_current)
        self.remove_button.clicked.connect(self.remove_current)
        self.list.currentRowChanged.connect(lambda _row: self._sync_buttons())
        paste = QShortcut(QKeySequence.StandardKey.Paste, self, self.paste)
        paste.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.list, self.remove_current)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for button in (self.add_button, self.paste_button, self.camera_button):
            if button is not None:
                buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.view_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.hint)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.refusal)
        self.setAcceptDrops(True)
        self.watch_focus(*self.focus_widgets())
        self._sync_buttons()

    # -- adding --------------------------------------------------------------------------------

    def add_from_files(self) -> None:
        paths = self._choose(self)
        if paths:
            self.take([Path(p) for p in paths])

    def paste(self) -> None:
        """Attach the photo on the clipboard, then empty the clipboard."""
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        sources = sources_in(mime) if mime is not None else []
        if not sources:
            self._refused(NO_PHOTO)
            return
        clipboard.clear()
        self.take(sources)

    def take_photo(self) -> None:
        dialog = CaptureDialog(lambda data: self.take([data]), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def take(self, sources: list[Source]) -> None:
        """Queue photos for processing, as many as the question still has room for."""
        self.refusal.hide()
        room = len(sources) if self.most is None else self.most - self._count()
        if room <= 0 or (self.most is not None and len(sources) > room):
            self._refused(self._limit_words())
        if room > 0:
            self.importer.add(sources[:room])

    def _count(self) -> int:
        return len(self.photos) + self.importer.pending

    def _limit_words(self) -> str:
        if self.most == 1:
            return "This question takes one photo. Remove it first to attach another."
        return f"This question takes at most {self.most} photos."

    def _processed(self, photo: ProcessedPhoto) -> None:
        if any(p.answer.sha256 == photo.sha256 for p in self.photos):
            self._refused("This photo is already attached.")
            return
        self._append(AttachedPhoto.from_processed(photo))
        self.list.setCurrentRow(len(self.photos) - 1)
        self.value_changed.emit()
        self.focus_left.emit()  # attaching is a finished action: say what is still missing

    def _refused(self, message: str) -> None:
        self.refusal.setText(message)
        self.refusal.show()

    def _busy(self, busy: bool) -> None:
        self.status.setText("Preparing the photo…" if busy else "")
        self.status.setVisible(busy)

    # -- drag and drop -------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime is not None and could_hold_photos(mime) and not self.read_only:
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        sources = sources_in(mime) if mime is not None else []
        if not sources:
            self._refused("That is not a photo. Only JPEG, PNG and HEIC photos can be attached.")
            return
        event.acceptProposedAction()
        self.take(sources)

    # -- the photos ----------------------------------------------------------------------------

    def _append(self, photo: AttachedPhoto) -> None:
        self.photos.append(photo)
        number = len(self.photos)
        entry = QListWidgetItem(thumbnail(photo.data), f"Photo {number}")
        if photo.data is None:
            entry.setText(f"Photo {number} (not downloaded yet)")
        entry.setToolTip(photo.answer.title)
        self.list.addItem(entry)
        self._sync_buttons()

    def _renumber(self) -> None:
        for index in range(min(self.list.count(), len(self.photos))):
            entry = self.list.item(index)
            waiting = " (not downloaded yet)" if self.photos[index].data is None else ""
            entry.setText(f"Photo {index + 1}{waiting}")
            entry.setData(
                Qt.ItemDataRole.AccessibleTextRole, f"Photo {index + 1} of {self.list.count()}"
            )

    def _sync_buttons(self) -> None:
        has = bool(self.photos)
        chosen = has and self.list.currentRow() >= 0
        full = self.most is not None and len(self.photos) >= self.most
        for button in (self.add_button, self.paste_button, self.camera_button):
            if button is not None:
                button.setEnabled(not full and not self.read_only)
        self.view_button.setEnabled(chosen and self.photos[self.list.currentRow()].data is not None)
        self.remove_button.setEnabled(chosen and not self.read_only)
        self.list.setVisible(has)
        self.hint.setVisible(not has and not self.read_only)
        self._renumber()

    def current(self) -> AttachedPhoto | None:
        row = self.list.currentRow()
        return self.photos[row] if 0 <= row < len(self.photos) else None

    def view_current(self) -> PhotoViewer | None:
        photo = self.current()
        if photo is None or photo.data is None:
            return None
        caption = f"Photo {self.photos.index(photo) + 1} of {len(self.photos)}"
        viewer = PhotoViewer(photo.data, caption=caption, parent=self)
        viewer.open()
        return viewer

    def remove_current(self) -> None:
        row = self.list.currentRow()
        if self.read_only or not 0 <= row < len(self.photos):
            return
        self.list.takeItem(row)  # before the photo goes: the list's signals read both
        del self.photos[row]
        self.refusal.hide()
        self._sync_buttons()
        self.value_changed.emit()

    # -- FieldInput ----------------------------------------------------------------------------

    def value(self) -> object | None:
        answers = [p.answer for p in self.photos]
        if self.item.repeats:
            return answers or None
        return answers[0] if answers else None

    def set_value(self, value: object | None) -> None:
        given = value if isinstance(value, list | tuple) else ([] if value is None else [value])
        self.list.clear()
        self.photos.clear()
        for answer in given:
            if isinstance(answer, PhotoLike):
                self._append(attached(answer, self.known.get(answer.sha256)))
        self._sync_buttons()
        self.value_changed.emit()

    def processed_photos(self) -> list[ProcessedPhoto]:
        """The photos with their bytes, in order (what filing puts in the store)."""
        return [p for p in (photo.processed() for photo in self.photos) if p is not None]

    def focus_widgets(self) -> list[QWidget]:
        buttons = [self.add_button, self.paste_button, self.camera_button]
        return [
            self.list,
            *[b for b in buttons if b is not None],
            self.view_button,
            self.remove_button,
        ]

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._sync_buttons()

    def describe(self, name: str, description: str = "") -> None:
        super().describe(name, description)
        self.list.setAccessibleName(f"{name}: photos attached")
        self.add_button.setAccessibleName(f"Add a photo to {name} from a file")
        self.paste_button.setAccessibleName(f"Paste a photo into {name}")
        if self.camera_button is not None:
            self.camera_button.setAccessibleName(f"Take a photo for {name}")
        self.view_button.setAccessibleName("View the chosen photo larger")
        self.remove_button.setAccessibleName("Remove the chosen photo")
