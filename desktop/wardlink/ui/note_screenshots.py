"""The clinical-note shots of `python -m wardlink.ui.screenshots`: "move to a patient note", a
wound assessment with a photo, NEWS2 with its score, and the patient view.

They run while the app is signed in and online, after the chat shots: the wound assessment is
filed for real (through the editor, the store and the sync engine) so that the patient view shows
it as the record has it. The patient is the demo's made-up one; the photo is drawn here.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFilter

from wardlink.core.forms import load_form
from wardlink.ui.forms.typed_values import parse_date

if TYPE_CHECKING:
    from wardlink.ui.note_window import NoteWindow
    from wardlink.ui.screenshots import ServerDemo

EDITOR_SIZE = (1000, 800)
MOVED_TEXT = "Mrs Example in bed 4, NHS 943 476 5919, heel wound looks worse today, please review"
NHS_NUMBER = "943 476 5919"
BIRTH_DATE = "12/03/1950"
WOUND_ANSWERS: dict[str, object] = {
    "patient.birthDate": parse_date(BIRTH_DATE),
    "wound.location": "Left heel",
    "wound.type": "pressure-ulcer",
    "wound.pressureCategory": "2",
    "wound.length": 2.5,
    "wound.width": 1.5,
    "wound.tissue": ["granulating", "slough"],
    "wound.exudate": "low",
    "wound.infection": False,
    "wound.pain": 3,
    "wound.photosTaken": True,
    "wound.photoConsent": "patient",
}
NEWS2_ANSWERS: dict[str, object] = {
    "patient.identifierSystem": "nhs",
    "patient.identifier": NHS_NUMBER,
    "patient.birthDate": parse_date(BIRTH_DATE),
    "news2.respiratoryRate": 22,
    "news2.spo2Scale": "1",
    "news2.spo2": 94,
    "news2.airOrOxygen": "air",
    "news2.systolicBP": 104,
    "news2.pulse": 112,
    "news2.consciousness": "A",
    "news2.temperature": 38.4,
}


def wound_photo() -> bytes:
    """A drawn stand-in for a wound photograph (no real patient's, and no camera metadata)."""
    image = Image.new("RGB", (640, 480), (214, 180, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((220, 150, 430, 330), fill=(170, 70, 70))
    draw.ellipse((270, 190, 380, 290), fill=(200, 120, 95))
    draw.ellipse((300, 215, 345, 260), fill=(235, 215, 170))
    image = image.filter(ImageFilter.GaussianBlur(6))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _editor_window(demo: ServerDemo) -> NoteWindow:
    window = demo.window.notes.editor_window
    assert window is not None, "no note editor is open"
    window.resize(*EDITOR_SIZE)
    return window


def shot_move_to_note(demo: ServerDemo, out: Path) -> Path:
    """The composer's text moved into a wound assessment: identifiers in the patient fields."""
    from wardlink.ui.screenshots import spin, wait_until, with_dialog

    window = demo.window
    window.notes.choose = lambda _parent: load_form("wound-assessment")
    window.composer.set_text(MOVED_TEXT)
    window.composer.check_now()
    window.commands.move_to_note.trigger()
    editor = _editor_window(demo)
    wait_until(editor.isVisible, what="the note editor")
    editor.resize(900, 520)  # small enough to leave the cleared composer in view
    spin(150)
    path = with_dialog(window, editor, out / "move-to-patient-note.png")
    editor.resize(*EDITOR_SIZE)
    return path


def shot_wound_with_photo(demo: ServerDemo, out: Path) -> Path:
    """The same wound assessment, filled in, with a photo attached; then it is filed."""
    from wardlink.ui.forms.photo_strip import PhotoStrip
    from wardlink.ui.screenshots import grab, spin, wait_until

    note_window = _editor_window(demo)
    editor = note_window.editor
    answers = {**WOUND_ANSWERS, "wound.assessedAt": dt.datetime.now().replace(second=0)}
    editor.view.set_answers(answers)
    strip = editor.view.rows["wound.photos"].field
    assert isinstance(strip, PhotoStrip)
    strip.take([wound_photo()])
    wait_until(lambda: len(strip.photos) == 1 and strip.importer.pending == 0, what="the photo")
    editor.scroll_area.ensureWidgetVisible(strip, 0, 160)
    spin(150)
    path = grab(note_window, out / "wound-assessment-photo.png")
    summary = editor.submit()
    assert summary is not None, editor.view.shown_problems()
    filed: list[str] = []
    demo.window.notes.note_filed.connect(filed.append)
    summary.confirm_box.setChecked(True)
    summary.submit_button.click()
    wait_until(lambda: bool(filed), what="filing the note")
    return path


def shot_news2(demo: ServerDemo, out: Path) -> Path:
    """NEWS2 observations with the score and its escalation band, worked out as they are typed."""
    from wardlink.ui.screenshots import grab, spin, wait_until

    window = demo.window
    window.notes.choose = lambda _parent: load_form("news2-observations")
    window.commands.new_note.trigger()
    note_window = _editor_window(demo)
    wait_until(note_window.isVisible, what="the NEWS2 form")
    answers = {**NEWS2_ANSWERS, "news2.takenAt": dt.datetime.now().replace(second=0)}
    note_window.editor.view.set_answers(answers)
    spin(150)
    path = grab(note_window, out / "news2-score.png")
    note_window.close_for_good()
    spin(50)
    return path


def shot_patient_view(demo: ServerDemo, out: Path) -> Path:
    """The patient's notes from the user's teams, the wound assessment (with its photo) open."""
    from wardlink.core.identifiers import NHS_NUMBER_SYSTEM, normalise_nhs_number
    from wardlink.ui.screenshots import grab, spin, wait_until

    window = demo.window
    dialog = window.notes.patients
    dialog.resize(1100, 760)
    dialog.open_patient(NHS_NUMBER_SYSTEM, normalise_nhs_number(NHS_NUMBER))
    wait_until(
        lambda: dialog.isVisible() and dialog.view.shown is not None, what="the patient view"
    )
    spin(200)
    path = grab(dialog, out / "patient-view.png")
    dialog.close()
    return path
