"""The self-test's report: one line per check, a summary, plain text or JSON."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a check's outcome, not a password
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome. `detail` is plain language for IT; it never holds a secret."""

    name: str
    status: Status
    detail: str


@dataclass(frozen=True)
class Report:
    title: str
    results: tuple[CheckResult, ...]

    def count(self, status: Status) -> int:
        return sum(1 for result in self.results if result.status is status)

    @property
    def passed(self) -> bool:
        return self.count(Status.FAIL) == 0

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def summary(self) -> str:
        counts = (
            f"{self.count(Status.PASS)} passed, {self.count(Status.WARN)} with warnings, "
            f"{self.count(Status.FAIL)} failed"
        )
        verdict = "ready to use" if self.passed else "NOT ready: fix what failed above"
        return f"Summary: {counts}. This computer is {verdict}."


_NAME_WIDTH = 13
_LINE_WIDTH = 100


def render_text(report: Report) -> str:
    """One block per check: `PASS  name        detail`, the detail wrapped and indented."""
    lines = [report.title, ""]
    indent = " " * (6 + _NAME_WIDTH)
    for result in report.results:
        head = f"{result.status.value}  {result.name.ljust(_NAME_WIDTH)}"
        lines.extend(
            textwrap.wrap(
                result.detail,
                width=_LINE_WIDTH,
                initial_indent=head,
                subsequent_indent=indent,
                break_on_hyphens=False,
                break_long_words=False,
            )
            or [head.rstrip()]
        )
    lines += ["", report.summary()]
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    document = {
        "title": report.title,
        "passed": report.passed,
        "checks": [
            {"name": r.name, "status": r.status.value, "detail": r.detail} for r in report.results
        ],
        "summary": {
            "passed": report.count(Status.PASS),
            "warnings": report.count(Status.WARN),
            "failed": report.count(Status.FAIL),
        },
    }
    return json.dumps(document, indent=2) + "\n"
