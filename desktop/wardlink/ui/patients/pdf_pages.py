"""A printed note laid out on A4 pages: the document, its photos, and each page's footer.

Kept apart from the export operation so the same pages can be drawn on a `QPdfWriter` or, for
a preview or a test, on a `QImage`. Photos are added to the document as image resources from
memory; nothing is read from or written to a file here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from PySide6.QtCore import QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPaintDevice,
    QPainter,
    QPalette,
    QPen,
    QTextDocument,
)

from wardlink.ui.patients.note_html import PRINT, PrintedNote, footer_text, pdf_html, photo_resource

BODY_POINTS: Final = 10.5
SCREEN_DPI: Final = 96


class NotePages:
    """The note laid out for `device`, in pages of `page` (device pixels, inside the margins)."""

    def __init__(
        self, printed: PrintedNote, photos: Mapping[str, bytes], device: QPaintDevice, page: QSizeF
    ) -> None:
        font = QFont()
        font.setPointSizeF(BODY_POINTS)
        self._small = QFont(font)
        self._small.setPointSizeF(BODY_POINTS * 0.8)
        self._footer_height = QFontMetricsF(self._small, device).height() * 3.5
        self.body = QSizeF(page.width(), page.height() - self._footer_height)
        self._palette = QPalette()  # print colours, whatever the screen's scheme
        self._palette.setColor(QPalette.ColorRole.Text, QColor(PRINT.text))
        self._footer = footer_text(printed)
        self._patient = f"{printed.patient_line} · {printed.note.form_title}"
        self.document = QTextDocument()
        self.document.documentLayout().setPaintDevice(device)
        self.document.setDefaultFont(font)
        self.document.setPageSize(self.body)
        dpi = device.logicalDpiX()
        sizes: dict[str, tuple[int, int]] = {}
        for sha, data in photos.items():
            image = QImage.fromData(data)
            if image.isNull():
                continue
            name = photo_resource(sha)
            self.document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
            sizes[name] = fit(image.width(), image.height(), self.body, dpi)
        self.document.setHtml(pdf_html(printed, sizes))

    @property
    def count(self) -> int:
        return self.document.pageCount()

    def draw(self, painter: QPainter, index: int) -> None:
        """Page `index` (from 0) at the painter's origin, with its footer: the patient and the
        form on every page (a page of photos must still say whose they are), then who exported
        it and that it is confidential."""
        body, count = self.body, self.count
        painter.save()
        painter.translate(0, -index * body.height())
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = QRectF(0, index * body.height(), body.width(), body.height())
        context.palette = self._palette
        painter.setClipRect(context.clip)
        self.document.documentLayout().draw(painter, context)
        painter.restore()
        top = body.height() + self._footer_height * 0.2
        painter.save()
        painter.setPen(QPen(QColor(PRINT.border), max(1.0, self._footer_height / 40)))
        painter.drawLine(0, int(top), int(body.width()), int(top))
        painter.setPen(QColor(PRINT.muted))
        painter.setFont(self._small)
        painter.drawText(
            QRectF(0, top, body.width(), self._footer_height * 0.8),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            | int(Qt.TextFlag.TextWordWrap),
            f"{self._patient} · Page {index + 1} of {count}\n{self._footer}",
        )
        painter.restore()


def fit(width: int, height: int, room: QSizeF, dpi: int) -> tuple[int, int]:
    """A photo's size on the page: within the width and under half the page's height (two to a
    page), and no larger than it shows on a screen, so a small photo is not blown up."""
    scale = min(room.width() * 0.9 / width, room.height() * 0.42 / height, dpi / SCREEN_DPI)
    return max(1, int(width * scale)), max(1, int(height * scale))
