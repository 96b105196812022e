"""Push ops that file patient notes: `note.submit` (a first version) and `note.amend`.

A note is a FHIR QuestionnaireResponse, checked here against its Questionnaire exactly as the
record must hold it (the client is never trusted). Notes are never edited: an amendment is a
new row (version + 1, same lineage) and the earlier version stays as it was. Filing is audited
with the patient, in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping, func, insert, select
from sqlalchemy.exc import IntegrityError

from wardlink.core import forms
from wardlink.core.fhir import AMENDMENT_REASON_EXTENSION, AMENDS_EXTENSION, PatientIdentifier
from wardlink.core.protocol import NoteAmend, NoteData, NoteSubmit
from wardlink_server import audit, events, schema
from wardlink_server.push_context import OpContext, Rejected
from wardlink_server.push_messages import NOT_A_MEMBER

SAME_PATIENT = (
    "An amendment cannot change the patient. File a new form for the right patient instead."
)


def submit_note(ctx: OpContext, op: NoteSubmit) -> int:
    if not ctx.is_member(op.team_id):
        raise Rejected("forbidden", NOT_A_MEMBER)
    resource = dict(op.resource)
    form = _checked(ctx, resource, op.note_id, amendment=False)
    return _file(
        ctx, resource, form, event="note", note_id=op.note_id, team_id=op.team_id,
        lineage_id=op.note_id, version=1, version_of=None, reason=None,
    )  # fmt: skip


def amend_note(ctx: OpContext, op: NoteAmend) -> int:
    n = schema.notes
    previous = ctx.conn.execute(select(n).where(n.c.id == op.version_of)).mappings().first()
    if previous is None or not ctx.is_member(str(previous["team_id"])):
        raise Rejected("not_found", "The note being amended was not found.")
    latest = ctx.conn.execute(
        select(func.max(n.c.version)).where(n.c.lineage_id == previous["lineage_id"])
    ).scalar_one()
    if latest != previous["version"]:
        raise Rejected("conflict", "That note has been amended since. Amend its latest version.")
    resource = dict(op.resource)
    form = _checked(ctx, resource, op.note_id, amendment=True)
    _check_amendment(resource, previous, form, op)
    return _file(
        ctx, resource, form, event="note.amended", note_id=op.note_id,
        team_id=str(previous["team_id"]), lineage_id=str(previous["lineage_id"]),
        version=int(previous["version"]) + 1, version_of=op.version_of, reason=op.reason,
    )  # fmt: skip


def _checked(
    ctx: OpContext, resource: dict[str, Any], note_id: str, *, amendment: bool
) -> forms.Form:
    """The response's form, once the response is one the record can hold as the caller's."""
    try:
        json.dumps(resource, allow_nan=False)
    except ValueError:  # NaN or Infinity (JSON has neither): it could never be served back
        raise Rejected(
            "invalid", "The note holds a number that is not finite.", field="resource"
        ) from None
    try:
        errors = forms.validate_response(
            resource,
            amendment=amendment,
            chi_system=ctx.services.policy.chi_system,
            today=ctx.services.config.clock.now().date(),
        )
    except forms.UnknownQuestionnaire as exc:
        raise Rejected("unknown_questionnaire", exc.message) from None
    if errors:
        raise Rejected(
            "invalid_answers",
            forms.InvalidAnswers(errors).message,
            fields=[e.as_json() for e in errors],
        )
    if resource["id"] != note_id:
        raise Rejected("invalid", "The note's id must be the op's note_id.", field="resource.id")
    if resource["author"]["identifier"]["value"] != ctx.caller.staff_id:
        raise Rejected("forbidden", "A note can only be filed in your own name.")
    photos = forms.photo_hashes(resource)
    if photos:
        b = schema.blobs
        stored = {
            str(sha)
            for sha in ctx.conn.execute(select(b.c.sha256).where(b.c.sha256.in_(photos))).scalars()
        }
        missing = [sha for sha in photos if sha not in stored]
        if missing:
            raise Rejected(
                "invalid",
                "A photo in this note has not been uploaded yet. Upload its photos, then file it.",
                photos=missing,
            )
    return forms.load_form(str(resource["questionnaire"]))


def _check_amendment(
    resource: Mapping[str, Any], previous: RowMapping, form: forms.Form, op: NoteAmend
) -> None:
    """An amendment continues its lineage, replaces the version it names, for the same patient
    on the same form, and carries the op's reason."""
    extensions = {e["url"]: e for e in resource["extension"]}
    if resource["identifier"]["value"] != previous["lineage_id"]:
        raise Rejected(
            "invalid", "The amendment's note identifier must be the note's.", field="identifier"
        )
    amends = extensions[AMENDS_EXTENSION]["valueReference"]["reference"]
    if amends != f"QuestionnaireResponse/{op.version_of}":
        raise Rejected(
            "invalid", "The amendment must name the version it amends.", field="extension"
        )
    if form.url != previous["form_url"]:
        raise Rejected(
            "invalid", "An amendment must use the same form as the note.", field="questionnaire"
        )
    if forms.patient_of(resource) != PatientIdentifier(
        str(previous["patient_system"]), str(previous["patient_value"])
    ):
        error = forms.FieldError(forms.IDENTIFIER, SAME_PATIENT)
        raise Rejected(
            "invalid_answers", forms.InvalidAnswers([error]).message, fields=[error.as_json()]
        )
    if extensions[AMENDMENT_REASON_EXTENSION]["valueString"].strip() != op.reason.strip():
        raise Rejected(
            "invalid", "The amendment's reason must be the one the op gives.", field="reason"
        )


