"""FHIR R4 resources built from the record's rows, with `wardlink.core.fhir`.

Ids and versions, so that every resource can be read, vread and listed in `_history`:
- QuestionnaireResponse: the note's lineage id (its first version's id); `meta.versionId` is the
  note's version number. An amendment's `amends` extension points at the version it replaced
  (`QuestionnaireResponse/<lineage>/_history/<n>`), and `subject` at the Patient.
- Patient: the keyed hash of its identifier; version n is the patient as the n-th note the
  caller can see left it (its birth date as that note records it).
- DocumentReference: one per photo per note, `<lineage>.<first 27 hex digits of the photo's
  SHA-256>` (readable back to both, within FHIR's 64 characters); its versions follow the
  note's from the version that first carried the photo, `superseded` in a version that no
  longer does.
- Binary: the photo's SHA-256. Provenance: the id of the note version it describes.
Questionnaires are served as their files are, plus `meta`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from wardlink.core import fhir, forms
from wardlink.core.clock import parse_timestamp
from wardlink.core.fhir import AMENDS_EXTENSION, Json, PatientIdentifier
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink.core.model import BLOB_URL_PREFIX
from wardlink_server.fhir.state import FhirState

Row = Mapping[Any, Any]  # a row as SQLAlchemy gives it, or a dict of its columns
DOCUMENT_ID_HEX: Final = 27  # 36 (lineage) + "." + 27 = 64, FHIR's longest id
SUBSETTED: Final = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}


def meta(version: int | str, last_updated: str) -> Json:
    return {"versionId": str(version), "lastUpdated": last_updated}


def _framed(resource_type: str, rid: str, resource_meta: Json, rest: Row) -> Json:
    """`resourceType`, `id` and `meta` first, as FHIR examples read."""
    framed: Json = {"resourceType": resource_type, "id": rid, "meta": resource_meta}
    framed.update({k: v for k, v in rest.items() if k not in ("resourceType", "id", "meta")})
    return framed


def patient_of_row(row: Row) -> PatientIdentifier:
    return PatientIdentifier(str(row["patient_system"]), str(row["patient_value"]))


# -- QuestionnaireResponse ------------------------------------------------------------------------


def questionnaire_response(row: Row, state: FhirState) -> Json:
    """A note version as filed, under its lineage id, its subject pointing at the Patient."""
    resource: dict[str, Any] = json.loads(row["resource"])
    lineage, version = str(row["lineage_id"]), int(row["version"])
    resource["subject"] = fhir.patient_reference(patient_of_row(row), key=state.patient_key)
    for extension in resource.get("extension", ()):
        if extension.get("url") == AMENDS_EXTENSION and version > 1:
            reference = f"QuestionnaireResponse/{lineage}/_history/{version - 1}"
            extension["valueReference"] = {"reference": reference}
    return _framed("QuestionnaireResponse", lineage, meta(version, str(row["recorded"])), resource)


# -- Patient --------------------------------------------------------------------------------------


def patient(identifier: PatientIdentifier, note: Row, version: int, state: FhirState) -> Json:
    """The Patient as `note` (the caller's `version`-th note about them) leaves it."""
    # The system was checked when the note was filed; a CHI system changed in policy since
    # must not make the patient unreadable.
    chi_system = identifier.system if identifier.system != NHS_NUMBER_SYSTEM else "-"
    built = fhir.patient_from_identifiers(
        identifier,
        key=state.patient_key,
        birth_date=birth_date(str(note["resource"])),
        chi_system=chi_system,
    )
    return _framed("Patient", str(built["id"]), meta(version, str(note["recorded"])), built)


def birth_date(resource_json: str) -> dt.date | None:
    try:
        return forms.birth_date_of(json.loads(resource_json))
    except (ValueError, LookupError):  # a form this server no longer has: no birth date
        return None


# -- DocumentReference and Binary -----------------------------------------------------------------


def document_reference_id(lineage_id: str, sha256: str) -> str:
    return f"{lineage_id}.{sha256[:DOCUMENT_ID_HEX]}"


def split_document_reference_id(rid: str) -> tuple[str, str] | None:
    """(lineage id, SHA-256 prefix) from a DocumentReference id, or None if it is not one."""
    lineage, dot, prefix = rid.rpartition(".")
    if not dot or len(prefix) != DOCUMENT_ID_HEX or not lineage:
        return None
    if any(c not in "0123456789abcdef" for c in prefix):
        return None
    return lineage, prefix


@dataclass(frozen=True)
class PhotoVersion:
    """One version of a photo's DocumentReference: the note version it follows, and the note
    version that first carried the photo (who filed it, when, and with which title)."""

    lineage_id: str
    sha256: str
    version: int
    recorded: str
    present: bool  # this note version still carries the photo
    first_version: int  # the note version that first carried it
    first: Row  # the first carrying note row, with author_name
    blob: Row  # content_type, size, sha1_b64


def document_reference(photo: PhotoVersion, state: FhirState) -> Json:
    first = photo.first
    title = attachment_title(str(first["resource"]), photo.sha256) or "Clinical photograph"
    built = fhir.document_reference(
        sha256=photo.sha256,
        sha1=str(photo.blob["sha1_b64"]),
        content_type=str(photo.blob["content_type"]),
        size=int(photo.blob["size"]),
        title=title,
        subject=fhir.patient_reference(patient_of_row(first), key=state.patient_key),
        response_id=photo.lineage_id,
        created=parse_timestamp(str(first["recorded"])),
        author=fhir.staff_reference(str(first["author_id"]), _name(first["author_name"])),
    )
    if not photo.present:
        built["status"] = "superseded"
    rid = document_reference_id(photo.lineage_id, photo.sha256)
    return _framed("DocumentReference", rid, meta(photo.version, photo.recorded), built)


def attachment_title(resource_json: str, sha256: str) -> str | None:
    """The title the note gave the photo, if it has one."""
    url = BLOB_URL_PREFIX + sha256

    def walk(items: object) -> str | None:
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, dict):
                continue
            for answer in item.get("answer", ()) or ():
                attachment = answer.get("valueAttachment") if isinstance(answer, dict) else None
                if isinstance(attachment, dict) and attachment.get("url") == url:
                    title = attachment.get("title")
                    return title if isinstance(title, str) and title.strip() else None
            found = walk(item.get("item"))
            if found is not None:
                return found
        return None

    resource = json.loads(resource_json)
    return walk(resource.get("item")) if isinstance(resource, dict) else None


