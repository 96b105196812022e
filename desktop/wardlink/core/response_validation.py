"""Checking a submitted QuestionnaireResponse, as the record server must before filing it.

The client is never trusted (DESIGN.md §4): a `note.submit` or `note.amend` op carries a
QuestionnaireResponse as JSON, and `validate_response` finds everything wrong with it. A form
this installation does not know raises `UnknownQuestionnaire` (the protocol's
`unknown_questionnaire`); everything else comes back as `FieldError`s (`invalid_answers`), named
by linkId, or by element name (`subject`, `authored`, ...) for problems outside the items.

Wardlink accepts only the shape its own client writes: the elements below, a subject identified
by NHS or CHI number (matching the form's patient block), a logical staff author, and for an
amendment the `amends` and `amendment-reason` extensions (see `form_responses`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

from wardlink.core.clock import parse_timestamp
from wardlink.core.fhir import (
    AMENDMENT_REASON_EXTENSION,
    AMENDS_EXTENSION,
    NOTE_LINEAGE_SYSTEM,
    STAFF_SYSTEM,
    is_fhir_id,
)
from wardlink.core.form_catalogue import load_form
from wardlink.core.form_definitions import Form, UnknownQuestionnaire
from wardlink.core.form_errors import FieldError
from wardlink.core.form_patient import patient_identifier
from wardlink.core.form_validation import FhirAnswers, check_answers
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM

ELEMENTS: Final = frozenset(
    {"resourceType", "id", "identifier", "questionnaire", "status", "subject", "author",
     "authored", "item", "extension"}
)  # fmt: skip
REASON_MAX_LENGTH: Final = 1000
_NOT_ON_FORM: Final = "An answer is to a question that is not on this form, or not in its place."


def response_form(resource: Mapping[str, object]) -> Form:
    """The form a response answers, by its `questionnaire` (`url|version`)."""
    canonical = resource.get("questionnaire")
    if not isinstance(canonical, str) or "|" not in canonical:
        raise UnknownQuestionnaire
    return load_form(canonical)


def response_answers(form: Form, items: object) -> tuple[FhirAnswers, list[FieldError]]:
    """A response's answers by linkId, with any structural problem in its item tree."""
    answers: FhirAnswers = {}
    errors: list[FieldError] = []
    _collect(form, items, None, answers, errors, set())
    return answers, errors


def _collect(
    form: Form,
    items: object,
    parent: str | None,
    out: FhirAnswers,
    errors: list[FieldError],
    seen: set[str],
) -> None:
    if not isinstance(items, list) or not items:
        errors.append(FieldError(parent or "item", "A group of answers is empty or malformed."))
        return
    for raw in items:
        link_id = raw.get("linkId") if isinstance(raw, dict) else None
        item = form.by_link_id.get(link_id) if isinstance(link_id, str) else None
        if item is None or form.parent_of[item.link_id] != parent or not isinstance(raw, dict):
            errors.append(FieldError(parent or "item", _NOT_ON_FORM))
            continue
        if item.link_id in seen:
            errors.append(FieldError(item.link_id, f"{item.text}: appears twice."))
            continue
        seen.add(item.link_id)
        if "text" in raw and not isinstance(raw["text"], str):
            errors.append(FieldError(item.link_id, f"{item.text}: its text is malformed."))
        elif item.type == "group" and set(raw) <= {"linkId", "text", "item"}:
            _collect(form, raw.get("item"), item.link_id, out, errors, seen)
        elif item.answerable and set(raw) <= {"linkId", "text", "answer"}:
            answers = raw.get("answer")
            if isinstance(answers, list) and answers:
                out[item.link_id] = answers
            else:
                errors.append(FieldError(item.link_id, f"{item.text}: has no answer."))
        else:
            errors.append(FieldError(item.link_id, f"{item.text}: is malformed."))


def _is_logical_reference(value: object, kind: str, system: str) -> bool:
    """A Reference by identifier only, as `fhir.staff_reference` writes it."""
    if not isinstance(value, dict) or not set(value) <= {"type", "identifier", "display"}:
        return False
    identifier = value.get("identifier")
    return (
        value.get("type", kind) == kind
        and isinstance(value.get("display", ""), str)
        and isinstance(identifier, dict)
        and set(identifier) == {"system", "value"}
        and identifier["system"] == system
        and isinstance(identifier["value"], str)
        and bool(identifier["value"].strip())
    )


