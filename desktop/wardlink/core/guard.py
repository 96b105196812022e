"""The patient-identifier guard: finds identifiers in free text so that chat never carries them.

The chat composer runs `scan` as the user types and refuses to send while it finds anything;
the record server runs it again on every posted message, because the client is never trusted.
"Move to a patient note" carries each finding's text (`matched_text`) into a form and leaves
the message as `redact` returns it.

What each kind catches, and what it deliberately leaves alone, is written up in its detector:
`guard_numbers` (NHS and CHI numbers, phone numbers), `guard_dates` (dates of birth),
`guard_addresses` (postcodes, street and e-mail addresses), `guard_names` (names after a title),
plus the hospital-number pattern that policy may set (`Rules`).

A `Finding` holds only a kind and code-point offsets, never the matched text, so that findings
can be logged, reported to the server or put in an error without carrying patient data.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from wardlink.core.guard_addresses import find_emails, find_postcodes, find_street_addresses
from wardlink.core.guard_dates import find_dates_of_birth
from wardlink.core.guard_kinds import KINDS, Hit, Kind
from wardlink.core.guard_names import find_titled_names
from wardlink.core.guard_numbers import find_health_numbers, find_phone_numbers
from wardlink.core.policy import Policy

__all__ = [
    "DEFAULT_RULES",
    "KINDS",
    "Finding",
    "GuardRuleError",
    "Kind",
    "Rules",
    "matched_text",
    "redact",
    "scan",
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One patient identifier in a text: `text[start:end]` in Python code points."""

    kind: Kind
    start: int
    end: int


class GuardRuleError(ValueError):
    """A guard rule from policy cannot be used; `message` says which and why, in plain words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Rules:
    """The guard's settings from policy. An empty or None pattern means no hospital-number rule.

    `hospital_number_pattern` is a Python regular expression matched as given (add `(?i)` for
    case-insensitive numbers). It is checked when the rules are made and compiled once.
    """

    hospital_number_pattern: str | None = None

    def __post_init__(self) -> None:
        if self.hospital_number_pattern:
            _compile_rule("hospital_number_pattern", self.hospital_number_pattern)

    @property
    def hospital_number(self) -> re.Pattern[str] | None:
        """The compiled hospital-number pattern, or None when policy sets none."""
        if not self.hospital_number_pattern:
            return None
        return _compile_rule("hospital_number_pattern", self.hospital_number_pattern)


DEFAULT_RULES = Rules()


def rules_for(policy: Policy) -> Rules:
    """The guard rules a merged policy asks for (client and server build them the same way)."""
    return Rules(hospital_number_pattern=policy.hospital_number_pattern)


_ANY_DIGIT = re.compile(r"[0-9]")
_RANK = {kind: index for index, kind in enumerate(KINDS)}


def scan(text: str, *, rules: Rules = DEFAULT_RULES) -> list[Finding]:
    """The patient identifiers in `text`: sorted by start, never overlapping.

    Where two detectors claim overlapping text, one finding covers the union of their spans,
    with the kind of the longer match (on a tie, the earlier kind in `KINDS`): "+44 7700 900123"
    is a phone number even if its last ten digits happen to pass the NHS checksum.
    """
    hits: list[Hit] = []
    if _ANY_DIGIT.search(text) is not None:
        hits.extend(find_health_numbers(text))
        hits.extend(find_phone_numbers(text))
        hits.extend(find_dates_of_birth(text))
        hits.extend(find_postcodes(text))
        hits.extend(find_street_addresses(text))
    hits.extend(find_emails(text))
    hits.extend(find_titled_names(text))
    pattern = rules.hospital_number
    if pattern is not None:
        hits.extend(
            Hit("hospital_number", match.start(), match.end())
            for match in pattern.finditer(text)
            if match.end() > match.start()
        )
    return _resolve(hits)


def matched_text(text: str, finding: Finding) -> str:
    """The identifier a finding points at, e.g. to carry it into a patient note's form."""
    if not 0 <= finding.start < finding.end <= len(text):
        raise ValueError(f"a {finding.kind} finding lies outside the text it was given")
    return text[finding.start : finding.end]


