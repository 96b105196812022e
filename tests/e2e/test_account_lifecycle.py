"""What the directory and the lease do to a PC whose engine is running: removal from a team
purges it, a revoked device or a disabled account wipes, an expired lease locks and then wipes
(and a clock turned back does not stretch it), a message with patient identifiers is held with
its reason, and an admin password reset keeps the profile and its unsent work.

The admin reset through a fresh online sign-in is proved in tests/sync/test_account.py
(`test_admin_reset_keeps_the_profile_and_its_unsent_work`); here it is the engine's path: it
asks for the password, is given the new one, sends the unsent work, and the profile opens with
the new password from then on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from tests.sync.live_server import LiveServer
from wardlink.core.clock import parse_timestamp
from wardlink.core.model import MessageState
from wardlink.store import messages, teams
from wardlink.store.errors import WrongPassword
from wardlink.sync.lease import LeaseState, check_lease
from wardlink.sync.pusher import IDENTIFIERS
from wardlink.sync.status import SyncPhase

from .clients import Device, assert_exactly_once, server_message_ids
from .fault_proxy import FaultProxy

NEW_PASSWORD = "reset by IT on nights"


def test_removal_from_a_team_purges_it_while_the_engine_runs(
    live_server: LiveServer, make_device: Callable[..., Device]
) -> None:
    kept, left = live_server.new_team("Ward"), live_server.new_team("Theatres")
    account = live_server.new_staff(teams=(kept[1], left[1]))
    colleague = make_device(live_server.new_staff(teams=(kept[1], left[1])))
    nurse = make_device(account)
    colleague.engine.start()
    colleague.write(left[0], "theatre list is up")
    colleague.write(kept[0], "ward round at ten")
    colleague.engine.poke()
    nurse.engine.start()
    nurse.watch.wait_for(
        lambda: len(nurse.ids(left[0])) == 1 and len(nurse.ids(kept[0])) == 1, "both teams here"
    )
    live_server.admin("remove_member", left[1], account.username)
    nurse.watch.wait_for(
        lambda: left[0] not in nurse.lane.call(teams.team_ids), "the team is gone locally"
    )
    assert nurse.ids(left[0]) == []
    assert len(nurse.ids(kept[0])) == 1  # the other team is untouched
    assert any(c.teams for c in nurse.watch.changes)  # the UI is told
    assert nurse.engine.status.phase is not SyncPhase.ERROR


@pytest.mark.parametrize("action", ["revoke_device", "disable_staff"])
def test_a_revoked_device_or_disabled_account_wipes_the_running_profile(
    action: str,
    live_server: LiveServer,
    team: tuple[str, str],
    make_device: Callable[..., Device],
) -> None:
    account = live_server.new_staff(teams=(team[1],))
    nurse = make_device(account)
    folder = nurse.result.profile.db_path.parent
    nurse.engine.start()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.UP_TO_DATE), "up to date")
    nurse.write(team[0], "unsent when the laptop was reported lost")
    if action == "revoke_device":
        assert nurse.result.lease is not None
        live_server.admin("revoke_device", nurse.result.lease.device_id)
    else:
        live_server.admin("disable_staff", account.username)
    nurse.engine.poke()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.WIPED), "wiped")
    assert not folder.exists()
    assert nurse.profiles.list() == []
    assert nurse.secrets.path.read_text().strip() in ("{}", "")
    assert server_message_ids(live_server, team[0]) == []


def test_an_expired_lease_locks_then_wipes_and_a_clock_turned_back_changes_nothing(
    live_server: LiveServer,
    team: tuple[str, str],
    make_proxy: Callable[[], FaultProxy],
    make_device: Callable[..., Device],
) -> None:
    network = make_proxy()
    nurse = make_device(live_server.new_staff(teams=(team[1],)), url=network.url)
    folder = nurse.result.profile.db_path.parent
    lease = nurse.result.lease
    assert lease is not None
    start = nurse.clock.now()
    lock_after, wipe_after = parse_timestamp(lease.lock_after), parse_timestamp(lease.wipe_after)
    nurse.engine.start()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.UP_TO_DATE), "up to date")
    network.refusing = True  # out on the district, no signal for days
    nurse.write(team[0], "written on day one")

    nurse.clock.set(lock_after + dt.timedelta(hours=1))
    nurse.engine.poke()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.NEEDS_SIGN_IN), "locked")
    assert "online sign-in" in nurse.watch.last().reason

    nurse.clock.set(start + dt.timedelta(hours=1))  # the PC's clock is turned back
    nurse.engine.poke()
    status = nurse.lane.call(check_lease)
    assert status.state is LeaseState.LOCKED and status.now >= lock_after
    assert nurse.engine.status.phase is SyncPhase.NEEDS_SIGN_IN
    assert folder.exists()

    nurse.clock.set(wipe_after + dt.timedelta(minutes=1))
    nurse.engine.poke()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.WIPED), "wiped")
    assert "too long" in nurse.watch.last().reason
    assert not folder.exists()


def test_a_message_with_patient_identifiers_is_held_with_its_reason_and_blocks_nothing(
    live_server: LiveServer, team: tuple[str, str], make_device: Callable[..., Device]
) -> None:
    nurse = make_device(live_server.new_staff(teams=(team[1],)))
    nurse.engine.start()
    before = nurse.write(team[0], "bed 4 back from theatre")
    held = nurse.write(team[0], "NHS 943 476 5919 for the discharge letter")
    after = nurse.write(team[0], "pharmacy has the TTOs")
    nurse.engine.poke()
    nurse.watch.wait_for(lambda: nurse.pending() == 0, "everything settled")
    message = nurse.lane.call(messages.get_message, held[0])
    assert message is not None and message.state is MessageState.HELD
    assert message.held_reason == IDENTIFIERS.format(kinds="an NHS number")
    assert "943" not in (message.held_reason or "")  # the reason never repeats the number
    assert message.body.startswith("NHS 943")  # kept, editable, not lost
    assert_exactly_once(live_server, team[0], set(before + after))
    # edited without the number, it goes
    nurse.lane.call(messages.edit_held_message, held[0], "discharge letter needs the NHS number")
    nurse.engine.poke()
    nurse.watch.wait_for(lambda: nurse.pending() == 0, "the edited one sent")
    sent = nurse.lane.call(messages.get_message, held[0])
    assert sent is not None and sent.state is MessageState.SENT
    assert_exactly_once(live_server, team[0], set(before + after + held))


def test_admin_reset_the_engine_asks_and_the_new_password_keeps_the_unsent_work(
    live_server: LiveServer, team: tuple[str, str], make_device: Callable[..., Device]
) -> None:
    account = live_server.new_staff(teams=(team[1],))
    nurse = make_device(account)
    live_server.admin("reset_password", account.username, NEW_PASSWORD)  # ends the session
    unsent = nurse.write(team[0], "obs chart for bay 1", "obs chart for bay 2")
    nurse.engine.start()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.NEEDS_SIGN_IN), "asks for the password")
    assert nurse.engine.status.to_send == 2
    nurse.engine.provide_password(account.password)  # the old one: refused
    nurse.watch.wait_for(lambda: "not accepted" in nurse.watch.last().reason, "refused")
    nurse.engine.provide_password(NEW_PASSWORD)
    nurse.watch.wait_for(lambda: nurse.pending() == 0, "the unsent work went")
    assert_exactly_once(live_server, team[0], set(unsent))
    assert [m.state for m in nurse.timeline(team[0])] == [MessageState.SENT] * 2
    nurse.close()
    # the profile now opens with the new password, offline, as the lock screen will ask
    nurse.profiles.unlock(nurse.staff_id, NEW_PASSWORD).lock()
    with pytest.raises(WrongPassword):
        nurse.profiles.unlock(nurse.staff_id, account.password)
