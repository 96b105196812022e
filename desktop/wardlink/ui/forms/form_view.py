"""A form's questions on screen, built from its definition alone (any `core.forms.Form`).

After every change the view settles itself by the same rules the record applies: questions whose
`enableWhen` no longer holds are hidden and emptied (an answer to a question that was not asked
would be refused), calculated answers are worked out, and each field's problem is looked up in
`validate_answers`, so what the screen says is exactly what filing would say.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Collection, Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from wardlink.core.form_answers import from_fhir
from wardlink.core.form_validation import FhirAnswers, validate_answers
from wardlink.core.forms import Form, Item, asked_items
from wardlink.ui.forms.answer_words import answer_words
from wardlink.ui.forms.field_factory import PhotoInputFactory, make_input
from wardlink.ui.forms.field_row import FieldRow, GroupSection, guidance, plain_problem


class FormView(QWidget):
    """The questions of one form.

    `hidden` items are neither shown nor answered here (the editor answers them elsewhere, e.g.
    the patient check in the summary); `extra()` stands in for their answers in the checks.

    Signals:
    - answers_changed(): an answer changed and the form has settled (shown, hidden, checked).
    """

    answers_changed = Signal()

    def __init__(
        self,
        form: Form,
        *,
        today: Callable[[], dt.date],
        photos: PhotoInputFactory,
        hidden: Collection[str] = (),
        extra: Callable[[], Mapping[str, object]] = dict,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("formView")
        self.form = form
        self.hidden = frozenset(hidden)
        self._today = today
        self._photos = photos
        self._extra = extra
        self.rows: dict[str, FieldRow] = {}
        self.sections: dict[str, GroupSection] = {}
        self.notes: dict[str, QLabel] = {}
        self.submit_tried = False
        self.problems: dict[str, str] = {}
        self._asked: frozenset[str] = frozenset()
        self._settling = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)
        loose: GroupSection | None = None
        for item in form.items:
            if item.type == "group":
                loose = None
                section = self._section(item, nested=False)
                layout.addWidget(section)
                self._build(item.items, section)
            else:
                if loose is None:  # questions between groups share an untitled card
                    loose = GroupSection(None, nested=False, parent=self)
                    layout.addWidget(loose)
                self._build((item,), loose)
        layout.addStretch(1)
        self.chain_tab_order()
        self.refresh()

    # -- building ------------------------------------------------------------------------------

    def _section(self, item: Item, *, nested: bool) -> GroupSection:
        section = GroupSection(item, nested=nested, parent=self)
        self.sections[item.link_id] = section
        return section

    def _build(self, items: tuple[Item, ...], into: GroupSection) -> None:
        for item in items:
            if item.type == "group":
                section = self._section(item, nested=True)
                into.add(section)
                self._build(item.items, section)
            elif item.type == "display":
                note = guidance(item, into)
                self.notes[item.link_id] = note
                into.add(note)
            else:
                field = make_input(item, into, photos=self._photos)
                row = FieldRow(item, field, into)
                self.rows[item.link_id] = row
                into.add(row)
                field.value_changed.connect(self.refresh)
                field.focus_left.connect(self.refresh)
                field.controls_changed.connect(self.chain_tab_order)

    def chain_tab_order(self) -> None:
        """Tab visits the controls in the form's order, whatever order they were made in."""
        widgets = [w for row in self.rows.values() for w in row.field.focus_widgets()]
        for first, second in itertools.pairwise(widgets):
            QWidget.setTabOrder(first, second)

    # -- answers -------------------------------------------------------------------------------

    def _given(self) -> dict[str, object]:
        return {
            link_id: value
            for link_id, row in self.rows.items()
            if link_id not in self.hidden
            and row.item.calculated is None
            and (value := row.field.value()) is not None
        }

    def answers(self) -> dict[str, object]:
        """The answers given here to the questions asked, as the core takes them (the hidden
        items' answers, which `extra()` stands in for while checking, are the caller's)."""
        return {k: v for k, v in self._given().items() if k in self._asked}

    def set_answers(self, answers: Mapping[str, object]) -> None:
        """Put answers in (a previous version, a prefill); unknown linkIds are ignored."""
        self._settling = True
        try:
            for link_id, value in answers.items():
                row = self.rows.get(link_id)
                if row is not None and link_id not in self.hidden:
                    row.field.set_value(value)
        finally:
            self._settling = False
        self.refresh()

    # -- settling ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Hide and empty what is not asked, work out calculated answers, show problems."""
        if self._settling:
            return
        self._settling = True
        try:
            given = self._settle_asked()
            answers = {**given, **self._extra()}
            completed, errors = validate_answers(self.form, answers, today=self._today())
            self.problems = {e.link_id: e.message for e in errors}
            for row in self.rows.values():
                row.field.context_changed(answers)
                if row.item.calculated is not None:
                    row.field.set_value(_worked_out(row.item, completed))
                row.show_problem(self._message(row))
            for link_id, section in self.sections.items():
                started = self.submit_tried or any(
                    row.touched
                    for row in self.rows.values()
                    if _inside(self.form, row.item, link_id)
                )
                message = self.problems.get(link_id) if started else None
                section.show_problem(
                    plain_problem(section.item, message) if section.item and message else None
                )
        finally:
            self._settling = False
        self.answers_changed.emit()

    def _settle_asked(self) -> dict[str, object]:
        """Empty questions that are no longer asked, until nothing more changes; what is left."""
        for _ in range(len(self.rows) + 1):  # each round empties at least one question
            given = self._given()
            asked = asked_items(self.form, {**given, **self._extra()})
            stale = [link_id for link_id in given if link_id not in asked]
            for link_id in stale:
                self.rows[link_id].field.clear()
            if not stale:
                break
        self._asked = asked
        for link_id, row in self.rows.items():
            row.setVisible(link_id in asked and link_id not in self.hidden)
        for link_id, section in self.sections.items():
            section.setVisible(link_id in asked)
        for link_id, note in self.notes.items():
            note.setVisible(link_id in asked)
        return {k: v for k, v in given.items() if k in asked}

    def _message(self, row: FieldRow) -> str | None:
        if row.item.link_id not in self._asked:
            return None
        if not (row.touched or self.submit_tried):
            return row.field.live_problem()
        found = self.problems.get(row.item.link_id)
        return row.field.problem() or (plain_problem(row.item, found) if found else None)

    def touch_all(self) -> None:
        """Show every problem now (the user tried to submit)."""
        self.submit_tried = True
        for row in self.rows.values():
            row.touch()
        self.refresh()

    def shown_problems(self) -> dict[str, str]:
        """The problems on screen now, by linkId (fields and groups), in the form's order."""
        shown = {k: s.message for k, s in self.sections.items() if s.message and s.isVisible()}
        shown |= {k: r.message for k, r in self.rows.items() if r.message}
        order = {link_id: n for n, link_id in enumerate(self.form.by_link_id)}
        return dict(sorted(shown.items(), key=lambda kv: order.get(kv[0], len(order))))

    def first_problem(self) -> QWidget | None:
        """The first field (or group) with a problem shown, to take the user to."""
        for link_id in self.shown_problems():
            return self.rows.get(link_id) or self.sections.get(link_id)
        return None


def _worked_out(item: Item, completed: FhirAnswers) -> str | None:
    given = completed.get(item.link_id)
    return answer_words(item, from_fhir(item, given[0])) if given else None


def _inside(form: Form, item: Item, group_id: str) -> bool:
    parent = form.parent_of.get(item.link_id)
    while parent is not None:
        if parent == group_id:
            return True
        parent = form.parent_of.get(parent)
    return False
