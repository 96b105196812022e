"""The sign-in window's three pages: who is signing in (the staff who have used this PC), the
password of the one chosen, and "Someone else" (username, password, and the server's address
where policy sets none).

Each page is only its fields and buttons, with keyboard access and accessible names; what a
choice leads to is the window's business (`SignInWindow`), told through the pages' signals.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wardlink.store.profiles import ProfileInfo

SOMEONE_ELSE: Final = "Someone else"
DAMAGED: Final = "can't be opened on this computer"
StaffIdRole: Final = Qt.ItemDataRole.UserRole + 1
VISIBLE_PEOPLE: Final = 6  # rows the list shows before it scrolls


def person_text(info: ProfileInfo) -> str:
    """How a profile is listed: the name, and plainly if it cannot be opened here."""
    name = info.display_name or info.username or "Unnamed profile"
    return f"{name} — {DAMAGED}" if info.problem is not None else name


def _primary(text: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setProperty("role", "primary")
    button.setAccessibleName(text)
    return button


def _quiet(text: str, name: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setProperty("role", "quiet")
    button.setAccessibleName(name)
    return button


class PeoplePage(QWidget):
    """The staff who have used this PC, to pick from.

    Signals:
    - picked(str): a person was chosen (their staff id).
    - someone_else_chosen(): the person signing in is not listed.
    """

    picked = Signal(str)
    someone_else_chosen = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = QLabel("&Who is signing in?", self)
        label.setObjectName("lockName")
        self.people = QListWidget(self)
        self.people.setObjectName("peopleList")
        self.people.setAccessibleName("Staff who have used this computer")
        label.setBuddy(self.people)
        self.continue_button = _primary("Continue", self)
        self.someone_else_button = QPushButton(SOMEONE_ELSE, self)
        self.someone_else_button.setAccessibleName(SOMEONE_ELSE)
        buttons = QHBoxLayout()
        buttons.addWidget(self.someone_else_button)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(label)
        column.addWidget(self.people)
        column.addLayout(buttons)
        column.addStretch(1)
        self.people.itemActivated.connect(lambda _item: self._pick())
        self.continue_button.clicked.connect(self._pick)
        self.someone_else_button.clicked.connect(self.someone_else_chosen)

    def list_people(self, people: list[ProfileInfo]) -> None:
        """Show `people`, the first one chosen, the list as tall as a few of them."""
        self.people.clear()
        for info in people:
            item = QListWidgetItem(person_text(info))
            item.setData(StaffIdRole, info.staff_id)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, person_text(info))
            self.people.addItem(item)
        rows = max(1, min(len(people), VISIBLE_PEOPLE))
        row_height = self.people.sizeHintForRow(0) if people else 0
        frame = 2 * self.people.frameWidth() + 8
        self.people.setFixedHeight(max(row_height, self.fontMetrics().height() * 2) * rows + frame)
        if people:
            self.people.setCurrentRow(0)

    def _pick(self) -> None:
        item = self.people.currentItem()
        if item is not None:
            self.picked.emit(str(item.data(StaffIdRole)))


class PasswordPage(QWidget):
    """The password of the person chosen from the list.

    Signals:
    - submitted(): the password is typed (Enter or "Sign in").
    - not_me(): back to the list.
    """

    submitted = Signal()
    not_me = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chosen_name = QLabel(self)
        self.chosen_name.setObjectName("lockName")
        self.chosen_name.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.chosen_name.setAccessibleName("Signing in as")
        password_label = QLabel("&Password", self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        password_label.setBuddy(self.password)
        self.sign_in_button = _primary("Sign in", self)
        self.not_me_button = _quiet("Not you? Choose someone else", "Choose someone else", self)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.chosen_name)
        column.addSpacing(6)
        column.addWidget(password_label)
        column.addWidget(self.password)
        column.addWidget(self.sign_in_button)
        column.addWidget(self.not_me_button)
        column.addStretch(1)
        self.password.returnPressed.connect(self.submitted)
        self.sign_in_button.clicked.connect(self.submitted)
        self.not_me_button.clicked.connect(self.not_me)


class SomeoneElsePage(QWidget):
    """Username and password of someone not listed, and the server's address where policy
    sets none.

    Signals:
    - submitted(): the fields are filled in (Enter in any of them, or "Sign in").
    - back(): back to the list.
    """

    submitted = Signal()
    back = Signal()

    def __init__(
        self, *, server_url: str | None, server_fixed: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        username_label = QLabel("&Username", self)
        self.username = QLineEdit(self)
        self.username.setAccessibleName("Username")
        username_label.setBuddy(self.username)
        new_password_label = QLabel("Pass&word", self)
        self.new_password = QLineEdit(self)
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setAccessibleName("Password")
        new_password_label.setBuddy(self.new_password)
        self.server_label = QLabel("Record &server address", self)
        self.server = QLineEdit(self)
        self.server.setAccessibleName("Record server address")
        self.server.setPlaceholderText("https://wardlink.example.nhs.uk")
        self.server_label.setBuddy(self.server)
        self.server_hint = QLabel("IT can tell you this. It is asked once per computer.", self)
        self.server_hint.setObjectName("hint")
        self.server_hint.setWordWrap(True)
        if server_url:
            self.server.setText(server_url)
        for widget in (self.server_label, self.server, self.server_hint):
            widget.setVisible(not server_fixed)
        self.new_sign_in_button = _primary("Sign in", self)
        self.back_button = _quiet("Back to the list", "Back to the list", self)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        widgets: list[QWidget] = [
            username_label,
            self.username,
            new_password_label,
            self.new_password,
            self.server_label,
            self.server,
            self.server_hint,
            self.new_sign_in_button,
            self.back_button,
        ]
        for item in widgets:
            column.addWidget(item)
        column.addStretch(1)
        for edit in (self.username, self.new_password, self.server):
            edit.returnPressed.connect(self.submitted)
        self.new_sign_in_button.clicked.connect(self.submitted)
        self.back_button.clicked.connect(self.back)
