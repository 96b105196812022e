"""A photo on a form, as the form holds it: the answer it files and the bytes it shows.

The bytes live in memory only; thumbnails are made from them with `QImage.fromData`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QImage, QPixmap

from wardlink.core.fhir import sha1_base64
from wardlink.core.forms import PhotoAnswer, PhotoLike
from wardlink.core.photos import ProcessedPhoto

THUMBNAIL: Final = 96
DEFAULT_TITLE: Final = "Clinical photograph"


@dataclass(frozen=True)
class AttachedPhoto:
    """A photo on the form. `data` is None for a photo of an earlier version that has not been
    downloaded to this computer yet."""

    answer: PhotoAnswer
    data: bytes | None
    width: int = 0
    height: int = 0

    @classmethod
    def from_processed(cls, photo: ProcessedPhoto) -> AttachedPhoto:
        answer = PhotoAnswer(
            sha256=photo.sha256,
            content_type=photo.content_type,
            size=photo.size,
            title=DEFAULT_TITLE,
            sha1=photo.sha1_base64,
        )
        return cls(answer, photo.data, photo.width, photo.height)

    def processed(self) -> ProcessedPhoto | None:
        """The photo as the store files it (None while its bytes are not here)."""
        if self.data is None:
            return None
        digest = self.answer.sha1 or sha1_base64(
            hashlib.sha1(self.data, usedforsecurity=False).hexdigest()
        )
        return ProcessedPhoto(
            data=self.data,
            content_type=self.answer.content_type,
            width=self.width,
            height=self.height,
            size=len(self.data),
            sha256=self.answer.sha256,
            sha1_base64=digest,
        )


def thumbnail(data: bytes | None) -> QIcon:
    image = QImage.fromData(data) if data else QImage()
    if image.isNull():
        return QIcon()
    return QIcon(
        QPixmap.fromImage(
            image.scaled(
                THUMBNAIL,
                THUMBNAIL,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
    )


def attached(answer: PhotoLike, held: tuple[str, bytes] | None) -> AttachedPhoto:
    """A photo of an earlier version: its answer, with its bytes where this computer has them."""
    kept = PhotoAnswer(
        sha256=answer.sha256,
        content_type=answer.content_type,
        size=answer.size,
        title=answer.title,
        sha1=getattr(answer, "sha1", None),
    )
    if held is None:
        return AttachedPhoto(kept, None)
    image = QImage.fromData(held[1])
    return AttachedPhoto(kept, held[1], image.width(), image.height())
