"""A clinical photo at full size, to check it is the right wound before filing.

Shown from the bytes in memory (`QImage.fromData`), never from a file. Zoom with the buttons or
the keys + and − (0 fits the photo to the window); the arrow keys and scroll bars move around it.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QImage,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ZOOM_STEP: Final = 1.25
MOST_ZOOM: Final = 8.0


class PhotoViewer(QDialog):
    """One photo, zoomable (no signals)."""

    def __init__(self, data: bytes, *, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinical photo")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._fitted = True
        image = QImage.fromData(data)
        self.scene = QGraphicsScene(self)
        self.picture = QGraphicsPixmapItem(QPixmap.fromImage(image))
        self.picture.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene.addItem(self.picture)
        self.view = QGraphicsView(self.scene, self)
        self.view.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.view.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.view.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.view.setAccessibleName(f"{caption}, {image.width()} by {image.height()} pixels")
        self.caption = QLabel(caption, self)
        self.zoom_out_button = QPushButton("Zoom out  −", self)
        self.zoom_in_button = QPushButton("Zoom in  +", self)
        self.fit_button = QPushButton("Fit  0", self)
        self.close_button = QPushButton("Close", self)
        for button, name in (
            (self.zoom_out_button, "Zoom out"),
            (self.zoom_in_button, "Zoom in"),
            (self.fit_button, "Fit the photo to the window"),
            (self.close_button, "Close"),
        ):
            button.setAccessibleName(name)
            button.setAutoDefault(False)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.fit_button.clicked.connect(self.fit)
        self.close_button.clicked.connect(self.close)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, self.zoom_in)
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, self.zoom_out)
        buttons = QHBoxLayout()
        buttons.addWidget(self.caption, 1)
        buttons.addWidget(self.zoom_out_button)
        buttons.addWidget(self.zoom_in_button)
        buttons.addWidget(self.fit_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self._fitted = True
        self.resize(900, 700)

    @property
    def scale(self) -> float:
        return self.view.transform().m11()

    def zoom_in(self) -> None:
        if self.scale * ZOOM_STEP <= MOST_ZOOM:
            self._fitted = False
            self.view.scale(ZOOM_STEP, ZOOM_STEP)

    def zoom_out(self) -> None:
        self._fitted = False
        self.view.scale(1 / ZOOM_STEP, 1 / ZOOM_STEP)

    def fit(self) -> None:
        self._fitted = True
        self.view.fitInView(self.picture, Qt.AspectRatioMode.KeepAspectRatio)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """+ (or =) zooms in, - zooms out, 0 fits: by the character, whatever the layout."""
        action = {"+": self.zoom_in, "=": self.zoom_in, "-": self.zoom_out, "0": self.fit}.get(
            event.text()
        )
        if action is not None:
            action()
        elif event.key() == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)
