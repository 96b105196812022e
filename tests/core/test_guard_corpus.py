"""The guard against its labelled corpus of UK ward and community-nursing chat.

Definitions (run with `pytest -s` to see the figures):
- recall is per identifier and per kind: a labelled identifier counts as found when one finding
  of the same kind covers its whole span (so redacting the findings would remove it). The
  line recall printed beside it counts lines whose every identifier was found.
- the false-positive rate is the share of clean lines with any finding at all.
- stray findings are findings on identifier lines that touch no labelled identifier.

The corpus is read with a trust-style hospital-number rule (a K and seven digits), so that kind
is measured too, and the clean lines are checked against that rule as well.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wardlink.core.guard import Finding, Rules, redact, scan
from wardlink.core.guard_numbers import is_phone_number
from wardlink.core.identifiers import is_valid_chi_number, is_valid_nhs_number

CORPUS = Path(__file__).resolve().parent / "guard_corpus"
CORPUS_RULES = Rules(hospital_number_pattern=r"\bK[0-9]{7}\b")
# Ofcom's drama ranges as national numbers, and the North American 555-01xx fiction range.
DRAMA_PHONE = re.compile(
    r"07700900|01632960|01(?:1[3-8]|[2-6]1)4960|01914980|02079460|02890180|02920180"
    r"|\+1[0-9]{3}55501"
)


@dataclass(frozen=True)
class Label:
    kind: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Line:
    text: str
    labels: tuple[Label, ...]


@cache
def identifier_lines() -> tuple[Line, ...]:
    lines = []
    with (CORPUS / "identifiers.jsonl").open(encoding="utf-8") as rows:
        for row in map(json.loads, rows):
            labels = tuple(Label(**label) for label in row["identifiers"])
            lines.append(Line(row["text"], labels))
    return tuple(lines)


@cache
def clean_lines() -> tuple[str, ...]:
    with (CORPUS / "clean.jsonl").open(encoding="utf-8") as rows:
        return tuple(json.loads(row)["text"] for row in rows)


def covered(label: Label, findings: list[Finding]) -> bool:
    return any(
        f.kind == label.kind and f.start <= label.start and label.end <= f.end for f in findings
    )


def test_corpus_is_big_varied_and_consistent() -> None:
    lines, clean = identifier_lines(), clean_lines()
    assert len(lines) >= 300
    assert len(clean) >= 300
    assert len({line.text for line in lines}) == len(lines)
    assert len(set(clean)) == len(clean)
    assert not {line.text for line in lines} & set(clean)
    kinds = Counter(label.kind for line in lines for label in line.labels)
    assert set(kinds) == {
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
    assert min(kinds.values()) >= 10, kinds
    assert sum(len(line.labels) > 1 for line in lines) >= 100  # several identifiers per line
    for line in lines:
        assert line.labels
        for label in line.labels:
            assert line.text[label.start : label.end] == label.value


def test_corpus_data_is_fictional() -> None:
    for line in identifier_lines():
        for label in line.labels:
            digits = re.sub(r"[^0-9]", "", label.value)
            if label.kind == "nhs_number":
                assert digits.startswith("999") and is_valid_nhs_number(digits)
            elif label.kind == "chi_number":
                assert is_valid_chi_number(digits)
            elif label.kind == "phone":
                compact = re.sub(r"[ \-()]", "", label.value)
                national = re.sub(r"^(?:\+|00)440?", "0", compact)
                national = re.sub(r"^(?:\+|00)1", "+1", national)
                assert DRAMA_PHONE.match(national), label.value
                assert is_phone_number(label.value)
            elif label.kind == "email":
                assert label.value.lower().rsplit("@", 1)[1].startswith("example.")


def test_recall_and_false_positive_rate() -> None:
    per_kind_total: Counter[str] = Counter()
    per_kind_found: Counter[str] = Counter()
    lines_complete = 0
    stray = 0
    missed: list[tuple[str, str]] = []
    for line in identifier_lines():
        findings = scan(line.text, rules=CORPUS_RULES)
        complete = True
        for label in line.labels:
            per_kind_total[label.kind] += 1
            if covered(label, findings):
                per_kind_found[label.kind] += 1
            else:
                complete = False
                missed.append((label.kind, line.text))
        lines_complete += complete
        stray += sum(
            not any(f.start < label.end and label.start < f.end for label in line.labels)
            for f in findings
        )
    flagged_clean = [text for text in clean_lines() if scan(text, rules=CORPUS_RULES)]

    total, hits = sum(per_kind_total.values()), sum(per_kind_found.values())
    recall = hits / total
    line_recall = lines_complete / len(identifier_lines())
    fp_rate = len(flagged_clean) / len(clean_lines())
    print(
        f"\nguard corpus: {len(identifier_lines())} lines with {total} identifiers, "
        f"{len(clean_lines())} clean lines"
    )
    print(f"recall (per identifier, same kind, span covered): {recall:.2%} ({hits}/{total})")
    print(f"line recall (every identifier on the line found): {line_recall:.2%}")
    for kind in sorted(per_kind_total):
        print(f"  {kind:16} {per_kind_found[kind]:4}/{per_kind_total[kind]:<4}")
    print(
        f"false positives (clean lines with any finding): {fp_rate:.2%} "
        f"({len(flagged_clean)}/{len(clean_lines())})"
    )
    print(f"stray findings on identifier lines: {stray}")
    assert recall >= 0.99, missed
    assert fp_rate <= 0.01, flagged_clean
    assert stray <= 0.01 * len(identifier_lines())


def test_redacting_the_corpus_leaves_no_identifier() -> None:
    for line in identifier_lines():
        redacted = redact(line.text, scan(line.text, rules=CORPUS_RULES))
        assert scan(redacted, rules=CORPUS_RULES) == [], (line.text, redacted)
        for label in line.labels:
            assert label.value not in redacted
    for text in clean_lines():
        findings = scan(text, rules=CORPUS_RULES)
        if not findings:
            assert redact(text, findings) == text
