"""Who reads what through `/fhir`, and the audit of it: staff read their current teams' records
only, `dave` none, an integration account all, and every read of patient data is audited with
its patient, so that one patient's trail can be read back (command line and admin API)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.server.conftest import Directory, auth
from tests.server.fhir_record import FHIR_JSON, Record, file_record, ids, valid
from tests.server.sync_client import NHS, OTHER_NHS, Sync, note, submit
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink_server import audit, cli, directory, schema
from wardlink_server.audit import CLI
from wardlink_server.services import Services

NHS_PATIENT = (NHS_NUMBER_SYSTEM, NHS)
OTHER_PATIENT = (NHS_NUMBER_SYSTEM, OTHER_NHS)
PATIENT_DATA = ("Patient", "QuestionnaireResponse", "DocumentReference", "Binary", "Provenance")


@pytest.fixture
def record(client: TestClient, board: Directory, services: Services) -> Record:
    sync = Sync(client, board)
    with services.writer.begin() as conn:  # the EPR's token, as `admin issue-token` makes it
        sync.tokens["epr"], _ = directory.issue_token(conn, services, CLI, "epr", "epr-feed")
    return file_record(sync)


def entries_of(services: Services, *actions: str) -> list[dict[str, Any]]:
    a = schema.audit
    with services.engine.connect() as conn:
        rows = conn.execute(select(a).where(a.c.action.in_(actions)).order_by(a.c.seq))
        return [{**r, "detail": json.loads(r["detail"])} for r in rows.mappings()]


def everything(record: Record, who: str) -> dict[str, list[str]]:
    """The ids of every resource of each type that `who` finds by searching."""
    return {t: ids(record.ok(who, t, _count=500)) for t in PATIENT_DATA}


# -- who sees what ----------------------------------------------------------------------------


def test_staff_read_only_their_teams_records(record: Record) -> None:
    alice, carol = everything(record, "alice"), everything(record, "carol")
    assert sorted(alice["QuestionnaireResponse"]) == sorted([record.sbar["id"], record.wound["id"]])
    assert carol["QuestionnaireResponse"] == [record.community["id"]]
    assert alice["Patient"] == [record.patient_id(NHS)]
    assert carol["Patient"] == [record.patient_id(OTHER_NHS)]
    assert carol["DocumentReference"] == carol["Binary"] == []
    assert len(alice["Provenance"]) == 3 and len(carol["Provenance"]) == 1
    # What carol may not see answers exactly as what does not exist.
    nowhere = record.get("carol", "QuestionnaireResponse/00000000-0000-4000-8000-000000000000")
    assert nowhere.status_code == 404
    for path in [f"{t}/{i}" for t, found in alice.items() for i in found]:
        response = record.get("carol", path)
        assert (response.status_code, response.json()) == (404, nowhere.json()), path
        assert record.get("carol", f"{path}/_history").status_code == 404
        assert record.get("carol", f"{path}/_history/1").status_code == 404
    raw = record.client.get(
        f"/fhir/Binary/{record.photo_sha}", headers=auth(record.sync.token("carol"))
    )
    assert raw.status_code == 404


def test_dave_in_no_team_reads_nothing(record: Record) -> None:
    assert everything(record, "dave") == {t: [] for t in PATIENT_DATA}
    for path in ("QuestionnaireResponse/" + record.sbar["id"], f"Patient/{record.patient_id(NHS)}",
                 f"Binary/{record.photo_sha}", "Provenance/" + record.community["id"]):  # fmt: skip
        assert record.get("dave", path).status_code == 404
    assert record.ok("dave", "Questionnaire")["total"] == 6  # form definitions hold no patient
    assert entries_of(record.services, "fhir.read", "fhir.search") == []  # read nothing of any


def test_a_removed_member_no_longer_reads_the_teams_records(record: Record) -> None:
    services = record.services
    with services.writer.begin() as conn:
        directory.remove_member(conn, services, CLI, "Ward 7 (Surgical)", "alice")
    assert everything(record, "alice") == {t: [] for t in PATIENT_DATA}
    assert record.get("alice", "QuestionnaireResponse/" + record.sbar["id"]).status_code == 404
    assert (
        ids(record.ok("bob", "QuestionnaireResponse/" + record.sbar["id"] + "/_history"))
        == [record.sbar["id"]] * 2
    )


def test_an_integration_account_reads_every_team_and_each_read_is_audited(
    record: Record,
) -> None:
    services = record.services
    found = everything(record, "epr")
    assert len(found["QuestionnaireResponse"]) == 3 and len(found["Patient"]) == 2
    searches = entries_of(services, "fhir.search")
    assert {e["actor_id"] for e in searches} == {record.sync.id("epr")}
    # One entry per search and patient, naming that patient's resources.
    qr = [e for e in searches if e["subject"] == "QuestionnaireResponse"]
    assert {(e["patient_system"], e["patient_value"]) for e in qr} == {NHS_PATIENT, OTHER_PATIENT}
    [other] = [e for e in qr if e["patient_value"] == OTHER_NHS]
    assert other["detail"]["resources"] == [f"QuestionnaireResponse/{record.community['id']}"]
    assert all(e["device_id"] for e in searches)
    # Each read, vread and history too; a form definition's read with no patient.
    before = len(entries_of(services, "fhir.read"))
    record.ok("epr", "QuestionnaireResponse/" + record.community["id"])
    record.ok("epr", "QuestionnaireResponse/" + record.sbar["id"] + "/_history/1")
    record.ok("epr", f"Patient/{record.patient_id(NHS)}/_history")
    record.ok("epr", "Questionnaire/sbar-handover")
    reads = entries_of(services, "fhir.read")[before:]
    assert [(e["subject"], e["patient_value"], e["detail"]["interaction"]) for e in reads] == [
        ("QuestionnaireResponse/" + record.community["id"], OTHER_NHS, "read"),
        ("QuestionnaireResponse/" + record.sbar["id"] + "/_history/1", NHS, "vread"),
        (f"Patient/{record.patient_id(NHS)}/_history", NHS, "history-instance"),
        ("Questionnaire/sbar-handover", None, "read"),
    ]
    with services.engine.connect() as conn:
        assert audit.verify(conn) == []


def test_staff_reads_of_patient_data_are_audited_with_the_patient(record: Record) -> None:
    services = record.services
    record.ok("alice", "Questionnaire/sbar-handover")
    assert entries_of(services, "fhir.read") == []  # no patient data: nothing to audit
    response = record.post_search("alice", "QuestionnaireResponse", {"subject:identifier": NHS})
    assert response.status_code == 200
    [entry] = entries_of(services, "fhir.search")
    assert (entry["actor_id"], entry["patient_value"]) == (record.sync.id("alice"), NHS)
    assert entry["detail"]["total"] == 2
    # A search that names a patient is audited even when it finds nothing of theirs.
    record.post_search("carol", "QuestionnaireResponse", {"subject:identifier": NHS})
    named = entries_of(services, "fhir.search")[-1]
    assert (named["actor_id"], named["patient_value"]) == (record.sync.id("carol"), NHS)
    assert named["detail"]["resources"] == []
    raw = record.client.get(
        f"/fhir/Binary/{record.photo_sha}", headers=auth(record.sync.token("bob"))
    )
    assert raw.status_code == 200
    [photo] = [e for e in entries_of(services, "fhir.read") if e["subject"].startswith("Binary/")]
    assert (photo["actor_id"], photo["patient_value"]) == (record.sync.id("bob"), NHS)


# -- errors -----------------------------------------------------------------------------------


def test_errors_are_operation_outcomes_for_fhir_clients_and_the_one_shape_for_others(
    record: Record,
) -> None:
    token = record.sync.token("alice")
    plain = record.client.get("/fhir/QuestionnaireResponse", params={"nhs": NHS},
                              headers=auth(token))  # fmt: skip
    assert plain.status_code == 400
    assert plain.json()["error"]["code"] == "invalid"
    assert NHS not in plain.text and "nhs" not in plain.text
    fhir = record.get("alice", "QuestionnaireResponse", nhs=NHS)
    assert fhir.status_code == 400
    outcome = valid(fhir.json())
    assert outcome["resourceType"] == "OperationOutcome"
    [issue] = outcome["issue"]
    assert issue["code"] == "invalid"
    assert issue["details"]["coding"][0]["code"] == "invalid"
    unauthenticated = record.client.get("/fhir/Patient", headers=FHIR_JSON)
    assert unauthenticated.status_code == 401
    assert valid(unauthenticated.json())["issue"][0]["code"] == "login"
    assert record.client.get("/fhir/Patient").json()["error"]["code"] == "unauthenticated"
    assert valid(record.get("alice", "Observation").json())["issue"][0]["code"] == "not-found"


@pytest.mark.parametrize(
    "params",
    [
        {"patient:missing": "x"},
        {"subject": "Patient/x"},
        {"authored": "yesterday"},
        {"authored": "sa2026-11-28"},
        {"authored": "2026-13-01"},
        {"_count": "501"},
        {"_count": "-1"},
        {"status": ""},
        {"_sort": "authored"},
        {"patient": "not a reference"},
    ],
)
def test_a_search_it_does_not_serve_is_refused(record: Record, params: dict[str, str]) -> None:
    response = record.get("alice", "QuestionnaireResponse", **params)
    assert response.status_code == 400, response.text
    assert valid(response.json())["resourceType"] == "OperationOutcome"


def test_a_page_link_works_only_for_who_searched(record: Record) -> None:
    first = record.ok("alice", "QuestionnaireResponse", _count=1)
    [next_url] = [link["url"] for link in first["link"] if link["relation"] == "next"]
    for who, status in (("alice", 200), ("bob", 400)):
        response = record.client.get(
            next_url, headers={**auth(record.sync.token(who)), **FHIR_JSON}
        )
        assert response.status_code == status
    tampered = next_url[:-4] + ("AAAA" if not next_url.endswith("AAAA") else "BBBB")
    assert record.client.get(tampered, headers=auth(record.sync.token("alice"))).status_code == 400
    assert record.get("alice", "Patient", _page="x", _count="1").status_code == 400


def test_later_pages_read_the_record_as_the_first_page_found_it(record: Record) -> None:
    first = record.ok("alice", "QuestionnaireResponse", _count=1)
    assert first["total"] == 2
    sync = record.sync
    late = note(staff_id=sync.id("alice"), staff_name="Alice")
    assert sync.push_one("alice", submit(sync.team("ward"), late))["status"] == "applied"
    [next_url] = [link["url"] for link in first["link"] if link["relation"] == "next"]
    second = record.client.get(next_url, headers={**auth(sync.token("alice")), **FHIR_JSON}).json()
    assert second["total"] == 2 and late["id"] not in ids(second)
    assert record.ok("alice", "QuestionnaireResponse")["total"] == 3


def test_a_search_form_must_be_a_form(record: Record) -> None:
    response = record.client.post(
        "/fhir/QuestionnaireResponse/_search",
        json={"subject:identifier": NHS},
        headers={**auth(record.sync.token("alice")), **FHIR_JSON},
    )
    assert response.status_code == 415
    assert valid(response.json())["resourceType"] == "OperationOutcome"


# -- the audit trail of one patient -----------------------------------------------------------


def test_the_pull_audit_names_each_patient_of_a_page(record: Record) -> None:
    services = record.services
    sync = record.sync
    with services.writer.begin() as conn:
        directory.add_member(conn, services, CLI, "Community Nursing North", "bob")
    sync.pull("bob", 0)
    reads = [e for e in entries_of(services, "note.read") if e["actor_id"] == sync.id("bob")]
    assert {(e["patient_system"], e["patient_value"]) for e in reads} == {
        NHS_PATIENT, OTHER_PATIENT,
    }  # fmt: skip
    [other] = [e for e in reads if e["patient_value"] == OTHER_NHS]
    assert other["detail"]["notes"] == [record.community["id"]]


def test_a_patients_audit_trail_from_the_command_line(record: Record) -> None:
    record.ok("epr", "QuestionnaireResponse", patient=record.patient_id(NHS))
    out = io.StringIO()
    url = record.services.config.database_url
    assert cli.main(["admin", "audit", "--database", url, "--patient", "943 476 5919"], out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["WHEN", "WHO", "ACTION", "SUBJECT", "DEVICE"]
    actions = [line.split()[1:3] for line in lines[1:]]
    assert ["epr", "fhir.search"] in actions
    assert ["bob", "note.amend"] in actions and ["alice", "note.file"] in actions
    assert all(OTHER_NHS not in line for line in lines)
    assert f"issued token ({record.sync.caller('epr').device_id})" in out.getvalue()
    assert cli.main(["admin", "audit", "--database", url, "--patient", "123"], io.StringIO()) == 1
    # Reading the trail is itself in the trail.
    again = io.StringIO()
    assert cli.main(["admin", "audit", "--database", url, "--patient", NHS], again) == 0
    assert "admin.audit.read" in again.getvalue()


def test_a_patients_audit_trail_over_http_for_admins_only(record: Record, board: Directory) -> None:
    # A refused read shows no data, and leaves no entry.
    assert record.get("alice", f"Patient/{record.patient_id(OTHER_NHS)}").status_code == 404
    client = record.client
    admin = board.sign_in(client, "admin")
    response = client.post(
        "/api/v1/admin/audit/_search", json={"patient": f"{NHS_NUMBER_SYSTEM}|{OTHER_NHS}"},
        headers=auth(admin),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    entries = response.json()["entries"]
    assert [(e["actor"]["username"], e["action"]) for e in entries] == [("carol", "note.file")]
    [entry] = entries
    assert entry["device"]["id"] == record.sync.caller("carol").device_id
    assert entry["patient"] == {"system": NHS_NUMBER_SYSTEM, "value": OTHER_NHS}
    assert response.json()["next_before"] is None
    refused = client.post("/api/v1/admin/audit/_search", json={"patient": NHS},
                          headers=auth(record.sync.token("alice")))  # fmt: skip
    assert refused.status_code == 403
    bad = client.post("/api/v1/admin/audit/_search", json={"patient": "123 456 7890"},
                      headers=auth(admin))  # fmt: skip
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "patient"
    assert "123" not in bad.text
