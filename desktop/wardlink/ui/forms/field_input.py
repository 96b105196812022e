"""What every question's control offers the form around it: a value, signals, and focus.

A control reports the answer as the core takes it (`str`, `int`, `float`, `bool`, dates,
`Quantity`, photos; None when unanswered). Text it cannot read (`12/13/1950` in a date field) is
reported as the raw string, so that the form's validation refuses it, and `problem()` says in
plain words how to write it instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication, QWidget

# Focus moving into a popup (a calendar, a combo's list) or to another window is not the user
# moving on from the field.
_NOT_LEAVING = (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason)


def sentences(*parts: str) -> str:
    """Parts of an accessible description as sentences: `Required. From 20 to 300.`"""
    return " ".join(p if p.endswith(".") else f"{p}." for p in (p.strip() for p in parts) if p)


class FieldInput(QWidget):
    """The control(s) for one question.

    Signals:
    - value_changed(): the answer changed, by typing, choosing, clearing or `set_value`.
    - focus_left(): the user moved on from this field, so its problems may now be shown.
    - controls_changed(): controls were added or removed (the form re-chains its tab order).
    """

    value_changed = Signal()
    focus_left = Signal()
    controls_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._read_only = False

    # -- what subclasses provide ----------------------------------------------------------------

    def value(self) -> object | None:
        raise NotImplementedError

    def set_value(self, value: object | None) -> None:
        raise NotImplementedError

    def focus_widgets(self) -> list[QWidget]:
        """The focusable controls, in the order Tab should visit them."""
        raise NotImplementedError

    def problem(self) -> str | None:
        """Why the typed text cannot be read as an answer, in plain words; None if it can."""
        return None

    def live_problem(self) -> str | None:
        """A problem worth saying while the user is still in the field (most wait until they
        move on: nobody wants "too short" after the first digit)."""
        return None

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for widget in self.focus_widgets():
            widget.setEnabled(not read_only)

    def context_changed(self, answers: dict[str, object]) -> None:
        """The form's other answers changed (a control whose check depends on them listens)."""

    def finish(self) -> None:
        """Tidy what was typed (e.g. `12/3/1950` to `12 Mar 1950`) once the user moves on."""

    # -- shared behaviour -----------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self._read_only

    def clear(self) -> None:
        self.set_value(None)

    def describe(self, name: str, description: str = "") -> None:
        """Name the controls for assistive technology (one control: the question itself)."""
        widgets = self.focus_widgets()
        self.setAccessibleName(name)
        if len(widgets) == 1:
            widgets[0].setAccessibleName(name)
        for widget in widgets:
            widget.setAccessibleDescription(description)

    def watch_focus(self, *widgets: QWidget) -> None:
        """Report `focus_left` when focus moves from these controls to outside this field."""
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.FocusOut
            and isinstance(event, QFocusEvent)
            and event.reason() not in _NOT_LEAVING
        ):
            now = QApplication.focusWidget()
            if now is None or not self.isAncestorOf(now):
                self.finish()
                self.focus_left.emit()
        return super().eventFilter(watched, event)
