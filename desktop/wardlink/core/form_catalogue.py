"""The forms this installation offers: every Questionnaire in `resources/forms/`, checked once.

A form file that breaks the supported subset, or lacks the shared patient block, stops the load
with FormDefinitionError naming the file: better at start-up than in front of a patient.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from wardlink.core.form_definitions import Form, FormDefinitionError, UnknownQuestionnaire
from wardlink.core.form_parser import parse_form
from wardlink.core.form_patient import check_patient_block
from wardlink.core.resources import resource_path


@functools.cache
def _catalogue(folder: Path) -> tuple[Form, ...]:
    forms = []
    for path in sorted(folder.glob("*.json")):
        try:
            resource = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise FormDefinitionError(f"form {path.name}: not valid JSON ({error})") from None
        if not isinstance(resource, dict):
            raise FormDefinitionError(f"form {path.name}: must hold one JSON object")
        form = parse_form(resource, where=f"form {path.name}")
        if form.id != path.stem:
            raise FormDefinitionError(f"form {path.name}: its id must match the file name")
        check_patient_block(form)
        forms.append(form)
    if not forms:
        raise FormDefinitionError(f"no forms found in {folder}")
    if len({form.url for form in forms}) != len(forms):
        raise FormDefinitionError("two forms share one url")
    return tuple(forms)


def all_forms() -> tuple[Form, ...]:
    """Every form, in file-name order; read and checked once per resources folder."""
    return _catalogue(resource_path("forms").resolve())


def load_form(name_or_url: str) -> Form:
    """A form by its id (`sbar-handover`), url, or `url|version`; UnknownQuestionnaire if none."""
    url, bar, version = name_or_url.partition("|")
    for form in all_forms():
        if bar and (url, version) == (form.url, form.version):
            return form
        if not bar and name_or_url in (form.id, form.url):
            return form
    raise UnknownQuestionnaire