def _envelope_errors(resource: Mapping[str, object], *, amendment: bool | None) -> list[FieldError]:
    errors = []
    if not set(resource) <= ELEMENTS:
        errors.append(FieldError("resource", "The response has elements Wardlink does not accept."))
    response_id = resource.get("id")
    if not is_fhir_id(response_id):
        errors.append(FieldError("id", "The response needs an id (letters, digits, - and .)."))
    status = resource.get("status")
    wanted = {None: ("completed", "amended"), False: ("completed",), True: ("amended",)}
    if status not in wanted[amendment]:
        errors.append(FieldError("status", "The response's status must be completed or amended."))
    lineage = resource.get("identifier")
    if not (
        isinstance(lineage, dict)
        and set(lineage) == {"system", "value"}
        and lineage["system"] == NOTE_LINEAGE_SYSTEM
        and is_fhir_id(lineage["value"])
        and (status != "completed" or lineage["value"] == response_id)
    ):
        errors.append(FieldError("identifier", "The response's note identifier is malformed."))
    errors += _extension_errors(resource.get("extension"), amended=status == "amended")
    if not _is_logical_reference(resource.get("author"), "Practitioner", STAFF_SYSTEM):
        errors.append(FieldError("author", "The response must name the staff member filing it."))
    try:
        parse_timestamp(str(resource.get("authored")))
    except ValueError:
        errors.append(FieldError("authored", "The response's time must be RFC 3339 UTC with ms."))
    return errors


def _extension_errors(extensions: object, *, amended: bool) -> list[FieldError]:
    if not amended:
        ok = extensions is None
    else:
        found = (
            {e.get("url"): e for e in extensions if isinstance(e, dict)}
            if isinstance(extensions, list)
            else {}
        )
        amends, reason = found.get(AMENDS_EXTENSION), found.get(AMENDMENT_REASON_EXTENSION)
        target = amends.get("valueReference") if amends else None
        text = reason.get("valueString") if reason else None
        ok = (
            isinstance(extensions, list)
            and len(extensions) == 2
            and amends is not None
            and set(amends) == {"url", "valueReference"}
            and isinstance(target, dict)
            and set(target) == {"reference"}
            and isinstance(target["reference"], str)
            and target["reference"].startswith("QuestionnaireResponse/")
            and is_fhir_id(target["reference"].removeprefix("QuestionnaireResponse/"))
            and reason is not None
            and set(reason) == {"url", "valueString"}
            and isinstance(text, str)
            and 0 < len(text.strip()) <= len(text) <= REASON_MAX_LENGTH
        )
    if ok:
        return []
    if amended:
        message = "An amendment must say which version it amends and why (a reason is required)."
    else:
        message = "A first version carries no extensions."
    return [FieldError("extension", message)]


def validate_response(
    resource: object,
    *,
    amendment: bool | None = None,
    chi_system: str = DEFAULT_CHI_SYSTEM,
    today: dt.date | None = None,
) -> list[FieldError]:
    """Everything wrong with a submitted QuestionnaireResponse; empty when it can be filed.

    `amendment` True or False demands status amended or completed (None accepts either).
    UnknownQuestionnaire if it answers a form this installation does not have.
    """
    if not isinstance(resource, dict) or resource.get("resourceType") != "QuestionnaireResponse":
        return [FieldError("resourceType", "This is not a QuestionnaireResponse.")]
    form = response_form(resource)
    errors = _envelope_errors(resource, amendment=amendment)
    answers, item_errors = response_answers(form, resource.get("item"))
    structural = {error.link_id for error in item_errors}
    errors += item_errors
    errors += [e for e in check_answers(form, answers, today=today) if e.link_id not in structural]
    subject = resource.get("subject")
    named = patient_identifier(form, answers, chi_system=chi_system)
    if (
        not isinstance(subject, dict)
        or set(subject) != {"identifier"}
        or (named is not None and subject["identifier"] != named.as_fhir())
    ):
        message = "The response's subject must be the patient named in the form."
        errors.append(FieldError("subject", message))
    return errors
