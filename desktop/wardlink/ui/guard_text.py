"""The composer's refusal in plain words, from the guard's findings (kinds only, never text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # the guard itself loads on first use (see lazy_guard)
    from wardlink.core.guard import Finding, Kind

KIND_WORDS: Final[dict[Kind, str]] = {
    "nhs_number": "NHS number",
    "chi_number": "CHI number",
    "phone": "phone number",
    "postcode": "postcode",
    "dob": "date of birth",
    "email": "email address",
    "address": "address",
    "name": "name",
    "hospital_number": "hospital number",
}


def kinds_in_words(findings: Sequence[Finding]) -> list[str]:
    """Each kind found, once, in the order it first appears in the text."""
    return [KIND_WORDS[kind] for kind in dict.fromkeys(f.kind for f in findings)]


def refusal(findings: Sequence[Finding]) -> str:
    """Why the composer will not send, e.g. "Patient details can't go in chat: NHS number,
    name. Move them to a patient note." Empty when nothing was found."""
    if not findings:
        return ""
    words = kinds_in_words(findings)
    them = "it" if len(findings) == 1 else "them"
    return f"Patient details can't go in chat: {', '.join(words)}. Move {them} to a patient note."
