"""Taking a photo with the PC's camera, where Qt Multimedia is installed and a camera is present.

PySide6-Essentials has no Qt Multimedia, so this is optional: without it the form offers no
camera button at all (rather than one that fails). The capture stays in memory: `QImageCapture`
hands over a QImage (`capture`, never `captureToFile`), which is encoded to JPEG bytes here and
then goes through the same processing as any other photo.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from wardlink.ui.forms.photo_import import encoded_image


@functools.cache
def _multimedia() -> tuple[ModuleType, ModuleType] | None:
    try:
        return (
            importlib.import_module("PySide6.QtMultimedia"),
            importlib.import_module("PySide6.QtMultimediaWidgets"),
        )
    except ImportError:
        return None


def camera_available() -> bool:
    """True where Qt Multimedia is installed and the PC has a camera."""
    modules = _multimedia()
    return modules is not None and bool(modules[0].QMediaDevices.videoInputs())


class CaptureDialog(QDialog):
    """The camera's picture and a "Take photo" button; `taken` gets the JPEG bytes."""

    def __init__(self, taken: Callable[[bytes], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        modules = _multimedia()
        if modules is None:
            raise RuntimeError("Qt Multimedia is not installed")
        media, widgets = modules
        self.setWindowTitle("Take a clinical photo")
        self._taken = taken
        self._camera: Any = media.QCamera(self)
        self._capture: Any = media.QImageCapture(self)
        self._session: Any = media.QMediaCaptureSession(self)
        preview: Any = widgets.QVideoWidget(self)
        self._session.setCamera(self._camera)
        self._session.setImageCapture(self._capture)
        self._session.setVideoOutput(preview)
        self._capture.imageCaptured.connect(self._captured)
        take = QPushButton("Take photo", self)
        take.setProperty("role", "primary")
        cancel = QPushButton("Cancel", self)
        take.clicked.connect(self._capture.capture)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(take)
        layout = QVBoxLayout(self)
        layout.addWidget(preview, 1)
        layout.addLayout(buttons)
        self.resize(720, 560)
        self._camera.start()

    def _captured(self, _id: int, image: Any) -> None:
        self._camera.stop()
        self._taken(encoded_image(image, "JPEG"))
        self.accept()
