"""Checking a typed NHS or CHI number as it is typed, in plain words that never repeat it.

Both numbers are ten digits with the same modulus-11 check, and a CHI number also starts with a
date of birth, so every valid CHI number is a valid NHS number too. A number valid as both is
looked up as either, as the record server does (its trail of a patient works the same way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from wardlink.core.fhir import PatientIdentifier
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM, is_valid_chi_number, is_valid_nhs_number

DIGITS: Final = 10
_ALLOWED: Final = re.compile(r"[0-9\s\-]*")
_SEPARATORS: Final = re.compile(r"[\s\-]")

TYPE_A_NUMBER: Final = "Type an NHS or CHI number (10 digits) and press Enter."
ONLY_DIGITS: Final = "Only digits belong in an NHS or CHI number (spaces and dashes are fine)."
TOO_MANY: Final = "That is more than 10 digits. An NHS or CHI number has 10."
NOT_VALID: Final = (
    "This is not a valid NHS or CHI number: its check digit does not match. "
    "Check the digits against the wristband or record."
)


@dataclass(frozen=True, slots=True)
class NumberCheck:
    """What the typed text is: `patients` are the identifiers it may be (empty unless valid);
    `problem` is True where the text is wrong, not merely unfinished."""

    message: str
    patients: tuple[PatientIdentifier, ...] = ()
    problem: bool = False

    @property
    def valid(self) -> bool:
        return bool(self.patients)


def check_number(text: str, *, chi_system: str) -> NumberCheck:
    """The typed text checked with the core validators, and what to say about it."""
    if not text.strip():
        return NumberCheck(TYPE_A_NUMBER)
    if not _ALLOWED.fullmatch(text):
        return NumberCheck(ONLY_DIGITS, problem=True)
    digits = _SEPARATORS.sub("", text)
    if len(digits) < DIGITS:
        left = DIGITS - len(digits)
        return NumberCheck(f"Keep typing: {left} more digit{'s' if left != 1 else ''} to go.")
    if len(digits) > DIGITS:
        return NumberCheck(TOO_MANY, problem=True)
    patients: list[PatientIdentifier] = []
    if is_valid_nhs_number(digits):
        patients.append(PatientIdentifier(NHS_NUMBER_SYSTEM, digits))
    if is_valid_chi_number(digits):
        patients.append(PatientIdentifier(chi_system, digits))
    if not patients:
        return NumberCheck(NOT_VALID, problem=True)
    kind = "NHS or CHI number" if len(patients) > 1 else "NHS number"
    return NumberCheck(f"A valid {kind}. Press Enter to find the notes.", tuple(patients))