def _file(
    ctx: OpContext,
    resource: dict[str, Any],
    form: forms.Form,
    *,
    event: str,
    note_id: str,
    team_id: str,
    lineage_id: str,
    version: int,
    version_of: str | None,
    reason: str | None,
) -> int:
    """Store the note, its photos, its event and its audit entry; returns the event's seq."""
    patient = forms.patient_of(resource)
    photos = forms.photo_hashes(resource)
    data = NoteData(
        id=note_id,
        version=version,
        version_of=version_of,
        author_id=ctx.caller.staff_id,
        author_name=ctx.caller_name(),
        form_url=form.url,
        form_version=form.version,
        form_title=form.title,
        resource=resource,
        photos=tuple(photos),
    )
    seq = events.append(ctx.conn, event, at=ctx.now, data=data.to_json(), team_id=team_id)
    try:
        ctx.conn.execute(
            insert(schema.notes).values(
                id=note_id,
                lineage_id=lineage_id,
                version=version,
                version_of=version_of,
                team_id=team_id,
                author_id=ctx.caller.staff_id,
                device_id=ctx.caller.device_id,
                form_url=form.url,
                form_version=form.version,
                form_title=form.title,
                patient_system=patient.system,
                patient_value=patient.value,
                status=resource["status"],
                authored=resource["authored"],
                recorded=ctx.now,
                reason=reason,
                resource=json.dumps(resource, separators=(",", ":")),
                seq=seq,
            )
        )
    except IntegrityError:  # the note id is taken, or the lineage moved on meanwhile
        raise Rejected("conflict", "A note with this id or version exists already.") from None
    if photos:
        ctx.conn.execute(
            insert(schema.note_photos),
            [{"note_id": note_id, "sha256": sha, "position": i} for i, sha in enumerate(photos)],
        )
    audit.record(
        ctx.conn,
        ctx.actor,
        "note.file" if version == 1 else "note.amend",
        note_id,
        at=ctx.now,
        patient=(patient.system, patient.value),
        detail={"team_id": team_id, "lineage_id": lineage_id, "version": version,
                "form": form.canonical},
    )  # fmt: skip
    return seq
