"""The FHIR R4 record (DESIGN.md §5): every resource it serves validates, notes are found by
their patient, amendments keep every version, photos lead to their clean bytes, and the
CapabilityStatement says exactly what is served."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import Directory, auth
from tests.server.fhir_record import (
    FHIR_JSON,
    Record,
    camera_jpeg,
    file_record,
    ids,
    jpeg_segments,
    upload_photo,
    valid,
)
from tests.server.sync_client import NHS, OTHER_NHS, Sync, amend, amended
from wardlink.core.fhir import AMENDS_EXTENSION, BLOB_SHA256_SYSTEM
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink_server.errors import ApiError
from wardlink_server.fhir import search
from wardlink_server.fhir.interactions import KINDS
from wardlink_server.fhir.paging import PageState, seal, unseal

TYPES = ("Patient", "QuestionnaireResponse", "Questionnaire", "DocumentReference", "Binary",
         "Provenance")  # fmt: skip


@pytest.fixture
def record(client: TestClient, board: Directory) -> Record:
    return file_record(Sync(client, board))


def all_pages(record: Record, who: str, first: dict[str, Any]) -> list[dict[str, Any]]:
    """`first` and every page after it, by following `next` links (each page validated)."""
    pages = [first]
    while True:
        links = {link["relation"]: link["url"] for link in pages[-1]["link"]}
        if "next" not in links:
            return pages
        response = record.client.get(links["next"], headers={**auth(record.sync.token(who)),
                                                             **FHIR_JSON})  # fmt: skip
        assert response.status_code == 200, response.text
        pages.append(valid(response.json()))


# -- CapabilityStatement ----------------------------------------------------------------------


def test_the_capability_statement_is_public_valid_and_lists_what_is_served(
    client: TestClient,
) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = valid(response.json())
    assert statement["fhirVersion"] == "4.0.1"
    [rest] = statement["rest"]
    served = {r["type"]: r for r in rest["resource"]}
    assert sorted(served) == sorted(TYPES)
    for resource in served.values():
        codes = [i["code"] for i in resource["interaction"]]
        assert codes == ["read", "vread", "history-instance", "search-type"]
    params = {t: sorted(p["name"] for p in r.get("searchParam", ())) for t, r in served.items()}
    assert params == {
        "Patient": ["_lastUpdated", "identifier"],
        "QuestionnaireResponse": sorted(
            ["patient", "subject", "questionnaire", "status", "authored", "_lastUpdated"]
        ),
        "Questionnaire": ["_lastUpdated", "status", "url"],
        "DocumentReference": ["_lastUpdated", "patient", "subject"],
        "Binary": ["_lastUpdated"],
        "Provenance": ["_lastUpdated", "patient", "target"],
    }
    assert {k: len(v.params) for k, v in KINDS.items()} == {t: len(params[t]) for t in TYPES}


# -- every resource validates -----------------------------------------------------------------


def test_every_resource_served_validates_in_searches_reads_vreads_and_histories(
    record: Record,
) -> None:
    seen: dict[str, int] = {}
    for resource_type in TYPES:
        first = record.ok("epr", resource_type, _count=1)
        pages = all_pages(record, "epr", first)
        assert len(pages) == first["total"] >= 1
        entries = [e for page in pages for e in page.get("entry", ())]
        assert len(entries) == first["total"]
        seen[resource_type] = len(entries)
        for entry in entries:
            rid = entry["resource"]["id"]
            assert entry["fullUrl"] == f"http://testserver/fhir/{resource_type}/{rid}"
            latest = record.ok("epr", f"{resource_type}/{rid}")
            version = latest["meta"]["versionId"]
            assert record.ok("epr", f"{resource_type}/{rid}/_history/{version}") == latest
            history = record.ok("epr", f"{resource_type}/{rid}/_history")
            assert history["type"] == "history"
            assert history["total"] == len(history["entry"]) >= 1
            assert history["entry"][0]["resource"] == latest
    # 2 patients; 3 notes (one amended); 6 forms; 1 photo; 4 filings
    assert seen == {"Patient": 2, "QuestionnaireResponse": 3, "Questionnaire": 6,
                    "DocumentReference": 1, "Binary": 1, "Provenance": 4}  # fmt: skip


def test_a_bundle_without_matches_is_valid_and_has_no_entries(record: Record) -> None:
    bundle = record.ok("dave", "QuestionnaireResponse")
    assert bundle["total"] == 0 and "entry" not in bundle


# -- finding a patient's notes ----------------------------------------------------------------


def test_a_patients_notes_are_found_by_patient_and_by_subject_identifier(record: Record) -> None:
    expected = sorted([record.sbar["id"], record.wound["id"]])
    pid = record.patient_id(NHS)
    by_identifier = f"{NHS_NUMBER_SYSTEM}|{NHS}"
    searches = [
        record.ok("alice", "QuestionnaireResponse", patient=f"Patient/{pid}"),
        record.ok("alice", "QuestionnaireResponse", patient=pid),
        record.ok("alice", "QuestionnaireResponse", **{"subject:identifier": by_identifier}),
        record.ok("alice", "QuestionnaireResponse", **{"subject:identifier": "943 476 5919"}),
    ]
    for form in ({"subject:identifier": by_identifier}, {"patient": f"Patient/{pid}"}):
        response = record.post_search("alice", "QuestionnaireResponse", form)
        assert response.status_code == 200, response.text
        searches.append(valid(response.json()))
    for bundle in searches:
        assert bundle["total"] == 2 and sorted(ids(bundle)) == expected
        for entry in bundle["entry"]:
            subject = entry["resource"]["subject"]
            assert subject["reference"] == f"Patient/{pid}"
            assert subject["identifier"] == {"system": NHS_NUMBER_SYSTEM, "value": NHS}
    # The Patient itself, and its photos, by the same parameters.
    [patient] = [e["resource"] for e in
                 record.ok("alice", "Patient", identifier=by_identifier)["entry"]]  # fmt: skip
    assert patient["id"] == pid and NHS not in pid
    assert patient["birthDate"] == "1948-03-12"
    docs = record.post_search("alice", "DocumentReference", {"subject:identifier": by_identifier})
    assert ids(valid(docs.json())) == ids(record.ok("alice", "DocumentReference", patient=pid))
    assert record.ok("alice", "QuestionnaireResponse", patient="Patient/unknown")["total"] == 0


def test_no_nhs_number_is_put_back_into_page_links(record: Record) -> None:
    response = record.post_search(
        "alice", "QuestionnaireResponse", {"subject:identifier": NHS, "_count": "1"}
    )
    bundle = valid(response.json())
    relations = {link["relation"] for link in bundle["link"]}
    assert relations == {"self", "next"}
    assert all(NHS not in link["url"] for link in bundle["link"])
    pages = all_pages(record, "alice", bundle)
    assert sorted(i for page in pages for i in ids(page)) == sorted(
        [record.sbar["id"], record.wound["id"]]
    )
    assert {link["relation"] for link in pages[-1]["link"]} == {"self", "previous"}


# -- versions ---------------------------------------------------------------------------------


def test_an_amended_form_keeps_both_versions(record: Record) -> None:
    lineage = record.sbar["id"]
    history = record.ok("alice", f"QuestionnaireResponse/{lineage}/_history")
    assert history["total"] == 2
    newest, oldest = (e["resource"] for e in history["entry"])
    assert (newest["meta"]["versionId"], newest["status"]) == ("2", "amended")
    assert (oldest["meta"]["versionId"], oldest["status"]) == ("1", "completed")
    assert newest["id"] == oldest["id"] == lineage
    answers = {item["linkId"]: item for group in newest["item"] for item in group.get("item", ())}
    assert answers["sbar.background.allergies"]["answer"] == [{"valueString": "None known"}]
    [amends] = [e for e in newest["extension"] if e["url"] == AMENDS_EXTENSION]
    assert amends["valueReference"] == {"reference": f"QuestionnaireResponse/{lineage}/_history/1"}
    requests = [(e["request"]["method"], e["response"]["status"]) for e in history["entry"]]
    assert requests == [("PUT", "200 OK"), ("POST", "201 Created")]
    assert record.ok("alice", f"QuestionnaireResponse/{lineage}") == newest
    assert record.ok("alice", f"QuestionnaireResponse/{lineage}/_history/1") == oldest
    assert record.get("alice", f"QuestionnaireResponse/{lineage}/_history/3").status_code == 404
    # Searches match a note by its latest version.
    assert ids(record.ok("alice", "QuestionnaireResponse", status="amended")) == [lineage]
    assert lineage not in ids(record.ok("alice", "QuestionnaireResponse", status="completed"))


def test_each_filing_has_a_provenance_naming_who_when_and_which_device(record: Record) -> None:
    lineage = record.sbar["id"]
    bundle = record.ok("alice", "Provenance", target=f"QuestionnaireResponse/{lineage}")
    assert bundle["total"] == 2
    amendment, filing = (e["resource"] for e in bundle["entry"])
    assert filing["id"] == lineage and amendment["id"] == record.sbar_v2["id"]
    assert filing["target"] == [{"reference": f"QuestionnaireResponse/{lineage}/_history/1"}]
    author, device = amendment["agent"]
    assert author["who"]["identifier"]["value"] == record.sync.id("bob")
    assert author["who"]["display"] == "Bob"
    assert device["who"]["type"] == "Device"
    assert device["who"]["identifier"]["value"] == record.sync.caller("bob").device_id
    assert amendment["reason"] == [{"text": "Allergy recorded wrongly"}]
    assert amendment["activity"]["coding"][0]["code"] == "UPDATE"
    only_v2 = record.ok("alice", "Provenance", target=f"QuestionnaireResponse/{lineage}/_history/2")
    assert ids(only_v2) == [record.sbar_v2["id"]]
    by_patient = record.ok("alice", "Provenance", patient=record.patient_id(NHS))
    assert by_patient["total"] == 3


def test_a_patients_versions_follow_the_notes_about_them(record: Record) -> None:
    pid = record.patient_id(NHS)
    history = record.ok("alice", f"Patient/{pid}/_history")
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["3", "2", "1"]
    assert record.ok("alice", f"Patient/{pid}")["meta"]["versionId"] == "3"
    assert record.ok("alice", f"Patient/{pid}/_history/1")["identifier"] == [
        {"system": NHS_NUMBER_SYSTEM, "value": NHS}
    ]


# -- photos -----------------------------------------------------------------------------------


def test_a_photos_document_reference_leads_to_its_binary_with_no_metadata(
    record: Record,
) -> None:
    assert 0xE1 in jpeg_segments(camera_jpeg())  # the camera's EXIF, before the photo step
    [entry] = record.ok("alice", "DocumentReference", patient=record.patient_id(NHS))["entry"]
    doc = entry["resource"]
    attachment = doc["content"][0]["attachment"]
    assert attachment["contentType"] == "image/jpeg"
    assert attachment["size"] == len(record.photo)
    assert attachment["title"] == "Left heel, day 3"
    sha1 = hashlib.sha1(record.photo, usedforsecurity=False).digest()
    assert base64.b64decode(attachment["hash"]) == sha1
    assert attachment["url"] == f"Binary/{record.photo_sha}"
    assert doc["identifier"] == [{"system": BLOB_SHA256_SYSTEM, "value": record.photo_sha}]
    assert doc["subject"]["reference"] == f"Patient/{record.patient_id(NHS)}"
    assert doc["context"]["related"] == [
        {"reference": f"QuestionnaireResponse/{record.wound['id']}"}
    ]

    raw = record.client.get(f"/fhir/{attachment['url']}", headers=auth(record.sync.token("alice")))
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "image/jpeg"
    assert raw.content == record.photo
    assert 0xE1 not in jpeg_segments(raw.content)  # no EXIF or XMP
    assert 0xFE not in jpeg_segments(raw.content)  # no comment
    resource = record.ok("alice", attachment["url"])
    assert resource["contentType"] == "image/jpeg"
    assert base64.b64decode(resource["data"]) == record.photo


def test_a_photo_replaced_by_an_amendment_is_superseded_and_its_successor_current(
    record: Record,
) -> None:
    sync, lineage = record.sync, record.wound["id"]
    shot, _ = upload_photo(sync, "alice", camera_jpeg(red=40), "Left heel, day 4")
    wound_v2 = amended(record.wound, {"wound.photos": [shot]}, staff_id=sync.id("alice"),
                       staff_name="Alice", reason="Clearer photo")  # fmt: skip
    assert sync.push_one("alice", amend(record.wound, wound_v2, "Clearer photo"))["status"] == (
        "applied"
    )
    old_id, new_id = f"{lineage}.{record.photo_sha[:27]}", f"{lineage}.{shot.sha256[:27]}"
    found = record.ok("alice", "DocumentReference", patient=record.patient_id(NHS))
    assert sorted(ids(found)) == sorted([old_id, new_id])
    old = record.ok("alice", f"DocumentReference/{old_id}")
    assert (old["meta"]["versionId"], old["status"]) == ("2", "superseded")
    assert record.ok("alice", f"DocumentReference/{old_id}/_history/1")["status"] == "current"
    old_history = record.ok("alice", f"DocumentReference/{old_id}/_history")
    assert [e["request"]["method"] for e in old_history["entry"]] == ["PUT", "POST"]
    new = record.ok("alice", f"DocumentReference/{new_id}")
    assert (new["meta"]["versionId"], new["status"]) == ("2", "current")
    assert new["content"][0]["attachment"]["title"] == "Left heel, day 4"
    new_history = record.ok("alice", f"DocumentReference/{new_id}/_history")
    assert [e["request"]["method"] for e in new_history["entry"]] == ["POST"]
    assert record.get("alice", f"DocumentReference/{new_id}/_history/1").status_code == 404
    # The old photo stays readable: the record keeps what was filed.
    assert (
        record.client.get(
            f"/fhir/Binary/{record.photo_sha}", headers=auth(sync.token("bob"))
        ).content
        == record.photo
    )
    [filing] = ids(record.ok("alice", "Provenance", target=f"DocumentReference/{new_id}"))
    assert filing == wound_v2["id"]
    assert len(ids(record.ok("alice", "Provenance", target=f"DocumentReference/{old_id}"))) == 1


def test_binary_searches_list_summaries_without_the_bytes(record: Record) -> None:
    [entry] = record.ok("alice", "Binary")["entry"]
    assert entry["resource"]["id"] == record.photo_sha
    assert "data" not in entry["resource"]
    assert entry["resource"]["meta"]["tag"][0]["code"] == "SUBSETTED"


# -- other search parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"authored": "2026-11-28"}, 2),
        ({"authored": "eq2026-11"}, 2),
        ({"authored": "lt2026-11-28"}, 0),
        ({"authored": "le2026-11-28T09:00:00.000Z"}, 2),
        ({"authored": "gt2026-11-28T09:00Z"}, 0),
        ({"authored": "ge2026-11-28T10:00+01:00"}, 2),
        ({"_lastUpdated": "ge2026-11-28"}, 2),
        ({"_lastUpdated": "lt2026"}, 0),
        ({"questionnaire": "https://wardlink.example.nhs.uk/fhir/Questionnaire/sbar-handover"}, 1),
        (
            {"questionnaire": "https://wardlink.example.nhs.uk/fhir/Questionnaire/sbar-handover|9"},
            0,
        ),
        ({"questionnaire": "Questionnaire/wound-assessment"}, 1),
        ({"status": "completed,amended"}, 2),
    ],
)
def test_questionnaire_responses_by_form_status_and_dates(
    record: Record, params: dict[str, str], found: int
) -> None:
    assert record.ok("alice", "QuestionnaireResponse", **params)["total"] == found


def test_questionnaires_by_url_and_status(record: Record) -> None:
    url = "https://wardlink.example.nhs.uk/fhir/Questionnaire/news2-observations"
    assert ids(record.ok("dave", "Questionnaire", url=url)) == ["news2-observations"]
    assert record.ok("dave", "Questionnaire", status="active")["total"] == 6
    assert record.ok("dave", "Questionnaire", status="retired")["total"] == 0
    assert record.ok("dave", "Questionnaire/sbar-handover")["url"].endswith("sbar-handover")


def test_a_patient_by_identifier_is_found_only_with_its_number(record: Record) -> None:
    assert record.ok("carol", "Patient", identifier=f"{NHS_NUMBER_SYSTEM}|{OTHER_NHS}")[
        "total"
    ] == 1  # fmt: skip
    assert record.ok("carol", "Patient", identifier=f"{NHS_NUMBER_SYSTEM}|{NHS}")["total"] == 0
    assert record.ok("carol", "Patient", identifier=f"|{OTHER_NHS}")["total"] == 0
    assert record.ok("carol", "Patient", identifier=f"{NHS_NUMBER_SYSTEM}|")["total"] == 1


# -- search values and page tokens, without a server ------------------------------------------


@pytest.mark.parametrize(
    ("text", "prefix", "low", "high"),
    [
        ("2026", "eq", "2026-01-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"),
        ("lt2026-02", "lt", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"),
        ("ge2026-12", "ge", "2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"),
        ("le2024-02-29", "le", "2024-02-29T00:00:00.000Z", "2024-03-01T00:00:00.000Z"),
        ("gt2026-11-28T09:15Z", "gt", "2026-11-28T09:15:00.000Z", "2026-11-28T09:16:00.000Z"),
        ("2026-11-28T10:15:02+01:00", "eq", "2026-11-28T09:15:02.000Z",
         "2026-11-28T09:15:03.000Z"),
        ("2026-11-28T09:15:02.123Z", "eq", "2026-11-28T09:15:02.123Z",
         "2026-11-28T09:15:02.124Z"),
    ],
)  # fmt: skip
def test_date_values_cover_their_precision(text: str, prefix: str, low: str, high: str) -> None:
    assert search.parse_date(text) == search.DateRange(prefix, low, high)


@pytest.mark.parametrize("text", ["2026-02-30", "ne2026", "26-11-28", "2026-11-28T25:00Z", ""])
def test_what_is_not_a_date_value_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"date|range|hour"):
        search.parse_date(text)


def test_tokens_and_references_parse_as_fhir_writes_them() -> None:
    assert search.parse_token("sys|123") == search.Token("sys", "123")
    assert search.parse_token("|123") == search.Token("", "123")
    assert search.parse_token("sys|") == search.Token("sys", None)
    assert search.parse_token("123") == search.Token(None, "123")
    assert search.parse_reference("Patient/abc") == search.Reference("Patient", "abc", None)
    assert search.parse_reference("http://h/fhir/QuestionnaireResponse/a/_history/2") == (
        search.Reference("QuestionnaireResponse", "a", "2")
    )
    assert search.parse_reference("abc") == search.Reference(None, "abc", None)
    assert search.parse_reference("not a reference") is None


def test_a_page_token_is_sealed_to_its_caller() -> None:
    key = b"k" * 32
    state = PageState("Patient", None, (("identifier", NHS),), 50, 50, 7)
    token = seal(key, "alice", state)
    assert NHS not in token
    assert unseal(key, "alice", token) == state
    for who, text in (("bob", token), ("alice", token[:-2]), ("alice", "%%%")):
        with pytest.raises(ApiError):
            unseal(key, who, text)
