"""The pusher against the real record server: FIFO, photos before notes, held refusals, 413
splits, and a resend after a lost answer that changes nothing on the server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from wardlink.core import forms
from wardlink.core.model import MessageState, NoteState
from wardlink.core.protocol import Op, PushResponse
from wardlink.store import attachments, messages, notes, outbox
from wardlink.store.database import Store
from wardlink.store.notes import NoteDraft
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import Offline
from wardlink.sync.pusher import TOO_LARGE, fetch_photos, push_round

from .live_server import LiveServer
from .test_apply import Device, Devices, count, note_resource, png_bytes


@pytest.fixture
def devices(live_server: LiveServer, tmp_path: Path) -> Iterator[Devices]:
    opened = Devices(live_server, tmp_path)
    yield opened
    opened.close()


def _pair(live_server: LiveServer, devices: Devices) -> tuple[str, Device, Device]:
    """A team with alice (who sends, with the pusher) and bob (who reads what arrived)."""
    team_id, team = live_server.new_team()
    alice = devices.open(live_server.new_staff("alice", teams=(team,)))
    bob = devices.open(live_server.new_staff("bob", teams=(team,)))
    return team_id, alice, bob


def _queue(device: Device, team_id: str, bodies: Sequence[str]) -> list[str]:
    """Write messages offline (one transaction each, as the composer does); their ids."""

    def op(store: Store) -> list[str]:
        return [messages.add_local_message(store, team_id, body)[0].id for body in bodies]

    return device.lane.call(op)


def _arrived(device: Device, team_id: str) -> list[str]:
    """Message ids as another member receives them, in the server's order."""
    device.pull_all()
    return [m.id for m in device.lane.call(messages.latest_messages, team_id, 5000)]


def _queue_wound_note(device: Device, team_id: str, photo: bytes, content_type: str) -> str:
    sha = hashlib.sha256(photo).hexdigest()
    device.lane.call(attachments.put_attachment, sha, content_type, photo)
    answer = forms.PhotoAnswer(sha256=sha, content_type=content_type, size=len(photo), title="Heel")
    resource = note_resource(device, photos=(answer,))
    form = forms.load_form("wound-assessment")
    patient = forms.patient_of(resource)
    draft = NoteDraft(
        team_id=team_id,
        form_url=form.url,
        form_version=form.version,
        form_title=form.title,
        patient_system=patient.system,
        patient_value=patient.value,
        authored=str(resource["authored"]),
        resource=resource,
        search_text=forms.summary_text(resource),
        photos=(sha,),
    )
    note_id, _ = device.lane.call(notes.submit_note, draft, note_id=resource["id"])
    return note_id


class Recording(RecordClient):
    """Notes the order of uploads and pushes; can drop a push's answer after the server
    committed it (as a dropped connection would)."""

    def __init__(self, inner: RecordClient, *, drop_answer: bool = False) -> None:
        super().__init__(inner.transport)
        self.calls: list[str] = []
        self.drop_answer = drop_answer

    def put_blob(self, sha256: str, content_type: str, data: bytes) -> None:
        self.calls.append(f"photo {sha256[:8]}")
        super().put_blob(sha256, content_type, data)

    def push(self, ops: Sequence[Op]) -> PushResponse:
        self.calls.append(f"push {len(ops)}")
        answer = super().push(ops)
        if self.drop_answer:
            raise Offline()
        return answer


