"""FHIR R4 resources for the record (DESIGN.md §5), built as plain JSON dicts.

Pure functions: no I/O, no clock (times are passed in), the same input gives the same resource.
Ids are deterministic where a resource has a natural key, so that filing twice files once:
a Binary is named by its SHA-256, a photo's DocumentReference by its note and photo, a Patient
by a keyed hash of its identifier. A Patient id never contains the NHS or CHI number itself, and
the hash is keyed because ten-digit numbers are too few to hide behind a plain hash.

Staff and devices are not served as resources of their own; they are referred to logically,
by identifier (with `type` and `display`), which FHIR R4 allows for any Reference.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from wardlink.core.clock import format_timestamp
from wardlink.core.identifiers import (
    DEFAULT_CHI_SYSTEM,
    NHS_NUMBER_SYSTEM,
    is_valid_chi_number,
    is_valid_nhs_number,
)

WARDLINK_FHIR: Final = "https://wardlink.example.nhs.uk/fhir"
STAFF_SYSTEM: Final = f"{WARDLINK_FHIR}/Id/staff"
DEVICE_SYSTEM: Final = f"{WARDLINK_FHIR}/Id/device"
NOTE_LINEAGE_SYSTEM: Final = f"{WARDLINK_FHIR}/Id/note"
BLOB_SHA256_SYSTEM: Final = "urn:wardlink:blob-sha256"
AMENDS_EXTENSION: Final = f"{WARDLINK_FHIR}/StructureDefinition/amends"
AMENDMENT_REASON_EXTENSION: Final = f"{WARDLINK_FHIR}/StructureDefinition/amendment-reason"
# uuid5 namespace for Wardlink's derived ids (a fixed, random UUID: never change it).
_ID_NAMESPACE: Final = uuid.UUID("5b0c7f1e-2f7a-4d55-9a51-0f6c1d3b8e42")
_FHIR_ID: Final = re.compile(r"[A-Za-z0-9\-.]{1,64}", re.ASCII)
_SHA256: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)
_MIN_KEY_BYTES: Final = 16
_PARTICIPANT_TYPE: Final = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_PARTICIPATION_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
_DATA_OPERATION: Final = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"

Json = dict[str, object]


@dataclass(frozen=True, slots=True)
class PatientIdentifier:
    """A patient's NHS or CHI number with its FHIR system; the number stays out of `repr`."""

    system: str
    value: str = field(repr=False)

    def as_fhir(self) -> Json:
        return {"system": self.system, "value": self.value}


def is_fhir_id(text: object) -> bool:
    """True if `text` can be a FHIR resource id (1-64 of letters, digits, '-' and '.')."""
    return isinstance(text, str) and _FHIR_ID.fullmatch(text) is not None


def derived_id(*parts: str) -> str:
    """A stable UUID-shaped id from the parts that identify a resource."""
    return str(uuid.uuid5(_ID_NAMESPACE, "\x1f".join(parts)))


def check_patient_identifier(
    identifier: PatientIdentifier, *, chi_system: str = DEFAULT_CHI_SYSTEM
) -> None:
    """ValueError (naming no digits) unless this is a checksum-valid NHS or CHI number."""
    if identifier.system == NHS_NUMBER_SYSTEM:
        ok = identifier.value.isdigit() and is_valid_nhs_number(identifier.value)
    elif identifier.system == chi_system:
        ok = identifier.value.isdigit() and is_valid_chi_number(identifier.value)
    else:
        raise ValueError("patient identifier system is neither NHS number nor CHI")
    if not ok:
        raise ValueError("patient identifier is not a valid ten-digit NHS or CHI number")


def patient_id(identifier: PatientIdentifier, *, key: bytes) -> str:
    """The Patient resource id for an identifier: HMAC-SHA-256 under the server's `key`."""
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError(f"the patient id key must be at least {_MIN_KEY_BYTES} bytes")
    message = f"{identifier.system}|{identifier.value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def patient_reference(identifier: PatientIdentifier, *, key: bytes) -> Json:
    """A Reference to the Patient, carrying the identifier too so either can be searched."""
    return {
        "reference": f"Patient/{patient_id(identifier, key=key)}",
        "type": "Patient",
        "identifier": identifier.as_fhir(),
    }


