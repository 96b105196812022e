"""Answers a form computes rather than asks: read-only items marked with the `calculated` extension.

Each calculation reads other answers (as Python values) and returns the computed answer, or None
while its inputs are incomplete. The client fills these in; the server recomputes them and
refuses a response whose score does not match its own observations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, cast

from wardlink.core import news2
from wardlink.core.form_answers import AnswerValue
from wardlink.core.form_errors import FieldError

Values = Mapping[str, AnswerValue]
Calculation = Callable[[Values], AnswerValue | None]

# The NEWS2 form's observation items, by the parameter of news2.score() each one feeds.
NEWS2_ITEMS: Final = {
    "respiratory_rate": "news2.respiratoryRate",
    "spo2": "news2.spo2",
    "scale": "news2.spo2Scale",
    "on_oxygen": "news2.airOrOxygen",
    "systolic_bp": "news2.systolicBP",
    "pulse": "news2.pulse",
    "consciousness": "news2.consciousness",
    "temperature": "news2.temperature",
}


class CalculationInputError(ValueError):
    """An answer the calculation cannot use, reported against that answer's field."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(error.message)
        self.error = error


def news2_result(values: Values) -> news2.News2 | None:
    """The NEWS2 score of the observations on a NEWS2 form, or None until all are entered."""
    raw = {param: values.get(link_id) for param, link_id in NEWS2_ITEMS.items()}
    if any(value is None for value in raw.values()):
        return None
    # news2.score checks each value's type and range itself, naming the parameter.
    try:
        return news2.score(
            respiratory_rate=cast(int, raw["respiratory_rate"]),
            spo2=cast(int, raw["spo2"]),
            scale=1 if raw["scale"] == "1" else 2 if raw["scale"] == "2" else 0,
            on_oxygen=raw["on_oxygen"] == "oxygen",
            systolic_bp=cast(int, raw["systolic_bp"]),
            pulse=cast(int, raw["pulse"]),
            consciousness=str(raw["consciousness"]),
            temperature=cast(float, raw["temperature"]),
        )
    except news2.News2InputError as problem:
        error = FieldError(NEWS2_ITEMS[problem.parameter], problem.message)
        raise CalculationInputError(error) from None


def _news2_total(values: Values) -> AnswerValue | None:
    result = news2_result(values)
    return None if result is None else result.total


def _news2_band(values: Values) -> AnswerValue | None:
    result = news2_result(values)
    return None if result is None else result.band


CALCULATIONS: Final[dict[str, Calculation]] = {
    "news2-total": _news2_total,
    "news2-band": _news2_band,
}
