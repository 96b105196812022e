"""The kinds of patient identifier the guard reports, and the raw hit its detectors produce.

Kept apart from `guard` so that the detector modules can share these types without importing
the entry point that imports them.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Kind = Literal[
    "nhs_number",
    "chi_number",
    "phone",
    "postcode",
    "dob",
    "email",
    "address",
    "name",
    "hospital_number",
]

# When two findings overlap and are the same length, the earlier kind here wins: the
# checksum-validated numbers are the most certain, a policy pattern the least specific.
KINDS: tuple[Kind, ...] = (
    "nhs_number",
    "chi_number",
    "email",
    "phone",
    "dob",
    "postcode",
    "address",
    "name",
    "hospital_number",
)


class Hit(NamedTuple):
    """One detector's raw match: a kind and a code-point span, before overlaps are resolved."""

    kind: Kind
    start: int
    end: int
