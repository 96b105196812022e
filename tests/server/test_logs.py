"""Patient identifiers never reach the server's log (DESIGN.md §5), on SQLite and PostgreSQL.

A real `wardlink-server serve` runs a session full of known identifiers: in query strings
(pulls, FHIR searches), in paths (a FHIR read by NHS number, a team id), in request bodies (a
sign-in, a chat message the guard rejects, a malformed body, a FHIR search form), in a filed
note, and in a database error provoked on purpose (a constraint that refuses one patient's
note: PostgreSQL's error quotes the whole refused row). Then its whole log output is searched
for each identifier in every spacing.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import text

from tests.server.conftest import Directory, auth
from tests.server.serving import serve
from tests.server.sync_client import PATIENT, SBAR, note, post, submit, token_for_a_served_process
from wardlink_server import directory
from wardlink_server.audit import CLI
from wardlink_server.services import Services

FILED_NHS = "9434765919"  # the patient of a note that is filed
REFUSED_NHS = "9434765870"  # the patient of a note the database refuses
PHONE = "07700900123"
NAMES = ("Elspeth", "Grieve")
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"


SEPARATORS = r"(?:[\s.\-/+]|%20|%2D)*"


def spaced(value: str) -> str:
    """A pattern for `value` in any spacing people and URLs use: 943 476 5919, 943-476-5919,
    943%20476%205919…"""
    return SEPARATORS.join(re.escape(ch) for ch in value)


def refuse_notes_about(services: Services, nhs: str) -> None:
    """The database fails this patient's notes with an error the app does not foresee (on
    PostgreSQL, one that quotes the whole row, as its own errors do)."""
    with services.engine.begin() as conn:
        if services.engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.patient_value = '{nhs}' THEN "
                    "RAISE EXCEPTION 'cannot store the row %', NEW::text; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER test_refuse BEFORE INSERT ON notes "
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER test_refuse BEFORE INSERT ON notes "
                    f"WHEN NEW.patient_value = '{nhs}' "
                    "BEGIN SELECT abs(-9223372036854775807 - 1); END"  # integer overflow
                )
            )


def session_with_identifiers(base: str, board: Directory, tokens: dict[str, str]) -> None:
    ward, staff_id = board.teams["ward"], board.staff["alice"]
    alice, epr = auth(tokens["alice"]), auth(tokens["epr"])
    spaced_nhs = f"{FILED_NHS[:3]} {FILED_NHS[3:6]} {FILED_NHS[6:]}"
    filed = note(staff_id=staff_id, staff_name="Alice")
    refused = note(
        staff_id=staff_id,
        staff_name="Alice",
        answers={**PATIENT, "patient.identifier": REFUSED_NHS, **SBAR},
    )
    chat = post(ward, f"Mrs {NAMES[0]} {NAMES[1]}, NHS {spaced_nhs}, ring {PHONE}")
    device = {"id": str(uuid.uuid4()), "name": "PC", "platform": "linux"}
    sign_in = {"username": FILED_NHS, "password": f"{PHONE} {NAMES[1]}", "device": device}
    by_nhs = f"{NHS_SYSTEM}|{FILED_NHS}"
    push, pull = "/api/v1/sync/push", "/api/v1/sync/pull"
    # A connection per request: the server may close one after an unexpected error.
    fresh = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base, timeout=30, limits=fresh) as client:
        answers = [
            # Bodies: a sign-in, a chat message the guard refuses, a malformed body, notes.
            (client.post("/api/v1/sessions", json=sign_in), 401),
            (client.post(push, json={"ops": [chat]}, headers=alice), 200),
            (client.post(push, content=f'{{"ops": ["{FILED_NHS}"', headers=alice), 400),
            (client.post(push, json={"ops": [submit(ward, filed)]}, headers=alice), 200),
            (client.post(push, json={"ops": [submit(ward, refused)]}, headers=alice), 500),
            # Query strings, and a FHIR search by form.
            (client.get(pull, params={"since": 0, "patient": FILED_NHS}, headers=alice), 200),
            (client.get(pull, params={"since": spaced_nhs}, headers=alice), 400),
            (client.get("/fhir/Patient", params={"identifier": by_nhs}, headers=epr), 200),
            (
                client.get(
                    "/fhir/QuestionnaireResponse",
                    params={"subject:identifier": f"{NHS_SYSTEM}|{spaced_nhs}"},
                    headers=epr,
                ),
                200,
            ),
            (
                client.post(
                    "/fhir/QuestionnaireResponse/_search",
                    data={"subject:identifier": f"{NHS_SYSTEM}|{REFUSED_NHS}"},
                    headers=epr,
                ),
                200,
            ),
            # Paths.
            (client.get(f"/fhir/Patient/{FILED_NHS}", headers=epr), 404),
            (client.get(f"/api/v1/teams/{spaced_nhs}/history", headers=alice), 403),
            (client.get(f"/nothing/here/{PHONE}"), 404),
        ]
    for response, status in answers:
        assert response.status_code == status, (response.request.url.path, response.text)
    assert answers[1][0].json()["results"][0]["error"]["code"] == "patient_identifiers"


def test_no_identifier_reaches_the_servers_log(
    services: Services, board: Directory, tmp_path: Path
) -> None:
    assert services.engine.hide_parameters  # database errors never carry their parameters
    with services.writer.begin() as conn:
        epr, _ = directory.issue_token(conn, services, CLI, "epr", "epr-test")
    tokens = {"alice": token_for_a_served_process(services, board.staff["alice"]), "epr": epr}
    refuse_notes_about(services, REFUSED_NHS)
    server = serve(services.config.database_url, tmp_path / "server.log")
    try:
        session_with_identifiers(server.url, board, tokens)
    finally:
        assert server.stop() == 0
    log = server.log()
    for value in (FILED_NHS, REFUSED_NHS, PHONE):
        found = re.search(spaced(value), log)
        assert found is None, f"an identifier reached the log: …{log[found.start() - 80 :][:200]}…"
    for name in NAMES:
        assert name not in log
    # The session did reach the log: its requests (paths only) and the database error.
    assert "POST /api/v1/sync/push 200" in log
    assert "GET /fhir/Patient 200" in log
    assert "unexpected error while handling a request" in log
