"""The patient note editor: a clinical form to fill in, its photos, and the check before filing.

It never opens the database: on Submit it builds the note (`FilledNote`) and emits it, and the
caller files it on the DB lane (`filing.file_note` or `file_amendment`, through the bridge).

The patient block's "checked against the wristband" question is not asked in the form itself:
the summary asks it, with the number and date of birth in front of the user, where it means
something. While the form is being filled in, the checks treat it as answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.form_patient import PATIENT_GROUP
from wardlink.core.forms import (
    BIRTH_DATE,
    CONFIRMED,
    IDENTIFIER,
    IDENTIFIER_TYPE,
    Form,
    InvalidAnswers,
    Item,
    answers_of,
    build_response,
)
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM
from wardlink.core.model import Note
from wardlink.core.photos import ProcessedPhoto
from wardlink.ui.forms.answer_words import patient_words
from wardlink.ui.forms.field_input import FieldInput
from wardlink.ui.forms.field_row import question_label
from wardlink.ui.forms.filled_note import UNSIGNED, PhotosNotHere, fill_note
from wardlink.ui.forms.form_style import apply_form_style, restyle_on_palette_change
from wardlink.ui.forms.form_view import FormView
from wardlink.ui.forms.news2_panel import News2Panel, has_news2
from wardlink.ui.forms.patient_inputs import identifier_kind
from wardlink.ui.forms.photo_strip import PhotoStrip
from wardlink.ui.forms.summary_dialog import SummaryDialog

FORM_WIDTH = 820  # readable line lengths, however wide the window


def main_text_item(form: Form) -> Item | None:
    """Where "move to a patient note" puts the chat text: the form's first `text` question that
    is asked whatever else is answered (no `enableWhen` on it or on a group around it)."""
    for item in form.walk():
        if item.type == "text" and item.calculated is None and not _conditional(form, item):
            return item
    return None


def _conditional(form: Form, item: Item) -> bool:
    link_id: str | None = item.link_id
    while link_id is not None:
        if form.by_link_id[link_id].enable_when:
            return True
        link_id = form.parent_of[link_id]
    return False


class NoteEditor(QWidget):
    """A form being filled in (or a new version of a note), with Submit and Cancel.

    Signals:
    - submitted(FilledNote): the user confirmed the patient and submitted; file it.
    - cancelled(): the user chose Cancel (ask `has_unsaved_input` before throwing it away).
    """

    submitted = Signal(object)
    cancelled = Signal()

    def __init__(
        self,
        form: Form,
        *,
        team_id: str,
        team_name: str,
        max_photo_bytes: int,
        today: Callable[[], dt.date] = dt.date.today,
        chi_system: str = DEFAULT_CHI_SYSTEM,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.chi_system = chi_system  # the health board's, from policy
        self.setObjectName("noteEditor")
        self.setAccessibleName(f"Patient note: {form.title}")
        self.form = form
        self.team_id = team_id
        self.team_name = team_name
        self.max_photo_bytes = max_photo_bytes
        self._today = today
        self._previous: Mapping[str, object] | None = None
        self._amending: str | None = None
        self.strips: dict[str, PhotoStrip] = {}
        self.summary: SummaryDialog | None = None
        # Checked in the summary, so taken as checked while the form is being filled in.
        self._confirmation: dict[str, object] = (
            {CONFIRMED: True} if CONFIRMED in form.by_link_id else {}
        )

        self.title = QLabel(form.title, self)
        self.title.setObjectName("formTitle")
        self.team_label = QLabel(f"Filed in {team_name}", self)
        self.team_label.setObjectName("formTeam")
        self.banner = QLabel(self)
        self.banner.setObjectName("problemBanner")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Problems to fix before submitting")
        self.banner.hide()
        self.view = FormView(
            form,
            today=today,
            photos=self._photo_strip,
            hidden=set(self._confirmation),
            extra=lambda: self._confirmation,
            parent=self,
        )
        self.news2 = News2Panel(form, self) if has_news2(form) else None
        column = QWidget(self)
        column_layout = QHBoxLayout(column)
        column_layout.setContentsMargins(20, 12, 20, 24)
        column_layout.addStretch(1)
        column_layout.addWidget(self.view, 100)
        column_layout.addStretch(1)
        self.view.setMaximumWidth(FORM_WIDTH)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("formScroll")
        self.scroll_area.setAccessibleName(f"{form.title}: questions")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(column)

        legend = QLabel("Questions marked * must be answered.", self)
        legend.setObjectName("formLegend")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setProperty("role", "quiet")
        self.cancel_button.setAccessibleName("Cancel this note")
        self.submit_button = QPushButton("Check and submit…", self)
        self.submit_button.setProperty("role", "primary")
        self.submit_button.setAccessibleName("Check and submit")
        self.submit_button.setToolTip(
            "Check the note, confirm the patient, then submit (Ctrl+Enter)"
        )
        self.cancel_button.clicked.connect(self.cancelled)
        self.submit_button.clicked.connect(self.submit)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self, self.submit)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        top = QVBoxLayout()
        top.setContentsMargins(20, 14, 20, 8)
        top.setSpacing(6)
        top.addWidget(self.title)
        top.addWidget(self.team_label)
        if self.news2 is not None:
            top.addWidget(self.news2)
        top.addWidget(self.banner)
        footer = QHBoxLayout()
        footer.setContentsMargins(20, 8, 20, 12)
        footer.addWidget(legend, 1)
        footer.addWidget(self.cancel_button)
        footer.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(footer)
        self.view.answers_changed.connect(self._answers_changed)
        apply_form_style(self)
        self._answers_changed()
        self._baseline = self._snapshot()

    def _photo_strip(self, item: Item, parent: QWidget) -> FieldInput:
        strip = PhotoStrip(item, parent, max_bytes=self.max_photo_bytes)
        self.strips[item.link_id] = strip
        return strip

    # -- the API the app codes against ---------------------------------------------------------

    def prefill(
        self,
        *,
        patient_system: str | None,
        patient_value: str | None,
        free_text: str,
        birth_date: dt.date | None = None,
    ) -> None:
        """Start from a chat message moved here: the identifier (and date of birth, if the
        message had one) into the patient fields (the system may be a FHIR system, `nhs`/`chi`
        or the guard's kind), and the text into the form's main free-text question
        (`main_text_item`). This counts as unsaved input: the chat no longer holds it."""
        values: dict[str, object] = {}
        if patient_value and IDENTIFIER in self.form.by_link_id:
            # An unknown system leaves the type unchosen, for the user to say.
            values[IDENTIFIER_TYPE] = identifier_kind(patient_system)
            values[IDENTIFIER] = patient_value
        if birth_date is not None and BIRTH_DATE in self.form.by_link_id:
            values[BIRTH_DATE] = birth_date
        target = main_text_item(self.form)
        if target is not None and free_text.strip():
            values[target.link_id] = free_text
        self.view.set_answers(values)

    def load_version(self, note: Note, photos: Mapping[str, tuple[str, bytes]]) -> None:
        """Start a new version of `note` from its answers and photos (sha256 -> (content type,
        bytes)); Submit then files an amendment, with a reason. The patient cannot change."""
        self._previous = note.resource
        self._amending = f"Amending version {note.version} of this note"
        self.team_label.setText(f"Filed in {self.team_name} · {self._amending}")
        for strip in self.strips.values():
            strip.known = dict(photos)
        answers = {k: v for k, v in answers_of(note.resource).items() if k != CONFIRMED}
        self.view.set_answers(answers)
        for link_id, row in self.view.rows.items():
            if self.form.parent_of.get(link_id) == PATIENT_GROUP:
                row.field.set_read_only(True)
        self._baseline = self._snapshot()

    @property
    def is_amendment(self) -> bool:
        """Whether this is a new version of a filed note (`load_version`)."""
        return self._previous is not None

    def has_unsaved_input(self) -> bool:
        """Whether closing now would lose anything typed, chosen or attached."""
        return self._snapshot() != self._baseline

    # -- submitting ----------------------------------------------------------------------------

    def submit(self) -> SummaryDialog | None:
        """Check everything; show what to fix, or open the summary to confirm and submit."""
        if any(strip.importer.pending for strip in self.strips.values()):
            self._show_banner("A photo is still being prepared. Submit again in a moment.")
            return None
        self.view.touch_all()
        shown = self.view.shown_problems()
        if shown:
            self._show_problems(shown)
            return None
        answers = {**self.view.answers(), **self._confirmation}
        try:
            preview = build_response(
                self.form, answers, staff_id=UNSIGNED, staff_name=UNSIGNED, today=self._today()
            )
        except InvalidAnswers as invalid:
            self._show_banner(" ".join(e.message for e in invalid.errors))
            return None
        patient = patient_words(answers)
        if patient is None:
            self._show_banner("The patient's number and date of birth are needed.")
            return None
        self.banner.hide()
        photos = [p.data for p in self._photos()]
        self.summary = SummaryDialog(
            self.form,
            team_name=self.team_name,
            answers=answers_of(preview),
            patient=patient,
            photos=photos,
            amending=self._amending,
            parent=self,
        )
        self.summary.confirmed.connect(self._confirmed)
        self.summary.finished.connect(self._summary_closed)
        self.summary.open()
        return self.summary

    def _confirmed(self, reason: str) -> None:
        dialog = self.summary
        if dialog is None:
            return
        try:
            filled = fill_note(
                self.form,
                {**self.view.answers(), **self._confirmation},  # ticked in the summary
                team_id=self.team_id,
                photos=self._photos(),
                today=self._today(),
                previous=self._previous,
                reason=reason,
                chi_system=self.chi_system,
            )
        except InvalidAnswers as invalid:
            dialog.show_problem(" ".join(e.message for e in invalid.errors))
            return
        except PhotosNotHere as missing:
            dialog.show_problem(missing.message)
            return
        self._baseline = self._snapshot()
        dialog.accept()
        self.submitted.emit(filled)

    def _summary_closed(self) -> None:
        if self.summary is not None:
            self.summary.deleteLater()
        self.summary = None

    def _photos(self) -> list[ProcessedPhoto]:
        return [p for strip in self.strips.values() for p in strip.processed_photos()]

    def _show_problems(self, shown: Mapping[str, str]) -> None:
        count = len(shown)
        first = next(iter(shown))
        item = self.form.by_link_id.get(first)
        where = f" The first is “{question_label(item)}”." if item is not None else ""
        words = "One answer needs" if count == 1 else f"{count} answers need"
        self._show_banner(f"{words} attention before this note can be submitted.{where}")
        target = self.view.first_problem()
        if target is not None:
            self.scroll_area.ensureWidgetVisible(target, 0, 60)
            row = self.view.rows.get(first)
            if row is not None:
                row.field.focus_widgets()[0].setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_banner(self, message: str) -> None:
        self.banner.setText(message)
        self.banner.show()

    def _answers_changed(self) -> None:
        if self.news2 is not None:
            self.news2.update_from(self.view.answers())
        if self.banner.isVisible() and self.view.submit_tried and not self.view.shown_problems():
            self.banner.hide()

    def _snapshot(self) -> dict[str, object]:
        return self.view.answers()

    def changeEvent(self, event: QEvent) -> None:
        restyle_on_palette_change(self, event)
        super().changeEvent(event)
