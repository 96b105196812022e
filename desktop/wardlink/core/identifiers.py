"""NHS and CHI numbers: checksum validation, normalisation and display formatting.

Both are ten digits with a modulus-11 check digit (weights 10..2 over the first nine digits).
A CHI number (Scotland) also starts with the date of birth as DDMMYY, so those six digits must
be a real calendar date. Spaces and dashes between digits are allowed on input.
"""

from __future__ import annotations

import datetime as dt
import re

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
DEFAULT_CHI_SYSTEM = "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53"

_SEPARATORS = re.compile(r"[\s\-]")
_TEN_DIGITS = re.compile(r"[0-9]{10}")


def _digits(text: str) -> str | None:
    """The ten ASCII digits of `text` with spaces and dashes removed, or None."""
    compact = _SEPARATORS.sub("", text)
    return compact if _TEN_DIGITS.fullmatch(compact) else None


def mod11_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None where no digit is possible (10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def _checksum_ok(digits: str) -> bool:
    return mod11_check_digit(digits[:9]) == int(digits[9])


def is_valid_nhs_number(text: str) -> bool:
    """True if `text` is a checksum-valid NHS number (spaces and dashes allowed)."""
    digits = _digits(text)
    return digits is not None and _checksum_ok(digits)


def chi_birth_date_possible(ddmmyy: str) -> bool:
    """True if DDMMYY is a real date in the 1900s or the 2000s (29 Feb needs a leap year)."""
    day, month, year = int(ddmmyy[0:2]), int(ddmmyy[2:4]), int(ddmmyy[4:6])
    for century in (1900, 2000):
        try:
            dt.date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def is_valid_chi_number(text: str) -> bool:
    """True if `text` is a checksum-valid CHI number whose first six digits are a real date."""
    digits = _digits(text)
    return digits is not None and chi_birth_date_possible(digits[:6]) and _checksum_ok(digits)


def normalise_nhs_number(text: str) -> str:
    """The ten digits of a valid NHS number; ValueError (with no digits in it) otherwise."""
    digits = _digits(text)
    if digits is None or not _checksum_ok(digits):
        raise ValueError("not a valid NHS number")
    return digits


def normalise_chi_number(text: str) -> str:
    """The ten digits of a valid CHI number; ValueError (with no digits in it) otherwise."""
    digits = _digits(text)
    if digits is None or not is_valid_chi_number(digits):
        raise ValueError("not a valid CHI number")
    return digits


def format_nhs_number(text: str) -> str:
    """An NHS number as staff read it aloud: 3-3-4 digits, e.g. '943 476 5919'."""
    digits = normalise_nhs_number(text)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def format_chi_number(text: str) -> str:
    """A CHI number as DDMMYY and four digits, e.g. '120345 6785'."""
    digits = normalise_chi_number(text)
    return f"{digits[:6]} {digits[6:]}"
