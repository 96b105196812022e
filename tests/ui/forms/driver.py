"""Filling in forms as a person would: typing into the real line edits, clicking the real radio
buttons and tick boxes, choosing in the real drop-down lists."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Mapping
from typing import TypeVar

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from wardlink.core.forms import Quantity
from wardlink.ui.forms import NoteEditor
from wardlink.ui.forms.choice_inputs import (
    BooleanInput,
    ListChoiceInput,
    MultiChoiceInput,
    RadioChoiceInput,
)
from wardlink.ui.forms.date_inputs import DateInput, DateTimeInput
from wardlink.ui.forms.field_input import FieldInput
from wardlink.ui.forms.number_inputs import NumberInput, QuantityInput
from wardlink.ui.forms.patient_inputs import PatientNumberInput
from wardlink.ui.forms.repeating_input import RepeatingInput
from wardlink.ui.forms.text_inputs import LineInput, TextBlockInput

F = TypeVar("F", bound=FieldInput)
TODAY = dt.date(2026, 11, 26)
NHS_NUMBER = "943 476 5919"
BAD_NHS_NUMBER = "943 476 5918"  # one digit off: fails the check digit
TAKEN = "26/11/2026"

PATIENT: dict[str, object] = {
    "patient.identifierSystem": "nhs",
    "patient.identifier": NHS_NUMBER,
    "patient.birthDate": "12/03/1950",
}

# What a nurse types or picks, per form, in the form's order. Dates and times as typed.
TYPED: dict[str, dict[str, object]] = {
    "community-visit": {
        "visit.start": (TAKEN, "10:30"),
        "visit.durationMinutes": 40,
        "visit.type": "planned",
        "visit.setting": "home",
        "visit.reason": "Leg ulcer dressing.",
        "visit.care": "Compression bandaging reapplied.",
        "visit.bloodGlucose": "6.4",
        "visit.weight": Quantity(72.4, "kg"),
        "visit.concerns": True,
        "visit.concernDetails": "Carer struggling; passed to the GP.",
        "visit.plan": "Next visit Friday.",
        "visit.nextVisit": "1/12/2026",
    },
    "news2-observations": {
        "news2.takenAt": (TAKEN, "0915"),
        "news2.respiratoryRate": 22,
        "news2.spo2Scale": "1",
        "news2.spo2": 95,
        "news2.airOrOxygen": "oxygen",
        "news2.oxygenDevice": "venturi",
        "news2.oxygenFlow": Quantity(4, "L/min"),
        "news2.systolicBP": 105,
        "news2.pulse": 112,
        "news2.consciousness": "A",
        "news2.temperature": "38.4",
        "news2.escalated": True,
        "news2.escalatedTo": "Nurse in charge",
    },
    "post-fall-review": {
        "fall.occurredAt": (TAKEN, "03:10"),
        "fall.location": "Bay 3 bathroom",
        "fall.witnessed": False,
        "fall.account": "Found on the floor; says she slipped.",
        "fall.headInjury": "cannot-exclude",
        "fall.anticoagulant": True,
        "fall.injuries": ["bruise", "pain"],
        "fall.news2": 2,
        "fall.neuro.gcs": 15,
        "fall.neuro.pupils": "equal-reactive",
        "fall.neuro.limbWeakness": False,
        "fall.neuro.vomiting": False,
        "fall.actions.medicalReview": True,
        "fall.actions.reviewedBy": "FY2 on call",
        "fall.actions.familyInformed": True,
        "fall.actions.incidentReported": False,
    },
    "safeguarding-concern": {
        "safeguarding.raisedAt": (TAKEN, "14:00"),
        "safeguarding.about": "adult",
        "safeguarding.category": ["financial", "neglect"],
        "safeguarding.description": 'Says "my nephew keeps my bank card".',
        "safeguarding.disclosure": True,
        "safeguarding.immediateRisk": False,
        "safeguarding.consent": "no",
        "safeguarding.noConsentReason": "Risk to others.",
        "safeguarding.referralMade": True,
        "safeguarding.referralReference": "SG-0042",
        "safeguarding.agencies": ["police", "gp"],
    },
    "sbar-handover": {
        "sbar.situation.summary": "New shortness of breath since 14:00.",
        "sbar.situation.concern": "concerned",
        "sbar.background.admission": "Admitted 25/11 with pneumonia.",
        "sbar.background.allergies": "Penicillin (rash)",
        "sbar.background.resuscitation": "dnacpr",
        "sbar.background.ceilingOfCare": "Ward-based care only.",
        "sbar.assessment.news2": 5,
        "sbar.assessment.findings": "RR 24, SpO2 92% on 2 L/min.",
        "sbar.recommendation.request": "Review within the hour.",
        "sbar.recommendation.timeframe": "1h",
    },
    "wound-assessment": {
        "wound.assessedAt": (TAKEN, "11:45"),
        "wound.location": "Left heel",
        "wound.type": "pressure-ulcer",
        "wound.pressureCategory": "2",
        "wound.length": "2.5",
        "wound.width": "1.5",
        "wound.tissue": ["granulating", "slough"],
        "wound.exudate": "low",
        "wound.infection": False,
        "wound.pain": 3,
        "wound.treatment": "Cleansed with saline; foam dressing.",
        "wound.photosTaken": False,
    },
}


def field_of(editor: NoteEditor, link_id: str, kind: type[F]) -> F:
    """The control answering `link_id`, as the kind of control it must be."""
    field = editor.view.rows[link_id].field
    assert isinstance(field, kind), type(field).__name__
    return field


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def enter(qtbot: QtBot, field: FieldInput, value: object) -> None:
    """Answer one question through its controls."""
    if isinstance(field, PatientNumberInput | LineInput | TextBlockInput | NumberInput):
        type_into(qtbot, field.edit, str(value))
    elif isinstance(field, QuantityInput):
        assert isinstance(value, Quantity)
        type_into(qtbot, field.edit, str(value.value))
        if field.unit is not None:
            field.unit.setCurrentIndex(field.unit.findData(value.unit))
    elif isinstance(field, DateInput):
        type_into(qtbot, field.edit, str(value))
    elif isinstance(field, DateTimeInput):
        assert isinstance(value, tuple)
        type_into(qtbot, field.date_edit, value[0])
        type_into(qtbot, field.time_edit, value[1])
    elif isinstance(field, BooleanInput):
        click(qtbot, field.buttons[0 if value else 1])
    elif isinstance(field, RadioChoiceInput):
        click(qtbot, field.buttons[field.codes.index(value)])
    elif isinstance(field, ListChoiceInput):
        field.combo.setFocus()
        field.combo.setCurrentIndex(field.combo.findData(value))
    elif isinstance(field, MultiChoiceInput):
        assert isinstance(value, list)
        for code in value:
            click(qtbot, field.boxes[field.codes.index(code)])
    elif isinstance(field, RepeatingInput):
        assert isinstance(value, list)
        for index, one in enumerate(value):
            if index:
                click(qtbot, field.add_button)
            enter(qtbot, field.entries[index], one)
    else:
        raise AssertionError(f"no driver for {type(field).__name__}")


def fill(qtbot: QtBot, editor: NoteEditor, answers: Mapping[str, object]) -> None:
    """Answer questions in the order given (the form's, so conditions come first)."""
    for link_id, value in answers.items():
        row = editor.view.rows[link_id]
        assert row.isVisible(), f"{link_id} is not shown"
        enter(qtbot, row.field, value)


def photo_bytes(seed: int = 1, size: tuple[int, int] = (320, 240), fmt: str = "JPEG") -> bytes:
    """A photo of noise (so that any piece of its bytes is unmistakable), with EXIF."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(3 * size[0] * size[1]))
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "SecretCam"  # Make: must not survive processing
        image.save(out, format="JPEG", quality=92, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()
