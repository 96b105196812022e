"""UI tests run against the real encrypted store, through the real DB lane.

Every test's store sits behind `GuiThreadGuard`: any SQL the GUI thread runs fails the test at
once, so "widgets never touch the database" is checked by every test here, not just one.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from tests.sync.live_server import LiveServer
from wardlink.core.clock import ManualClock
from wardlink.core.policy import Policy
from wardlink.store import teams
from wardlink.store.database import Store
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.lane import DbLane
from wardlink.store.profiles import Profiles
from wardlink.sync.engine import EngineTimings
from wardlink.sync.status import SyncPhase
from wardlink.ui import demo_history
from wardlink.ui.app_setup import AppSetup
from wardlink.ui.application import WardlinkApp
from wardlink.ui.bridge import Bridge
from wardlink.ui.mainwindow import MainWindow, SignedIn

NOW = dt.datetime(2026, 11, 26, 13, 20, tzinfo=dt.UTC)

# What Qt's offscreen platform (the one tests run on) says about what it cannot do: window
# hints, raising and grabbing. Not ours to fix; every other Qt warning should fail a test.
OFFSCREEN_LIMITS = r"This plugin does not support (propagateSizeHints|raise|grabbing)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS))


PASSWORD = "correct horse battery staple"
ME = demo_history.ME


@pytest.fixture(autouse=True)
def widgets_deleted_on_the_gui_thread() -> Iterator[None]:
    """After each test, delete the windows it closed, and collect the cycles they were in, here
    on the GUI thread. Left to Python's cyclic collector, a window could be freed on whichever
    thread happens to allocate next (the DB lane, the photo worker), and Qt objects must not be
    destroyed off their own thread."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


class GuiThreadGuard:
    """A connection that refuses to be used from the GUI (main) thread."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        if threading.current_thread() is threading.main_thread():
            raise AssertionError(f"the GUI thread touched the database ({name})")
        return getattr(self._conn, name)


def guarded_store(path: Path, dek: bytes, clock: ManualClock) -> Store:
    store = Store.open(path, dek, me=ME.id, clock=clock)
    store.conn = GuiThreadGuard(store.conn)
    return store


@dataclass
class Profile:
    profiles: Profiles
    staff_id: str
    db_path: Path
    dek: bytes

    def verify_password(self, password: str) -> None:
        """What the window's unlock runs (off the GUI thread): the real key-slot check."""
        self.profiles.unlock(self.staff_id, password).lock()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    profiles = Profiles(
        tmp_path / "data", FileDeviceSecrets(tmp_path / "secrets.json"), kdf=MINIMAL_KDF
    )
    unlocked = profiles.create(
        staff_id=ME.id, username=ME.username, display_name=ME.display_name, password=PASSWORD
    )
    dek = bytes(unlocked.dek)
    unlocked.lock()
    return Profile(profiles, ME.id, unlocked.db_path, dek)


@pytest.fixture
def lane(profile: Profile, clock: ManualClock) -> Iterator[DbLane]:
    lane = DbLane(functools.partial(guarded_store, profile.db_path, profile.dek, clock))
    lane.wait_open()
    yield lane
    lane.close()


@pytest.fixture
def bridge(lane: DbLane, qtbot: QtBot) -> Iterator[Bridge]:
    bridge = Bridge(lane)
    yield bridge
    if bridge.busy:
        qtbot.waitSignal(bridge.settled, timeout=5000).wait()
    bridge.shutdown()


@pytest.fixture
def directory(lane: DbLane) -> None:
    """The demo teams and staff, no messages."""
    lane.call(teams.save_directory, teams=demo_history.TEAMS, staff=demo_history.STAFF)


@pytest.fixture
def history(lane: DbLane) -> None:
    """The demo's few days of ward chat, one of my messages held by the server."""
    lane.call(demo_history.fill, NOW)
    lane.call(demo_history.settle_outbox)


def settle(qtbot: QtBot, bridge: Bridge) -> None:
    """Wait until every queued operation has come back (and what it set off, too)."""
    qtbot.waitUntil(lambda: not bridge.busy, timeout=10_000)


