"""Dates and times: typed the way staff write them, or picked from a calendar.

A date field can be left empty (a date picker cannot: it always shows some date, which would be
filed as if someone had chosen it). Once the user moves on, what they typed is rewritten with the
month in words (`12/03/1950` becomes `12 Mar 1950`), so a swapped day and month shows at once.
A date and time is local wall-clock time, filed with its UTC offset.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from wardlink.core.forms import Item
from wardlink.ui.forms.field_input import FieldInput, sentences
from wardlink.ui.forms.typed_values import (
    DATE_HINT,
    TIME_HINT,
    format_date,
    format_time,
    local_datetime,
    parse_date,
    parse_time,
)

_SHORT_YEAR: Final = re.compile(r"\d{1,2}\s*[/.\- ]\s*\d{1,2}\s*[/.\- ]\s*\d{2}", re.ASCII)
CALENDAR_KEYS: Final = "Alt+Down opens a calendar."
DATE_PROBLEM: Final = "Write the date as dd/mm/yyyy, e.g. 05/11/2026, or pick it from the calendar."
SHORT_YEAR_PROBLEM: Final = "Write the year in full, e.g. 1950 rather than 50."
TIME_PROBLEM: Final = "Write the time on the 24-hour clock as hh:mm, e.g. 14:30."


def _date_problem(text: str) -> str | None:
    if not text.strip() or parse_date(text) is not None:
        return None
    return SHORT_YEAR_PROBLEM if _SHORT_YEAR.fullmatch(text.strip()) else DATE_PROBLEM


class _DateBox(QWidget):
    """A line to type a date in, and a button that drops a calendar down."""

    def __init__(self, parent: QWidget, on_picked: Callable[[], None]) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(DATE_HINT)
        self.edit.setMaximumWidth(self.edit.fontMetrics().horizontalAdvance("0") * 16)
        self.pick = QToolButton(self)
        self.pick.setText("Calendar")
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # Typing is quicker, so Tab skips the button; Alt+Down opens the calendar from the box.
        self.pick.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for keys in ("Alt+Down", "F4"):
            shortcut = QShortcut(QKeySequence(keys), self.edit, self.pick.showMenu)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.calendar = QCalendarWidget(self)
        self.calendar.setGridVisible(True)
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        menu = QMenu(self.pick)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        menu.aboutToShow.connect(self._show_typed_date)
        self.pick.setMenu(menu)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        self._on_picked = on_picked
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.edit)
        layout.addWidget(self.pick)

    def _show_typed_date(self) -> None:
        day = parse_date(self.edit.text())
        if day is not None:
            self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))

    def _picked(self, date: QDate) -> None:
        self.edit.setText(format_date(dt.date(date.year(), date.month(), date.day())))
        menu = self.pick.menu()
        if menu is not None:
            menu.close()
        self.edit.setFocus()
        self._on_picked()


class DateInput(FieldInput):
    """A date (`date` item)."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = _DateBox(self, self.focus_left.emit)
        self.edit = self.box.edit
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        layout.addStretch(1)
        self.edit.textChanged.connect(self.value_changed)
        self.watch_focus(self.edit, self.box.pick)

    def value(self) -> object | None:
        text = self.edit.text().strip()
        if not text:
            return None
        return parse_date(text) or text

    def set_value(self, value: object | None) -> None:
        if isinstance(value, dt.date):
            self.edit.setText(format_date(value))
        else:
            self.edit.setText("" if value is None else str(value))

    def problem(self) -> str | None:
        return _date_problem(self.edit.text())

    def finish(self) -> None:
        day = parse_date(self.edit.text())
        if day is not None and self.edit.text() != format_date(day):
            self.edit.setText(format_date(day))

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit, self.box.pick]

    def describe(self, name: str, description: str = "") -> None:
        super().describe(name, sentences(description, CALENDAR_KEYS))
        self.edit.setAccessibleName(name)
        self.box.pick.setAccessibleName(f"Pick {name} from a calendar")


class DateTimeInput(FieldInput):
    """A date and a time (`dateTime` item), with a button for "now"."""

    def __init__(
        self,
        item: Item,
        parent: QWidget | None = None,
        *,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(parent)
        self._now = now or (lambda: dt.datetime.now().astimezone())
        self.box = _DateBox(self, self.focus_left.emit)
        self.date_edit = self.box.edit
        self.time_edit = QLineEdit(self)
        self.time_edit.setPlaceholderText(TIME_HINT)
        self.time_edit.setMaximumWidth(self.time_edit.fontMetrics().horizontalAdvance("0") * 9)
        self.now_button = QPushButton("Now", self)
        self.now_button.setProperty("role", "quiet")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.box)
        layout.addWidget(self.time_edit)
        layout.addWidget(self.now_button)
        layout.addStretch(1)
        self.date_edit.textChanged.connect(self.value_changed)
        self.time_edit.textChanged.connect(self.value_changed)
        self.now_button.clicked.connect(self.set_now)
        self.watch_focus(self.date_edit, self.box.pick, self.time_edit, self.now_button)

    def set_now(self) -> None:
        self.set_value(self._now())
        self.focus_left.emit()

    def value(self) -> object | None:
        date_text, time_text = self.date_edit.text().strip(), self.time_edit.text().strip()
        if not date_text and not time_text:
            return None
        day, time = parse_date(date_text), parse_time(time_text)
        if day is None or time is None:
            return f"{date_text} {time_text}".strip()
        return local_datetime(day, time)

    def set_value(self, value: object | None) -> None:
        if isinstance(value, dt.datetime):
            local = value.astimezone()
            self.date_edit.setText(format_date(local.date()))
            self.time_edit.setText(format_time(local))
        else:
            self.date_edit.setText("" if value is None else str(value))
            self.time_edit.clear()

    def problem(self) -> str | None:
        date_text, time_text = self.date_edit.text().strip(), self.time_edit.text().strip()
        if not date_text and not time_text:
            return None
        if not date_text:
            return "Add the date as well as the time."
        found = _date_problem(date_text)
        if found:
            return found
        if not time_text:
            return "Add the time as well as the date."
        return TIME_PROBLEM if parse_time(time_text) is None else None

    def finish(self) -> None:
        day, time = parse_date(self.date_edit.text()), parse_time(self.time_edit.text())
        if day is not None and self.date_edit.text() != format_date(day):
            self.date_edit.setText(format_date(day))
        if time is not None and self.time_edit.text() != format_time(time):
            self.time_edit.setText(format_time(time))

    def focus_widgets(self) -> list[QWidget]:
        return [self.date_edit, self.box.pick, self.time_edit, self.now_button]

    def describe(self, name: str, description: str = "") -> None:
        super().describe(name, sentences(description, CALENDAR_KEYS))
        self.date_edit.setAccessibleName(f"{name}: date")
        self.box.pick.setAccessibleName(f"Pick the date of {name} from a calendar")
        self.time_edit.setAccessibleName(f"{name}: time")
        self.now_button.setAccessibleName(f"Set {name} to now")
