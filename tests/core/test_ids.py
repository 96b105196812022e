"""Ids this client makes are time-ordered UUIDs (version 7): valid wherever a UUID is asked for,
in the order they were made, and still unguessable and unique within one millisecond."""

from __future__ import annotations

import datetime as dt
import uuid

from wardlink.core.fhir import is_fhir_id
from wardlink.core.ids import time_ordered_id
from wardlink.core.protocol.fields import is_uuid

START = dt.datetime(2026, 11, 28, 9, 15, 2, 123000, tzinfo=dt.UTC)


def test_an_id_is_a_version_7_uuid_carrying_its_millisecond() -> None:
    made = time_ordered_id(START)
    parsed = uuid.UUID(made)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert is_uuid(made) and is_fhir_id(made) and made == str(parsed)  # lowercase, canonical
    assert parsed.int >> 80 == int(START.timestamp() * 1000)


def test_ids_sort_as_the_times_they_were_made() -> None:
    times = [START + dt.timedelta(milliseconds=n * 37) for n in range(200)]
    times += [START + dt.timedelta(days=n * 400) for n in range(1, 20)]
    made = [time_ordered_id(t) for t in times]
    assert made == sorted(made)


def test_ids_made_in_one_millisecond_all_differ_and_share_no_more_than_the_time() -> None:
    made = [time_ordered_id(START) for _ in range(10_000)]
    assert len(set(made)) == len(made)
    assert len({m[:13] for m in made}) == 1  # the time part
    assert len({m[15:] for m in made}) == len(made)  # the random part


def test_a_clock_set_before_1970_still_makes_a_valid_id() -> None:
    early = uuid.UUID(time_ordered_id(dt.datetime(1960, 1, 1, tzinfo=dt.UTC)))
    assert early.int >> 80 == 0 and early.version == 7
