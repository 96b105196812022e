"""Getting a clinical photo in: from a file, a paste or a drop, made safe by the core first.

Every photo goes through `core.photos.process_photo` (upright, metadata stripped, re-encoded,
within the size cap) before the form sees it. That takes a moment for a phone photo, so it runs
on a worker thread of its own and the result comes back as a signal, in the order the photos
were given. Nothing is written anywhere: the bytes stay in memory until the note is filed into
the encrypted store.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QBuffer, QIODevice, QMimeData, QObject, Signal, Slot
from PySide6.QtGui import QImage

from wardlink.core.photos import PhotoRejected, ProcessedPhoto, process_photo

# Encoded photo formats a paste or drop may carry as they are (better than Qt's decoded copy).
RAW_FORMATS: Final = ("image/jpeg", "image/png", "image/heic", "image/heif")
UNREADABLE: Final = "This file could not be opened. Check it is a photo, then try again."
NO_PHOTO: Final = "There is no photo to paste. Copy a photo first, then paste it here."

Process = Callable[..., ProcessedPhoto]
Source = bytes | Path


def encoded_image(image: QImage, fmt: str = "PNG") -> bytes:
    """A decoded image as file bytes, in memory (never through a file)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, fmt.encode())
    data = bytes(buffer.data().data())
    buffer.close()
    return data


def sources_in(mime: QMimeData) -> list[Source]:
    """The photos a paste or drop carries: encoded bytes, local files, or a decoded image."""
    for fmt in RAW_FORMATS:
        if mime.hasFormat(fmt):
            return [bytes(mime.data(fmt).data())]
    files = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    if files:
        return list(files)
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return [encoded_image(image)]
    return []


def could_hold_photos(mime: QMimeData) -> bool:
    """Whether to accept a drag at all (the content is judged when it is dropped)."""
    return (
        mime.hasImage()
        or any(mime.hasFormat(f) for f in RAW_FORMATS)
        or any(url.isLocalFile() for url in mime.urls())
    )


class PhotoImporter(QObject):
    """Processes photos one at a time off the GUI thread.

    Signals:
    - processed(ProcessedPhoto): a photo is ready to attach.
    - refused(str): a file or paste could not be attached; the reason in plain words.
    - busy_changed(bool): photos are (or are no longer) being prepared.
    """

    processed = Signal(object)
    refused = Signal(str)
    busy_changed = Signal(bool)
    _done = Signal(object, str)

    def __init__(
        self, max_bytes: int, parent: QObject | None = None, *, process: Process = process_photo
    ) -> None:
        super().__init__(parent)
        self.max_bytes = max_bytes
        self._process = process
        self._pending = 0
        self._closed = threading.Event()
        self._worker: ThreadPoolExecutor | None = None  # started with the first photo
        self._done.connect(self._deliver)

    @property
    def pending(self) -> int:
        return self._pending

    def add(self, sources: Sequence[Source]) -> None:
        """Queue photos (bytes, or files the user chose) for processing, in this order."""
        if self._closed.is_set():
            return
        for source in sources:
            self._pending += 1
            if self._pending == 1:
                self.busy_changed.emit(True)
            if self._worker is None:
                self._worker = self._start_worker()
            self._worker.submit(
                _prepare, source, self._process, self.max_bytes, self._closed, self._done
            )

    @Slot(object, str)
    def _deliver(self, photo: ProcessedPhoto | None, message: str) -> None:
        self._pending -= 1
        if photo is not None:
            self.processed.emit(photo)
        else:
            self.refused.emit(message)
        if self._pending == 0:
            self.busy_changed.emit(False)

    def _start_worker(self) -> ThreadPoolExecutor:
        """One worker thread, stopped when the importer goes (closed, or deleted with its form:
        the clean-up holds no reference to the importer itself)."""
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-import")
        closed = self._closed

        def stop() -> None:
            closed.set()
            worker.shutdown(wait=False, cancel_futures=True)

        self.destroyed.connect(stop)
        return worker

    def close(self) -> None:
        """Stop: photos still queued are dropped (the form is going away)."""
        self._closed.set()
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)


def _prepare(
    source: Source, process: Process, max_bytes: int, closed: threading.Event, done: Any
) -> None:
    """On the worker thread: read and process one photo, and hand the result back. It is given
    everything it needs up front, so it never touches the importer, which may be gone by now."""
    photo: ProcessedPhoto | None = None
    message = ""
    try:
        data = source if isinstance(source, bytes) else source.read_bytes()
        photo = process(data, max_bytes=max_bytes)
    except PhotoRejected as refusal:
        message = refusal.message
    except OSError:
        message = UNREADABLE
    if not closed.is_set():
        with contextlib.suppress(RuntimeError):  # the form closed while the photo was prepared
            done.emit(photo, message)