def test_ops_are_sent_in_the_order_they_were_written(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    ids = _queue(alice, team_id, [f"Obs round {n} done" for n in range(5)])
    alice.lane.call(messages.mark_read, team_id, 1)

    done = push_round(alice.lane, alice.client)

    assert (done.taken, done.sent, done.held, done.more) == (6, 6, 0, False)
    assert done.changes.messages == {team_id} and done.changes.outbox
    assert alice.lane.call(outbox.pending_count) == 0
    sent = [alice.lane.call(messages.get_message, i) for i in ids]
    assert all(m is not None and m.state is MessageState.SENT for m in sent)
    seqs = [m.seq for m in sent if m is not None and m.seq is not None]
    assert len(seqs) == len(ids) and seqs == sorted(seqs)  # at the server's positions, in order
    assert _arrived(bob, team_id) == ids
    assert push_round(alice.lane, alice.client).taken == 0


def test_photos_are_uploaded_before_their_note(live_server: LiveServer, devices: Devices) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    photo = png_bytes(7)
    sha = hashlib.sha256(photo).hexdigest()
    note_id = _queue_wound_note(alice, team_id, photo, "image/png")
    client = Recording(alice.client)

    done = push_round(alice.lane, client)

    assert client.calls == [f"photo {sha[:8]}", "push 1"]
    assert done.photos_uploaded == 1 and done.sent == 1 and done.changes.notes == {team_id}
    note = alice.lane.call(notes.get_note, note_id)
    assert note is not None and note.state is NoteState.FILED and note.photos == (sha,)
    assert alice.lane.call(attachments.pending_uploads, note_id) == []
    # The record server holds the photo and the note: another member sees both.
    (page,) = bob.pull_all()
    assert page.missing_photos == (sha,)
    assert bob.client.get_blob(sha) == ("image/png", photo)
    filed = bob.lane.call(notes.get_note, note_id)
    assert filed is not None and filed.photos == (sha,) and filed.author_id == alice.me


def test_a_message_with_an_nhs_number_is_held_with_what_was_found(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    held_id, ok_id = _queue(alice, team_id, ["Pt 943 476 5919 in bay 3", "Bay 3 obs done"])

    done = push_round(alice.lane, alice.client)

    assert (done.sent, done.held) == (1, 1)
    held = alice.lane.call(messages.get_message, held_id)
    assert held is not None and held.state is MessageState.HELD
    assert held.held_reason == (
        "Not sent: this looks like it contains an NHS number. Patient details belong in a "
        "patient note, not in chat."
    )
    assert "943" not in held.held_reason
    assert alice.lane.call(outbox.pending_count) == 0  # held, not queued: nothing is blocked
    assert _arrived(bob, team_id) == [ok_id]
    # Edited, it goes again and is sent.
    alice.lane.call(messages.edit_held_message, held_id, "Bay 3 patient needs review")
    assert push_round(alice.lane, alice.client).sent == 1
    assert _arrived(bob, team_id) == [ok_id, held_id]


def test_six_hundred_ops_flow_through_the_batch_limit_and_a_413_split(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    ids = _queue(alice, team_id, [f"Item {n}" for n in range(600)])

    # The default batch is the server's limit: 500, then the other 100.
    first = push_round(alice.lane, alice.client)
    assert (first.taken, first.sent, first.more) == (500, 500, True)
    ids += _queue(alice, team_id, [f"Later item {n}" for n in range(500)])
    # A batch above the server's limit is refused with 413, split in halves and sent.
    client = Recording(alice.client)
    second = push_round(alice.lane, client, max_ops=600)
    assert (second.taken, second.sent, second.held) == (600, 600, 0)
    assert client.calls == ["push 600", "push 300", "push 300"]
    assert alice.lane.call(outbox.pending_count) == 0
    assert _arrived(bob, team_id) == ids


def test_a_resend_after_a_lost_answer_stores_nothing_twice(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    ids = _queue(alice, team_id, [f"Drug round {n} done" for n in range(4)])

    with pytest.raises(Offline):
        push_round(alice.lane, Recording(alice.client, drop_answer=True))
    batch = alice.lane.call(outbox.next_batch)
    assert len(batch) == 4 and all(item.attempts == 1 for item in batch)
    assert all(
        m is not None and m.state is MessageState.QUEUED
        for m in (alice.lane.call(messages.get_message, i) for i in ids)
    )

    again = push_round(alice.lane, alice.client)  # the server answers `duplicate` for each
    assert again.sent == 4 and alice.lane.call(outbox.pending_count) == 0
    assert _arrived(bob, team_id) == ids  # each once
    sent = [alice.lane.call(messages.get_message, i) for i in ids]
    assert [m.seq for m in sent if m is not None] == [
        m.seq for m in bob.lane.call(messages.latest_messages, team_id)
    ]


def test_an_op_that_does_not_parse_is_held_and_blocks_nothing(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    broken, fine = _queue(alice, team_id, ["   ", "Bay 4 obs done"])

    done = push_round(alice.lane, alice.client)

    assert (done.sent, done.held) == (1, 1)
    held = alice.lane.call(messages.get_message, broken)
    assert held is not None and held.state is MessageState.HELD
    assert held.held_reason is not None and "fault in the app (op.body)" in held.held_reason
    assert _arrived(bob, team_id) == [fine]


def test_a_single_op_too_large_to_send_is_held(live_server: LiveServer, devices: Devices) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    resource = {
        **note_resource(alice),
        "text": {"status": "generated", "div": "x" * (2 * 1024 * 1024)},
    }
    draft = NoteDraft(
        team_id=team_id,
        form_url="https://example.org/Questionnaire/sbar",
        form_version="1",
        form_title="SBAR",
        patient_system="https://fhir.nhs.uk/Id/nhs-number",
        patient_value="9434765919",
        authored=str(resource["authored"]),
        resource=resource,
    )
    note_id, _ = alice.lane.call(notes.submit_note, draft, note_id=resource["id"])
    (after,) = _queue(alice, team_id, ["Bay 5 obs done"])

    first = push_round(alice.lane, alice.client)
    assert (first.taken, first.held) == (1, 1)  # a batch of its own, however large
    note = alice.lane.call(notes.get_note, note_id)
    assert note is not None and note.state is NoteState.HELD and note.held_reason == TOO_LARGE
    assert push_round(alice.lane, alice.client).sent == 1
    assert _arrived(bob, team_id) == [after]


def test_a_photo_the_server_refuses_holds_its_note_only(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    note_id = _queue_wound_note(alice, team_id, b"not a photo at all", "image/jpeg")
    (after,) = _queue(alice, team_id, ["Bay 6 obs done"])

    done = push_round(alice.lane, alice.client)

    assert (done.sent, done.held, done.photos_uploaded) == (1, 1, 0)
    note = alice.lane.call(notes.get_note, note_id)
    assert note is not None and note.state is NoteState.HELD
    assert note.held_reason is not None and "JPEG" in note.held_reason
    assert _arrived(bob, team_id) == [after]


def test_photos_of_pulled_notes_are_fetched_and_checked(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, alice, bob = _pair(live_server, devices)
    photo = png_bytes(9)
    sha = hashlib.sha256(photo).hexdigest()
    _queue_wound_note(alice, team_id, photo, "image/png")
    push_round(alice.lane, alice.client)
    (page,) = bob.pull_all()
    assert bob.lane.call(attachments.missing_photos) == [sha]

    fetched = fetch_photos(bob.lane, bob.client, [*page.missing_photos, "0" * 64])

    assert fetched.stored == (sha,) and fetched.unavailable == ("0" * 64,)
    assert fetched.changes.notes == {team_id}
    assert bob.lane.call(attachments.get_attachment, sha) == ("image/png", photo)
    assert bob.lane.call(attachments.missing_photos) == []
    assert fetch_photos(bob.lane, bob.client).stored == ()
    assert count(bob.lane, "SELECT uploaded FROM attachments WHERE sha256 = ?", sha) == 1
