"""The domain model's small promises, and the one timestamp format the wire and the store use."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core.clock import (
    FixedClock,
    ManualClock,
    SystemClock,
    format_timestamp,
    parse_timestamp,
    utc_now_ms,
)
from wardlink.core.model import (
    Attachment,
    Message,
    MessageState,
    Note,
    NoteState,
    NoteStatus,
    Priority,
    Role,
    Staff,
)

MOMENT = dt.datetime(2026, 11, 28, 9, 15, 2, 123456, tzinfo=dt.UTC)

# --- the timestamp format ---------------------------------------------------------------------


def test_format_has_milliseconds_and_z() -> None:
    assert format_timestamp(MOMENT) == "2026-11-28T09:15:02.123Z"
    assert format_timestamp(MOMENT.replace(microsecond=0)) == "2026-11-28T09:15:02.000Z"
    assert format_timestamp(dt.datetime(5, 1, 2, tzinfo=dt.UTC)) == "0005-01-02T00:00:00.000Z"


def test_format_truncates_and_never_rounds_into_the_next_second() -> None:
    late = MOMENT.replace(microsecond=999_999)
    assert format_timestamp(late) == "2026-11-28T09:15:02.999Z"


def test_format_converts_other_offsets_to_utc() -> None:
    bst = dt.timezone(dt.timedelta(hours=1))
    local = dt.datetime(2026, 7, 1, 10, 0, 0, 5000, tzinfo=bst)
    assert format_timestamp(local) == "2026-07-01T09:00:00.005Z"


def test_naive_datetimes_are_refused() -> None:
    naive = dt.datetime(2026, 11, 28, 9, 15, 2)  # naive: the point of the test
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(naive)
    with pytest.raises(ValueError, match="naive"):
        FixedClock(naive)
    with pytest.raises(ValueError, match="naive"):
        ManualClock(naive)
    clock = ManualClock(MOMENT)
    with pytest.raises(ValueError, match="naive"):
        clock.set(naive)


def test_parse_gives_aware_utc() -> None:
    parsed = parse_timestamp("2026-11-28T09:15:02.123Z")
    assert parsed == MOMENT.replace(microsecond=123_000)
    assert parsed.tzinfo is dt.UTC


@pytest.mark.parametrize(
    "bad",
    [
        "2025-03-14T09:15:02Z",  # no milliseconds
        "2025-03-14T09:15:02.12Z",
        "2025-03-14T09:15:02.1234Z",
        "2025-03-14T09:15:02.123",  # no zone
        "2025-03-14T09:15:02.123+00:00",
        "2025-03-14 09:15:02.123Z",
        "2025-03-14t09:15:02.123z",
        "2025-03-14T09:15:02.123Z ",
        "2025-02-30T09:15:02.123Z",  # no such day
        "2025-03-14T24:00:00.000Z",
        "2016-12-31T23:59:60.000Z",  # leap seconds do not exist for datetime
        "٢٠٢٥-03-14T09:15:02.123Z",  # non-ASCII digits
        "",
    ],
)
def test_parse_refuses_anything_but_the_one_format(bad: str) -> None:
    with pytest.raises(ValueError, match="timestamp") as info:
        parse_timestamp(bad)
    if bad.strip():
        assert bad not in str(info.value)


@settings(derandomize=True, max_examples=200)
@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 1),  # hypothesis takes naive bounds
        max_value=dt.datetime(9999, 12, 31),
        timezones=st.just(dt.UTC),
    )
)
def test_round_trip_keeps_every_millisecond(moment: dt.datetime) -> None:
    text = format_timestamp(moment)
    parsed = parse_timestamp(text)
    assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert format_timestamp(parsed) == text
    assert len(text) == 24
    assert text.endswith("Z")


# --- clocks ------------------------------------------------------------------------------------


def test_system_clock_is_aware_utc_and_current() -> None:
    before = dt.datetime.now(dt.UTC)
    now = SystemClock().now()
    after = dt.datetime.now(dt.UTC)
    assert now.tzinfo is not None
    assert now.utcoffset() == dt.timedelta(0)
    assert before <= now <= after


def test_utc_now_ms_is_cut_to_milliseconds() -> None:
    assert utc_now_ms(FixedClock(MOMENT)) == MOMENT.replace(microsecond=123_000)
    assert utc_now_ms().microsecond % 1000 == 0


def test_fixed_clock_stands_still_and_normalises_to_utc() -> None:
    bst = dt.timezone(dt.timedelta(hours=1))
    clock = FixedClock(dt.datetime(2026, 7, 1, 10, 0, tzinfo=bst))
    assert clock.now() == clock.now() == dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
    assert clock.now().tzinfo is dt.UTC


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(MOMENT)
    assert clock.now() == MOMENT
    assert clock.advance(dt.timedelta(hours=72)) == MOMENT + dt.timedelta(hours=72)
    assert clock.now() == MOMENT + dt.timedelta(hours=72)
    clock.set(MOMENT - dt.timedelta(days=1))  # a user winding the PC's clock back
    assert clock.now() == MOMENT - dt.timedelta(days=1)
    with pytest.raises(ValueError, match="non-negative"):
        clock.advance(dt.timedelta(seconds=-1))


def test_manual_clock_is_safe_across_threads() -> None:
    clock = ManualClock(MOMENT)

    def tick() -> None:
        for _ in range(1000):
            clock.advance(dt.timedelta(milliseconds=1))

    workers = [threading.Thread(target=tick) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert clock.now() == MOMENT + dt.timedelta(seconds=4)


# --- the model ---------------------------------------------------------------------------------


def make_message(**overrides: object) -> Message:
    fields: dict[str, object] = {
        "id": "m1",
        "team_id": "t1",
        "author_id": "s1",
        "author_name": "Sam Carter",
        "body": "Bay 3 obs due at 14:00",
        "priority": Priority.ROUTINE,
        "client_ts": MOMENT,
        "state": MessageState.QUEUED,
    }
    fields.update(overrides)
    return Message(**fields)  # type: ignore[arg-type]


def make_note(**overrides: object) -> Note:
    fields: dict[str, object] = {
        "id": "n2",
        "lineage_id": "n1",
        "version": 2,
        "version_of": "n1",
        "team_id": "t1",
        "form_url": "https://wardlink.example/forms/wound",
        "form_version": "1.0.0",
        "form_title": "Wound review",
        "patient_system": "https://fhir.nhs.uk/Id/nhs-number",
        "patient_value": "9434765919",
        "status": NoteStatus.AMENDED,
        "author_id": "s1",
        "author_name": "Sam Carter",
        "authored": MOMENT,
        "resource": {"resourceType": "QuestionnaireResponse", "status": "amended"},
        "state": NoteState.QUEUED,
    }
    fields.update(overrides)
    return Note(**fields)  # type: ignore[arg-type]


def test_enums_speak_the_protocols_words() -> None:
    assert [r.value for r in Role] == ["staff", "admin", "integration"]
    assert [s.value for s in MessageState] == ["queued", "sent", "held", "received"]
    assert [s.value for s in NoteState] == ["queued", "filed", "held"]
    assert [s.value for s in NoteStatus] == ["completed", "amended"]
    assert Priority("urgent") is Priority.URGENT


def test_values_are_frozen_and_slotted() -> None:
    message = make_message()
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.body = "changed"  # type: ignore[misc]
    assert not hasattr(message, "__dict__")


def test_message_derived_properties() -> None:
    urgent = make_message(priority=Priority.URGENT)
    assert urgent.is_urgent
    assert urgent.awaiting_ack
    assert not dataclasses.replace(urgent, acked=True).awaiting_ack
    assert not make_message().awaiting_ack
    assert make_message(state=MessageState.HELD, held_reason="patient_identifiers").is_own_unsent
    assert not make_message(state=MessageState.RECEIVED).is_own_unsent


def test_staff_roles() -> None:
    admin = Staff("s1", "scarter", "Sam Carter", Role.ADMIN)
    assert admin.is_admin
    assert admin.active
    assert not Staff("s2", "epr", "EPR feed", Role.INTEGRATION).is_person


def test_note_derived_properties_and_hash() -> None:
    note = make_note()
    assert note.is_amendment
    assert not note.is_filed
    assert note.questionnaire == "https://wardlink.example/forms/wound|1.0.0"
    first = make_note(id="n1", version=1, version_of=None, status=NoteStatus.COMPLETED)
    assert not first.is_amendment
    assert first.lineage_id == first.id
    assert hash(note) == hash(make_note())  # the resource dict does not make it unhashable


def test_patient_data_stays_out_of_repr() -> None:
    note = make_note()
    assert "9434765919" not in repr(note)
    assert "QuestionnaireResponse" not in repr(note)
    assert "Bay 3" not in repr(make_message())
    photo = Attachment("ab" * 32, "image/jpeg", 1234, "Mrs Example's left heel")
    assert "Example" not in repr(photo)


def test_attachment_url_is_the_blob_urn() -> None:
    photo = Attachment("ab" * 32, "image/jpeg", 1234, "heel")
    assert photo.url == "urn:wardlink:blob:" + "ab" * 32
