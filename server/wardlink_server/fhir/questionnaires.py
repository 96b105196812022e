"""Questionnaires: the form definitions this server files notes against (one version each).

They hold no patient data, so any signed-in caller reads them; they come from the installed
forms, not the database.
"""

from __future__ import annotations

from wardlink.core import forms
from wardlink_server.fhir import resources
from wardlink_server.fhir.access import Served
from wardlink_server.fhir.context import Context, version_number
from wardlink_server.fhir.search import (
    LAST_UPDATED,
    DateRange,
    Param,
    SearchRequest,
    Token,
    Value,
)


class Questionnaires:
    name = "Questionnaire"
    params = (
        Param("url", "uri", "The form's canonical url (exact)."),
        Param("status", "token", "draft, active or retired."),
        LAST_UPDATED,
    )

    def search(self, ctx: Context, request: SearchRequest, offset: int) -> tuple[int, list[Served]]:
        criteria = request.criteria
        found = [
            form
            for form in sorted(forms.all_forms(), key=lambda f: f.id)
            if all(
                any(_matches(form, name, value) for value in values)
                for name in ("url", "status", "_lastUpdated")
                for values in criteria.of(name)
            )
        ]
        page = found[offset : offset + request.count]
        return len(found), [Served(resources.questionnaire(form)) for form in page]

    def read(self, ctx: Context, rid: str, version: str | None) -> Served | None:
        if version is not None and version_number(version) != 1:
            return None
        form = next((f for f in forms.all_forms() if f.id == rid), None)
        return None if form is None else Served(resources.questionnaire(form))

    def history(
        self, ctx: Context, rid: str, offset: int, count: int
    ) -> tuple[int, list[Served]] | None:
        found = self.read(ctx, rid, None)
        return None if found is None else (1, [found][offset : offset + count])


def _matches(form: forms.Form, name: str, value: Value) -> bool:
    if name == "url":
        return value == form.url
    if name == "status":
        status = form.resource.get("status")
        return isinstance(value, Token) and value.code in (None, status)
    return isinstance(value, DateRange) and value.holds(resources.questionnaire_updated(form))
