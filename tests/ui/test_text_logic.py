"""The UI's pure helpers: UTF-16 positions, the refusal in words, grouping, highlighting."""

from __future__ import annotations

import datetime as dt

import pytest

from wardlink.core.guard import scan
from wardlink.core.model import Message, MessageState, Priority
from wardlink.store.search import build_query
from wardlink.ui.guard_text import kinds_in_words, refusal
from wardlink.ui.search_highlight import fold, highlighted_html, matched_spans
from wardlink.ui.text_positions import Utf16Offsets, utf16_length
from wardlink.ui.timeline_grouping import day_label, day_text, starts_group
from wardlink.ui.undelivered import banner_text


def test_utf16_offsets_count_emoji_as_two() -> None:
    text = "🩹 to Mr Jones 😀 now"
    offsets = Utf16Offsets(text)
    assert utf16_length(text) == len(text) + 2
    assert offsets.to_utf16(0) == 0
    assert offsets.to_utf16(1) == 2  # after the plaster emoji
    assert offsets.to_utf16(len(text)) == utf16_length(text)
    finding = scan(text)[0]
    assert text[finding.start : finding.end] == "Mr Jones"
    assert offsets.to_utf16(finding.start) == finding.start + 1
    for index in range(len(text) + 1):
        assert offsets.to_code_point(offsets.to_utf16(index)) == index
    assert offsets.to_code_point(1) == 0  # inside the surrogate pair: its start


def test_the_refusal_names_each_kind_once_in_order_of_appearance() -> None:
    text = "Mrs Patel, NHS 943 476 5919, and Mr Jones"
    findings = scan(text)
    assert kinds_in_words(findings) == ["name", "NHS number"]
    assert refusal(findings) == (
        "Patient details can't go in chat: name, NHS number. Move them to a patient note."
    )
    assert refusal(scan("NHS 943 476 5919")) == (
        "Patient details can't go in chat: NHS number. Move it to a patient note."
    )
    assert refusal([]) == ""


def _message(hour: int, minute: int = 0, *, author: str = "a", day: int = 26) -> Message:
    return Message(
        id=f"{day}-{hour}-{minute}-{author}",
        team_id="t",
        author_id=author,
        author_name=author.upper(),
        body="hello",
        priority=Priority.ROUTINE,
        client_ts=dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC),
        state=MessageState.RECEIVED,
    )


def test_days_and_author_runs() -> None:
    today = dt.date(2026, 11, 26)
    assert day_text(today, today) == "Today"
    assert day_text(dt.date(2026, 11, 25), today) == "Yesterday"
    assert day_text(dt.date(2026, 11, 24), today) == "Tuesday 24 November"
    assert day_text(dt.date(2025, 11, 24), today) == "Monday 24 November 2025"
    first, same = _message(9), _message(9, 5)
    assert day_label(None, first, today) == "Today"
    assert day_label(first, same, today) is None
    assert day_label(_message(9, day=25), first, today) == "Today"
    assert starts_group(None, first)
    assert not starts_group(first, same)
    assert starts_group(first, _message(9, 5, author="b"))
    assert starts_group(first, _message(9, 30))


def test_highlighting_follows_the_index_folding() -> None:
    body = "Café review: bed 5, BED 52 and beds; résumé"
    terms = build_query("cafe BED 5").terms
    spans = matched_spans(body, terms)
    assert [body[s:e] for s, e in spans] == ["Café", "bed", "5", "BED", "52"]
    assert fold("Résumé") == "resume"
    html = highlighted_html("a <b> & bed", matched_spans("a <b> & bed", ["bed"]), style="x")
    assert html == 'a &lt;b&gt; &amp; <span style="x">bed</span>'


def test_long_results_are_cut_around_the_first_match() -> None:
    body = "x " * 300 + "trolley at the end"
    html = highlighted_html(body, matched_spans(body, ["trolley"]), style="s", max_chars=100)
    assert html.startswith("…") and "trolley</span>" in html


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, ""),
        (1, "⚠  Your urgent message is NOT delivered yet — phone or bleep if it can't wait."),
        (2, "⚠  2 urgent messages are NOT delivered yet — phone or bleep if it can't wait."),
    ],
)
def test_undelivered_banner_text(count: int, text: str) -> None:
    assert banner_text(count) == text
