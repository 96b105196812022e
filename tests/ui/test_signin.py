"""The sign-in window against the real record server: the first sign-in (online only, with its
progress), later ones (online, or offline with the local password), and every failure said in
plain words: wrong password, no network, keyring refused, lease locked, profile wiped."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.sync.live_server import LiveServer, StaffAccount
from wardlink.core.clock import ManualClock
from wardlink.core.model import Priority
from wardlink.core.policy import Policy
from wardlink.store import messages
from wardlink.store.device_secrets import UnavailableDeviceSecrets
from wardlink.store.errors import KeyringUnavailable, WrongPassword
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import Profiles
from wardlink.sync.account import sign_in_online
from wardlink.sync.client import RecordClient
from wardlink.sync.engine import run_once
from wardlink.sync.transport import Timeouts, Transport
from wardlink.sync.wipe import REASONS, WipeReason
from wardlink.ui.sign_in_flow import (
    FIRST_SYNC,
    SIGNING_IN,
    Attempt,
    NeedsNetwork,
    Session,
    SignInFlow,
    WrongCredentials,
)
from wardlink.ui.sign_in_pages import DAMAGED
from wardlink.ui.signin import SIGN_IN_TITLE, SignInWindow

from .conftest import CLOSED_PORT_URL, pc_profiles


def client_for(url: str) -> RecordClient:
    return RecordClient(Transport(url, timeouts=Timeouts(2.0, 5.0)))


def make_flow(profiles: Profiles, clock: ManualClock) -> SignInFlow:
    return SignInFlow(
        profiles, make_client=client_for, clock=clock, device_name="Test PC", platform="linux"
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime.now(dt.UTC))


@pytest.fixture
def team(live_server: LiveServer) -> tuple[str, str]:
    return live_server.new_team()


@pytest.fixture
def nurse(live_server: LiveServer, team: tuple[str, str]) -> StaffAccount:
    return live_server.new_staff(teams=(team[1],))


@pytest.fixture
def profiles(tmp_path: Path) -> Profiles:
    return pc_profiles(tmp_path / "pc")


@pytest.fixture
def open_screen(
    qtbot: QtBot, profiles: Profiles, clock: ManualClock
) -> Iterator[Callable[[str], SignInWindow]]:
    """`open_screen(url)`: the sign-in window of this PC, its server fixed by policy."""
    sessions: list[Session] = []

    def make(url: str) -> SignInWindow:
        screen = SignInWindow(make_flow(profiles, clock), server_url=url, server_fixed=True)
        screen.signed_in.connect(sessions.append)
        qtbot.addWidget(screen)
        screen.show()
        return screen

    yield make
    for session in sessions:
        session.result.close()


def post_as(live_server: LiveServer, account: StaffAccount, team_id: str, folder: Path) -> None:
    """Another staff member writes in the team from a PC of their own."""
    profiles = Profiles(folder / "data", UnavailableForTests(), kdf=MINIMAL_KDF)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    client = client_for(live_server.url)
    result = sign_in_online(
        profiles,
        client,
        username=account.username,
        password=account.password,
        device_name="Other PC",
        platform="linux",
        clock=clock,
    )
    try:
        for n in range(3):
            result.lane.call(
                messages.add_local_message,
                team_id,
                f"Bay {n + 1} checks done",
                priority=Priority.ROUTINE,
            )
        run_once(result.lane, client, policy=Policy(), clock=clock)
    finally:
        result.close()
        client.close()


class UnavailableForTests:
    """Device secrets in memory, for the other staff member's throwaway PC."""

    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}

    def backend_id(self) -> str:
        return "tests.memory"

    def get(self, account: str) -> bytes | None:
        return self.kept.get(account)

    def set(self, account: str, secret: bytes) -> None:
        self.kept[account] = secret

    def delete(self, account: str) -> None:
        self.kept.pop(account, None)


def submit(qtbot: QtBot, screen: SignInWindow) -> Session:
    with qtbot.waitSignal(screen.signed_in, timeout=20_000) as signed:
        screen.submit()
    session = signed.args[0]
    assert isinstance(session, Session)
    return session


def submit_and_fail(qtbot: QtBot, screen: SignInWindow) -> str:
    screen.submit()
    qtbot.waitUntil(lambda: not screen.busy and screen.error.isVisible(), timeout=20_000)
    return screen.error.text()


