"""The resources each note version makes: its QuestionnaireResponse and its Provenance.

A QuestionnaireResponse is a note's lineage; each of its versions is a row, read back by
version number, and a search matches a note by its latest version (within the snapshot). A
Provenance is one version's filing (who, when, from which device), and never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import ColumnElement, RowMapping, and_, exists, false, or_, select, true

from wardlink.core import forms
from wardlink_server import schema
from wardlink_server.fhir import resources
from wardlink_server.fhir.access import Served, as_patient
from wardlink_server.fhir.context import (
    Context,
    is_latest,
    note_select,
    paged,
    version_number,
)
from wardlink_server.fhir.resources import patient_of_row, split_document_reference_id
from wardlink_server.fhir.search import (
    LAST_UPDATED,
    Param,
    Reference,
    SearchRequest,
    Token,
    Value,
    date_condition,
    matching,
)

n, p = schema.notes, schema.note_photos

PATIENT: Final = Param("patient", "reference", "The patient the record is about (Patient/<id>).")
SUBJECT_IDENTIFIER: Final = Param(
    "subject:identifier",
    "token",
    "The patient's NHS or CHI number, as system|value (spaces allowed in the number).",
)


class QuestionnaireResponses:
    name = "QuestionnaireResponse"
    params = (
        PATIENT,
        SUBJECT_IDENTIFIER,
        Param(
            "questionnaire",
            "reference",
            "The form: its canonical url, or url|version.",
            raw=True,
        ),
        Param("status", "token", "completed (a first version) or amended."),
        Param("authored", "date", "When the form was completed (prefixes eq, lt, le, gt, ge)."),
        LAST_UPDATED,
    )

    def search(self, ctx: Context, request: SearchRequest, offset: int) -> tuple[int, list[Served]]:
        criteria = request.criteria
        conditions = [
            *ctx.patient_conditions(criteria),
            *matching(criteria, "questionnaire", _by_questionnaire),
            *matching(criteria, "status", _by_status),
            *matching(criteria, "authored", lambda v: date_condition(v, n.c.authored)),
            *matching(criteria, "_lastUpdated", lambda v: date_condition(v, n.c.recorded)),
        ]
        query = select(n).where(*ctx.visible(), is_latest(ctx), *conditions)
        total, rows = paged(ctx.conn, query, offset, request.count, n.c.seq.desc())
        return total, [self._served(ctx, row) for row in rows]

    def read(self, ctx: Context, rid: str, version: str | None) -> Served | None:
        query = select(n).where(n.c.lineage_id == rid, *ctx.visible())
        if version is not None:
            number = version_number(version)
            if number is None:
                return None
            query = query.where(n.c.version == number)
        row = ctx.conn.execute(query.order_by(n.c.version.desc()).limit(1)).mappings().first()
        return None if row is None else self._served(ctx, row)

    def history(
        self, ctx: Context, rid: str, offset: int, count: int
    ) -> tuple[int, list[Served]] | None:
        query = select(n).where(n.c.lineage_id == rid, *ctx.visible())
        total, rows = paged(ctx.conn, query, offset, count, n.c.version.desc())
        if total == 0:
            return None
        return total, [self._served(ctx, row) for row in rows]

    @staticmethod
    def _served(ctx: Context, row: RowMapping) -> Served:
        return Served(
            resources.questionnaire_response(row, ctx.state),
            frozenset({as_patient(patient_of_row(row))}),
            created=int(row["version"]) == 1,
        )


class Provenances:
    name = "Provenance"
    params = (
        Param(
            "target",
            "reference",
            "What was filed: QuestionnaireResponse/<id> or DocumentReference/<id>, "
            "optionally with /_history/<version>.",
        ),
        Param("patient", "reference", "The patient the filed record is about (Patient/<id>)."),
        LAST_UPDATED,
    )

    def search(self, ctx: Context, request: SearchRequest, offset: int) -> tuple[int, list[Served]]:
        criteria = request.criteria
        query = note_select().where(
            *ctx.visible(),
            *ctx.patient_conditions(criteria),
            *matching(criteria, "target", _by_target),
            *matching(criteria, "_lastUpdated", lambda v: date_condition(v, n.c.recorded)),
        )
        total, rows = paged(ctx.conn, query, offset, request.count, n.c.seq.desc())
        return total, self._served(ctx, rows)

    def read(self, ctx: Context, rid: str, version: str | None) -> Served | None:
        if version is not None and version_number(version) != 1:
            return None
        row = ctx.conn.execute(note_select().where(n.c.id == rid, *ctx.visible())).mappings()
        found = self._served(ctx, row.all())
        return found[0] if found else None

    def history(
        self, ctx: Context, rid: str, offset: int, count: int
    ) -> tuple[int, list[Served]] | None:
        found = self.read(ctx, rid, None)
        return None if found is None else (1, [found][offset : offset + count])

    @staticmethod
    def _served(ctx: Context, rows: Sequence[RowMapping]) -> list[Served]:
        photos: dict[str, list[str]] = {}
        if rows:
            ids = [str(row["id"]) for row in rows]
            for note_id, sha in ctx.conn.execute(
                select(p.c.note_id, p.c.sha256).where(p.c.note_id.in_(ids)).order_by(p.c.position)
            ):
                photos.setdefault(str(note_id), []).append(str(sha))
        return [
            Served(
                resources.provenance(row, photos.get(str(row["id"]), [])),
                frozenset({as_patient(patient_of_row(row))}),
            )
            for row in rows
        ]


def _by_status(value: Value) -> ColumnElement[bool]:
    if not isinstance(value, Token):
        return false()
    return true() if value.code is None else n.c.status == value.code


def _by_questionnaire(value: Value) -> ColumnElement[bool]:
    """`url`, `url|version`, or `Questionnaire/<id>` (resolved to its url)."""
    text = str(value)
    url, bar, version = text.partition("|")
    if url.startswith("Questionnaire/"):
        form = next((f for f in forms.all_forms() if f"Questionnaire/{f.id}" == url), None)
        if form is None:
            return false()
        url = form.url
    condition = n.c.form_url == url
    return and_(condition, n.c.form_version == version) if bar else condition


def _by_target(value: Value) -> ColumnElement[bool]:
    if not isinstance(value, Reference):
        return false()
    choices: list[ColumnElement[bool]] = []
    if value.type in (None, "QuestionnaireResponse"):
        choices.append(n.c.lineage_id == value.id)
    if value.type in (None, "DocumentReference"):
        split = split_document_reference_id(value.id)
        if split is not None:
            lineage, prefix = split
            carries = exists().where(
                p.c.note_id == n.c.id, p.c.sha256.startswith(prefix, autoescape=True)
            )
            choices.append(and_(n.c.lineage_id == lineage, carries))
    if not choices:
        return false()
    either = or_(*choices)
    if value.version is None:
        return either
    number = version_number(value.version)
    return and_(either, n.c.version == number) if number is not None else false()
