"""`redact`: the chat text left behind when identifiers move to a patient note."""

from __future__ import annotations

import pytest

from wardlink.core.guard import Finding, redact, scan


def redacted(text: str) -> str:
    return redact(text, scan(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mrs Patel, DOB 12/03/1945, needs bloods", "DOB, needs bloods"),
        ("call 07700 900123 or email jo@example.com.", "call or email."),
        ("pt moved to side room 2 – NHS no 999 123 4578", "pt moved to side room 2 – NHS no"),
        ("bed 9 – Mr Whitfield – 9991234578 – for CT head", "bed 9 – for CT head"),
        ("family contact (07700 900123) is the daughter", "family contact is the daughter"),
        ("Mrs Patel's son rang", "son rang"),
        ("ring Mrs Patel’s son", "ring son"),
        ("tel: 07700 900123, lives at 14 Acacia Avenue, LS1 4AP", "tel, lives at"),
        ("Please call Mrs Patel.", "Please call."),
        ("Mrs Patel 07700 900123", ""),
        ("07700 900123 – daughter", "daughter"),
        ("key safe at 14 Acacia Avenue; ring first", "key safe at; ring first"),
        ("🚑 Mrs Patel to CCU 👍", "🚑 to CCU 👍"),
        ("NOK:Mrs Patel", "NOK"),
        ("[Mrs Patel] for TTO", "for TTO"),
    ],
)
def test_redact_removes_identifiers_and_tidies_the_seams(text: str, expected: str) -> None:
    assert redacted(text) == expected


def test_text_away_from_the_seams_stays_as_typed() -> None:
    text = "obs  due...  then Mrs Patel  to  CCU !!"
    assert redacted(text) == "obs  due...  then to  CCU !!"


def test_no_findings_leaves_the_text_untouched() -> None:
    for text in ["", "  bed 14  ", "obs due 0800,, thanks", "👍"]:
        assert redact(text, []) == text


def test_findings_may_come_in_any_order() -> None:
    text = "Mrs Patel 07700 900123 bay 3"
    findings = scan(text)
    assert redact(text, list(reversed(findings))) == redact(text, findings) == "bay 3"


def test_spans_are_code_points() -> None:
    text = "👵🏽 Mrs Patel 👍"
    assert redact(text, [Finding("name", 3, 12)]) == "👵🏽 👍"


@pytest.mark.parametrize(
    "findings",
    [
        [Finding("name", 0, 9), Finding("phone", 5, 12)],  # overlapping
        [Finding("phone", 0, 99)],  # past the end
        [Finding("phone", 4, 4)],  # empty
        [Finding("phone", -1, 3)],
    ],
)
def test_findings_that_do_not_fit_the_text_are_refused(findings: list[Finding]) -> None:
    with pytest.raises(ValueError, match="inside the text and not overlap") as info:
        redact("Mrs Patel 07700", findings)
    assert "Patel" not in str(info.value)
