"""Clinical forms, in one import: load a form, check answers, file and amend responses.

Patient information lives only in these forms (DESIGN.md §6). Each is a FHIR R4 Questionnaire in
`resources/forms/`, and each filed form a QuestionnaireResponse. The work is split by step:
`form_definitions` and `form_parser` (the supported Questionnaire subset), `form_catalogue`
(loading), `form_answers` (one answer), `form_validation` (a set of answers), `form_patient`
(the shared patient block), `form_calculations` (computed scores), `form_responses` (building,
amending, reading) and `response_validation` (the server's check of a submitted response).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from wardlink.core.form_answers import AnswerValue, PhotoAnswer, PhotoLike, Quantity
from wardlink.core.form_catalogue import all_forms, load_form
from wardlink.core.form_definitions import (
    AnswerOption,
    Coding,
    EnableWhen,
    Form,
    FormDefinitionError,
    Item,
    UnknownQuestionnaire,
)
from wardlink.core.form_errors import FieldError, InvalidAnswers
from wardlink.core.form_patient import BIRTH_DATE, CHI, CONFIRMED, IDENTIFIER, IDENTIFIER_TYPE, NHS
from wardlink.core.form_responses import (
    amend_response,
    answers_of,
    birth_date_of,
    build_response,
    patient_of,
    photo_hashes,
    summary_text,
)
from wardlink.core.form_validation import asked_items
from wardlink.core.form_validation import validate_answers as _validate_answers
from wardlink.core.response_validation import validate_response


def validate_answers(
    form: Form, answers: Mapping[str, object], *, today: dt.date | None = None
) -> list[FieldError]:
    """Every problem with a form's Python answers, one per field; empty when it can be filed.

    `answers` maps linkId to a value, or to a list of values for a repeating item.
    """
    return _validate_answers(form, answers, today=today)[1]


__all__ = [
    "BIRTH_DATE",
    "CHI",
    "CONFIRMED",
    "IDENTIFIER",
    "IDENTIFIER_TYPE",
    "NHS",
    "AnswerOption",
    "AnswerValue",
    "Coding",
    "EnableWhen",
    "FieldError",
    "Form",
    "FormDefinitionError",
    "InvalidAnswers",
    "Item",
    "PhotoAnswer",
    "PhotoLike",
    "Quantity",
    "UnknownQuestionnaire",
    "all_forms",
    "amend_response",
    "answers_of",
    "asked_items",
    "birth_date_of",
    "build_response",
    "load_form",
    "patient_of",
    "photo_hashes",
    "summary_text",
    "validate_answers",
    "validate_response",
]
