"""A small record filed through the real push path, and helpers to read it over `/fhir`.

alice (Ward 7) files an SBAR for the NHS patient, which bob amends, and a wound assessment with
a photo (taken with camera metadata, cleaned by the core's photo step as the client does, then
uploaded); carol (Community Nursing North) files an SBAR for another NHS patient.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from PIL import Image

from tests.server.conftest import auth
from tests.server.sync_client import (
    OTHER_NHS,
    PATIENT,
    SBAR,
    WOUND,
    Sync,
    amend,
    amended,
    note,
    submit,
)
from wardlink.core import forms
from wardlink.core.fhir import PatientIdentifier, patient_id
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink.core.photos import process_photo
from wardlink_server.fhir.state import state_of
from wardlink_server.services import Services

FHIR_JSON = {"Accept": "application/fhir+json"}
OTHER_PATIENT: dict[str, object] = {**PATIENT, "patient.identifier": OTHER_NHS}


def camera_jpeg(red: int = 180) -> bytes:
    """A JPEG as a phone camera makes it: with an EXIF segment (make, model, a GPS block)."""
    image = Image.new("RGB", (48, 32), (red, 90, 70))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def jpeg_segments(data: bytes) -> list[int]:
    """The JPEG's marker segments before the image data (0xE1 is APP1: EXIF or XMP)."""
    assert data[:2] == b"\xff\xd8"
    markers, i = [], 2
    while i < len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the image data follows
            break
        markers.append(marker)
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return markers


@dataclass
class Record:
    sync: Sync
    sbar: dict[str, Any]  # alice's SBAR, version 1
    sbar_v2: dict[str, Any]  # bob's amendment
    wound: dict[str, Any]
    community: dict[str, Any]  # carol's SBAR, another patient
    photo: bytes  # the uploaded (cleaned) photo
    photo_sha: str

    @property
    def client(self) -> TestClient:
        return self.sync.client

    @property
    def services(self) -> Services:
        return self.sync.board.services

    def patient_id(self, value: str) -> str:
        key = state_of(self.services).patient_key
        return patient_id(PatientIdentifier(NHS_NUMBER_SYSTEM, value), key=key)

    def get(self, who: str, path: str, **params: Any) -> Any:
        headers = {**auth(self.sync.token(who)), **FHIR_JSON}
        return self.client.get(f"/fhir/{path}", params=params, headers=headers)

    def post_search(self, who: str, resource_type: str, form: dict[str, str]) -> Any:
        headers = {**auth(self.sync.token(who)), **FHIR_JSON}
        return self.client.post(f"/fhir/{resource_type}/_search", data=form, headers=headers)

    def ok(self, who: str, path: str, **params: Any) -> dict[str, Any]:
        response = self.get(who, path, **params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/fhir+json")
        body: dict[str, Any] = response.json()
        return valid(body)


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """`resource`, once it validates as FHIR (R4B models), and so does each Bundle entry."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", ()):
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return resource


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", ())]


def file_record(sync: Sync) -> Record:
    ward, community = sync.team("ward"), sync.team("community")
    alice, bob, carol = sync.id("alice"), sync.id("bob"), sync.id("carol")
    sbar = note(staff_id=alice, staff_name="Alice")
    assert sync.push_one("alice", submit(ward, sbar))["status"] == "applied"
    sbar_v2 = amended(
        sbar, {"sbar.background.allergies": "None known"}, staff_id=bob, staff_name="Bob"
    )
    result = sync.push_one("bob", amend(sbar, sbar_v2, "Allergy recorded wrongly"))
    assert result["status"] == "applied", result

    shot, data = upload_photo(sync, "alice", camera_jpeg(), "Left heel, day 3")
    wound = note(
        "wound-assessment",
        staff_id=alice,
        staff_name="Alice",
        answers={**PATIENT, **WOUND, "wound.photos": [shot]},
    )
    assert sync.push_one("alice", submit(ward, wound))["status"] == "applied"

    other = note(staff_id=carol, staff_name="Carol", answers={**OTHER_PATIENT, **SBAR})
    assert sync.push_one("carol", submit(community, other))["status"] == "applied"
    return Record(sync, sbar, sbar_v2, wound, other, data, shot.sha256)


def upload_photo(sync: Sync, who: str, taken: bytes, title: str) -> tuple[forms.PhotoAnswer, bytes]:
    """A photo as the client files it: cleaned by the core's photo step, then uploaded."""
    cleaned = process_photo(taken, max_bytes=10 * 2**20)
    upload = sync.client.put(
        f"/api/v1/blobs/{cleaned.sha256}",
        content=cleaned.data,
        headers={**auth(sync.token(who)), "Content-Type": cleaned.content_type},
    )
    assert upload.status_code == 201, upload.text
    answer = forms.PhotoAnswer(
        sha256=cleaned.sha256,
        content_type=cleaned.content_type,
        size=cleaned.size,
        title=title,
        sha1=cleaned.sha1_base64,
    )
    return answer, cleaned.data
