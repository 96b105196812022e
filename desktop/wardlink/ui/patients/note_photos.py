"""Loading a note's photos for the patient view: bytes and a thumbnail, from memory only.

An operation for the DB lane. Decoding and scaling run there too (`QImage` is safe off the GUI
thread), so a large photo never stalls the window; the viewer decodes the full image from the
bytes when it is opened. Photos are never written to a file (DESIGN.md §6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from wardlink.store import attachments
from wardlink.store.database import Store

THUMBNAIL_PX: Final = 144


@dataclass(frozen=True)
class LoadedPhoto:
    """A photo's bytes and a small image of it; `thumbnail` is null if the bytes do not decode."""

    sha256: str
    data: bytes = field(repr=False)
    thumbnail: QImage = field(repr=False)


def thumbnail_of(data: bytes, size: int = THUMBNAIL_PX) -> QImage:
    image = QImage.fromData(data)
    if image.isNull():
        return image
    return image.scaled(
        size,
        size,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


def load_photos(store: Store, hashes: Sequence[str]) -> dict[str, LoadedPhoto]:
    """The photos of `hashes` held here; those not downloaded yet are simply absent."""
    found: dict[str, LoadedPhoto] = {}
    for sha in dict.fromkeys(hashes):
        held = attachments.get_attachment(store, sha)
        if held is not None:
            found[sha] = LoadedPhoto(sha, held[1], thumbnail_of(held[1]))
    return found
