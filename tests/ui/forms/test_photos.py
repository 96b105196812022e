"""Photos on a form: from a file, a paste or a drop, each processed by the core first (metadata
gone), refused in plain words when they cannot be attached, and viewed from memory. Without Qt
Multimedia there is no camera button at all."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QPushButton
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from wardlink.core.form_parser import parse_form
from wardlink.core.forms import PhotoAnswer
from wardlink.ui.forms import NoteEditor
from wardlink.ui.forms.photo_import import NO_PHOTO
from wardlink.ui.forms.photo_strip import PhotoStrip
from wardlink.ui.forms.photo_viewer import PhotoViewer
from wardlink.ui.forms.webcam import camera_available

from .conftest import MakeEditor
from .driver import click, field_of, fill, photo_bytes

ONE_PHOTO = parse_form(
    {
        "resourceType": "Questionnaire", "id": "one-photo", "status": "active", "version": "1",
        "url": "https://wardlink.example.nhs.uk/fhir/Questionnaire/one-photo",
        "name": "OnePhoto", "title": "One photo",
        "item": [{"linkId": "photo", "text": "Photo", "type": "attachment"}],
    }
)  # fmt: skip


def wound_photos(qtbot: QtBot, editor: NoteEditor) -> PhotoStrip:
    fill(qtbot, editor, {"wound.photosTaken": True, "wound.photoConsent": "patient"})
    return field_of(editor, "wound.photos", PhotoStrip)


def wait_for(qtbot: QtBot, strip: PhotoStrip, count: int) -> None:
    qtbot.waitUntil(lambda: len(strip.photos) == count and strip.importer.pending == 0)


def choosing(monkeypatch: pytest.MonkeyPatch, *paths: Path) -> None:
    """The file dialog, answered as if the user picked `paths`."""

    def chosen(*_args: object, **_kwargs: object) -> tuple[list[str], str]:
        return [str(p) for p in paths], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(chosen))


def test_a_photo_from_a_file_is_processed_and_shown(
    qtbot: QtBot, make_editor: MakeEditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = photo_bytes(seed=1)
    path = tmp_path / "heel.jpg"
    path.write_bytes(original)
    editor = make_editor("wound-assessment")
    strip = wound_photos(qtbot, editor)
    assert strip.hint.isVisible() and not strip.list.isVisible()
    choosing(monkeypatch, path)
    click(qtbot, strip.add_button)
    wait_for(qtbot, strip, 1)
    (photo,) = strip.photos
    assert photo.data is not None and photo.data != original
    assert b"SecretCam" not in photo.data  # the core stripped the metadata
    assert photo.data.startswith(b"\xff\xd8") and (photo.width, photo.height) == (320, 240)
    assert strip.list.isVisible() and not strip.list.item(0).icon().isNull()
    assert strip.list.item(0).text() == "Photo 1"
    answer = editor.view.answers()["wound.photos"]
    assert isinstance(answer, list) and len(answer) == 1
    assert isinstance(answer[0], PhotoAnswer) and answer[0].sha256 == photo.answer.sha256
    assert not strip.refusal.isVisible()


def test_a_pasted_photo_is_attached_and_the_clipboard_emptied(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("wound-assessment")
    strip = wound_photos(qtbot, editor)
    clipboard = QGuiApplication.clipboard()
    mime = QMimeData()
    mime.setData("image/jpeg", QByteArray(photo_bytes(seed=2)))
    clipboard.setMimeData(mime)
    strip.add_button.setFocus()
    qtbot.keyClick(strip.add_button, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_for(qtbot, strip, 1)
    after = clipboard.mimeData()
    assert after is None or after.formats() == []  # nothing left for clipboard history
    # With nothing on the clipboard, Paste says so.
    clipboard.setText("not a photo")
    click(qtbot, strip.paste_button)
    assert strip.refusal.isVisible() and strip.refusal.text() == NO_PHOTO
    assert len(strip.photos) == 1
    clipboard.clear()


def test_photos_can_be_dropped_as_files_or_as_image_data(
    qtbot: QtBot, make_editor: MakeEditor, tmp_path: Path
) -> None:
    editor = make_editor("wound-assessment")
    strip = wound_photos(qtbot, editor)
    path = tmp_path / "from the camera.jpg"
    path.write_bytes(photo_bytes(seed=3))
    as_file = QMimeData()
    as_file.setUrls([QUrl.fromLocalFile(str(path))])
    as_png = QMimeData()
    as_png.setData("image/png", QByteArray(photo_bytes(seed=4, fmt="PNG")))
    for mime in (as_file, as_png):
        entering = QDragEnterEvent(
            QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip
        QApplication.sendEvent(strip, entering)
        assert entering.isAccepted()
        dropping = QDropEvent(
            QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip
        QApplication.sendEvent(strip, dropping)
    wait_for(qtbot, strip, 2)
    assert [p.answer.content_type for p in strip.photos] == ["image/jpeg", "image/png"]
    text_only = QMimeData()
    text_only.setText("bay 3")
    refused = QDragEnterEvent(
        QPoint(20, 20), Qt.DropAction.CopyAction, text_only, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(strip, refused)
    assert not refused.isAccepted()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"GIF89a" + b"\x00" * 64, "This is a GIF file. Only JPEG, PNG and HEIC photos can be"),
        (b"Handover notes for bay 3", "This file is not a photo."),
        (photo_bytes(seed=5)[:600], "This photo is damaged or incomplete"),
    ],
)  # fmt: skip
def test_what_cannot_be_attached_is_refused_in_plain_words(
    qtbot: QtBot,
    make_editor: MakeEditor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    words: str,
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    editor = make_editor("wound-assessment")
    strip = wound_photos(qtbot, editor)
    choosing(monkeypatch, path)
    click(qtbot, strip.add_button)
    qtbot.waitUntil(strip.refusal.isVisible)
    assert strip.refusal.text().startswith(words)
    assert strip.photos == [] and editor.view.answers().get("wound.photos") is None


def test_a_photo_too_large_even_when_reduced_is_refused(
    qtbot: QtBot, make_editor: MakeEditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(photo_bytes(seed=6, size=(640, 480)))
    editor = make_editor("wound-assessment", max_photo_bytes=4096)
    strip = wound_photos(qtbot, editor)
    choosing(monkeypatch, path)
    click(qtbot, strip.add_button)
    qtbot.waitUntil(strip.refusal.isVisible)
    assert strip.refusal.text() == (
        "This photo is too large to attach, even after reducing its size and quality "
        "(the limit is 4 KB)."
    )
    assert strip.photos == []


def test_a_question_for_one_photo_takes_one(
    qtbot: QtBot, make_editor: MakeEditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = make_editor(ONE_PHOTO)
    strip = field_of(editor, "photo", PhotoStrip)
    paths = [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    for seed, path in enumerate(paths, 10):
        path.write_bytes(photo_bytes(seed=seed))
    choosing(monkeypatch, *paths)
    click(qtbot, strip.add_button)
    wait_for(qtbot, strip, 1)
    assert strip.refusal.text() == (
        "This question takes one photo. Remove it first to attach another."
    )
    assert not strip.add_button.isEnabled() and not strip.paste_button.isEnabled()
    assert isinstance(editor.view.answers()["photo"], PhotoAnswer)  # one answer, not a list
    strip.list.setCurrentRow(0)
    click(qtbot, strip.remove_button)
    assert strip.photos == [] and strip.add_button.isEnabled()
    assert "photo" not in editor.view.answers()


def test_the_same_photo_twice_is_attached_once(
    qtbot: QtBot, make_editor: MakeEditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "heel.jpg"
    path.write_bytes(photo_bytes(seed=7))
    editor = make_editor("wound-assessment")
    strip = wound_photos(qtbot, editor)
    choosing(monkeypatch, path, path)
    click(qtbot, strip.add_button)
    qtbot.waitUntil(lambda: strip.importer.pending == 0)
    assert len(strip.photos) == 1
    assert strip.refusal.text() == "This photo is already attached."


def test_without_qt_multimedia_there_is_no_camera_button(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    if importlib.util.find_spec("PySide6.QtMultimedia") is not None:
        pytest.skip("Qt Multimedia is installed here")
    assert not camera_available()
    strip = wound_photos(qtbot, make_editor("wound-assessment"))
    assert strip.camera_button is None
    labels = [b.text() for b in strip.findChildren(QPushButton)]
    assert "Take photo" not in labels and "Add from a file…" in labels


def test_the_viewer_zooms_with_the_keys(
    qtbot: QtBot, make_editor: MakeEditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "heel.jpg"
    path.write_bytes(photo_bytes(seed=8, size=(1600, 1200)))
    editor = make_editor("wound-assessment")
    strip = wound_photos(qtbot, editor)
    choosing(monkeypatch, path)
    click(qtbot, strip.add_button)
    wait_for(qtbot, strip, 1)
    click(qtbot, strip.view_button)
    viewer = strip.findChild(PhotoViewer)
    assert isinstance(viewer, PhotoViewer)
    wait_shown(qtbot, viewer)
    assert viewer.windowTitle() == "Clinical photo"
    assert viewer.picture.pixmap().width() == 1600  # the whole photo, from memory
    fitted = viewer.scale
    assert fitted < 1
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.scale == pytest.approx(fitted * 1.25)
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    assert viewer.scale == pytest.approx(fitted / 1.25)
    qtbot.keyClick(viewer, Qt.Key.Key_0)
    assert viewer.scale == pytest.approx(fitted)
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible()
