"""A clinical photo, larger: zoom in and out, fit to the window, or actual size.

Read-only and small on purpose (the form editor has its own viewer for attaching photos). The
image is decoded from bytes in memory and never written to a file; the window's title names no
patient and no photo.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeyEvent, QKeySequence, QPixmap, QShowEvent, QWheelEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

WINDOW_TITLE: Final = "Clinical photo"
ZOOM_STEP: Final = 1.25
ZOOM_MIN: Final = 0.05
ZOOM_MAX: Final = 8.0


class _ZoomArea(QScrollArea):
    """Ctrl + the mouse wheel zooms; the wheel alone scrolls."""

    def __init__(self, viewer: PhotoViewer) -> None:
        super().__init__(viewer)
        self._viewer = viewer

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._viewer.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
            event.accept()
            return
        super().wheelEvent(event)


class PhotoViewer(QDialog):
    """One photo, zoomable. Keys: Ctrl++ and Ctrl+- zoom, Ctrl+0 actual size, F fits, Esc
    closes."""

    def __init__(self, data: bytes, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self.setAccessibleName(WINDOW_TITLE)
        self._image = QImage.fromData(data)
        self._zoom = 1.0
        self.caption = QLabel(caption, self)
        self.caption.setWordWrap(True)
        self.caption.setAccessibleName("Photo caption")
        self.picture = QLabel(self)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setAccessibleName("Photo")
        self.picture.setAccessibleDescription(caption)
        self.area = _ZoomArea(self)
        self.area.setWidget(self.picture)
        self.area.setWidgetResizable(False)
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area.setAccessibleName("Photo, zoomable")
        self.zoom_out = self._button("Zoom out", "Make the photo smaller (Ctrl+-)")
        self.zoom_in = self._button("Zoom in", "Make the photo larger (Ctrl++)")
        self.fit = self._button("Fit to window", "Show the whole photo (F)")
        self.actual = self._button("Actual size", "Show the photo at its own size (Ctrl+0)")
        self.close_button = self._button("Close", "Close the photo (Esc)")
        self.zoom_label = QLabel(self)
        self.zoom_label.setObjectName("hint")
        self.zoom_label.setAccessibleName("Zoom")
        self.zoom_out.clicked.connect(lambda: self.zoom_by(1 / ZOOM_STEP))
        self.zoom_in.clicked.connect(lambda: self.zoom_by(ZOOM_STEP))
        self.fit.clicked.connect(self.fit_to_window)
        self.actual.clicked.connect(lambda: self.set_zoom(1.0))
        self.close_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        for button in (self.zoom_out, self.zoom_in, self.fit, self.actual):
            buttons.addWidget(button)
        buttons.addWidget(self.zoom_label)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.area, 1)
        layout.addLayout(buttons)
        self.resize(900, 700)
        if self._image.isNull():
            self.picture.setText("This photo cannot be shown: its data is damaged.")
            for button in (self.zoom_out, self.zoom_in, self.fit, self.actual):
                button.setEnabled(False)

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(text)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        return button

    @property
    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, zoom: float) -> None:
        if self._image.isNull():
            return
        self._zoom = max(ZOOM_MIN, min(ZOOM_MAX, zoom))
        size = self._image.size() * self._zoom
        scaled = self._image.scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.picture.setPixmap(QPixmap.fromImage(scaled))
        self.picture.resize(scaled.size())
        self.zoom_label.setText(f"{round(self._zoom * 100)}%")

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self._zoom * factor)

    def fit_to_window(self) -> None:
        if self._image.isNull():
            return
        room = self.area.viewport().size()
        self.set_zoom(
            min(
                (room.width() - 4) / self._image.width(),
                (room.height() - 4) / self._image.height(),
            )
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Ctrl++ (or Ctrl+=) and Ctrl+- zoom, Ctrl+0 is actual size, F fits the window."""
        control = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        key = event.key()
        if event.matches(QKeySequence.StandardKey.ZoomIn) or (control and key == Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif event.matches(QKeySequence.StandardKey.ZoomOut):
            self.zoom_by(1 / ZOOM_STEP)
        elif control and key == Qt.Key.Key_0:
            self.set_zoom(1.0)
        elif key == Qt.Key.Key_F and not event.modifiers():
            self.fit_to_window()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_to_window()