def redact(text: str, findings: Sequence[Finding]) -> str:
    """`text` with every finding's span removed, tidied where each span was.

    Only the seams are touched; everything else stays as typed. At each seam:
    - the spaces on both sides become one space, or none before closing punctuation
      (",", ".", ";", ":", "!", "?", ")") or after an opening bracket;
    - brackets left empty ("(07700 900123)") are removed with their space, and so is a
      possessive left dangling ("Mrs Patel's son" becomes "son");
    - a separating mark left doubled (", ,", ": ,", "– –") keeps only the second one;
    - at the start of the text, leading spaces and marks (", . ; : – - / |") go; at the end,
      trailing spaces and separating marks go (a final ".", "!" or "?" stays).
    Labels before an identifier stay ("NHS no 943 476 5919" becomes "NHS no"), so the reader
    sees that something was moved. Findings must lie inside `text` and must not overlap, as
    `scan` returns them; otherwise ValueError.
    """
    ordered = sorted(findings, key=lambda finding: finding.start)
    previous_end = 0
    pieces: list[str] = []
    for finding in ordered:
        if finding.start < previous_end or not 0 <= finding.start < finding.end <= len(text):
            raise ValueError("findings to redact must lie inside the text and not overlap")
        pieces.append(text[previous_end : finding.start])
        previous_end = finding.end
    pieces.append(text[previous_end:])
    result = pieces[0]
    for piece in pieces[1:]:
        result = _close_seam(result, piece)
    return result


_SPACE = " \t\u00a0"
_SEPARATING_MARKS = ",;:–—-/|"
_LEADING_MARKS = _SEPARATING_MARKS + ".!?"
_CLOSING = ",.;:!?)]}"
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_POSSESSIVE = re.compile(r"^['’]s\b")


def _close_seam(left: str, right: str) -> str:
    """Join the text before and after a removed span, as `redact` describes."""
    left_trim, right_trim = left.rstrip(_SPACE), right.lstrip(_SPACE)
    spaced = len(left_trim) < len(left) or len(right_trim) < len(right)
    while left_trim and right_trim and _BRACKETS.get(left_trim[-1]) == right_trim[0]:
        before_bracket = left_trim[:-1]
        left_trim = before_bracket.rstrip(_SPACE)
        spaced = spaced or len(left_trim) < len(before_bracket)
        right_trim = right_trim[1:].lstrip(_SPACE)
    right_trim = _POSSESSIVE.sub("", right_trim, count=1).lstrip(_SPACE)
    if not left_trim:
        return right_trim.lstrip(_SPACE + _LEADING_MARKS)
    if not right_trim:
        return left_trim.rstrip(_SPACE + _SEPARATING_MARKS)
    if right_trim[0] in _LEADING_MARKS and left_trim[-1] in _SEPARATING_MARKS:
        left_trim = left_trim[:-1].rstrip(_SPACE)
        if not left_trim:
            return right_trim.lstrip(_SPACE + _LEADING_MARKS)
    if right_trim[0] in _CLOSING or left_trim[-1] in _BRACKETS:
        return left_trim + right_trim
    return left_trim + (" " if spaced else "") + right_trim


def _resolve(hits: list[Hit]) -> list[Finding]:
    """Merge overlapping hits into one finding each, as `scan` describes."""
    if not hits:
        return []
    findings: list[Finding] = []
    cluster: list[Hit] = []
    cluster_end = 0
    for hit in sorted(hits, key=lambda h: (h.start, h.end)):
        if cluster and hit.start >= cluster_end:
            findings.append(_merge(cluster))
            cluster = []
        cluster_end = max(cluster_end, hit.end) if cluster else hit.end
        cluster.append(hit)
    findings.append(_merge(cluster))
    return findings


def _merge(cluster: list[Hit]) -> Finding:
    best = min(cluster, key=lambda h: (h.start - h.end, _RANK[h.kind]))
    start = min(h.start for h in cluster)
    end = max(h.end for h in cluster)
    return Finding(best.kind, start, end)


@functools.lru_cache(maxsize=16)
def _compile_rule(field: str, pattern: str) -> re.Pattern[str]:
    """Compile a policy pattern once; its errors name the setting, never the text it would scan."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        where = "" if error.pos is None else f" at position {error.pos}"
        raise GuardRuleError(
            field,
            f"The {field} policy setting is not a valid regular expression ({error.msg}{where}).",
        ) from None
    if compiled.search("") is not None:
        raise GuardRuleError(
            field,
            f"The {field} policy setting matches empty text, so it would flag every message; "
            "it must match at least one character.",
        )
    return compiled
