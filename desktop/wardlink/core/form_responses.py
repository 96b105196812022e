"""Filing a form: answers in, a FHIR R4 QuestionnaireResponse out; amendments; and reading one.

A response is filed once and never edited. An amendment is a new QuestionnaireResponse with its
own id and status `amended`, linked to what it replaces in three FHIR-valid ways:
- `identifier` (system `NOTE_LINEAGE_SYSTEM`) is the id of the note's first version, shared by
  every version, so one identifier search finds the whole history;
- the `amends` extension is a Reference to the version it replaces (`QuestionnaireResponse/<id>`);
- the `amendment-reason` extension carries why, in the author's words.
The earlier version is left exactly as it was. `answers_of` turns a filed response back into the
Python answers, so an amendment can start from them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Final

from wardlink.core.clock import format_timestamp
from wardlink.core.fhir import (
    AMENDMENT_REASON_EXTENSION,
    AMENDS_EXTENSION,
    NOTE_LINEAGE_SYSTEM,
    Json,
    PatientIdentifier,
    is_fhir_id,
    staff_reference,
)
from wardlink.core.form_answers import AnswerValue, FhirAnswer, display, from_fhir
from wardlink.core.form_catalogue import load_form
from wardlink.core.form_definitions import Form, Item
from wardlink.core.form_errors import FieldError, InvalidAnswers
from wardlink.core.form_patient import BIRTH_DATE, IDENTIFIER, patient_identifier
from wardlink.core.form_validation import validate_answers
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM
from wardlink.core.ids import time_ordered_id
from wardlink.core.model import BLOB_URL_PREFIX
from wardlink.core.response_validation import REASON_MAX_LENGTH, response_answers, response_form

_SAME_PATIENT: Final = (
    "An amendment cannot change the patient. File a new form for the right patient instead."
)


def _items(items: Sequence[Item], answers: Mapping[str, Sequence[FhirAnswer]]) -> list[Json]:
    out: list[Json] = []
    for item in items:
        if item.type == "group":
            children = _items(item.items, answers)
            if children:
                out.append({"linkId": item.link_id, "text": item.text, "item": children})
        elif item.answerable and answers.get(item.link_id):
            out.append(
                {"linkId": item.link_id, "text": item.text, "answer": list(answers[item.link_id])}
            )
    return out


def _response(
    form: Form,
    answers: Mapping[str, object],
    *,
    staff_id: str,
    staff_name: str,
    response_id: str | None,
    now: dt.datetime | None,
    chi_system: str,
    today: dt.date | None,
) -> tuple[Json, PatientIdentifier]:
    completed, errors = validate_answers(form, answers, today=today)
    patient = patient_identifier(form, completed, chi_system=chi_system)
    if errors or patient is None:
        raise InvalidAnswers(errors or [FieldError(IDENTIFIER, "The patient is missing.")])
    authored = now or dt.datetime.now(dt.UTC)
    response_id = response_id or time_ordered_id(authored)
    if not is_fhir_id(response_id):
        raise ValueError("response_id is not a FHIR id")
    resource: Json = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "identifier": {"system": NOTE_LINEAGE_SYSTEM, "value": response_id},
        "questionnaire": form.canonical,
        "status": "completed",
        "subject": {"identifier": patient.as_fhir()},
        "author": staff_reference(staff_id, staff_name),
        "authored": format_timestamp(authored),
        "item": _items(form.items, completed),
    }
    return resource, patient


def build_response(
    form: Form | str,
    answers: Mapping[str, object],
    *,
    staff_id: str,
    staff_name: str,
    response_id: str | None = None,
    now: dt.datetime | None = None,
    chi_system: str = DEFAULT_CHI_SYSTEM,
    today: dt.date | None = None,
) -> Json:
    """A completed QuestionnaireResponse for `answers` (linkId -> value, or list if repeating).

    InvalidAnswers lists every field to fix. Calculated items (the NEWS2 score) are filled in.
    """
    form = load_form(form) if isinstance(form, str) else form
    resource, _ = _response(
        form, answers, staff_id=staff_id, staff_name=staff_name, response_id=response_id,
        now=now, chi_system=chi_system, today=today,
    )  # fmt: skip
    return resource


def amend_response(
    previous: Mapping[str, object],
    answers: Mapping[str, object],
    *,
    reason: str,
    staff_id: str,
    staff_name: str,
    response_id: str | None = None,
    now: dt.datetime | None = None,
    chi_system: str = DEFAULT_CHI_SYSTEM,
    today: dt.date | None = None,
) -> Json:
    """A new version of `previous` with the full set of `answers`, status `amended`.

    The patient cannot change; `reason` is required. `previous` is not modified.
    """
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        message = f"Give a reason for the amendment (at most {REASON_MAX_LENGTH} characters)."
        raise InvalidAnswers([FieldError("reason", message)])
    lineage = previous.get("identifier")
    previous_id = previous.get("id")
    if (
        not isinstance(lineage, dict)
        or not is_fhir_id(lineage.get("value"))
        or not is_fhir_id(previous_id)
    ):
        raise ValueError("the previous version is not a filed Wardlink response")
    form = response_form(previous)
    resource, patient = _response(
        form, answers, staff_id=staff_id, staff_name=staff_name, response_id=response_id,
        now=now, chi_system=chi_system, today=today,
    )  # fmt: skip
    if patient != patient_of(previous):
        raise InvalidAnswers([FieldError(IDENTIFIER, _SAME_PATIENT)])
    if resource["id"] == previous_id:
        raise ValueError("an amendment needs an id of its own")
    resource["status"] = "amended"
    resource["identifier"] = {"system": NOTE_LINEAGE_SYSTEM, "value": lineage.get("value")}
    resource["extension"] = [
        {
            "url": AMENDS_EXTENSION,
            "valueReference": {"reference": f"QuestionnaireResponse/{previous_id}"},
        },
        {"url": AMENDMENT_REASON_EXTENSION, "valueString": reason},
    ]
    return resource


def _answers(resource: Mapping[str, object]) -> tuple[Form, dict[str, list[FhirAnswer]]]:
    form = response_form(resource)
    answers, errors = response_answers(form, resource.get("item"))
    if errors:
        raise ValueError("the response's items do not fit its form")
    return form, answers


def answers_of(resource: Mapping[str, object]) -> dict[str, AnswerValue | list[AnswerValue]]:
    """A filed response's answers as Python values (lists for repeating items): the inverse of
    `build_response`, for showing a note or starting an amendment from it."""
    form, answers = _answers(resource)
    values: dict[str, AnswerValue | list[AnswerValue]] = {}
    for link_id, given in answers.items():
        item = form.by_link_id[link_id]
        converted = [from_fhir(item, answer) for answer in given]
        values[link_id] = converted if item.repeats else converted[0]
    return values


def summary_text(resource: Mapping[str, object]) -> str:
    """A response as plain text, one "question: answer" line each, for local full-text search.

    It holds patient data (it is the note's content): keep it in the encrypted store only.
    """
    form, answers = _answers(resource)
    lines = [form.title]
    for item in form.walk():
        given = answers.get(item.link_id)
        if given:
            lines.append(f"{item.text.rstrip(':?')}: {'; '.join(display(item, a) for a in given)}")
    extensions = resource.get("extension")
    for extension in extensions if isinstance(extensions, list) else ():
        if isinstance(extension, dict) and extension.get("url") == AMENDMENT_REASON_EXTENSION:
            lines.append(f"Reason for amendment: {extension.get('valueString')}")
    return "\n".join(lines)


def patient_of(resource: Mapping[str, object]) -> PatientIdentifier:
    """The patient identifier a response's subject carries (ValueError if it has none)."""
    subject = resource.get("subject")
    identifier = subject.get("identifier") if isinstance(subject, dict) else None
    if not isinstance(identifier, dict):
        raise ValueError("the response has no subject identifier")
    system, value = identifier.get("system"), identifier.get("value")
    if not isinstance(system, str) or not isinstance(value, str):
        raise ValueError("the response's subject identifier is malformed")
    return PatientIdentifier(system, value)


def birth_date_of(resource: Mapping[str, object]) -> dt.date | None:
    """The date of birth the patient block records (the Patient's birthDate), if any."""
    form, answers = _answers(resource)
    given = answers.get(BIRTH_DATE)
    value = from_fhir(form.by_link_id[BIRTH_DATE], given[0]) if given else None
    return value if isinstance(value, dt.date) else None


def photo_hashes(resource: Mapping[str, object]) -> list[str]:
    """The SHA-256 of every photo a response references, in order, each once."""
    found: list[str] = []

    def walk(items: object) -> None:
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, dict):
                continue
            for answer in item.get("answer", ()) or ():
                attachment = answer.get("valueAttachment") if isinstance(answer, dict) else None
                url = attachment.get("url") if isinstance(attachment, dict) else None
                if isinstance(url, str) and url.startswith(BLOB_URL_PREFIX):
                    digest = url.removeprefix(BLOB_URL_PREFIX)
                    if digest not in found:
                        found.append(digest)
            walk(item.get("item"))

    walk(resource.get("item"))
    return found