def binary(blob: Row, data: bytes | None) -> Json:
    """The photo as a Binary; without `data` a summary (marked SUBSETTED), as searches list it."""
    if data is not None:
        built = fhir.binary(data, str(blob["content_type"]))
        resource_meta = meta(1, str(blob["created_at"]))
    else:
        built = {"contentType": str(blob["content_type"])}
        resource_meta = {**meta(1, str(blob["created_at"])), "tag": [SUBSETTED]}
    return _framed("Binary", str(blob["sha256"]), resource_meta, built)


# -- Provenance -----------------------------------------------------------------------------------


def provenance(row: Row, photos: Sequence[str]) -> Json:
    """Who filed a note version, when, and from which device; its targets are that version of
    the QuestionnaireResponse and of the DocumentReference of each photo it carries."""
    lineage, version = str(row["lineage_id"]), int(row["version"])
    targets = [f"QuestionnaireResponse/{lineage}/_history/{version}"]
    targets += [
        f"DocumentReference/{document_reference_id(lineage, sha)}/_history/{version}"
        for sha in photos
    ]
    built = fhir.provenance(
        targets=targets,
        recorded=parse_timestamp(str(row["recorded"])),
        author=fhir.staff_reference(str(row["author_id"]), _name(row["author_name"])),
        device=fhir.device_reference(str(row["device_id"]), _name(row["device_name"], "device")),
        activity="create" if version == 1 else "update",
        reason=None if row["reason"] is None else str(row["reason"]),
    )
    return _framed("Provenance", str(row["id"]), meta(1, str(row["recorded"])), built)


def _name(name: object, what: str = "staff member") -> str:
    """A display name; FHIR strings are never empty."""
    return name.strip() if isinstance(name, str) and name.strip() else f"Unknown {what}"


# -- Questionnaire --------------------------------------------------------------------------------


def questionnaire(form: forms.Form) -> Json:
    return _framed("Questionnaire", form.id, meta(1, questionnaire_updated(form)), form.resource)


def questionnaire_updated(form: forms.Form) -> str:
    """A form changes only with a new release: its `date` (midnight UTC) is its last update."""
    date = form.resource.get("date")
    day = dt.date.fromisoformat(date[:10]) if isinstance(date, str) else dt.date(2026, 1, 1)
    return f"{day.isoformat()}T00:00:00.000Z"
