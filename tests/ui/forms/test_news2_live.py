"""The NEWS2 score on the observations form: worked out live by the core's own scoring as the
observations go in, coloured by its band, and saying what is missing until it can be."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from wardlink.core.news2 import CLINICAL_RESPONSE, score
from wardlink.ui.forms.form_style import BAND_COLOURS
from wardlink.ui.forms.news2_panel import BAND_NAMES, News2Panel
from wardlink.ui.forms.number_inputs import NumberInput

from .conftest import MakeEditor
from .driver import field_of, fill

# (what is typed, the same observations as news2.score takes them)
SETS = {
    "all normal": (
        {"news2.respiratoryRate": 16, "news2.spo2Scale": "1", "news2.spo2": 98,
         "news2.airOrOxygen": "air", "news2.systolicBP": 125, "news2.pulse": 72,
         "news2.consciousness": "A", "news2.temperature": "36.8"},
        {"respiratory_rate": 16, "spo2": 98, "scale": 1, "on_oxygen": False, "systolic_bp": 125,
         "pulse": 72, "consciousness": "A", "temperature": 36.8},
    ),
    "a single 3": (
        {"news2.respiratoryRate": 8, "news2.spo2Scale": "1", "news2.spo2": 97,
         "news2.airOrOxygen": "air", "news2.systolicBP": 130, "news2.pulse": 70,
         "news2.consciousness": "A", "news2.temperature": "37.0"},
        {"respiratory_rate": 8, "spo2": 97, "scale": 1, "on_oxygen": False, "systolic_bp": 130,
         "pulse": 70, "consciousness": "A", "temperature": 37.0},
    ),
    "medium": (
        {"news2.respiratoryRate": 22, "news2.spo2Scale": "1", "news2.spo2": 92,
         "news2.airOrOxygen": "air", "news2.systolicBP": 130, "news2.pulse": 95,
         "news2.consciousness": "A", "news2.temperature": "37.0"},
        {"respiratory_rate": 22, "spo2": 92, "scale": 1, "on_oxygen": False, "systolic_bp": 130,
         "pulse": 95, "consciousness": "A", "temperature": 37.0},
    ),
    "scale 2 on oxygen, confused": (
        {"news2.respiratoryRate": 26, "news2.spo2Scale": "2", "news2.spo2": 95,
         "news2.airOrOxygen": "oxygen", "news2.oxygenDevice": "venturi",
         "news2.systolicBP": 95, "news2.pulse": 118, "news2.consciousness": "C",
         "news2.temperature": "35.05"},
        {"respiratory_rate": 26, "spo2": 95, "scale": 2, "on_oxygen": True, "systolic_bp": 95,
         "pulse": 118, "consciousness": "C", "temperature": 35.05},
    ),
}  # fmt: skip


def panel_of(editor: object) -> News2Panel:
    panel = getattr(editor, "news2", None)
    assert isinstance(panel, News2Panel)
    return panel


@pytest.mark.parametrize("name", list(SETS))
def test_the_score_and_band_follow_the_observations_as_they_go_in(
    qtbot: QtBot, make_editor: MakeEditor, name: str
) -> None:
    typed, observations = SETS[name]
    expected = score(**observations)  # type: ignore[arg-type]
    editor = make_editor("news2-observations")
    panel = panel_of(editor)
    *first, last = typed
    fill(qtbot, editor, {k: typed[k] for k in first})
    assert panel.band == "pending" and panel.score.text() == "–"
    assert panel.detail.text() == "Still needed: Temperature (°C)."
    fill(qtbot, editor, {last: typed[last]})
    assert panel.score.text() == str(expected.total)
    assert panel.band == expected.band
    assert panel.heading.text() == f"NEWS2 {expected.total}: {BAND_NAMES[expected.band]}"
    assert panel.detail.text() == CLINICAL_RESPONSE[expected.band]
    assert panel.parts.text().startswith(f"Respiration {expected.respiratory_rate} · ")
    assert panel.accessibleName() == panel.heading.text()


def test_a_changed_reading_changes_the_score_at_once(qtbot: QtBot, make_editor: MakeEditor) -> None:
    typed, _ = SETS["all normal"]
    editor = make_editor("news2-observations")
    panel = panel_of(editor)
    fill(qtbot, editor, typed)
    assert (panel.score.text(), panel.band) == ("0", "low")
    pulse: QLineEdit = field_of(editor, "news2.pulse", NumberInput).edit
    pulse.selectAll()
    qtbot.keyClicks(pulse, "135")  # a pulse of 135 scores 3 on its own
    assert (panel.score.text(), panel.band) == ("3", "low-medium")
    qtbot.keyClicks(pulse, "0")  # 1350: not a pulse; the score waits for a real one
    assert panel.band == "check"
    assert panel.detail.text() == "Pulse must be a whole number from 20 to 300."


def test_nothing_entered_lists_everything_needed(qtbot: QtBot, make_editor: MakeEditor) -> None:
    panel = panel_of(make_editor("news2-observations"))
    assert panel.detail.text() == (
        "Still needed: Respiratory rate (breaths/min), SpO2 (%), SpO2 scale, Air or oxygen, "
        "Systolic blood pressure (mmHg), Pulse (beats/min), Consciousness (ACVPU), "
        "Temperature (°C)."
    )


def test_the_band_colour_is_the_charts(qtbot: QtBot, make_editor: MakeEditor) -> None:
    editor = make_editor("news2-observations")
    panel = panel_of(editor)
    for name, band in (("all normal", "low"), ("medium", "medium"), ("a single 3", "low-medium")):
        for link_id, row in editor.view.rows.items():
            if link_id.startswith("news2.") and row.item.calculated is None:
                row.field.clear()
        fill(qtbot, editor, SETS[name][0])
        assert panel.band == band == score(**SETS[name][1]).band  # type: ignore[arg-type]
        picture = panel.grab().toImage()
        inside = picture.pixelColor(8, picture.height() // 2)
        assert inside == QColor(BAND_COLOURS[band][0]), name


def test_only_forms_with_a_news2_score_show_the_panel(make_editor: MakeEditor) -> None:
    assert make_editor("sbar-handover").news2 is None
