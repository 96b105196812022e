"""The FHIR R4 resources the record is made of: each one validates, ids are deterministic, and no
id carries a patient's number."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from fhir.resources.R4B.binary import Binary
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.provenance import Provenance

from wardlink.core import fhir
from wardlink.core.fhir import PatientIdentifier
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM, NHS_NUMBER_SYSTEM, mod11_check_digit

KEY = b"k" * 32
NHS = PatientIdentifier(NHS_NUMBER_SYSTEM, "9434765919")
WHEN = dt.datetime(2026, 11, 28, 9, 15, 2, 123999, tzinfo=dt.UTC)
PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes are bytes"
SHA256 = hashlib.sha256(PHOTO).hexdigest()
SHA1 = hashlib.sha1(PHOTO).digest()


def chi_number() -> str:
    first_nine = "120345678"
    return first_nine + str(mod11_check_digit(first_nine))


def test_patient_from_an_nhs_number() -> None:
    patient = fhir.patient_from_identifiers(NHS, key=KEY, birth_date=dt.date(1948, 3, 12))
    Patient.model_validate(patient)
    assert patient["identifier"] == [{"system": NHS_NUMBER_SYSTEM, "value": "9434765919"}]
    assert patient["birthDate"] == "1948-03-12"
    assert patient["id"] == fhir.patient_id(NHS, key=KEY)
    assert "9434765919" not in patient["id"]
    assert len(patient["id"]) == 64


def test_patient_ids_are_keyed_and_deterministic() -> None:
    same = fhir.patient_from_identifiers(NHS, key=KEY)
    assert same["id"] == fhir.patient_from_identifiers(NHS, key=KEY)["id"]
    assert "birthDate" not in same
    assert same["id"] != fhir.patient_id(NHS, key=b"x" * 32)
    other = PatientIdentifier(NHS_NUMBER_SYSTEM, "9434765870")
    assert same["id"] != fhir.patient_id(other, key=KEY)
    # A plain hash of the number would be reversible by trying every number: it is not one.
    assert same["id"] != hashlib.sha256(f"{NHS_NUMBER_SYSTEM}|9434765919".encode()).hexdigest()
    with pytest.raises(ValueError, match="at least 16 bytes"):
        fhir.patient_id(NHS, key=b"short")


def test_patient_from_a_chi_number_and_a_configured_system() -> None:
    chi = chi_number()
    default = fhir.patient_from_identifiers(PatientIdentifier(DEFAULT_CHI_SYSTEM, chi), key=KEY)
    Patient.model_validate(default)
    custom_system = "urn:oid:1.2.3.4"
    custom = fhir.patient_from_identifiers(
        PatientIdentifier(custom_system, chi), key=KEY, chi_system=custom_system
    )
    assert custom["identifier"] == [{"system": custom_system, "value": chi}]
    assert custom["id"] != default["id"]


@pytest.mark.parametrize(
    "identifier",
    [
        PatientIdentifier(NHS_NUMBER_SYSTEM, "9434765918"),
        PatientIdentifier(NHS_NUMBER_SYSTEM, "943 476 5919"),  # store the ten digits only
        PatientIdentifier(DEFAULT_CHI_SYSTEM, "3201801234"),
        PatientIdentifier("urn:example:mrn", "9434765919"),
    ],
)
def test_invalid_patient_identifiers_are_refused_without_the_number(
    identifier: PatientIdentifier,
) -> None:
    with pytest.raises(ValueError, match="patient identifier") as info:
        fhir.patient_from_identifiers(identifier, key=KEY)
    assert identifier.value not in str(info.value)
    assert "943" not in str(info.value)


def test_patient_identifier_keeps_the_number_out_of_its_repr() -> None:
    assert "9434765919" not in repr(NHS)


def test_binary_is_named_by_its_sha256() -> None:
    resource = fhir.binary(PHOTO, "image/jpeg")
    Binary.model_validate(resource)
    assert resource["id"] == SHA256
    assert base64.b64decode(str(resource["data"])) == PHOTO
    assert resource["contentType"] == "image/jpeg"


def document(**changes: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "sha256": SHA256,
        "sha1": SHA1,
        "content_type": "image/jpeg",
        "size": len(PHOTO),
        "title": "Left heel",
        "subject": fhir.patient_reference(NHS, key=KEY),
        "response_id": "0b7c8a52-3f7e-4e0f-9f57-7d2d1f6b5a10",
        "created": WHEN,
        "author": fhir.staff_reference("staff-7", "Sam Okafor"),
    }
    arguments.update(changes)
    return fhir.document_reference(**arguments)  # type: ignore[arg-type]


def test_document_reference_for_a_photo() -> None:
    resource = document()
    DocumentReference.model_validate(resource)
    assert resource["status"] == "current"
    attachment = resource["content"][0]["attachment"]  # type: ignore[index]
    assert attachment["hash"] == base64.b64encode(SHA1).decode()
    assert attachment["url"] == f"Binary/{SHA256}"
    assert attachment["size"] == len(PHOTO)
    assert attachment["contentType"] == "image/jpeg"
    assert attachment["creation"] == "2026-11-28T09:15:02.123Z"
    assert resource["identifier"] == [{"system": "urn:wardlink:blob-sha256", "value": SHA256}]
    assert resource["context"] == {
        "related": [{"reference": "QuestionnaireResponse/0b7c8a52-3f7e-4e0f-9f57-7d2d1f6b5a10"}]
    }
    subject = resource["subject"]
    assert subject["reference"] == f"Patient/{fhir.patient_id(NHS, key=KEY)}"  # type: ignore[index]
    assert "9434765919" not in subject["reference"]  # type: ignore[index]
    assert resource["author"] == [fhir.staff_reference("staff-7", "Sam Okafor")]


def test_document_reference_ids_are_deterministic_per_note_and_photo() -> None:
    assert document()["id"] == document()["id"]
    assert document()["id"] != document(response_id="another-note")["id"]
    # However the SHA-1 is spelled, the same base64 hash comes out.
    for spelling in (SHA1.hex(), SHA1.hex().upper(), base64.b64encode(SHA1).decode()):
        assert document(sha1=spelling) == document()
    without_author = document(author=None)
    DocumentReference.model_validate(without_author)
    assert "author" not in without_author


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"sha256": "not-a-digest"}, "sha256"),
        ({"sha256": SHA256.upper()}, "sha256"),
        ({"sha1": b"short"}, "SHA-1"),
        ({"response_id": "has spaces"}, "FHIR id"),
    ],
)
def test_document_reference_refuses_bad_input(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        document(**changes)


def test_provenance_names_who_when_and_which_device() -> None:
    author = fhir.staff_reference("staff-7", "Sam Okafor")
    device = fhir.device_reference("device-3", "Ward 7 PC 3")
    targets = ["QuestionnaireResponse/n1", f"DocumentReference/{document()['id']}"]
    resource = fhir.provenance(targets=targets, recorded=WHEN, author=author, device=device)
    Provenance.model_validate(resource)
    assert resource["target"] == [{"reference": target} for target in targets]
    assert resource["recorded"] == "2026-11-28T09:15:02.123Z"
    whos = [agent["who"] for agent in resource["agent"]]  # type: ignore[attr-defined]
    assert whos == [author, device]
    assert resource["activity"]["coding"][0]["code"] == "CREATE"  # type: ignore[index]
    again = fhir.provenance(targets=targets, recorded=WHEN, author=author, device=device)
    assert again["id"] == resource["id"]
    amended = fhir.provenance(
        targets=targets[:1], recorded=WHEN, author=author, device=device, activity="update",
        reason="Pulse mistyped",
    )  # fmt: skip
    Provenance.model_validate(amended)
    assert amended["activity"]["coding"][0]["code"] == "UPDATE"  # type: ignore[index]
    assert amended["reason"] == [{"text": "Pulse mistyped"}]
    assert amended["id"] != resource["id"]
    with pytest.raises(ValueError, match="target"):
        fhir.provenance(targets=[], recorded=WHEN, author=author, device=device)


def test_derived_ids_are_valid_fhir_ids() -> None:
    for parts in (("a",), ("QuestionnaireResponse", "x", "y")):
        assert fhir.is_fhir_id(fhir.derived_id(*parts))
    assert not fhir.is_fhir_id("x" * 65)
    assert not fhir.is_fhir_id("")
    assert not fhir.is_fhir_id(None)
