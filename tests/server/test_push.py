"""Push: every op type applied, answered `duplicate` when sent again, and rejected when it must
be, with nothing of a rejected op stored; exactly one effect under concurrent duplicates."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.server.conftest import Directory, auth
from tests.server.sync_client import (
    NHS,
    OTHER_NHS,
    PATIENT,
    SBAR,
    WOUND,
    Sync,
    ack,
    amend,
    amended,
    new_id,
    note,
    photo,
    post,
    receipt,
    retract,
    submit,
)
from wardlink.core.protocol import (
    MAX_PUSH_BYTES,
    MAX_PUSH_OPS,
    MessageData,
    NoteData,
    PushRequest,
)
from wardlink_server import audit, schema
from wardlink_server.push import apply_push
from wardlink_server.services import Services


@pytest.fixture
def sync(client: TestClient, board: Directory) -> Sync:
    return Sync(client, board)


def count(services: Services, table: Any, *where: Any) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def event_rows(services: Services, event_type: str) -> list[dict[str, Any]]:
    e = schema.events
    with services.engine.connect() as conn:
        rows = conn.execute(select(e).where(e.c.type == event_type).order_by(e.c.seq)).mappings()
        return [{**row, "data": json.loads(row["data"])} for row in rows]


def audit_rows(services: Services, action: str) -> list[dict[str, Any]]:
    a = schema.audit
    with services.engine.connect() as conn:
        rows = conn.execute(select(a).where(a.c.action == action).order_by(a.c.seq)).mappings()
        return [{**row, "detail": json.loads(row["detail"])} for row in rows]


def ward_note(sync: Sync, who: str = "alice", **kwargs: Any) -> dict[str, Any]:
    return note(staff_id=sync.id(who), staff_name=who.title(), **kwargs)


# -- message.post ---------------------------------------------------------------------------


def test_a_posted_message_is_stored_with_its_event(sync: Sync, services: Services) -> None:
    op = post(sync.team("ward"), "Bay 3 obs done, all stable", priority="urgent")
    result = sync.push_one("alice", op)
    assert result["status"] == "applied" and "error" not in result
    [event] = event_rows(services, "message")
    assert event["seq"] == result["seq"]
    assert event["team_id"] == sync.team("ward")
    data = MessageData.from_json(event["data"])
    assert (data.id, data.op_id, data.author_id, data.author_name) == (
        op["message_id"],
        op["op_id"],
        sync.id("alice"),
        "Alice",
    )
    assert (data.body, data.priority, data.client_ts) == (op["body"], "urgent", op["client_ts"])
    assert data.server_ts == services.now() and data.note_ref is None
    assert count(services, schema.messages, schema.messages.c.seq == result["seq"]) == 1


def test_the_same_op_twice_answers_duplicate_with_its_seq(sync: Sync, services: Services) -> None:
    op = post(sync.team("ward"))
    first = sync.push_one("alice", op)
    again = sync.push("alice", op, op | {"op_id": new_id(), "message_id": new_id()})
    assert again[0] == {"op_id": op["op_id"], "status": "duplicate", "seq": first["seq"]}
    assert again[1]["status"] == "applied"
    assert count(services, schema.messages) == 2
    assert len(event_rows(services, "message")) == 2


def test_a_post_to_another_team_is_forbidden(sync: Sync, services: Services) -> None:
    for who in ("alice", "dave", "epr"):
        result = sync.push_one(who, post(sync.team("community")))
        assert result["status"] == "rejected"
        assert result["error"]["code"] == "forbidden"
    assert count(services, schema.messages) == 0
    assert count(services, schema.ops) == 0


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("Can someone check NHS 943 476 5919 in bay 2", "nhs_number"),
        ("Daughter asks for a call back on 07700 900123", "phone"),
        ("Mrs Patel in bed 4 is asking for you", "name"),
    ],
)
def test_a_message_with_patient_identifiers_is_rejected_and_never_stored(
    sync: Sync, services: Services, body: str, kind: str
) -> None:
    op = post(sync.team("ward"), body)
    response = sync.push_raw("alice", [op])
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] == "rejected" and "seq" not in result
    error = result["error"]
    assert error["code"] == "patient_identifiers"
    assert [f["kind"] for f in error["findings"]] == [kind]
    [finding] = error["findings"]
    assert 0 <= finding["start"] < finding["end"] <= len(body)
    assert "patient note" in error["message"]
    # The text found is named by kind only: neither it nor the body is sent back.
    assert body[finding["start"] : finding["end"]] not in response.text
    assert count(services, schema.messages) == 0
    assert count(services, schema.ops) == 0
    assert event_rows(services, "message") == []
    assert [e for e in sync.pull_all("bob") if e["type"] == "message"] == []
    with services.engine.connect() as conn:
        stored = conn.execute(select(schema.events.c.data)).scalars().all()
    assert not any(body[finding["start"] : finding["end"]] in data for data in stored)
    # Nothing was kept, so the same op, edited, goes through.
    fixed = sync.push_one("alice", op | {"body": "Can someone check bay 2, please"})
    assert fixed["status"] == "applied"


def test_the_policy_hospital_number_rule_applies(sync: Sync, services: Services) -> None:
    services.policy = services.policy.__class__(hospital_number_pattern=r"\bRX\d{6}\b")
    result = sync.push_one("alice", post(sync.team("ward"), "Results for RX123456 are back"))
    assert result["error"]["code"] == "patient_identifiers"
    assert [f["kind"] for f in result["error"]["findings"]] == ["hospital_number"]


def test_a_message_id_used_by_another_op_is_a_conflict(sync: Sync, services: Services) -> None:
    op = post(sync.team("ward"))
    sync.push_one("alice", op)
    result = sync.push_one("bob", op | {"op_id": new_id(), "body": "other text"})
    assert result["status"] == "rejected" and result["error"]["code"] == "conflict"
    assert count(services, schema.messages) == 1
    assert len(event_rows(services, "message")) == 1


def test_a_note_ref_must_be_a_note_of_the_same_team(sync: Sync) -> None:
    filed = ward_note(sync)
    assert sync.push_one("alice", submit(sync.team("ward"), filed))["status"] == "applied"
    ok = sync.push_one("alice", post(sync.team("ward"), "SBAR filed", note_ref=filed["id"]))
    assert ok["status"] == "applied"
    assert sync.pull_all("bob")[-1]["data"]["note_ref"] == filed["id"]
    unknown = sync.push_one("alice", post(sync.team("ward"), "see note", note_ref=new_id()))
    assert unknown["error"]["code"] == "invalid" and unknown["error"]["field"] == "note_ref"
    carol_note = note(staff_id=sync.id("carol"), staff_name="Carol")
    assert sync.push_one("carol", submit(sync.team("community"), carol_note))["status"] == "applied"
    elsewhere = sync.push_one("carol", post(sync.team("community"), "x", note_ref=filed["id"]))
    assert elsewhere["error"]["code"] == "invalid"


def test_one_rejected_op_does_not_undo_the_others(sync: Sync, services: Services) -> None:
    ops = [
        post(sync.team("ward"), "first"),
        post(sync.team("ward"), "Ring 07700 900123"),
        post(sync.team("community"), "not my team"),
        post(sync.team("ward"), "last"),
    ]
    results = sync.push("alice", *ops)
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "applied"]
    assert results[0]["seq"] < results[3]["seq"]
    bodies = [e["data"]["body"] for e in sync.pull_all("bob") if e["type"] == "message"]
    assert bodies == ["first", "last"]
    assert count(services, schema.ops) == 2


def test_concurrent_duplicate_pushes_apply_once(sync: Sync, services: Services) -> None:
    op = post(sync.team("ward"), "Handover at 19:30 in the office")
    request = PushRequest.from_json({"ops": [op]})
    caller = sync.caller("alice")
    barrier = threading.Barrier(8)
    results: list[Any] = []
    lock = threading.Lock()

    def push() -> None:
        barrier.wait()
        [result] = apply_push(services, caller, request).results
        with lock:
            results.append(result)

    threads = [threading.Thread(target=push) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status for r in results)
    assert statuses == ["applied"] + ["duplicate"] * 7
    assert {r.seq for r in results} == {event_rows(services, "message")[0]["seq"]}
    assert len(event_rows(services, "message")) == 1
    assert count(services, schema.messages) == 1
    assert count(services, schema.ops) == 1


def test_an_op_id_of_another_staff_member_is_not_theirs_to_see(sync: Sync) -> None:
    op = post(sync.team("ward"))
    sync.push_one("alice", op)
    result = sync.push_one("bob", op)
    assert result["status"] == "rejected" and result["error"]["code"] == "conflict"
    assert "seq" not in result


# -- message.retract ------------------------------------------------------------------------


def test_a_retracted_message_is_gone_from_pulls_and_history_and_audited(
    sync: Sync, services: Services
) -> None:
    ward = sync.team("ward")
    op = post(ward, "Wrong ward, sorry: bay 6 needs a porter")
    posted = sync.push_one("alice", op)
    sync.push_one("bob", post(ward, "Porter on the way"))
    assert any(e["type"] == "message" and e["seq"] == posted["seq"] for e in sync.pull_all("bob"))
    undo = retract(op["message_id"], "Posted in the wrong team")
    result = sync.push_one("alice", undo)
    assert result["status"] == "applied" and result["seq"] > posted["seq"]
    for who in ("alice", "bob"):
        seen = sync.pull_all(who)
        assert "bay 6" not in json.dumps(seen)
        assert [e for e in seen if e["type"] == "message.retracted"] == [
            {
                "seq": result["seq"],
                "type": "message.retracted",
                "team_id": ward,
                "at": services.now(),
                "data": {
                    "id": op["message_id"],
                    "by": sync.id("alice"),
                    "reason": "Posted in the wrong team",
                },
            }
        ]
        history = sync.history(who, ward)
        assert "bay 6" not in json.dumps(history)
        assert [e["data"]["body"] for e in history["events"]] == ["Porter on the way"]
    with services.engine.connect() as conn:
        row = (
            conn.execute(select(schema.messages).where(schema.messages.c.id == op["message_id"]))
            .mappings()
            .one()
        )
        assert audit.verify(conn) == []
    assert row["body"] is None and row["retracted_by"] == sync.id("alice")
    [entry] = audit_rows(services, "message.retract")
    assert (entry["actor_id"], entry["subject"]) == (sync.id("alice"), op["message_id"])
    assert entry["detail"]["reason"] == "Posted in the wrong team"
    # The same op again is a duplicate; another op finds the message already retracted.
    assert sync.push_one("alice", undo) == {
        "op_id": undo["op_id"],
        "status": "duplicate",
        "seq": result["seq"],
    }
    twice = sync.push_one("alice", retract(op["message_id"]))
    assert twice["error"]["code"] == "not_found" and twice["error"]["in_effect"] is True
    assert len(audit_rows(services, "message.retract")) == 1


def test_a_retraction_never_takes_the_seq_of_the_event_it_removes(
    sync: Sync, services: Services
) -> None:
    op = post(sync.team("ward"))
    posted = sync.push_one("alice", op)  # the newest event: the highest seq
    seen_up_to = sync.pull("bob")["next"]
    assert seen_up_to == posted["seq"]
    retracted = sync.push_one("alice", retract(op["message_id"]))
    assert retracted["seq"] > posted["seq"]
    assert [e["type"] for e in sync.pull("bob", seen_up_to)["events"]] == ["message.retracted"]


def test_who_may_retract(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    op = post(ward)
    sync.push_one("alice", op)
    by_bob = sync.push_one("bob", retract(op["message_id"]))
    assert by_bob["error"]["code"] == "forbidden"
    by_carol = sync.push_one("carol", retract(op["message_id"]))
    assert by_carol["error"]["code"] == "not_found"
    unknown = sync.push_one("alice", retract(new_id()))
    assert unknown["error"]["code"] == "not_found" and "in_effect" not in unknown["error"]
    with_identifier = sync.push_one("alice", retract(op["message_id"], "Mr Jones, 07700 900123"))
    assert with_identifier["error"]["code"] == "patient_identifiers"
    assert with_identifier["error"]["field"] == "reason"
    assert count(services, schema.messages, schema.messages.c.body.is_(None)) == 0
    by_admin = sync.push_one("admin", retract(op["message_id"], "Removed by IT"))  # in no team
    assert by_admin["status"] == "applied"
    [entry] = audit_rows(services, "message.retract")
    assert entry["actor_id"] == sync.id("admin")
    assert entry["detail"]["author_id"] == sync.id("alice")


# -- message.ack ----------------------------------------------------------------------------


def test_an_urgent_message_is_acknowledged(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    urgent = post(ward, "Bay 4 needs a second nurse now", priority="urgent")
    sync.push_one("alice", urgent)
    op = ack(urgent["message_id"])
    result = sync.push_one("bob", op)
    assert result["status"] == "applied"
    [event] = event_rows(services, "message.acked")
    assert event["seq"] == result["seq"] and event["team_id"] == ward
    assert event["data"] == {"id": urgent["message_id"], "by": sync.id("bob"), "at": services.now()}
    assert count(services, schema.acks) == 1
    assert sync.push_one("bob", op)["status"] == "duplicate"
    again = sync.push_one("bob", ack(urgent["message_id"]))
    assert again["error"]["code"] == "conflict" and again["error"]["in_effect"] is True
    assert sync.push_one("carol", ack(urgent["message_id"]))["error"]["code"] == "not_found"
    assert len(event_rows(services, "message.acked")) == 1


def test_acknowledging_a_routine_or_retracted_message_is_refused(sync: Sync) -> None:
    routine = post(sync.team("ward"))
    urgent = post(sync.team("ward"), "Crash call bay 2", priority="urgent")
    sync.push("alice", routine, urgent, retract(urgent["message_id"]))
    assert sync.push_one("bob", ack(routine["message_id"]))["error"]["code"] == "invalid"
    assert sync.push_one("bob", ack(urgent["message_id"]))["error"]["code"] == "not_found"
    assert sync.push_one("bob", ack(new_id()))["error"]["code"] == "not_found"


# -- receipt.read ---------------------------------------------------------------------------


def test_read_receipts_move_forward_only(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    first = sync.push_one("alice", post(ward))["seq"]
    second = sync.push_one("alice", post(ward))["seq"]
    op = receipt(ward, second)
    result = sync.push_one("bob", op)
    assert result["status"] == "applied"
    [event] = event_rows(services, "receipt")
    assert event["seq"] == result["seq"] and event["team_id"] == ward
    assert event["data"] == {"staff_id": sync.id("bob"), "up_to_seq": second}
    assert sync.push_one("bob", op) == {
        "op_id": op["op_id"],
        "status": "duplicate",
        "seq": result["seq"],
    }
    lower = sync.push_one("bob", receipt(ward, first))
    assert lower["status"] == "applied" and "seq" not in lower
    with services.engine.connect() as conn:
        stored = conn.execute(select(schema.receipts.c.up_to_seq)).scalars().all()
    assert stored == [second]
    assert len(event_rows(services, "receipt")) == 1
    beyond = sync.push_one("bob", receipt(ward, 10_000))
    assert beyond["error"]["code"] == "invalid" and beyond["error"]["field"] == "up_to_seq"
    assert sync.push_one("carol", receipt(ward, first))["error"]["code"] == "forbidden"


# -- note.submit ----------------------------------------------------------------------------


def test_a_submitted_note_is_filed_with_its_event_and_audit(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    resource = ward_note(sync)
    op = submit(ward, resource)
    result = sync.push_one("alice", op)
    assert result["status"] == "applied"
    [event] = event_rows(services, "note")
    assert event["seq"] == result["seq"] and event["team_id"] == ward
    data = NoteData.from_json(event["data"])
    assert (data.id, data.version, data.version_of) == (resource["id"], 1, None)
    assert (data.author_id, data.author_name) == (sync.id("alice"), "Alice")
    assert data.form_url.endswith("sbar-handover") and data.form_title
    assert dict(data.resource) == resource and data.photos == ()
    with services.engine.connect() as conn:
        row = conn.execute(select(schema.notes)).mappings().one()
    assert (row["id"], row["lineage_id"], row["version"], row["status"]) == (
        resource["id"],
        resource["id"],
        1,
        "completed",
    )
    assert (row["patient_value"], row["seq"]) == (NHS, result["seq"])
    assert json.loads(row["resource"]) == resource
    [entry] = audit_rows(services, "note.file")
    assert (entry["actor_id"], entry["subject"], entry["patient_value"]) == (
        sync.id("alice"),
        resource["id"],
        NHS,
    )
    assert sync.push_one("alice", op)["status"] == "duplicate"
    taken = sync.push_one("alice", submit(ward, resource))
    assert taken["error"]["code"] == "conflict"
    assert count(services, schema.notes) == 1


def test_a_note_breaking_its_questionnaire_is_rejected_with_the_fields(
    sync: Sync, services: Services
) -> None:
    resource = ward_note(sync)
    situation = next(i for i in resource["item"] if i["linkId"] == "sbar.situation")
    concern = next(i for i in situation["item"] if i["linkId"] == "sbar.situation.concern")
    concern["answer"] = [{"valueCoding": {"system": "urn:x", "code": "panicking"}}]
    situation["item"] = [i for i in situation["item"] if i["linkId"] != "sbar.situation.summary"]
    result = sync.push_one("alice", submit(sync.team("ward"), resource))
    assert result["status"] == "rejected"
    error = result["error"]
    assert error["code"] == "invalid_answers"
    assert {f["link_id"] for f in error["fields"]} == {
        "sbar.situation.concern",
        "sbar.situation.summary",
    }
    assert all(set(f) == {"link_id", "message"} and f["message"] for f in error["fields"])
    assert count(services, schema.notes) == 0 and event_rows(services, "note") == []
    assert audit_rows(services, "note.file") == []


def test_what_else_a_submitted_note_must_be(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    unknown = ward_note(sync) | {"questionnaire": "https://example.org/Questionnaire/x|1"}
    assert sync.push_one("alice", submit(ward, unknown))["error"]["code"] == "unknown_questionnaire"
    resource = ward_note(sync)
    wrong_id = submit(ward, resource) | {"note_id": new_id()}
    rejected = sync.push_one("alice", wrong_id)["error"]
    assert rejected["code"] == "invalid" and rejected["field"] == "resource.id"
    as_bob = note(staff_id=sync.id("bob"), staff_name="Bob")
    assert sync.push_one("alice", submit(ward, as_bob))["error"]["code"] == "forbidden"
    assert sync.push_one("carol", submit(ward, resource))["error"]["code"] == "forbidden"
    amended_status = ward_note(sync) | {"status": "amended"}
    assert sync.push_one("alice", submit(ward, amended_status))["error"]["code"] == (
        "invalid_answers"
    )
    assert count(services, schema.notes) == 0 and count(services, schema.ops) == 0


def test_a_note_with_a_number_json_cannot_carry_is_refused(
    sync: Sync, services: Services, client: TestClient
) -> None:
    resource = ward_note(sync)
    resource["item"][0]["text"] = float("nan")
    body = json.dumps({"ops": [submit(sync.team("ward"), resource)]})  # writes NaN, as JSON can't
    response = client.post("/api/v1/sync/push", content=body, headers=auth(sync.token("alice")))
    assert response.status_code == 400  # refused as a whole: the body is not JSON
    assert response.json()["error"]["code"] == "invalid"
    assert count(services, schema.notes) == 0


def test_a_note_is_filed_only_once_its_photos_are_uploaded(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    kept, missing = photo(services, 1), photo(services, 2, uploaded=False)
    answers = {**PATIENT, **WOUND, "wound.photos": [kept, missing]}
    resource = ward_note(sync, form_id="wound-assessment", answers=answers)
    op = submit(ward, resource)
    refused = sync.push_one("alice", op)["error"]
    assert refused["code"] == "invalid" and refused["photos"] == [missing.sha256]
    photo(services, 2)  # uploaded now: the same op goes through
    result = sync.push_one("alice", op)
    assert result["status"] == "applied"
    data = NoteData.from_json(event_rows(services, "note")[0]["data"])
    assert data.photos == (kept.sha256, missing.sha256)
    with services.engine.connect() as conn:
        photos = (
            conn.execute(
                select(schema.note_photos.c.sha256).order_by(schema.note_photos.c.position)
            )
            .scalars()
            .all()
        )
    assert photos == [kept.sha256, missing.sha256]


# -- note.amend -----------------------------------------------------------------------------


def test_an_amendment_is_a_new_version_and_the_old_one_stays(
    sync: Sync, services: Services
) -> None:
    ward = sync.team("ward")
    first = ward_note(sync)
    sync.push_one("alice", submit(ward, first))
    second = amended(
        first,
        {"sbar.background.allergies": "None known"},
        staff_id=sync.id("bob"),
        staff_name="Bob",
    )
    op = amend(first, second, "Allergy recorded wrongly")
    result = sync.push_one("bob", op)
    assert result["status"] == "applied", result
    [event] = event_rows(services, "note.amended")
    assert event["seq"] == result["seq"] and event["team_id"] == ward
    data = NoteData.from_json(event["data"])
    assert (data.id, data.version, data.version_of, data.author_id) == (
        second["id"],
        2,
        first["id"],
        sync.id("bob"),
    )
    with services.engine.connect() as conn:
        rows = conn.execute(select(schema.notes).order_by(schema.notes.c.version)).mappings().all()
    assert [(r["id"], r["lineage_id"], r["version"], r["status"]) for r in rows] == [
        (first["id"], first["id"], 1, "completed"),
        (second["id"], first["id"], 2, "amended"),
    ]
    assert json.loads(rows[0]["resource"]) == first
    assert rows[1]["reason"] == "Allergy recorded wrongly"
    [entry] = audit_rows(services, "note.amend")
    assert (entry["actor_id"], entry["subject"], entry["patient_value"]) == (
        sync.id("bob"),
        second["id"],
        NHS,
    )
    assert sync.push_one("bob", op)["status"] == "duplicate"
    # Only the latest version can be amended.
    stale = amended(
        first, {"sbar.background.allergies": "Latex"}, staff_id=sync.id("alice"), staff_name="Alice"
    )
    assert (
        sync.push_one("alice", amend(first, stale, "Allergy recorded wrongly"))["error"]["code"]
        == "conflict"
    )
    third = amended(
        second,
        {"sbar.background.allergies": "Latex"},
        staff_id=sync.id("alice"),
        staff_name="Alice",
    )
    assert sync.push_one("alice", amend(second, third, "Allergy recorded wrongly"))["status"] == (
        "applied"
    )
    assert count(services, schema.notes) == 3


def test_what_an_amendment_must_be(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    first = ward_note(sync)
    sync.push_one("alice", submit(ward, first))
    alice = {"staff_id": sync.id("alice"), "staff_name": "Alice"}
    second = amended(first, {"sbar.background.allergies": "None"}, **alice)
    by_carol = sync.push_one("carol", amend(first, second, "Allergy recorded wrongly"))
    assert by_carol["error"]["code"] == "not_found"
    unknown = sync.push_one("alice", amend({"id": new_id()}, second, "Allergy recorded wrongly"))
    assert unknown["error"]["code"] == "not_found"
    other_reason = sync.push_one("alice", amend(first, second, "Something else"))
    assert other_reason["error"]["field"] == "reason"
    other_patient = amended(first, {}, **alice) | {
        "subject": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": OTHER_NHS}
        }
    }
    moved = sync.push_one("alice", amend(first, other_patient, "Allergy recorded wrongly"))
    assert moved["error"]["code"] == "invalid_answers"
    completed = sync.push_one("alice", amend(first, ward_note(sync), "Allergy recorded wrongly"))
    assert completed["error"]["code"] == "invalid_answers"
    assert "status" in {f["link_id"] for f in completed["error"]["fields"]}
    assert count(services, schema.notes) == 1 and event_rows(services, "note.amended") == []


def test_an_amendment_cannot_change_the_patient(sync: Sync) -> None:
    ward = sync.team("ward")
    first = ward_note(sync)
    sync.push_one("alice", submit(ward, first))
    other = {**PATIENT, "patient.identifier": OTHER_NHS}
    # Built as if from another note of the other patient, then pointed at this lineage.
    donor = ward_note(sync, answers={**other, **SBAR})
    forged = amended(donor, {}, staff_id=sync.id("alice"), staff_name="Alice")
    forged["identifier"] = first["identifier"]
    forged["extension"][0]["valueReference"]["reference"] = f"QuestionnaireResponse/{first['id']}"
    result = sync.push_one("alice", amend(first, forged, "Allergy recorded wrongly"))
    assert result["error"]["code"] == "invalid_answers"
    assert result["error"]["fields"][0]["link_id"] == "patient.identifier"


# -- the route ------------------------------------------------------------------------------


def test_a_push_of_too_many_ops_or_bytes_is_413(sync: Sync, client: TestClient) -> None:
    ops = [post(sync.team("ward")) for _ in range(MAX_PUSH_OPS + 1)]
    response = sync.push_raw("alice", ops)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    big = post(sync.team("ward"), "x" * 4000)
    many = [big | {"op_id": new_id(), "message_id": new_id()} for _ in range(MAX_PUSH_OPS)]
    body = json.dumps({"ops": many}).encode()
    assert len(body) > MAX_PUSH_BYTES
    response = client.post(
        "/api/v1/sync/push",
        content=body,
        headers=auth(sync.token("alice")) | {"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert sync.push("alice", *ops[:MAX_PUSH_OPS])[-1]["status"] == "applied"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", None),
        (b"[]", ""),
        (b'{"ops": {}}', "ops"),
        (b'{"ops": [{"op_id": "nope", "type": "message.post"}]}', "ops[0].op_id"),
        (
            b'{"ops": [{"op_id": "6f1c2a8e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "type": "x"}]}',
            "ops[0].type",
        ),
    ],
)
def test_a_malformed_push_is_400_in_the_error_shape(
    sync: Sync, client: TestClient, body: bytes, field: str | None
) -> None:
    response = client.post("/api/v1/sync/push", content=body, headers=auth(sync.token("alice")))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    if field is not None:
        assert error["field"] == field


def test_a_push_with_a_field_of_the_wrong_type_names_it(sync: Sync) -> None:
    op = post(sync.team("ward")) | {"priority": 3}
    response = sync.push_raw("alice", [post(sync.team("ward")), op])
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "ops[1].priority"


def test_a_push_needs_a_token(client: TestClient, board: Directory) -> None:
    response = client.post("/api/v1/sync/push", json={"ops": []})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_empty_push_answers_no_results(sync: Sync) -> None:
    assert sync.push("alice") == []
