"""The patient-identifier guard, kind by kind: what it finds, its exact spans, what it leaves.

The labelled corpus (recall and false-positive rate) is in test_guard_corpus.py, `redact` in
test_guard_redact.py. Every identifier here is fictional: NHS numbers from the 999 test range,
Ofcom drama telephone numbers, invented people and streets.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core import guard
from wardlink.core.guard import (
    DEFAULT_RULES,
    Finding,
    GuardRuleError,
    Kind,
    Rules,
    matched_text,
    scan,
)
from wardlink.core.identifiers import is_valid_nhs_number, mod11_check_digit


def with_check_digit(first_nine: str) -> str:
    check = mod11_check_digit(first_nine)
    assert check is not None, "pick nine digits that have a check digit"
    return f"{first_nine}{check}"


NHS = with_check_digit("999123457")  # a valid number from the test range
CHI = with_check_digit("120345678")  # 12 March 1945
assert is_valid_nhs_number(NHS)


def found(text: str, rules: Rules = DEFAULT_RULES) -> list[tuple[str, str]]:
    """Each finding as (kind, the text it covers): what a test can read at a glance."""
    return [(f.kind, text[f.start : f.end]) for f in scan(text, rules=rules)]


def assert_finds(text: str, kind: Kind, identifier: str) -> None:
    """`text` has exactly one finding, of `kind`, covering exactly `identifier`."""
    start = text.index(identifier)
    assert scan(text) == [Finding(kind, start, start + len(identifier))], found(text)


# --- NHS and CHI numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        NHS,
        f"{NHS[:3]} {NHS[3:6]} {NHS[6:]}",
        f"{NHS[:3]}-{NHS[3:6]}-{NHS[6:]}",
        f"{NHS[:4]} {NHS[4:7]} {NHS[7:]}",
        f"{NHS[:5]} {NHS[5:]}",
        "943 476 5919",
        "9434765919",
        "943\u00a0476\u00a05919",  # no-break spaces, as pasted from a letter
    ],
)
def test_nhs_numbers_in_any_common_spacing(number: str) -> None:
    assert_finds(f"pt in bed 4 is {number}, for CT", "nhs_number", number)


@pytest.mark.parametrize(
    "number",
    [
        CHI,
        f"{CHI[:6]} {CHI[6:]}",
        f"{CHI[:6]}-{CHI[6:]}",
        f"{CHI[:2]} {CHI[2:4]} {CHI[4:6]} {CHI[6:]}",
    ],
)
def test_chi_numbers(number: str) -> None:
    assert_finds(f"CHI {number} for the Ninewells referral", "chi_number", number)


@pytest.mark.parametrize(
    "text",
    [
        "order 4056789123 cancelled",  # ten digits failing modulus 11
        f"lab no {NHS[:9]}{(int(NHS[9]) + 1) % 10}",  # one digit off
        "sample 1234567890",  # check digit would be 10: never issued
        f"the list: {' '.join(NHS[i : i + 2] for i in range(0, 10, 2))}",  # five pairs
        f"{NHS[:4]} {NHS[4:8]} {NHS[8:]}",  # 4-4-2: not a layout anyone writes
        f"{NHS}1 is too long",
        "beds 12 14 15 16 18 need obs",
        "rota 0730 0800 0830",
    ],
)
def test_numbers_that_are_not_nhs_or_chi(text: str) -> None:
    assert found(text) == []


def test_a_phone_number_wins_over_digits_that_happen_to_pass_the_nhs_checksum() -> None:
    assert is_valid_nhs_number("7700900000")
    assert found("ring +44 7700 900000 today") == [("phone", "+44 7700 900000")]


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "(+44) 7700 900123",
        "(01632) 960123",
        "01632 960 123",
        "01632 960123",
        "020 7946 0123",
        "0113 496 0123",
        "0191 498 0456",
        "029 2018 0999",
        "+44 20 7946 0123",
        "07400 123456",  # an ordinary (valid) mobile range, not only the drama ones
        "0121 234 5678",
        "+33 1 99 00 12 34",  # another country (a French fiction range), international form
    ],
)
def test_phone_numbers(number: str) -> None:
    assert_finds(f"daughter says call {number} after 6", "phone", number)


def test_phone_number_followed_by_a_count_is_still_found() -> None:
    assert found("tried 07700 900123 3 times") == [("phone", "07700 900123")]
    assert found("tried +441174960477 2 times") == [("phone", "+441174960477")]


def test_two_phone_numbers_side_by_side() -> None:
    assert found("07700 900123 07700 900456") == [
        ("phone", "07700 900123"),
        ("phone", "07700 900456"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "bleep 2345",
        "ext 4567",
        "ext. 61234",
        "call 61234 for portering",
        "shift 0730-2000",
        "obs 0600 1000 1400 1800",
        "07700 90012 is a digit short",
        "0800 - 1400 on the rota",
        "+44 12",
    ],
)
def test_not_phone_numbers(text: str) -> None:
    assert found(text) == []


# --- postcodes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "postcode",
    ["LS1 4AP", "ls1 4ap", "LS14AP", "sw1a1aa", "SW1A 1AA", "M1 1AE", "CF10 1EP", "LS1  4AP"],
)
def test_postcodes(postcode: str) -> None:
    assert_finds(f"lives at {postcode} with her son", "postcode", postcode)


@pytest.mark.parametrize(
    "text",
    [
        "M1 closed at J40",
        "LS1 is the city centre",
        "B12 1mg IM",  # inward codes never use M
        "pCO2 8kPa",
        "CO2 6.2",
        "T2DM on metformin",
        "L4/5 disc",
        "SR2 self-discharged",
        "HbA1c 48",
    ],
)
def test_not_postcodes(text: str) -> None:
    assert found(text) == []


# --- dates of birth --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB 12/03/1945", "12/03/1945"),
        ("born 3 March 1945", "3 March 1945"),
        ("d.o.b. 12.3.45", "12.3.45"),
        ("date of birth: 1945-03-12", "1945-03-12"),
        ("DOB: 12 Mar 45", "12 Mar 45"),
        ("DoB - 12-03-1945", "12-03-1945"),
        ("born on the 3rd of March 1945", "3rd of March 1945"),
        ("dob March 3, 1945", "March 3, 1945"),
        ("DOB12031945", "12031945"),
        ("DOB 12 / 03 / 1945", "12 / 03 / 1945"),
        ("DOB 12/03", "12/03"),
        ("DOB 31/02/1950", "31/02/1950"),  # mistyped, still a date of birth
        ("Mrs X (12/03/1945)", "12/03/1945"),  # no cue, but a whole 1900s date
        ("bloods for 3 March 1945 lady", "3 March 1945"),
    ],
)
def test_dates_of_birth(text: str, date: str) -> None:
    assert found(text) == [("dob", date)] or ("dob", date) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "on 12/03 I'm on a course",
        "rota for 14/11/2026",
        "next clinic 05/12/2026",
        "can someone swap 12/12?",
        "rota w/c 14/12/2026",
        "see you 14/12",
        "baby born 2/7 ago, feeding well",  # an age in days
        "born at 14:02, 3.2kg",
        "DOB on the form please",
        "31/02/1950 in the audit",  # no cue, and not a real date
        "drug chart rewritten 3/12",
        "newborn obs 12/03/2026",
        "dobutamine 5 mcg/kg/min",
    ],
)
def test_dates_that_are_not_dates_of_birth(text: str) -> None:
    assert found(text) == []


# --- e-mail ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["jo.bloggs@example.com", "P.NOWAK@EXAMPLE.CO.UK", "a_b+care@example.org"]
)
def test_email_addresses(address: str) -> None:
    assert_finds(f"send it to {address}.", "email", address)


@pytest.mark.parametrize("text", ["@Sam can you check bed 4?", "thanks @ward.manager", "a @ b"])
def test_mentions_are_not_email_addresses(text: str) -> None:
    assert found(text) == []


# --- street addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "14 Acacia Avenue",
        "Flat 3, 22 Mill Lane",
        "27b Station Road",
        "flat 2/1, 14 Byres Road",
        "14-16 Chapel Street",
        "3 St Mary's Close",
        "101 Harrogate Rd",
        "22 mill lane",
        "5, Low Fold",
        "14 ACACIA AVENUE",
    ],
)
def test_street_addresses(address: str) -> None:
    assert_finds(f"DN visit to {address} at 10", "address", address)


@pytest.mark.parametrize(
    "text",
    [
        "bed 14",
        "bay 3",
        "room 12",
        "14 mg",
        "ward 7",
        "bay 3 Rose Court is closed",
        "Ward 7 Green Lane site",
        "20 mins down the road",
        "2 cars on road",
        "1 lane closed on the M62",
        "12 lead ECG done",
    ],
)
def test_not_street_addresses(text: str) -> None:
    assert found(text) == []


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mrs Patel in bay 3", "Mrs Patel"),
        ("seen Mr. John Smith", "Mr. John Smith"),
        ("Miss O'Neill rang", "Miss O'Neill"),
        ("Mx Taylor-Brown for TTO", "Mx Taylor-Brown"),
        ("Mr McDonald", "Mr McDonald"),
        ("Mrs A. Khan", "Mrs A. Khan"),
        ("Mr J Smith", "Mr J Smith"),
        ("Mrs de Souza", "Mrs de Souza"),
        ("Ms Zoë Wójcik", "Ms Zoë Wójcik"),
        ("Mrs Patel's daughter", "Mrs Patel"),  # the possessive is not part of the name
        ("mrs patel in bay 3", "mrs patel"),  # typed fast: the one word after the title
        ("mr jones needs a commode", "mr jones"),
        ("mrs Khan", "mrs Khan"),
        ("MRS PATEL BAY 3", "MRS PATEL"),
        ("Mr.Smith", "Mr.Smith"),
    ],
)
def test_names_with_a_title(text: str, name: str) -> None:
    assert_finds(text, "name", name)


@pytest.mark.parametrize(
    "text",
    [
        "Dr Jones is the reg on call",
        "Sister Khan says no visitors",
        "Nurse Ellis has the keys",
        "severe MR on echo",
        "echo: mod mr, mild tr",
        "known MS, relapse",
        "QTc 480 ms",
        "don't miss the 6pm insulin",
        "Miss a dose and the INR drops",
        "Mr Men stickers",
        "don't miss Friday's training",
        "ms smith",  # documented: lower-case "ms" is milliseconds or sclerosis
        "Mr CT head",
        "Mrs in bay 3",
    ],
)
def test_not_names(text: str) -> None:
    assert found(text) == []


# --- ordinary clinical chatter ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "handover at 14:30, meds at 2pm, obs due 0800",
        "paracetamol 1g PO qds, enox 40mg sc od, insulin 10 units, 2.5mg oramorph",
        "1 g IV qds, 5 mg, 4.5g tds",
        "BP 120/80 HR 88 SpO2 94% RR 22 temp 37.8 NEWS 5",
        "NEWS2 score 7, INR 2.4, Hb 98, K+ 5.9",
        "bay 4 bed 2 and side room 3, room 12",
        "bleep 2345 or ext. 61234",
        "can someone swap 12/12? rota w/c 14/12/2026",
        "order number 4056789123",
        "Ward 7 are full, Ward 24 have 2 beds",
        "Dr Patel (FY2) will do the cannulas, Sister Wright on tomorrow",
        "furosemide 40mg bd, bisoprolol 2.5mg od, apixaban 5mg bd",
        "GCS 14/15, pain 6/10, fluid balance +1.2L",
        "",
        "   ",
        "👍",
    ],
)
def test_clinical_chatter_is_left_alone(text: str) -> None:
    assert found(text) == []


# --- spans, order and overlaps ---------------------------------------------------------------


def test_spans_are_code_points_even_after_emoji() -> None:
    text = "🚑🏥 ring 07700 900123 re 👵🏽 Mrs Patel"  # non-BMP characters before each identifier
    assert scan(text) == [
        Finding("phone", 8, 20),
        Finding("name", 27, 36),
    ]
    assert text[8:20] == "07700 900123"
    assert len(text[:8].encode("utf-16-le")) // 2 != 8  # Qt's UTF-16 offsets would differ


def test_findings_are_sorted_and_do_not_overlap() -> None:
    text = (
        f"Mrs Patel, DOB 12/03/1945, NHS {NHS}, 14 Acacia Avenue, LS1 4AP, "
        "07700 900123, jo@example.com"
    )
    assert [kind for kind, _ in found(text)] == [
        "name",
        "dob",
        "nhs_number",
        "address",
        "postcode",
        "phone",
        "email",
    ]


def test_overlapping_matches_become_one_finding_of_the_longer_kind() -> None:
    rules = Rules(hospital_number_pattern=r"[0-9]{10}")
    assert found(NHS, rules) == [("nhs_number", NHS)]  # same span: the checksum kind wins
    rules = Rules(hospital_number_pattern=r"[0-9]{6} [0-9]{3}")
    text = f"ref {NHS[:3]} {NHS[3:6]} {NHS[6:]}"  # partial overlap: the union is covered
    assert found(text, rules) == [("nhs_number", text[4:])]


SNIPPETS_WITH_IDENTIFIERS = [
    ("Mrs Patel", "name"),
    (NHS, "nhs_number"),
    ("07700 900123", "phone"),
    ("LS1 4AP", "postcode"),
    ("DOB 12/03/1945", "dob"),
    ("jo@example.com", "email"),
    ("14 Acacia Avenue", "address"),
    ("Flat 3, 22 Mill Lane", "address"),
    (f"{CHI[:6]} {CHI[6:]}", "chi_number"),
    ("+44 20 7946 0123", "phone"),
    ("sw1a1aa", "postcode"),
    ("mrs patel", "name"),
    ("Mr. John O'Neill", "name"),
]
CHATTER = [
    "bed 14",
    "obs due 0800",
    "BP 120/80",
    "bleep 2345",
    "see you 14/12",
    "enox 40mg sc od",
    "bay 4 bed 2",
    "NEWS 5",
    "thanks 👍",
    "🚑",
    "order 4056789123",
    "ext 61234",
    "rota 14/11/2026",
    "Dr Jones",
    "Ward 7",
    "14:30",
]


@given(
    st.lists(
        st.one_of(
            st.sampled_from(CHATTER).map(lambda text: (text, None)),
            st.sampled_from(SNIPPETS_WITH_IDENTIFIERS),
        ),
        max_size=8,
    ),
    st.sampled_from([", ", " – ", "; ", " / ", " ", "\n"]),
)
@settings(max_examples=400, derandomize=True)
def test_every_identifier_is_found_wherever_it_sits(
    parts: list[tuple[str, str | None]], separator: str
) -> None:
    text = separator.join(part for part, _ in parts)
    findings = scan(text)
    assert findings == sorted(findings, key=lambda f: f.start)
    for before, after in itertools.pairwise(findings):
        assert before.end <= after.start
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    offset = 0
    expected = []
    for part, kind in parts:
        if kind is not None:
            start = offset + (len("DOB ") if kind == "dob" else 0)
            expected.append(Finding(kind, start, offset + len(part)))  # type: ignore[arg-type]
        offset += len(part) + len(separator)
    digits_run_together = separator.isspace() and any(
        left[-1].isdigit() and (right[0].isdigit() or right[0] == "+")
        for (left, _), (right, _) in itertools.pairwise(parts)
    )
    if not digits_run_together:
        assert findings == expected
    else:  # "0800 120345 6786" is a phone number and a CHI number: the kind may go either way
        for want in expected:
            assert any(f.start <= want.start and want.end <= f.end for f in findings)


# --- rules from policy -----------------------------------------------------------------------


def test_no_hospital_numbers_by_default() -> None:
    assert DEFAULT_RULES.hospital_number is None
    assert found("K1234567 for theatre") == []
    assert Rules(hospital_number_pattern="").hospital_number is None


def test_hospital_number_pattern_from_policy() -> None:
    rules = Rules(hospital_number_pattern=r"\bK[0-9]{7}\b")
    assert found("K1234567 and k7654321 for theatre, bed 14", rules) == [
        ("hospital_number", "K1234567")
    ]
    case_blind = Rules(hospital_number_pattern=r"(?i)\bK[0-9]{7}\b")
    assert [kind for kind, _ in found("K1234567 and k7654321", case_blind)] == [
        "hospital_number",
        "hospital_number",
    ]


def test_rules_compile_their_pattern_once() -> None:
    first = Rules(hospital_number_pattern=r"\bRX[0-9]{6}\b")
    second = Rules(hospital_number_pattern=r"\bRX[0-9]{6}\b")
    assert first == second
    assert hash(first) == hash(second)
    assert first.hospital_number is second.hospital_number
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.hospital_number_pattern = "x"  # type: ignore[misc]


@pytest.mark.parametrize("pattern", ["[0-9", "(?P<x>a", "*K"])
def test_a_bad_pattern_is_a_clear_error(pattern: str) -> None:
    with pytest.raises(GuardRuleError) as info:
        Rules(hospital_number_pattern=pattern)
    assert isinstance(info.value, ValueError)
    assert info.value.field == "hospital_number_pattern"
    assert "hospital_number_pattern" in info.value.message
    assert "not a valid regular expression" in info.value.message


@pytest.mark.parametrize("pattern", ["[0-9]*", "x?", "(?:)"])
def test_a_pattern_matching_empty_text_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"hospital_number_pattern.*matches empty text"):
        Rules(hospital_number_pattern=pattern)


# --- what findings carry ---------------------------------------------------------------------


def test_findings_carry_no_patient_data() -> None:
    text = f"Mrs Patel {NHS} 07700 900123"
    for finding in scan(text):
        shown = repr(finding) + str(finding)
        assert "Patel" not in shown
        assert NHS not in shown and "900123" not in shown
        assert {field.name for field in dataclasses.fields(finding)} == {"kind", "start", "end"}


def test_matched_text_gives_each_identifier_for_the_form() -> None:
    text = f"Mrs Patel, NHS {NHS}, call 07700 900123"
    assert [matched_text(text, f) for f in scan(text)] == ["Mrs Patel", NHS, "07700 900123"]


def test_matched_text_refuses_a_finding_from_another_text_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="phone finding lies outside") as info:
        matched_text("07700 900", Finding("phone", 0, 12))
    assert "07700" not in str(info.value)


def test_kinds_are_listed() -> None:
    assert set(guard.KINDS) == {
        "nhs_number",
        "chi_number",
        "phone",
        "postcode",
        "dob",
        "email",
        "address",
        "name",
        "hospital_number",
    }


def test_rules_follow_policy() -> None:
    from wardlink.core.guard import rules_for
    from wardlink.core.policy import merge

    policy = merge(None, {"hospital_number_pattern": r"\bRX[0-9]{6}\b"}, None)
    text = "bloods for RX123456 are back"
    assert [f.kind for f in scan(text, rules=rules_for(policy))] == ["hospital_number"]
    assert scan(text, rules=rules_for(merge(None, None, None))) == []
