"""Answers as a person reads them, for the summary a nurse checks before submitting.

The core's `display` is for the record and for search (ISO dates, UTC times); on screen, dates
have the month in words and times are local, as on the ward clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from wardlink.core.forms import (
    BIRTH_DATE,
    CHI,
    IDENTIFIER,
    IDENTIFIER_TYPE,
    NHS,
    Item,
    PhotoLike,
    Quantity,
)
from wardlink.core.identifiers import format_chi_number, format_nhs_number
from wardlink.ui.forms.typed_values import format_date, format_datetime, format_number


def answer_words(item: Item, value: object) -> str:
    """One answer (or a list of them, for a repeating item) in plain words."""
    if isinstance(value, list | tuple):
        return "; ".join(answer_words(item, one) for one in value)
    if item.type == "choice" and isinstance(value, str):
        option = item.option(value)
        return option.display if option else value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, Quantity):
        unit = next((u.display for u in item.units if u.code == value.unit), value.unit)
        return f"{format_number(value.value)} {unit}"
    if isinstance(value, float | int):
        return format_number(value)
    if isinstance(value, PhotoLike):
        return f"Photo: {value.title}"
    return str(value)


def patient_words(answers: Mapping[str, object]) -> tuple[str, str] | None:
    """(`NHS number 943 476 5919`, `12 Mar 1950`) from the patient block, once both are valid."""
    kind, number, born = (answers.get(k) for k in (IDENTIFIER_TYPE, IDENTIFIER, BIRTH_DATE))
    if not isinstance(number, str) or not isinstance(born, dt.date):
        return None
    try:
        if kind == NHS:
            identifier = f"NHS number {format_nhs_number(number)}"
        elif kind == CHI:
            identifier = f"CHI number {format_chi_number(number)}"
        else:
            return None
    except ValueError:
        return None
    return identifier, format_date(born)
