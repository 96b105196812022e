"""NHS and CHI numbers against the published modulus-11 rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core import identifiers as ids


def reference_check_digit(first_nine: str) -> int | None:
    """The NHS Data Dictionary's algorithm, written out independently of the module."""
    weights = [10, 9, 8, 7, 6, 5, 4, 3, 2]
    total = 0
    for digit, weight in zip(first_nine, weights, strict=True):
        total += int(digit) * weight
    remainder = total % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return None if check == 10 else check


@pytest.mark.parametrize(
    "text",
    ["9434765919", "943 476 5919", "943-476-5919", "9434765870", "4010232137", " 9434765919 "],
)
def test_valid_nhs_numbers(text: str) -> None:
    assert ids.is_valid_nhs_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "9434765918",  # wrong check digit
        "1234567890",  # check digit would be 10: never issued
        "943476591",  # nine digits
        "94347659190",  # eleven digits
        "943 476 591a",
        "",
        "９４３４７６５９１９",  # full-width digits are not ASCII digits
        "943.476.5919",
    ],
)
def test_invalid_nhs_numbers(text: str) -> None:
    assert not ids.is_valid_nhs_number(text)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
@settings(max_examples=300, derandomize=True)
def test_nhs_validator_agrees_with_published_rule(first_nine: str) -> None:
    check = reference_check_digit(first_nine)
    for last in "0123456789":
        expected = check is not None and int(last) == check
        assert ids.is_valid_nhs_number(first_nine + last) is expected


@pytest.mark.parametrize("text", ["1203456781", "120345 6781", "0101011234"])
def test_chi_number_examples(text: str) -> None:
    digits = text.replace(" ", "")
    expected = reference_check_digit(digits[:9]) == int(digits[9])
    assert ids.is_valid_chi_number(text) is expected


def _with_check(first_nine: str) -> str | None:
    check = reference_check_digit(first_nine)
    return None if check is None else first_nine + str(check)


@pytest.mark.parametrize(
    ("date_part", "real"),
    [
        ("010180", True),
        ("311299", True),
        ("290200", True),  # 29 Feb 2000 was a leap day
        ("290296", True),  # 1996 too
        ("290201", False),  # neither 1901 nor 2001 was a leap year
        ("310480", False),  # 31 April
        ("001280", False),
        ("011380", False),
        ("320180", False),
    ],
)
def test_chi_number_requires_a_real_date(date_part: str, real: bool) -> None:
    for serial in ("123", "456", "789", "001"):
        number = _with_check(date_part + serial)
        if number is None:
            continue
        assert ids.is_valid_chi_number(number) is real
        assert ids.is_valid_chi_number(f"{number[:6]} {number[6:]}") is real
        assert ids.is_valid_chi_number(f"{number[:6]}-{number[6:]}") is real
        return
    pytest.fail("no serial gave a usable check digit")


@given(
    st.dates(
        min_value=__import__("datetime").date(1900, 1, 1),
        max_value=__import__("datetime").date(2099, 12, 31),
    ),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
@settings(max_examples=300, derandomize=True)
def test_chi_validator_agrees_with_rule(date: object, serial: str) -> None:
    import datetime as dt

    assert isinstance(date, dt.date)
    first_nine = date.strftime("%d%m%y") + serial
    check = reference_check_digit(first_nine)
    for last in "0123456789":
        expected = check is not None and int(last) == check
        assert ids.is_valid_chi_number(first_nine + last) is expected


def test_normalise_and_format() -> None:
    assert ids.normalise_nhs_number(" 943-476 5919") == "9434765919"
    assert ids.format_nhs_number("9434765919") == "943 476 5919"
    chi = _with_check("120345678")
    assert chi is not None
    assert ids.normalise_chi_number(f"{chi[:6]} {chi[6:]}") == chi
    assert ids.format_chi_number(chi) == f"{chi[:6]} {chi[6:]}"


def test_normalise_error_carries_no_digits() -> None:
    with pytest.raises(ValueError, match="not a valid NHS number") as info:
        ids.normalise_nhs_number("9434765918")
    assert "943" not in str(info.value)
    with pytest.raises(ValueError, match="not a valid CHI number"):
        ids.normalise_chi_number("3201801234")