def sign_in_first(profiles: Profiles, clock: ManualClock, url: str, nurse: StaffAccount) -> None:
    """A first sign-in on this PC, done and closed (the profile stays)."""
    session = make_flow(profiles, clock).sign_in(
        Attempt(nurse.password, username=nurse.username, server_url=url)
    )
    session.result.close()


# -- the first sign-in --------------------------------------------------------------------------


def test_the_first_sign_in_makes_the_profile_and_shows_its_progress(
    qtbot: QtBot,
    live_server: LiveServer,
    open_screen: Callable[[str], SignInWindow],
    team: tuple[str, str],
    nurse: StaffAccount,
    tmp_path: Path,
) -> None:
    colleague = live_server.new_staff(teams=(team[1],))
    post_as(live_server, colleague, team[0], tmp_path / "colleague")
    screen = open_screen(live_server.url)
    assert screen.windowTitle() == SIGN_IN_TITLE
    assert screen.pages.currentIndex() == 2  # nobody has used this PC: straight to the form
    assert not screen.server.isVisible()  # machine policy names the server
    said: list[str] = []
    screen.progressed.connect(said.append)
    threads: list[threading.Thread] = []
    real = screen._flow.sign_in
    screen._flow.sign_in = lambda *a: (threads.append(threading.current_thread()), real(*a))[1]  # type: ignore[method-assign]

    screen.username.setText(nurse.username)
    screen.new_password.setText(nurse.password)
    session = submit(qtbot, screen)

    assert session.result.created and session.result.online
    assert session.staff_id == nurse.id
    assert threads and threads[0] is not threading.main_thread()  # never on the GUI thread
    assert said[0] == SIGNING_IN
    assert any(text.startswith(FIRST_SYNC) for text in said)
    assert f"{FIRST_SYNC} 3 received" in said  # the colleague's three messages came with it
    bodies = [m.body for m in session.result.lane.call(messages.latest_messages, team[0], 10)]
    assert bodies == ["Bay 1 checks done", "Bay 2 checks done", "Bay 3 checks done"]
    assert screen.new_password.text() == ""


def test_the_first_sign_in_needs_the_network(
    qtbot: QtBot, open_screen: Callable[[str], SignInWindow], nurse: StaffAccount
) -> None:
    screen = open_screen(CLOSED_PORT_URL)
    screen.username.setText(nurse.username)
    screen.new_password.setText(nurse.password)
    text = submit_and_fail(qtbot, screen)
    assert text == NeedsNetwork.message
    assert text.startswith("The first sign-in on this computer needs the network")
    assert screen.new_password.text() == ""  # never left lying in the box


