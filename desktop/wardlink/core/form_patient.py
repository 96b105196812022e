"""The patient block every form opens with, and the wrong-patient checks on it (DESIGN.md §6).

A form's patient is an NHS or CHI number plus a second identifier, the date of birth, and the
person filing confirms both against the wristband or record. The block is the same group in every
form (linkIds below), so the client, the server and the record all find the patient in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Final

from wardlink.core.fhir import WARDLINK_FHIR, PatientIdentifier
from wardlink.core.form_answers import FhirAnswer, from_fhir
from wardlink.core.form_definitions import Coding, Form, FormDefinitionError
from wardlink.core.form_errors import FieldError
from wardlink.core.identifiers import (
    DEFAULT_CHI_SYSTEM,
    NHS_NUMBER_SYSTEM,
    is_valid_chi_number,
    is_valid_nhs_number,
)

PATIENT_GROUP: Final = "patient"
IDENTIFIER_TYPE: Final = "patient.identifierSystem"
IDENTIFIER: Final = "patient.identifier"
BIRTH_DATE: Final = "patient.birthDate"
CONFIRMED: Final = "patient.confirmed"
IDENTIFIER_TYPE_SYSTEM: Final = f"{WARDLINK_FHIR}/CodeSystem/patient-identifier-type"
NHS: Final = "nhs"
CHI: Final = "chi"
EARLIEST_BIRTH_DATE: Final = dt.date(1880, 1, 1)
# A day's grace: a baby born after midnight in the UK may still be "yesterday" in UTC.
_BIRTH_DATE_GRACE: Final = dt.timedelta(days=1)
_BLOCK: Final = {IDENTIFIER_TYPE: "choice", IDENTIFIER: "string", BIRTH_DATE: "date",
                 CONFIRMED: "boolean"}  # fmt: skip
_SEPARATORS: Final = re.compile(r"[\s\-]")

Values = Mapping[str, Sequence[FhirAnswer]]


def check_patient_block(form: Form) -> None:
    """The form opens with the shared patient group; FormDefinitionError if it does not."""
    group = form.items[0] if form.items else None
    if group is None or group.link_id != PATIENT_GROUP or group.type != "group":
        raise FormDefinitionError(f"form {form.id}: must open with the '{PATIENT_GROUP}' group")
    if not group.required or group.enable_when:
        raise FormDefinitionError(f"form {form.id}: the patient group is always required")
    children = {child.link_id: child for child in group.items}
    for link_id, kind in _BLOCK.items():
        child = children.get(link_id)
        if child is None or child.type != kind or not child.required or child.enable_when:
            raise FormDefinitionError(f"form {form.id}: patient item {link_id!r} is not as shared")
    options = children[IDENTIFIER_TYPE].options
    if {(o.value.system, o.code) for o in options if isinstance(o.value, Coding)} != {
        (IDENTIFIER_TYPE_SYSTEM, NHS),
        (IDENTIFIER_TYPE_SYSTEM, CHI),
    }:
        raise FormDefinitionError(f"form {form.id}: patient identifier types must be nhs and chi")


def compact_number(text: str) -> str:
    """The number without the spaces and dashes people type between its digits."""
    return _SEPARATORS.sub("", text)


def _single(form: Form, values: Values, link_id: str) -> object:
    answers = values.get(link_id, ())
    return from_fhir(form.by_link_id[link_id], answers[0]) if len(answers) == 1 else None


def patient_identifier(
    form: Form, values: Values, *, chi_system: str = DEFAULT_CHI_SYSTEM
) -> PatientIdentifier | None:
    """The identifier the patient block names, if it is a valid NHS or CHI number."""
    kind, number = _single(form, values, IDENTIFIER_TYPE), _single(form, values, IDENTIFIER)
    if not isinstance(number, str):
        return None
    digits = compact_number(number)
    if kind == NHS and is_valid_nhs_number(digits):
        return PatientIdentifier(NHS_NUMBER_SYSTEM, digits)
    if kind == CHI and is_valid_chi_number(digits):
        return PatientIdentifier(chi_system, digits)
    return None


def birth_date(form: Form, values: Values) -> dt.date | None:
    value = _single(form, values, BIRTH_DATE)
    return value if isinstance(value, dt.date) else None


def patient_errors(
    form: Form, values: Values, *, today: dt.date, already: Sequence[str] = ()
) -> list[FieldError]:
    """Wrong-patient checks beyond each answer's type; fields in `already` are skipped."""
    errors: list[FieldError] = []

    def add(link_id: str, message: str) -> None:
        if link_id not in already:
            errors.append(FieldError(link_id, message))

    kind, number = _single(form, values, IDENTIFIER_TYPE), _single(form, values, IDENTIFIER)
    digits = compact_number(number) if isinstance(number, str) else None
    if digits is not None and kind == NHS and not is_valid_nhs_number(digits):
        add(IDENTIFIER, "NHS or CHI number: not a valid NHS number; check the digits.")
    if digits is not None and kind == CHI and not is_valid_chi_number(digits):
        add(IDENTIFIER, "NHS or CHI number: not a valid CHI number; check the digits.")
    born = birth_date(form, values)
    if born is not None and born > today + _BIRTH_DATE_GRACE:
        add(BIRTH_DATE, "Date of birth: cannot be in the future.")
    elif born is not None and born < EARLIEST_BIRTH_DATE:
        add(BIRTH_DATE, "Date of birth: too long ago; check the year.")
    elif born and kind == CHI and digits is not None and digits[:6] != born.strftime("%d%m%y"):
        add(BIRTH_DATE, "Date of birth: does not match the CHI number, which starts DDMMYY.")
    if _single(form, values, CONFIRMED) is False:
        add(
            CONFIRMED,
            "Patient check: confirm the number and date of birth against the wristband or record.",
        )
    return errors
