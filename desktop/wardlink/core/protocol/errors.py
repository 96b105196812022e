"""The one error shape every answer uses, and how a guard's findings are reported."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from wardlink.core.protocol.fields import ERROR_CODES

# -- errors -------------------------------------------------------------------------------------


def error_body(code: str, message: str, **details: object) -> dict[str, object]:
    """The one error shape: `{"error": {"code", "message", ...}}`."""
    if code not in ERROR_CODES:
        raise ValueError("unknown error code")
    return {"error": {"code": code, "message": message, **details}}


class _Span(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def findings_detail(findings: Sequence[_Span]) -> list[dict[str, object]]:
    """A guard's findings as a rejected op lists them: kinds and spans, never the text."""
    return [{"kind": f.kind, "start": f.start, "end": f.end} for f in findings]
