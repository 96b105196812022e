"""Applying pulled pages: every event type, page and cursor atomic, purge on removal, joins.

Against the real record server: one account acts through the real API, another device pulls and
applies. `Devices`, `post_op` and `note_resource` here are shared with the backfill and pusher
tests (imported from this module).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from wardlink.core import forms
from wardlink.core.clock import Clock, SystemClock, format_timestamp
from wardlink.core.model import MessageState, NoteState, Role, Staff, Team, TeamKind
from wardlink.core.protocol import (
    DeviceInfo,
    Event,
    MessageAck,
    MessagePost,
    MessageRetract,
    NoteAmend,
    NoteData,
    NoteSubmit,
    Op,
    PullResponse,
    ReceiptRead,
    SessionResponse,
)
from wardlink.store import audit, messages, notes, teams
from wardlink.store.database import Store
from wardlink.store.errors import DiskFull
from wardlink.store.lane import DbLane
from wardlink.sync import apply
from wardlink.sync.apply import CURSOR_KEY, SERVER_POLICY_KEY, Applied, apply_page, pull_page
from wardlink.sync.client import RecordClient
from wardlink.sync.transport import Transport

from .live_server import LiveServer, StaffAccount

NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
PATIENT: dict[str, object] = {
    "patient.identifierSystem": "nhs",
    "patient.identifier": "943 476 5919",
    "patient.birthDate": dt.date(1948, 3, 12),
    "patient.confirmed": True,
}
SBAR: dict[str, object] = {
    "sbar.situation.summary": "New shortness of breath since 14:00.",
    "sbar.situation.concern": "concerned",
    "sbar.background.admission": "Admitted with community-acquired pneumonia.",
    "sbar.background.allergies": "Penicillin (rash)",
    "sbar.background.resuscitation": "for-cpr",
    "sbar.assessment.news2": 5,
    "sbar.assessment.findings": "RR 24, SpO2 92% on 2 L/min, HR 108.",
    "sbar.recommendation.request": "Review within the hour, please.",
    "sbar.recommendation.timeframe": "1h",
}


# -- shared helpers -----------------------------------------------------------------------------


class Device:
    """One PC: a signed-in client and an encrypted store on its own DB lane."""

    def __init__(self, server: LiveServer, path: Path, account: StaffAccount, clock: Clock):
        self.client = RecordClient(Transport(server.url))
        self.session: SessionResponse = self.client.sign_in(
            account.username, account.password, DeviceInfo(str(uuid.uuid4()), "Ward PC", "linux")
        )
        self.me = self.session.staff.id
        self.name = self.session.staff.display_name
        dek = secrets.token_bytes(32)
        self.lane = DbLane(lambda: Store.open(path, dek, me=self.me, clock=clock))
        self.lane.call(_keep_session, self.session)

    def pull_all(self) -> list[Applied]:
        """Pull and apply pages until the server has nothing more."""
        pages = [pull_page(self.lane, self.client)]
        while pages[-1].more:
            pages.append(pull_page(self.lane, self.client))
        return pages

    def push(self, *ops: Op) -> list[int | None]:
        """Push through the real API (as another client would); every op must be applied."""
        results = self.client.push(ops).results
        assert [r.status for r in results] == ["applied"] * len(ops), [r.error for r in results]
        return [r.seq for r in results]

    def close(self) -> None:
        self.lane.close()
        self.client.close()


def _keep_session(store: Store, session: SessionResponse) -> None:
    """What a sign-in keeps (the account module does this in the app): directory and cursor."""
    staff = session.staff
    teams.save_directory(
        store,
        teams=[Team(t.id, t.name, TeamKind(t.kind)) for t in session.teams],
        staff=[Staff(staff.id, staff.username, staff.display_name, Role(staff.role))],
    )
    with store.transaction():
        store.set_state(CURSOR_KEY, str(session.cursor))


class Devices:
    """Opens devices for a test and closes them after it."""

    def __init__(self, server: LiveServer, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.opened: list[Device] = []

    def open(self, account: StaffAccount, *, clock: Clock | None = None) -> Device:
        path = self.folder / f"device{len(self.opened)}.db"
        device = Device(self.server, path, account, clock or SystemClock())
        self.opened.append(device)
        return device

    def close(self) -> None:
        for device in self.opened:
            device.close()


def new_id() -> str:
    return str(uuid.uuid4())


def now_ts() -> str:
    return format_timestamp(dt.datetime.now(dt.UTC))


def post_op(team_id: str, body: str, *, priority: str = "routine") -> MessagePost:
    return MessagePost(new_id(), team_id, new_id(), body, priority, now_ts())  # type: ignore[arg-type]


def png_bytes(seed: int = 0) -> bytes:
    """A small real PNG (the server checks photos by content)."""
    image = Image.new("RGB", (4, 4), (seed % 256, 80, 120))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def note_resource(
    author: Device | tuple[str, str], *, photos: tuple[forms.PhotoAnswer, ...] = ()
) -> dict[str, Any]:
    """A valid QuestionnaireResponse filed by `author`: an SBAR, or a wound note with photos."""
    staff_id, staff_name = author if isinstance(author, tuple) else (author.me, author.name)
    now = dt.datetime.now(dt.UTC)
    if photos:
        answers: dict[str, object] = {
            **PATIENT,
            "wound.assessedAt": now - dt.timedelta(minutes=5),
            "wound.location": "Left heel",
            "wound.type": "pressure-ulcer",
            "wound.pressureCategory": "2",
            "wound.length": 2.5,
            "wound.width": 1.5,
            "wound.tissue": ["granulating"],
            "wound.exudate": "low",
            "wound.infection": False,
            "wound.pain": 3,
            "wound.treatment": "Foam dressing applied.",
            "wound.photosTaken": True,
            "wound.photoConsent": "patient",
            "wound.photos": list(photos),
        }
        form = "wound-assessment"
    else:
        answers, form = {**PATIENT, **SBAR}, "sbar-handover"
    resource: dict[str, Any] = forms.build_response(
        form, answers, staff_id=staff_id, staff_name=staff_name, now=now, today=now.date()
    )
    return resource


def amended_resource(
    author: Device, previous: dict[str, Any], reason: str = "Allergy recorded wrongly"
) -> dict[str, Any]:
    answers = {**forms.answers_of(previous), "sbar.background.allergies": "None known"}
    now = dt.datetime.now(dt.UTC)
    resource: dict[str, Any] = forms.amend_response(
        previous,
        answers,
        reason=reason,
        staff_id=author.me,
        staff_name=author.name,
        now=now,
        today=now.date(),
    )
    return resource


def count(lane: DbLane, sql: str, *args: object) -> int:
    def op(store: Store) -> int:
        return int(store.conn.execute(sql, args).fetchone()[0])

    return lane.call(op)


@pytest.fixture
def devices(live_server: LiveServer, tmp_path: Path) -> Iterator[Devices]:
    opened = Devices(live_server, tmp_path)
    yield opened
    opened.close()


# -- every event type ---------------------------------------------------------------------------


def test_every_event_type_is_applied(live_server: LiveServer, devices: Devices) -> None:
    team_id, team = live_server.new_team("Ward")
    alice_account = live_server.new_staff("alice", teams=(team,))
    alice = devices.open(alice_account)
    alice_elsewhere = devices.open(alice_account)  # the same staff member on another PC
    bob = devices.open(live_server.new_staff("bob", teams=(team,)))
    carol_account = live_server.new_staff("carol", teams=(team,))
    carol = devices.open(carol_account)

    routine, urgent, wrong = (
        post_op(team_id, "Porter needed for bay 3"),
        post_op(team_id, "Crash trolley check overdue", priority="urgent"),
        post_op(team_id, "Meant for the other ward"),
    )
    bob.push(routine, urgent, wrong)
    carol.push(MessageAck(new_id(), urgent.message_id))
    bob.push(MessageRetract(new_id(), wrong.message_id, "Posted in the wrong team"))
    photo_data = png_bytes(1)
    photo = forms.PhotoAnswer(
        sha256=hashlib.sha256(photo_data).hexdigest(),
        content_type="image/png",
        size=len(photo_data),
        title="Heel",
    )
    bob.client.put_blob(photo.sha256, "image/png", photo_data)
    wound = note_resource(bob, photos=(photo,))
    sbar = note_resource(bob)
    bob.push(NoteSubmit(new_id(), team_id, wound["id"], wound))
    (sbar_seq,) = bob.push(NoteSubmit(new_id(), team_id, sbar["id"], sbar))
    sbar_v2 = amended_resource(bob, sbar)
    bob.push(NoteAmend(new_id(), sbar_v2["id"], sbar["id"], "Allergy recorded wrongly", sbar_v2))
    (bob_read,) = bob.push(ReceiptRead(new_id(), team_id, sbar_seq or 0))
    alice_elsewhere.push(ReceiptRead(new_id(), team_id, bob_read or 0))
    dave = live_server.new_staff("dave", teams=(team,))  # membership.added (someone else)
    live_server.admin("remove_member", team, carol_account.username)  # membership.removed
    live_server.admin("disable_staff", dave.username)  # staff.updated

    pages = alice.pull_all()
    assert not any(p.skipped for p in pages)
    changes = pages[0].changes
    for page in pages[1:]:
        changes |= page.changes
    assert changes.messages == {team_id} and changes.notes == {team_id}
    assert changes.teams and changes.staff

    # messages: the retracted one is gone, the urgent one is acknowledged by carol
    timeline = alice.lane.call(messages.latest_messages, team_id)
    assert [m.id for m in timeline] == [routine.message_id, urgent.message_id]
    assert all(m.state is MessageState.RECEIVED and m.seq is not None for m in timeline)
    assert timeline[0].author_name == bob.name and timeline[0].body == "Porter needed for bay 3"
    assert timeline[1].acked and not timeline[0].acked

    # notes: both filed here, with the patient, search text, photos and the amended lineage
    versions = alice.lane.call(notes.note_versions, sbar["id"])
    assert [n.id for n in versions] == [sbar["id"], sbar_v2["id"]]
    assert versions[1].lineage_id == sbar["id"] and versions[1].version == 2
    wound_note = alice.lane.call(notes.get_note, wound["id"])
    assert wound_note is not None and wound_note.state is NoteState.FILED
    assert (wound_note.patient_system, wound_note.patient_value) == (NHS_SYSTEM, "9434765919")
    assert wound_note.photos == (photo.sha256,)
    assert [n.id for n in alice.lane.call(notes.notes_for_patient, NHS_SYSTEM, "9434765919")] == [
        sbar_v2["id"],
        sbar["id"],
        wound["id"],
    ]
    assert count(alice.lane, "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'heel'") == 1
    assert sum((p.missing_photos for p in pages), ()) == (photo.sha256,)

    # receipts: bob's position stored; alice's own, from her other PC, moves her read position
    receipts = alice.lane.call(messages.read_receipts, team_id)
    assert receipts == {bob.me: sbar_seq, alice.me: bob_read}
    assert alice.lane.call(messages.unread_counts)[team_id] == 0

    # membership and staff: dave added (and disabled), carol removed
    members = _member_ids(alice, team_id)
    assert dave.id in members and carol.me not in members
    dave_row = alice.lane.call(teams.get_staff, dave.id)
    assert dave_row is not None and not dave_row.active
    assert dave_row.display_name == dave.username.title()
    assert pages[-1].cursor == alice.lane.call(apply.read_cursor)


def _member_ids(device: Device, team_id: str) -> set[str]:
    def op(store: Store) -> set[str]:
        rows = store.conn.execute("SELECT staff_id FROM members WHERE team_id = ?", (team_id,))
        return {str(r[0]) for r in rows}

    return device.lane.call(op)


# -- page and cursor: all or nothing ------------------------------------------------------------


def test_a_page_and_its_cursor_are_stored_all_or_nothing(
    live_server: LiveServer, devices: Devices, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id, team = live_server.new_team()
    bob = devices.open(live_server.new_staff("bob", teams=(team,)))
    alice = devices.open(live_server.new_staff("alice", teams=(team,)))
    first, second, third = (post_op(team_id, f"Obs round {n} done") for n in (1, 2, 3))
    bob.push(first, second)
    (read_seq,) = bob.push(ReceiptRead(new_id(), team_id, 1))
    bob.push(third)
    before = alice.lane.call(apply.read_cursor)
    page = alice.client.pull(before or 0)
    assert [e.type for e in page.events] == ["message", "message", "receipt", "message"]

    def disk_full(*args: object) -> bool:
        raise DiskFull()

    monkeypatch.setattr(messages, "apply_receipt_in_tx", disk_full)  # the third event fails
    with pytest.raises(DiskFull):
        alice.lane.call(apply_page, page)
    assert alice.lane.call(apply.read_cursor) == before
    assert alice.lane.call(messages.latest_messages, team_id) == []

    monkeypatch.undo()  # the same page again, as the engine's retry would
    applied = alice.lane.call(apply_page, page)
    assert applied.applied == 4 and applied.cursor == page.next
    assert [m.id for m in alice.lane.call(messages.latest_messages, team_id)] == [
        first.message_id,
        second.message_id,
        third.message_id,
    ]
    assert alice.lane.call(messages.read_receipts, team_id) == {bob.me: 1}
    assert read_seq is not None and alice.lane.call(apply.read_cursor) == page.next


# -- membership of the caller -------------------------------------------------------------------


def test_removal_from_a_team_purges_its_local_data(
    live_server: LiveServer, devices: Devices
) -> None:
    kept_id, kept = live_server.new_team("Ward")
    gone_id, gone = live_server.new_team("Community", kind="community")
    alice_account = live_server.new_staff("alice", teams=(kept, gone))
    alice = devices.open(alice_account)
    bob = devices.open(live_server.new_staff("bob", teams=(kept, gone)))
    bob.push(post_op(kept_id, "Handover at 19:30"), post_op(gone_id, "Visit list updated"))
    sbar = note_resource(bob)
    bob.push(NoteSubmit(new_id(), gone_id, sbar["id"], sbar))
    alice.pull_all()
    alice.lane.call(messages.add_local_message, gone_id, "Queued for the leaving team")
    assert len(alice.lane.call(messages.latest_messages, gone_id)) == 2

    live_server.admin("remove_member", gone, alice_account.username)
    bob.push(post_op(gone_id, "After alice left"))
    pages = alice.pull_all()

    assert pages[0].purged == {gone_id} and gone_id in pages[0].changes.purged
    assert alice.lane.call(teams.list_teams) == [Team(kept_id, kept, TeamKind.WARD)]
    for table in ("messages", "notes", "outbox", "receipts", "members"):
        assert count(alice.lane, f"SELECT count(*) FROM {table} WHERE team_id = ?", gone_id) == 0
    assert len(alice.lane.call(messages.latest_messages, kept_id)) == 1
    assert not any(p.skipped for p in pages)


def test_joining_a_team_marks_it_for_backfill(live_server: LiveServer, devices: Devices) -> None:
    first_id, first = live_server.new_team("Ward")
    joined_id, joined = live_server.new_team("Ward")
    alice_account = live_server.new_staff("alice", teams=(first,))
    alice = devices.open(alice_account)
    bob = devices.open(live_server.new_staff("bob", teams=(joined,)))
    bob.push(post_op(joined_id, "Before alice joined"))
    assert alice.lane.call(teams.teams_to_backfill) == [first_id]  # a new device backfills all

    live_server.admin("add_member", joined, alice_account.username)
    (after,) = bob.push(post_op(joined_id, "After alice joined"))
    (page,) = alice.pull_all()

    assert page.joined == {joined_id}
    assert Team(joined_id, joined, TeamKind.WARD) in alice.lane.call(teams.list_teams)
    state = alice.lane.call(teams.get_backfill, joined_id)
    join_seq = next(
        e.seq
        for e in alice.client.pull(0).events
        if e.type == "membership.added"
        and e.team_id == joined_id
        and e.data["staff_id"] == alice.me
    )
    assert state == teams.Backfill(joined_id, join_seq + 1, complete=False)
    assert set(alice.lane.call(teams.teams_to_backfill)) == {first_id, joined_id}
    assert alice.me in _member_ids(alice, joined_id)
    # The pull already brought the team's events (the history fetch will overlap them harmlessly).
    bodies = [m.body for m in alice.lane.call(messages.latest_messages, joined_id)]
    assert "After alice joined" in bodies and after is not None


# -- pages that are not what they should be (built by hand) -------------------------------------

TEAM = "10000000-0000-4000-8000-000000000001"
ME = "00000000-0000-4000-8000-00000000000a"
OTHER = "00000000-0000-4000-8000-00000000000b"
AT = "2026-11-28T09:00:00.000Z"


def _message_event(seq: int, body: object = "Obs due", *, team: str | None = TEAM) -> Event:
    data: dict[str, object] = {
        "id": str(uuid.UUID(int=seq)),
        "op_id": new_id(),
        "author": {"id": OTHER, "display_name": "Bob Brown"},
        "body": body,
        "priority": "routine",
        "client_ts": AT,
        "server_ts": AT,
    }
    return Event(seq, "message", team, AT, data)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "w.db", secrets.token_bytes(32), me=ME)
    teams.save_directory(s, teams=[Team(TEAM, "Ward 7", TeamKind.WARD)])
    yield s
    s.close()


def test_a_malformed_event_is_skipped_with_a_trace_and_the_cursor_moves(store: Store) -> None:
    secret = "Pt 943 476 5919"
    page = PullResponse(
        (
            _message_event(1),
            _message_event(2, {"not": secret}),
            _message_event(3, team=str(uuid.UUID(int=99))),
            Event(4, "receipt", TEAM, AT, {"staff_id": OTHER}),
            _message_event(5),
        ),
        next=7,
        more=False,
    )
    applied = apply_page(store, page)
    assert applied.applied == 2 and applied.cursor == 7
    assert [(s.seq, s.type) for s in applied.skipped] == [
        (2, "message"),
        (3, "message"),
        (4, "receipt"),
    ]
    assert applied.skipped[0].reason == "data.body: must be a string"
    assert applied.skipped[1].reason == "is for a team this device does not hold"
    assert applied.skipped[2].reason == "data.up_to_seq: must be a whole number"
    assert [m.seq for m in messages.latest_messages(store, TEAM)] == [1, 5]
    trail = store.conn.execute(
        "SELECT subject, detail FROM audit WHERE action = ?", (apply.SKIPPED_ACTION,)
    ).fetchall()
    assert [t[0] for t in trail] == ["2", "3", "4"]
    assert all(secret not in str(t[1]) for t in trail)
    assert audit.verify(store).ok


def _note_event(seq: int, resource: dict[str, Any], version_of: str | None = None) -> Event:
    data = NoteData(
        id=resource["id"],
        version=1 if version_of is None else 2,
        version_of=version_of,
        author_id=OTHER,
        author_name="Bob Brown",
        form_url="https://wardlink.example/Questionnaire/sbar-handover",
        form_version="1.0.0",
        form_title="SBAR handover",
        resource=resource,
    )
    kind = "note" if version_of is None else "note.amended"
    return Event(seq, kind, TEAM, AT, data.to_json())


def _amendment(first: dict[str, Any], who: tuple[str, str], allergies: str) -> dict[str, Any]:
    resource: dict[str, Any] = forms.amend_response(
        first,
        {**forms.answers_of(first), "sbar.background.allergies": allergies},
        reason="Allergy recorded wrongly",
        staff_id=who[0],
        staff_name=who[1],
    )
    return resource


def test_a_colleagues_amendment_filed_first_is_kept_beside_ours(store: Store) -> None:
    first = note_resource((OTHER, "Bob Brown"))
    apply_page(store, PullResponse((_note_event(1, first),), next=1, more=False))
    # Here, an amendment of it waits to be sent; meanwhile Bob's own amendment is filed: both
    # were version 2. Bob's is the record's version 2; ours moves up and still waits to go.
    local = _amendment(first, (ME, "Alice Adams"), "None known")
    draft = notes.NoteDraft(
        team_id=TEAM,
        form_url="https://wardlink.example/Questionnaire/sbar-handover",
        form_version="1.0.0",
        form_title="SBAR handover",
        patient_system=NHS_SYSTEM,
        patient_value="9434765919",
        authored=str(local["authored"]),
        resource=local,
    )
    ours, _ = notes.amend_note(store, first["id"], draft, "Allergy recorded wrongly")
    theirs = _amendment(first, (OTHER, "Bob Brown"), "Latex")
    page = PullResponse(
        (_message_event(2), _note_event(3, theirs, version_of=first["id"]), _message_event(4)),
        next=4,
        more=False,
    )
    applied = apply_page(store, page)
    assert applied.applied == 3 and applied.cursor == 4 and applied.skipped == ()
    versions = notes.note_versions(store, first["id"])
    assert [(v.id, v.version) for v in versions] == [
        (first["id"], 1),
        (theirs["id"], 2),
        (ours, 3),
    ]


def test_a_clash_with_local_data_skips_that_event_only(store: Store) -> None:
    first = note_resource((OTHER, "Bob Brown"))
    theirs = _amendment(first, (OTHER, "Bob Brown"), "Latex")
    apply_page(
        store,
        PullResponse(
            (_note_event(1, first), _note_event(2, theirs, version_of=first["id"])),
            next=2,
            more=False,
        ),
    )
    # A second, different "version 2" of the same note: the record would never send it, and
    # the filed version 2 here stays as it is. It is skipped; the rest of the page applies.
    other = _amendment(first, (OTHER, "Bob Brown"), "Peanuts")
    page = PullResponse(
        (_message_event(3), _note_event(4, other, version_of=first["id"]), _message_event(5)),
        next=5,
        more=False,
    )
    applied = apply_page(store, page)
    assert applied.applied == 2 and applied.cursor == 5
    assert [(s.seq, s.reason) for s in applied.skipped] == [
        (4, "clashes with data held on this device")
    ]
    assert [m.seq for m in messages.latest_messages(store, TEAM)] == [3, 5]
    assert notes.get_note(store, str(other["id"])) is None


def test_policy_and_staff_updates(store: Store) -> None:
    policy = {"history_days": 14, "lock_after_hours": 24, "a_newer_setting": True}
    page = PullResponse(
        (
            Event(1, "policy.updated", None, AT, {"policy": policy}),
            Event(
                2,
                "staff.updated",
                None,
                AT,
                {"id": OTHER, "display_name": "B Brown", "active": False},
            ),
            Event(3, "policy.updated", None, AT, {"policy": {"history_days": "lots"}}),
        ),
        next=3,
        more=False,
    )
    applied = apply_page(store, page)
    assert applied.policy_changed and applied.changes.staff
    assert store.get_json_state(SERVER_POLICY_KEY) == policy  # the refused one is not kept
    assert [(s.seq, s.reason) for s in applied.skipped] == [
        (3, "data.policy: holds a setting this version refuses")
    ]
    staff = teams.get_staff(store, OTHER)
    assert staff is not None and staff.display_name == "B Brown" and not staff.active
    again = apply_page(store, PullResponse(page.events[:1], next=4, more=False))
    assert not again.policy_changed and store.get_state(CURSOR_KEY) == "4"


def test_the_cursor_never_moves_back(store: Store) -> None:
    apply_page(store, PullResponse((), next=50, more=False))
    assert apply_page(store, PullResponse((), next=40, more=False)).cursor == 50
    assert apply.read_cursor(store) == 50


def test_receipts_and_members_say_so_without_touching_the_timeline(store: Store) -> None:
    """A receipt changes who has read what, not the messages: views that show receipts hear of
    it (`receipts`), the timeline's rows are not fetched again. Members joining or leaving
    change who the readers are."""
    teams.save_directory(store, staff=[Staff(OTHER, "bob", "Bob Brown", Role.STAFF)])
    theirs = apply_page(
        store,
        PullResponse(
            (Event(1, "receipt", TEAM, AT, {"staff_id": OTHER, "up_to_seq": 1}),),
            next=1,
            more=False,
        ),
    )
    assert theirs.changes.receipts == {TEAM}
    assert not theirs.changes.messages and not theirs.changes.teams
    assert messages.read_receipts(store, TEAM) == {OTHER: 1}

    mine = apply_page(
        store,
        PullResponse(
            (
                _message_event(2),
                Event(3, "receipt", TEAM, AT, {"staff_id": ME, "up_to_seq": 2}),
            ),
            next=3,
            more=False,
        ),
    )
    assert mine.changes.receipts == {TEAM} and mine.changes.teams  # my unread count moved

    team = {"id": TEAM, "name": "Ward 7", "kind": "ward"}
    joined = apply_page(
        store,
        PullResponse(
            (Event(4, "membership.added", TEAM, AT, {"team": team, "staff_id": OTHER}),),
            next=4,
            more=False,
        ),
    )
    assert joined.changes.receipts == {TEAM} and not joined.changes.messages
