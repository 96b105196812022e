"""Detectors for numeric identifiers: NHS and CHI numbers, and telephone numbers.

NHS and CHI numbers are found as ten ASCII digits with single spaces, no-break spaces or dashes
between groups, in the layouts people use: 10, 3-3-4, 4-3-3, 3-4-3, 5-5, 6-4 and 2-2-2-4
("9434765919", "943 476 5919", "9434 765 919", "120345 6781"). Other layouts are left alone,
because they are how lists of small numbers ("beds 12 14 15 16 18") and runs of neighbouring
numbers ("020 7946 0123 14 ...") look. Only checksum-valid numbers count. A number whose first
six digits are a possible date of birth is a CHI number, anything else an NHS number: NHS
numbers are issued from 320 upwards (and 999 for tests), CHI numbers begin with DDMMYY, so the
two never collide.

Telephone numbers are UK numbers in national form (07700 900123, (01632) 960123) or
international form (+44 7700 900123, 0044 ..., +44 (0)7700 ..., (+44) 7700 ...), and numbers of
other countries in international form. `phonenumbers` judges validity, but it only sees spans
that already look like phone numbers, and it counts Ofcom's drama ranges as unallocated, so
those are accepted here deliberately: they are what examples and tests use. A number that runs
on into the next one ("tried 07700 900123 3 times") is retried without its trailing groups.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from wardlink.core.guard_kinds import Hit
from wardlink.core.identifiers import is_valid_chi_number, is_valid_nhs_number

# Every start of ten digits with optional single separators, overlapping windows included.
_TEN_DIGITS = re.compile(r"(?<![0-9])(?=([0-9](?:[ \u00a0-]?[0-9]){9})(?![0-9]))")
_SEPARATOR = re.compile(r"[ \u00a0-]")
# How people group the ten digits: 10, 3-3-4 (as NHS numbers are printed), 4-3-3, 3-4-3, 5-5,
# and for CHI 6-4 (DDMMYY serial) or 2-2-2-4.
_LAYOUTS = frozenset({(10,), (3, 3, 4), (4, 3, 3), (3, 4, 3), (5, 5), (6, 4), (2, 2, 2, 4)})

_PHONE = re.compile(
    r"""
    (?<![\w+])
    (?:
        (?:\+|\b00|\(\+)[ ]?[1-9][0-9]{0,2}\)?[ ]?(?:\(0\)[ ]?)?[0-9](?:[ \u00a0-]?[0-9]){5,12}
      | \(0[0-9]{2,4}\)[ ]?[0-9](?:[ \u00a0-]?[0-9]){4,7}
      | \b0[1-9](?:[ \u00a0-]?[0-9]){8,9}
    )
    (?![0-9])
    """,
    re.VERBOSE,
)
_NOT_DIGIT = re.compile(r"[^0-9]")
_LAST_GROUP = re.compile(r"[ \u00a0-][0-9]+$")

# Ofcom's ranges for drama and examples, as national numbers: never allocated to anyone.
_DRAMA_PREFIXES = (
    "07700900",
    "01632960",
    "01134960",
    "01144960",
    "01154960",
    "01164960",
    "01174960",
    "01184960",
    "01214960",
    "01314960",
    "01414960",
    "01514960",
    "01614960",
    "01914980",
    "02079460",
    "02890180",
    "02920180",
    "03069990",
    "08081570",
    "09098790",
)


def find_health_numbers(text: str) -> Iterator[Hit]:
    """Checksum-valid NHS and CHI numbers in `text`."""
    for match in _TEN_DIGITS.finditer(text):
        window = match.group(1)
        if tuple(map(len, _SEPARATOR.split(window))) not in _LAYOUTS:
            continue
        start = match.start(1)
        end = start + len(window)
        if is_valid_chi_number(window):
            yield Hit("chi_number", start, end)
        elif is_valid_nhs_number(window):
            yield Hit("nhs_number", start, end)


def find_phone_numbers(text: str) -> Iterator[Hit]:
    """UK telephone numbers in national or international form, and other international ones."""
    for match in _PHONE.finditer(text):
        candidate = match.group()
        while not is_phone_number(candidate):
            cut = _LAST_GROUP.search(candidate)
            if cut is None:
                break
            candidate = candidate[: cut.start()]
        else:
            yield Hit("phone", match.start(), match.start() + len(candidate))


def is_phone_number(candidate: str) -> bool:
    """True if `candidate` (already shaped like a phone number) is a real or drama number."""
    digits = _NOT_DIGIT.sub("", candidate)
    international = candidate.startswith(("+", "00", "(+"))
    if not international:
        return _is_uk_national(digits)
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44"):
        significant = digits[2:]
        if significant.startswith("0"):  # "+44 (0)7700 ..." or "+44 07700 ..."
            significant = significant[1:]
        return _is_uk_national("0" + significant)
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def _is_uk_national(digits: str) -> bool:
    if len(digits) not in (10, 11) or not digits.startswith("0"):
        return False
    if len(digits) == 11 and digits.startswith(_DRAMA_PREFIXES):
        return True
    try:
        number = phonenumbers.parse(digits, "GB")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))
