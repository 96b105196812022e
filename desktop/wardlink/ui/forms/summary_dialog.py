"""The last look before a note is filed: what it says, where it goes, and whose it is.

The patient is confirmed by both identifiers at once: the number and the date of birth are shown
large, and Submit stays off until the user ticks that they checked both against the wristband or
record (DESIGN.md §6). Ticking, not re-typing: a nurse re-typing from the screen would copy the
screen, whereas the tick asks for the check that matters, against the patient. The window title
never holds patient details (titles reach task bars, screen readers and window lists).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.form_patient import PATIENT_GROUP
from wardlink.core.forms import Form, Item
from wardlink.core.response_validation import REASON_MAX_LENGTH
from wardlink.ui.forms.answer_words import answer_words
from wardlink.ui.forms.attached_photo import THUMBNAIL, thumbnail
from wardlink.ui.forms.form_style import apply_form_style, restyle_on_palette_change
from wardlink.ui.visible_controls import TickBox

WINDOW_TITLE: Final = "Check before you submit"


def confirmation_words(identifier: str, birth_date: str) -> str:
    return (
        f"I have checked the {identifier} and the date of birth {birth_date} against the "
        "patient's wristband or record."
    )


class _Toggles(QObject):
    """Clicking the confirmation's words ticks its box, as clicking a check box's text would."""

    def __init__(self, box: QCheckBox) -> None:
        super().__init__(box)
        self.box = box

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and self.box.isEnabled():
            self.box.toggle()
            return True
        return super().eventFilter(watched, event)


class SummaryDialog(QDialog):
    """The summary of a note to be filed.

    Signals:
    - confirmed(str): the user confirmed the patient and chose Submit; the amendment reason
      ("" for a new note). The dialog stays open until `close` (the editor closes it once the
      note is built, or shows a problem here with `show_problem`).
    """

    confirmed = Signal(str)

    def __init__(
        self,
        form: Form,
        *,
        team_name: str,
        answers: Mapping[str, object],
        patient: tuple[str, str],
        photos: Sequence[bytes],
        amending: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("summaryDialog")
        self.setWindowTitle(WINDOW_TITLE)
        self.setModal(True)
        identifier, birth_date = patient
        title = QLabel(form.title, self)
        title.setObjectName("formTitle")
        where = QLabel(f"Filed in {team_name}" + (f" · {amending}" if amending else ""), self)
        where.setObjectName("formTeam")
        where.setWordWrap(True)

        card = QFrame(self)
        card.setObjectName("patientCard")
        self.identifier_label = QLabel(identifier, card)
        self.identifier_label.setObjectName("patientIdentifier")
        self.birth_date_label = QLabel(f"Date of birth {birth_date}", card)
        self.birth_date_label.setObjectName("patientBirthDate")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 10, 16, 10)
        card_layout.addWidget(QLabel("Patient", card))
        card_layout.addWidget(self.identifier_label)
        card_layout.addWidget(self.birth_date_label)

        self.answers_list = self._answers(form, answers)
        scroll = QScrollArea(self)
        scroll.setObjectName("summaryScroll")
        scroll.setAccessibleName("The answers in this note")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.answers_list)
        scroll.setFrameShape(QFrame.Shape.NoFrame)

        self.photo_row = QHBoxLayout()
        self.thumbnails: list[QLabel] = []
        for number, data in enumerate(photos, 1):
            picture = QLabel(self)
            picture.setPixmap(thumbnail(data).pixmap(THUMBNAIL, THUMBNAIL))
            picture.setAccessibleName(f"Photo {number} of {len(photos)}")
            picture.setFixedSize(THUMBNAIL + 8, THUMBNAIL + 8)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.thumbnails.append(picture)
            self.photo_row.addWidget(picture)
        self.photo_row.addStretch(1)

        self.reason: QPlainTextEdit | None = None
        if amending:
            self.reason = QPlainTextEdit(self)
            self.reason.setTabChangesFocus(True)
            self.reason.setFixedHeight(self.reason.fontMetrics().lineSpacing() * 3 + 20)
            self.reason.setAccessibleName("Reason for the amendment")
            self.reason.setAccessibleDescription("Required. Kept with the record.")
            self.reason.textChanged.connect(self._sync)

        confirm = QFrame(self)
        confirm.setObjectName("confirmBox")
        self.confirm_box = TickBox(confirm)
        words = confirmation_words(identifier, birth_date)
        self.confirm_box.setAccessibleName(words)
        self.confirm_text = QLabel(words, confirm)
        self.confirm_text.setObjectName("confirmText")
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setBuddy(self.confirm_box)
        self.confirm_text.installEventFilter(_Toggles(self.confirm_box))
        confirm_layout = QHBoxLayout(confirm)
        confirm_layout.addWidget(self.confirm_box, 0, Qt.AlignmentFlag.AlignTop)
        confirm_layout.addWidget(self.confirm_text, 1)
        self.confirm_box.toggled.connect(self._sync)

        self.problem = QLabel(self)
        self.problem.setObjectName("problemBanner")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.back_button = QPushButton("Back to the form", self)
        self.back_button.setAccessibleName("Back to the form")
        self.submit_button = QPushButton("Submit amendment" if amending else "Submit note", self)
        self.submit_button.setProperty("role", "primary")
        self.submit_button.setAccessibleName(self.submit_button.text())
        self.submit_button.setAutoDefault(False)
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(self.reject)
        self.submit_button.clicked.connect(self._submit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(where)
        layout.addWidget(card)
        layout.addWidget(scroll, 1)
        if photos:
            layout.addLayout(self.photo_row)
        if self.reason is not None:
            reason_label = QLabel("Why are you amending this note? (kept with the record)", self)
            reason_label.setObjectName("fieldLabel")
            reason_label.setBuddy(self.reason)
            layout.addWidget(reason_label)
            layout.addWidget(self.reason)
        layout.addWidget(confirm)
        layout.addWidget(self.problem)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.submit_button)
        layout.addLayout(buttons)
        apply_form_style(self)
        self.resize(760, 820)
        self._sync()
        (self.reason or self.confirm_box).setFocus()

    def _answers(self, form: Form, answers: Mapping[str, object]) -> QWidget:
        """Question and answer, group by group, leaving out the patient (shown above)."""
        holder = QWidget(self)
        grid = QGridLayout(holder)
        grid.setContentsMargins(0, 0, 8, 0)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        row = 0
        in_group = False
        for item in form.walk():
            if item.link_id == PATIENT_GROUP or form.parent_of.get(item.link_id) == PATIENT_GROUP:
                continue
            top_level = form.parent_of.get(item.link_id) is None
            if item.type == "group":
                if any(answers.get(child.link_id) is not None for child in _below(item)):
                    heading = QLabel(item.text, holder)
                    heading.setObjectName("summaryHeading")
                    grid.addWidget(heading, row, 0, 1, 2)
                    row += 1
                    in_group = True
                continue
            value = answers.get(item.link_id)
            if value is None or item.type == "display":
                continue
            if top_level and in_group:  # back out of a group: a rule, so it is not read as in it
                rule = QFrame(holder)
                rule.setObjectName("summaryRule")
                grid.addWidget(rule, row, 0, 1, 2)
                row += 1
                in_group = False
            question = QLabel(item.text.rstrip(":"), holder)
            question.setObjectName("summaryQuestion")
            question.setWordWrap(True)
            answer = QLabel(_words(item, value), holder)
            answer.setObjectName("summaryAnswer")
            answer.setWordWrap(True)
            answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(question, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(answer, row, 1, Qt.AlignmentFlag.AlignTop)
            grid.setColumnMinimumWidth(0, 220)
            row += 1
        grid.setRowStretch(row, 1)
        return holder

    @property
    def reason_text(self) -> str:
        return self.reason.toPlainText().strip() if self.reason is not None else ""

    def _sync(self) -> None:
        reason_ok = self.reason is None or 0 < len(self.reason_text) <= REASON_MAX_LENGTH
        self.submit_button.setEnabled(self.confirm_box.isChecked() and reason_ok)

    def _submit(self) -> None:
        if self.submit_button.isEnabled():
            self.confirmed.emit(self.reason_text)

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()

    def changeEvent(self, event: QEvent) -> None:
        restyle_on_palette_change(self, event)
        super().changeEvent(event)


def _words(item: Item, value: object) -> str:
    """An answer in plain words; photos are counted here and shown below."""
    if item.type == "attachment":
        count = len(value) if isinstance(value, list | tuple) else 1
        return "1 photo, shown below" if count == 1 else f"{count} photos, shown below"
    return answer_words(item, value)


def _below(group: Item) -> Iterator[Item]:
    for child in group.items:
        yield child
        yield from _below(child)
