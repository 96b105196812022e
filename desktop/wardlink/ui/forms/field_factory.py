"""Which control answers which question: one per item type, chosen from the item alone, so that
any form in the catalogue (or a new one) renders without code of its own."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from wardlink.core.forms import IDENTIFIER, Item
from wardlink.ui.forms.choice_inputs import (
    MOST_RADIOS,
    BooleanInput,
    ListChoiceInput,
    MultiChoiceInput,
    RadioChoiceInput,
)
from wardlink.ui.forms.date_inputs import DateInput, DateTimeInput
from wardlink.ui.forms.field_input import FieldInput
from wardlink.ui.forms.number_inputs import NumberInput, QuantityInput
from wardlink.ui.forms.patient_inputs import PatientNumberInput
from wardlink.ui.forms.repeating_input import RepeatingInput
from wardlink.ui.forms.text_inputs import CalculatedInput, LineInput, TextBlockInput

PhotoInputFactory = Callable[[Item, QWidget], FieldInput]

_SINGLE: dict[str, Callable[[Item, QWidget], FieldInput]] = {
    "string": LineInput,
    "text": TextBlockInput,
    "integer": NumberInput,
    "decimal": NumberInput,
    "quantity": QuantityInput,
    "date": DateInput,
    "dateTime": DateTimeInput,
    "boolean": BooleanInput,
}


def _single(item: Item, parent: QWidget) -> FieldInput:
    if item.link_id == IDENTIFIER:
        return PatientNumberInput(item, parent)
    if item.type == "choice":
        if len(item.options) <= MOST_RADIOS:
            return RadioChoiceInput(item, parent)
        return ListChoiceInput(item, parent)
    return _SINGLE[item.type](item, parent)


def make_input(item: Item, parent: QWidget, *, photos: PhotoInputFactory) -> FieldInput:
    """The control for an answerable item; photos come from the caller (they need policy)."""
    if item.calculated is not None:
        return CalculatedInput(item, parent)
    if item.type == "attachment":
        return photos(item, parent)  # a photo strip holds one photo or several itself
    if item.repeats and item.type == "choice":
        return MultiChoiceInput(item, parent)
    if item.repeats:
        return RepeatingInput(
            lambda row: _single(item, row), max_occurs=item.max_occurs, parent=parent
        )
    return _single(item, parent)
