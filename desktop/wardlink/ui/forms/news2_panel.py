"""The NEWS2 score, live: the total, the clinical risk band and what the chart says to do.

It appears on any form whose calculated items include the NEWS2 total, and is worked out by the
core (`form_calculations.news2_result`), the very code that fills in and checks the filed score.
Until every observation is in, it lists what is still needed instead of showing a number that
would look reassuringly low.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from wardlink.core.form_calculations import NEWS2_ITEMS, CalculationInputError, news2_result
from wardlink.core.forms import Form
from wardlink.core.news2 import CLINICAL_RESPONSE, Band, News2
from wardlink.ui.forms.field_row import question_label, restyle

NEWS2_CALCULATIONS: Final = frozenset({"news2-total", "news2-band"})
BAND_NAMES: Final[dict[Band, str]] = {
    "low": "Low risk",
    "low-medium": "Low–medium risk (3 in one parameter)",
    "medium": "Medium risk",
    "high": "High risk",
}
_PARTS: Final = (
    ("respiratory_rate", "Respiration"),
    ("spo2", "SpO2"),
    ("air_or_oxygen", "Air or oxygen"),
    ("systolic_bp", "Systolic BP"),
    ("pulse", "Pulse"),
    ("consciousness", "Consciousness"),
    ("temperature", "Temperature"),
)


def has_news2(form: Form) -> bool:
    return any(item.calculated in NEWS2_CALCULATIONS for item in form.walk())


class News2Panel(QFrame):
    """A band of colour with the score in large type (no signals: it only shows)."""

    def __init__(self, form: Form, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("news2Panel")
        self.form = form
        self.result: News2 | None = None
        self.score = QLabel("–", self)
        self.score.setObjectName("news2Score")
        self.score.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading = QLabel(self)
        self.heading.setObjectName("news2Band")
        self.heading.setWordWrap(True)
        self.detail = QLabel(self)
        self.detail.setObjectName("news2Detail")
        self.detail.setWordWrap(True)
        self.parts = QLabel(self)
        self.parts.setObjectName("news2Parts")
        self.parts.setWordWrap(True)
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.heading)
        words.addWidget(self.detail)
        words.addWidget(self.parts)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(16)
        layout.addWidget(self.score, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(words, 1)
        self.update_from({})

    @property
    def band(self) -> str:
        """The panel's state as its style sheet sees it: a band, `pending` or `check`."""
        return str(self.property("band"))

    def update_from(self, answers: Mapping[str, object]) -> None:
        """Score the observations among `answers` (the form's current Python answers)."""
        missing = [
            question_label(self.form.by_link_id[link_id])
            for link_id in NEWS2_ITEMS.values()
            if link_id in self.form.by_link_id and answers.get(link_id) is None
        ]
        self.result = None
        try:
            self.result = None if missing else news2_result(answers)  # type: ignore[arg-type]
        except CalculationInputError as problem:
            self._show("check", "–", "NEWS2 not worked out yet", problem.error.message, "")
            return
        if self.result is None:
            still = ", ".join(missing)
            self._show("pending", "–", "NEWS2 not worked out yet", f"Still needed: {still}.", "")
            return
        result = self.result
        parts = " · ".join(f"{name} {getattr(result, attr)}" for attr, name in _PARTS)
        self._show(
            result.band,
            str(result.total),
            f"NEWS2 {result.total}: {BAND_NAMES[result.band]}",
            CLINICAL_RESPONSE[result.band],
            parts,
        )

    def _show(self, band: str, score: str, heading: str, detail: str, parts: str) -> None:
        self.score.setText(score)
        self.heading.setText(heading)
        self.detail.setText(detail)
        self.parts.setText(parts)
        self.parts.setVisible(bool(parts))
        self.setAccessibleName(heading)
        self.setAccessibleDescription(f"{detail} {parts}".strip())
        if self.property("band") != band:
            self.setProperty("band", band)
            for widget in (self, self.score, self.heading, self.detail, self.parts):
                restyle(widget)