def patient_from_identifiers(
    identifier: PatientIdentifier,
    *,
    key: bytes,
    birth_date: dt.date | None = None,
    chi_system: str = DEFAULT_CHI_SYSTEM,
) -> Json:
    """The Patient a note's identifiers describe: the NHS or CHI number, and birth date if known."""
    check_patient_identifier(identifier, chi_system=chi_system)
    patient: Json = {
        "resourceType": "Patient",
        "id": patient_id(identifier, key=key),
        "identifier": [identifier.as_fhir()],
    }
    if birth_date is not None:
        patient["birthDate"] = birth_date.isoformat()
    return patient


def staff_reference(staff_id: str, display_name: str) -> Json:
    """A logical Reference to a staff member, as the author of a note or a photo."""
    return {
        "type": "Practitioner",
        "identifier": {"system": STAFF_SYSTEM, "value": staff_id},
        "display": display_name,
    }


def device_reference(device_id: str, name: str) -> Json:
    """A logical Reference to the PC or laptop a record was made on."""
    return {
        "type": "Device",
        "identifier": {"system": DEVICE_SYSTEM, "value": device_id},
        "display": name,
    }


def binary(data: bytes, content_type: str) -> Json:
    """A photo's bytes as a Binary, named by their SHA-256 (a 64-character FHIR id)."""
    return {
        "resourceType": "Binary",
        "id": hashlib.sha256(data).hexdigest(),
        "contentType": content_type,
        "data": base64.b64encode(data).decode("ascii"),
    }


def document_reference(
    *,
    sha256: str,
    sha1: bytes | str,
    content_type: str,
    size: int,
    title: str,
    subject: Json,
    response_id: str,
    created: dt.datetime,
    author: Json | None = None,
) -> Json:
    """A clinical photo in the record: what it is, whose it is, and the note it belongs to.

    `sha1` is the raw digest, its hex or its base64 form; FHIR wants base64 in `hash`.
    `subject` is a Reference such as `patient_reference(...)` makes.
    """
    if not _SHA256.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lower-case hex digits")
    if not is_fhir_id(response_id):
        raise ValueError("response_id is not a FHIR id")
    attachment: Json = {
        "contentType": content_type,
        "size": size,
        "hash": sha1_base64(sha1),
        "url": f"Binary/{sha256}",
        "title": title,
        "creation": format_timestamp(created),
    }
    resource: Json = {
        "resourceType": "DocumentReference",
        "id": derived_id("DocumentReference", response_id, sha256),
        "identifier": [{"system": BLOB_SHA256_SYSTEM, "value": sha256}],
        "status": "current",
        "type": {"text": "Clinical photograph"},
        "subject": subject,
        "date": format_timestamp(created),
        "content": [{"attachment": attachment}],
        "context": {"related": [{"reference": f"QuestionnaireResponse/{response_id}"}]},
    }
    if author is not None:
        resource["author"] = [author]
    return resource


def sha1_base64(sha1: bytes | str) -> str:
    """A SHA-1 digest (raw, hex or base64) as FHIR's Attachment.hash wants it: base64."""
    if isinstance(sha1, bytes):
        raw = sha1
    elif re.fullmatch(r"[0-9a-fA-F]{40}", sha1):
        raw = bytes.fromhex(sha1)
    else:
        raw = base64.b64decode(sha1, validate=True)
    if len(raw) != 20:
        raise ValueError("sha1 must be a SHA-1 digest (20 bytes)")
    return base64.b64encode(raw).decode("ascii")


def provenance(
    *,
    targets: Sequence[str],
    recorded: dt.datetime,
    author: Json,
    device: Json,
    activity: Literal["create", "update"] = "create",
    reason: str | None = None,
) -> Json:
    """Who filed which resources, when, and from which device.

    `targets` are references such as `QuestionnaireResponse/<id>`; `author` and `device` are
    Reference dicts (`staff_reference`, `device_reference`). `reason` is an amendment's reason.
    """
    if not targets:
        raise ValueError("a Provenance needs at least one target")
    stamp = format_timestamp(recorded)
    resource: Json = {
        "resourceType": "Provenance",
        "id": derived_id("Provenance", stamp, *targets),
        "target": [{"reference": target} for target in targets],
        "recorded": stamp,
        "activity": {"coding": [_coding(_DATA_OPERATION, activity.upper(), activity)]},
        "agent": [
            {"type": {"coding": [_coding(_PARTICIPANT_TYPE, "author", "Author")]}, "who": author},
            {"type": {"coding": [_coding(_PARTICIPATION_TYPE, "DEV", "device")]}, "who": device},
        ],
    }
    if reason:
        resource["reason"] = [{"text": reason}]
    return resource


def _coding(system: str, code: str, display: str) -> Json:
    return {"system": system, "code": code, "display": display}
