"""What is wrong with a form's answers, field by field, in words a nurse can act on.

Messages name the field ("Pulse (beats/min)") and the rule it breaks, never the value that was
entered: a wrong NHS number is still an NHS number, and these messages travel to logs, the
server's error responses and the screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field. `link_id` is the item's linkId, or for a problem outside the
    items of a submitted QuestionnaireResponse, the name of the element (`subject`, `status`)."""

    link_id: str
    message: str

    def as_json(self) -> dict[str, str]:
        """The shape the sync protocol's `invalid_answers` error lists under `fields`."""
        return {"link_id": self.link_id, "message": self.message}


class InvalidAnswers(ValueError):
    """A form cannot be filed as it stands; `errors` says what to fix, one entry per field."""

    code: Final = "invalid_answers"

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = tuple(errors)
        count = len(self.errors)
        self.message = (
            "One answer needs attention." if count == 1 else f"{count} answers need attention."
        )
        super().__init__(self.message)