def open_window(
    qtbot: QtBot,
    bridge: Bridge,
    profile: Profile,
    clock: ManualClock,
    *,
    team: str | None = demo_history.WARD.id,
    policy: Policy | None = None,
    **timers: Any,
) -> MainWindow:
    window = MainWindow(
        bridge,
        SignedIn(ME.id, ME.display_name),
        verify_password=profile.verify_password,
        policy=policy,
        clock=clock,
        **timers,
    )
    qtbot.addWidget(window)
    if team is not None:
        window.team_list.prefer(team)
    window.resize(1100, 760)
    window.show()
    wait_shown(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            window.timeline_model.team_id is not None
            and not window.timeline_model.loading
            and not bridge.busy
        ),
        timeout=10_000,
    )
    return window


@pytest.fixture
def window(
    qtbot: QtBot, bridge: Bridge, profile: Profile, clock: ManualClock, history: None
) -> MainWindow:
    return open_window(qtbot, bridge, profile, clock)


# -- the whole app against the real record server -----------------------------------------------

FAST = EngineTimings(
    long_poll_wait=5.0, backoff_base=0.01, backoff_cap=0.05, housekeeping_every=3600.0
)
CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard: nothing listens there, so it is "offline"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("ui-record-server") / "server.db")
    yield server
    server.stop()


@pytest.fixture
def guarded_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store the app opens refuses SQL from the GUI thread, as the part-1 tests' do."""
    real_open = Store.open.__func__  # type: ignore[attr-defined]

    def open_guarded(cls: type[Store], *args: Any, **kwargs: Any) -> Store:
        store = real_open(cls, *args, **kwargs)
        store.conn = GuiThreadGuard(store.conn)
        return store

    monkeypatch.setattr(Store, "open", classmethod(open_guarded))


def pc_profiles(folder: Path) -> Profiles:
    """A PC's profiles: file-backed device secrets, minimal Argon2id."""
    return Profiles(folder / "data", FileDeviceSecrets(folder / "secrets.json"), kdf=MINIMAL_KDF)


def app_setup(
    folder: Path,
    url: str | None,
    *,
    clock: ManualClock | None = None,
    **options: Any,
) -> AppSetup:
    machine: dict[str, object] = {"server_url": url} if url else {}
    return AppSetup(
        pc_profiles(folder),
        machine,
        clock=clock or ManualClock(dt.datetime.now(dt.UTC)),
        timings=FAST,
        tray=False,
        device_name="Test PC",
        platform="linux",
        **options,
    )


@pytest.fixture
def make_app(
    qtbot: QtBot, tmp_path: Path, guarded_stores: None
) -> Iterator[Callable[..., WardlinkApp]]:
    """`make_app(url, name="pc", **setup options)`: the app on a 'PC' of its own (closed after)."""
    made: list[WardlinkApp] = []

    def make(url: str | None, name: str = "pc", **options: Any) -> WardlinkApp:
        app = WardlinkApp(app_setup(tmp_path / name, url, **options))
        qtbot.addWidget(app.sign_in_window)
        made.append(app)
        app.start()
        return app

    yield make
    for app in made:
        app.shutdown()


def sign_in(qtbot: QtBot, app: WardlinkApp, username: str, password: str) -> MainWindow:
    """Through the sign-in window's "Someone else" form, as a person would."""
    screen = app.sign_in_window
    if screen.pages.currentIndex() != 2:
        screen.show_someone_else()
    screen.username.setText(username)
    screen.new_password.setText(password)
    with qtbot.waitSignal(app.session_opened, timeout=20_000) as opened:
        screen.submit()
    window = opened.args[0]
    assert isinstance(window, MainWindow)
    qtbot.waitUntil(
        lambda: window.timeline_model.team_id is not None and not window.timeline_model.loading,
        timeout=20_000,
    )
    return window


def wait_phase(qtbot: QtBot, window: MainWindow, *phases: SyncPhase, timeout: int = 20_000) -> None:
    qtbot.waitUntil(
        lambda: window.sync_status.status is not None and window.sync_status.status.phase in phases,
        timeout=timeout,
    )
