"""The sign-in window: pick yourself from the staff who have used this PC (then type your
password), or "Someone else" (username and password, and the server's address where policy
sets none).

It names people only: never a team or a patient. The work (HTTP and Argon2id) runs on a worker
thread (`SignInFlow.sign_in`), never the GUI thread; progress and the outcome come back through
signals, and every failure is shown in plain words. The pages themselves are in `sign_in_pages`.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Final

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wardlink.store.errors import StoreError
from wardlink.store.profiles import ProfileInfo
from wardlink.sync.errors import SyncError
from wardlink.sync.wipe import ProfileWiped
from wardlink.ui.sign_in_flow import Attempt, Session, SignInFlow, SignInProblem
from wardlink.ui.sign_in_pages import PasswordPage, PeoplePage, SomeoneElsePage
from wardlink.ui.workspace import APP_NAME

SIGN_IN_TITLE: Final = f"{APP_NAME} — Sign in"


class SignInWindow(QWidget):
    """Signs a staff member in.

    Signals:
    - signed_in(Session): the profile is open; whoever listens owns the session now.
    - progressed(str): what the sign-in is doing now, in words (shown under the form).
    """

    signed_in = Signal(object)
    progressed = Signal(str)
    _landed = Signal(object)

    def __init__(
        self,
        flow: SignInFlow,
        *,
        server_url: str | None = None,
        server_fixed: bool = False,
        notice: str = "",
        executor: Executor | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._flow = flow
        self._server_fixed = server_fixed
        self._server_url = server_url
        self._executor: Executor = executor or ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="wardlink-sign-in"
        )
        self._busy = False
        self._closed = False
        self._chosen: ProfileInfo | None = None
        self._people: list[ProfileInfo] = []
        self.setObjectName("signInWindow")
        self.setWindowTitle(SIGN_IN_TITLE)
        self.setAccessibleName(SIGN_IN_TITLE)
        self._build()
        self.progressed.connect(self._show_progress)
        self._landed.connect(self._finish)
        self.show_notice(notice)
        self.refresh_people()
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(em * 60, em * 44)

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        bar = QFrame(self)
        bar.setObjectName("appBar")
        name = QLabel(APP_NAME, bar)
        name.setObjectName("appName")
        bar_row = QHBoxLayout(bar)
        bar_row.setContentsMargins(16, 8, 16, 8)
        bar_row.addWidget(name)
        bar_row.addStretch(1)

        card = QFrame(self)
        card.setObjectName("signInCard")
        self.title = QLabel("Sign in", card)
        self.title.setObjectName("lockTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.notice = QLabel(card)
        self.notice.setObjectName("signInNotice")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Notice")
        self.pages = QStackedWidget(card)
        self.pages.addWidget(self._pick_page())
        self.pages.addWidget(self._password_page())
        self.pages.addWidget(self._someone_else_page())
        self.status = QLabel(card)
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Sign-in progress")
        self.progress = QProgressBar(card)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Signing in")
        self.error = QLabel(card)
        self.error.setObjectName("lockError")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Sign-in problem")
        for widget in (self.notice, self.status, self.progress, self.error):
            widget.hide()

        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 24, 32, 24)
        inner.setSpacing(10)
        inner.addWidget(self.title)
        inner.addWidget(self.notice)
        inner.addWidget(self.pages)
        inner.addWidget(self.error)
        inner.addWidget(self.status)
        inner.addWidget(self.progress)
        card.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 28)
        card.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 36)

        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(bar)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def _pick_page(self) -> QWidget:
        page = PeoplePage()
        self.people = page.people
        self.continue_button = page.continue_button
        self.someone_else_button = page.someone_else_button
        self._people_page = page
        page.picked.connect(self.choose)
        page.someone_else_chosen.connect(self.show_someone_else)
        return page

    def _password_page(self) -> QWidget:
        page = PasswordPage()
        self.chosen_name = page.chosen_name
        self.password = page.password
        self.sign_in_button = page.sign_in_button
        self.not_me_button = page.not_me_button
        page.submitted.connect(self.submit)
        page.not_me.connect(self.show_people)
        return page

    def _someone_else_page(self) -> QWidget:
        page = SomeoneElsePage(server_url=self._server_url, server_fixed=self._server_fixed)
        self.username = page.username
        self.new_password = page.new_password
        self.server_label = page.server_label
        self.server = page.server
        self.server_hint = page.server_hint
        self.new_sign_in_button = page.new_sign_in_button
        self.back_button = page.back_button
        page.submitted.connect(self.submit)
        page.back.connect(self.show_people)
        return page

    # -- pages ---------------------------------------------------------------------------------

    def refresh_people(self) -> None:
        """List the staff who have used this PC; straight to "Someone else" if nobody has."""
        self._people = self._flow.known_profiles()
        self._people_page.list_people(self._people)
        if self._people:
            self.show_people()
        else:
            self.show_someone_else()

    def show_people(self) -> None:
        if not self._people:
            self.show_someone_else()
            return
        self._chosen = None
        self._clear_error()
        self.title.setText("Sign in")
        self._show_page(0)
        self.people.setFocus()

    def show_someone_else(self) -> None:
        self._chosen = None
        self._clear_error()
        self.title.setText("Sign in")
        self.back_button.setVisible(bool(self._people))
        self._show_page(2)
        self.username.setFocus()

    def choose(self, staff_id: str) -> None:
        """Go to the password page for one of the listed staff."""
        info = next((p for p in self._people if p.staff_id == staff_id), None)
        if info is None:
            return
        self._chosen = info
        self._clear_error()
        self.chosen_name.setText(info.display_name or info.username)
        self.password.clear()
        self._show_page(1)
        self.password.setFocus()
        if info.problem is not None:
            self.show_error(info.problem.message)

    def _show_page(self, index: int) -> None:
        """Show one page, the card sized to it (not to the largest page)."""
        ignored, preferred = QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        for number in range(self.pages.count()):
            page = self.pages.widget(number)
            if page is None:
                continue
            page.setSizePolicy(
                preferred if number == index else ignored,
                preferred if number == index else ignored,
            )
        self.pages.setCurrentIndex(index)
        self.pages.adjustSize()

    def show_notice(self, text: str) -> None:
        """A message that stays until the next sign-in, e.g. why the last session ended."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # -- signing in ----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    def attempt(self) -> Attempt:
        """What the visible page asks for."""
        typed = self.server.text().strip() or None
        if self.pages.currentIndex() == 1 and self._chosen is not None:
            url = self._server_url if self._server_fixed else typed or self._server_url
            return Attempt(self.password.text(), staff_id=self._chosen.staff_id, server_url=url)
        url = self._server_url if self._server_fixed else typed
        return Attempt(self.new_password.text(), username=self.username.text(), server_url=url)

    def submit(self) -> None:
        if self._busy:
            return
        attempt = self.attempt()
        self._clear_error()
        self._set_busy(True)
        progressed, landed = self.progressed, self._landed

        def progress(text: str) -> None:
            with contextlib.suppress(RuntimeError):  # the window was deleted meanwhile
                progressed.emit(text)

        future = self._executor.submit(self._flow.sign_in, attempt, progress)

        def done(f: Future[Session]) -> None:
            with contextlib.suppress(RuntimeError):
                landed.emit(f)

        future.add_done_callback(done)

    @Slot(str)
    def _show_progress(self, text: str) -> None:
        if self._busy:
            self.status.setText(text)
            self.status.show()

    @Slot(object)
    def _finish(self, future: Future[Session]) -> None:
        self._set_busy(False)
        exc = future.exception()
        if exc is None:
            session = future.result()
            if self._closed:
                session.result.close()  # nobody is waiting for it any more
                return
            self.password.clear()
            self.new_password.clear()
            self.show_notice("")
            self.signed_in.emit(session)
            return
        if isinstance(exc, ProfileWiped):
            self.refresh_people()  # that profile is gone from this PC
        if isinstance(exc, SignInProblem | StoreError | SyncError):
            self.show_error(exc.message)
            return
        raise exc  # a bug: loud in development

    def show_error(self, message: str) -> None:
        self.password.clear()
        self.new_password.clear()
        self.error.setText(message)
        self.error.show()
        self.status.hide()
        (self.password if self.pages.currentIndex() == 1 else self.new_password).setFocus()

    def _clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (
            self.pages,
            self.sign_in_button,
            self.new_sign_in_button,
        ):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.status.setVisible(busy)
        if busy:
            self.status.setText("Signing in…")

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        super().closeEvent(event)

    def reopen(self, notice: str = "") -> None:
        """Ready for the next person: fresh list, empty fields, `notice` shown."""
        self._closed = False
        self.password.clear()
        self.new_password.clear()
        self.username.clear()
        self.refresh_people()
        self.show_notice(notice)