def test_a_wrong_password_is_said_plainly_online_and_offline(
    qtbot: QtBot,
    live_server: LiveServer,
    open_screen: Callable[[str], SignInWindow],
    profiles: Profiles,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    screen = open_screen(live_server.url)
    screen.username.setText(nurse.username)
    screen.new_password.setText("not the password")
    assert submit_and_fail(qtbot, screen) == WrongCredentials.message
    assert profiles.list() == []  # nothing made on a failed first sign-in

    sign_in_first(profiles, clock, live_server.url, nurse)
    offline = open_screen(CLOSED_PORT_URL)
    offline.choose(nurse.id)
    offline.password.setText("not the password")
    assert submit_and_fail(qtbot, offline) == WrongPassword.message


# -- later sign-ins -----------------------------------------------------------------------------


def test_a_later_sign_in_works_offline_with_the_local_password(
    qtbot: QtBot,
    live_server: LiveServer,
    open_screen: Callable[[str], SignInWindow],
    profiles: Profiles,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    sign_in_first(profiles, clock, live_server.url, nurse)
    screen = open_screen(CLOSED_PORT_URL)
    assert screen.pages.currentIndex() == 0
    assert [screen.people.item(i).text() for i in range(screen.people.count())] == [
        nurse.username.title()
    ]
    screen.people.setCurrentRow(0)
    screen.continue_button.click()
    assert screen.pages.currentIndex() == 1
    assert screen.chosen_name.text() == nurse.username.title()
    screen.password.setText(nurse.password)
    session = submit(qtbot, screen)
    assert not session.result.online and not session.result.created
    assert session.staff_id == nurse.id


def test_a_later_sign_in_goes_online_when_it_can(
    qtbot: QtBot,
    live_server: LiveServer,
    open_screen: Callable[[str], SignInWindow],
    profiles: Profiles,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    sign_in_first(profiles, clock, live_server.url, nurse)
    screen = open_screen(live_server.url)
    screen.choose(nurse.id)
    screen.password.setText(nurse.password)
    session = submit(qtbot, screen)
    assert session.result.online and not session.result.created


def test_an_expired_offline_lease_needs_an_online_sign_in(
    qtbot: QtBot,
    live_server: LiveServer,
    open_screen: Callable[[str], SignInWindow],
    profiles: Profiles,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    sign_in_first(profiles, clock, live_server.url, nurse)
    clock.advance(dt.timedelta(hours=73))  # past lock_after (72 h), long before the wipe
    screen = open_screen(CLOSED_PORT_URL)
    screen.choose(nurse.id)
    screen.password.setText(nurse.password)
    text = submit_and_fail(qtbot, screen)
    assert "needs an online sign-in" in text
    assert "connect to the network" in text
    assert [p.staff_id for p in profiles.list()] == [nurse.id]  # kept, not wiped


def test_a_profile_past_its_wipe_date_is_wiped_and_the_window_says_so(
    qtbot: QtBot,
    live_server: LiveServer,
    open_screen: Callable[[str], SignInWindow],
    profiles: Profiles,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    sign_in_first(profiles, clock, live_server.url, nurse)
    clock.advance(dt.timedelta(days=31))
    screen = open_screen(CLOSED_PORT_URL)
    screen.choose(nurse.id)
    screen.password.setText(nurse.password)
    assert submit_and_fail(qtbot, screen) == REASONS[WipeReason.LEASE_EXPIRED]
    assert profiles.list() == []
    assert screen.people.count() == 0 and screen.pages.currentIndex() == 2


def test_a_refused_keyring_is_said_plainly(
    qtbot: QtBot, live_server: LiveServer, tmp_path: Path, clock: ManualClock, nurse: StaffAccount
) -> None:
    refusal = KeyringUnavailable(
        "This computer has no secure key store that Wardlink can use. Ask IT."
    )
    profiles = Profiles(tmp_path / "data", UnavailableDeviceSecrets(refusal), kdf=MINIMAL_KDF)
    screen = SignInWindow(
        make_flow(profiles, clock),
        server_url=live_server.url,
        server_fixed=True,
        notice=refusal.message,
    )
    qtbot.addWidget(screen)
    screen.show()
    assert screen.notice.isVisible() and screen.notice.text() == refusal.message
    screen.username.setText(nurse.username)
    screen.new_password.setText(nurse.password)
    assert submit_and_fail(qtbot, screen) == refusal.message
    assert profiles.list() == []


def test_a_damaged_profile_is_flagged_in_the_list(
    qtbot: QtBot,
    live_server: LiveServer,
    open_screen: Callable[[str], SignInWindow],
    profiles: Profiles,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    sign_in_first(profiles, clock, live_server.url, nurse)
    (profiles.folder(nurse.id) / "keyslots.json").write_text('{"username": "x"', "utf-8")
    screen = open_screen(CLOSED_PORT_URL)
    assert screen.people.item(0).text().endswith(f"— {DAMAGED}")
    screen.choose(nurse.id)
    assert screen.error.isVisible()
    assert "damaged" in screen.error.text()


def test_the_form_asks_for_what_is_missing(
    qtbot: QtBot, tmp_path: Path, clock: ManualClock
) -> None:
    """Without a server in policy the address is asked for, and checked before any request."""
    screen = SignInWindow(make_flow(pc_profiles(tmp_path / "pc2"), clock))
    qtbot.addWidget(screen)
    screen.show()
    assert screen.server.isVisible()
    screen.username.setText("alice")
    screen.new_password.setText("pw")
    assert "server's address" in submit_and_fail(qtbot, screen)
    screen.server.setText("http://wardlink.example.org")
    screen.new_password.setText("pw")
    assert "must start with https://" in submit_and_fail(qtbot, screen)
    screen.username.clear()
    screen.new_password.setText("pw")
    assert submit_and_fail(qtbot, screen) == "Type your username."
