"""A test client for the sync routes: ops built as a client sends them, tokens made straight
through the directory (so these tests do not depend on the sign-in route), and valid notes
built with the core's own `forms.build_response`."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert

from tests.server.conftest import START, Directory, auth
from wardlink.core import forms
from wardlink.core.clock import format_timestamp
from wardlink_server import directory, schema
from wardlink_server.auth import Caller, authenticate
from wardlink_server.services import Services

NHS = "9434765919"
OTHER_NHS = "9434765870"
PATIENT: dict[str, object] = {
    "patient.identifierSystem": "nhs",
    "patient.identifier": "943 476 5919",
    "patient.birthDate": dt.date(1948, 3, 12),
    "patient.confirmed": True,
}
SBAR: dict[str, object] = {
    "sbar.situation.summary": "New shortness of breath since 14:00.",
    "sbar.situation.concern": "concerned",
    "sbar.background.admission": "Admitted 25/11 with community-acquired pneumonia.",
    "sbar.background.allergies": "Penicillin (rash)",
    "sbar.background.resuscitation": "for-cpr",
    "sbar.assessment.news2": 5,
    "sbar.assessment.findings": "RR 24, SpO2 92% on 2 L/min, HR 108; looks tired.",
    "sbar.recommendation.request": "Review within the hour, please; ?repeat chest X-ray.",
    "sbar.recommendation.timeframe": "1h",
}
WOUND: dict[str, object] = {
    "wound.assessedAt": START,
    "wound.location": "Left heel",
    "wound.type": "pressure-ulcer",
    "wound.pressureCategory": "2",
    "wound.length": 2.5,
    "wound.width": 1.5,
    "wound.tissue": ["granulating", "slough"],
    "wound.exudate": "low",
    "wound.infection": False,
    "wound.pain": 3,
    "wound.treatment": "Cleansed with saline; foam dressing applied.",
    "wound.photosTaken": True,
    "wound.photoConsent": "patient",
}
CLIENT_TS = format_timestamp(START)


def new_id() -> str:
    return str(uuid.uuid4())


# -- ops, as a client sends them ----------------------------------------------------------------


def post(team_id: str, body: str = "Bay 3 obs done", **fields: Any) -> dict[str, Any]:
    return {
        "op_id": new_id(),
        "type": "message.post",
        "team_id": team_id,
        "message_id": new_id(),
        "body": body,
        "priority": "routine",
        "client_ts": CLIENT_TS,
        **fields,
    }


def retract(message_id: str, reason: str = "Posted in the wrong team") -> dict[str, Any]:
    return {
        "op_id": new_id(),
        "type": "message.retract",
        "message_id": message_id,
        "reason": reason,
    }


def ack(message_id: str) -> dict[str, Any]:
    return {"op_id": new_id(), "type": "message.ack", "message_id": message_id}


def receipt(team_id: str, up_to_seq: int) -> dict[str, Any]:
    return {"op_id": new_id(), "type": "receipt.read", "team_id": team_id, "up_to_seq": up_to_seq}


def submit(team_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": new_id(),
        "type": "note.submit",
        "team_id": team_id,
        "note_id": resource["id"],
        "resource": resource,
    }


def amend(previous: dict[str, Any], resource: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "op_id": new_id(),
        "type": "note.amend",
        "note_id": resource["id"],
        "version_of": previous["id"],
        "reason": reason,
        "resource": resource,
    }


# -- notes --------------------------------------------------------------------------------------


def note(
    form_id: str = "sbar-handover",
    *,
    staff_id: str,
    staff_name: str,
    answers: dict[str, object] | None = None,
) -> dict[str, Any]:
    """A valid QuestionnaireResponse, as the client files it."""
    given = (
        answers
        if answers is not None
        else {**PATIENT, **(SBAR if form_id == "sbar-handover" else WOUND)}
    )
    resource: dict[str, Any] = forms.build_response(
        form_id, given, staff_id=staff_id, staff_name=staff_name, now=START, today=START.date()
    )
    return resource


def amended(
    previous: dict[str, Any],
    changes: dict[str, object],
    *,
    staff_id: str,
    staff_name: str,
    reason: str = "Allergy recorded wrongly",
) -> dict[str, Any]:
    answers = {**forms.answers_of(previous), **changes}
    resource: dict[str, Any] = forms.amend_response(
        previous,
        answers,
        reason=reason,
        staff_id=staff_id,
        staff_name=staff_name,
        now=START,
        today=START.date(),
    )
    return resource


def photo(services: Services, n: int, *, uploaded: bool = True) -> forms.PhotoAnswer:
    """A photo answer; `uploaded` puts its bytes in the blob store first, as the client does."""
    data = f"photo {n}".encode()
    sha = hashlib.sha256(data).hexdigest()
    if uploaded:
        with services.writer.begin() as conn:
            conn.execute(
                insert(schema.blobs).values(
                    sha256=sha,
                    content_type="image/jpeg",
                    size=len(data),
                    sha1_b64="x" * 28,
                    data=data,
                    uploaded_by="test",
                    created_at=CLIENT_TS,
                )
            )
    return forms.PhotoAnswer(
        sha256=sha, content_type="image/jpeg", size=len(data), title=f"Wound photo {n}"
    )


# -- the client ---------------------------------------------------------------------------------


def token_for(services: Services, staff_id: str, *, ttl: timedelta = timedelta(hours=8)) -> str:
    with services.writer.begin() as conn:
        device = directory.ensure_device(
            conn, services, staff_id, str(uuid.uuid5(uuid.NAMESPACE_URL, staff_id)), "PC", "linux"
        )
        token, _ = directory.start_session(
            conn, services, staff_id, str(device["id"]), kind="password", ttl=ttl
        )
    return token


def token_for_a_served_process(services: Services, staff_id: str) -> str:
    """A token for a server running in a process of its own, which counts time by the real clock
    rather than this test's: its session lasts 8 hours from now as that server sees it."""
    behind = dt.datetime.now(dt.UTC) - services.config.clock.now()
    return token_for(services, staff_id, ttl=timedelta(hours=8) + max(behind, timedelta(0)))


@dataclass
class Sync:
    """Push, pull and history as each of the board's staff, by username."""

    client: TestClient
    board: Directory
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = token_for(self.board.services, self.board.staff[username])
        return self.tokens[username]

    def caller(self, username: str) -> Caller:
        services = self.board.services
        with services.engine.connect() as conn:
            return authenticate(conn, services, self.token(username))

    def id(self, username: str) -> str:
        return self.board.staff[username]

    def team(self, name: str) -> str:
        return self.board.teams[name]

    def push_raw(self, username: str, ops: list[dict[str, Any]]) -> Any:
        return self.client.post(
            "/api/v1/sync/push", json={"ops": ops}, headers=auth(self.token(username))
        )

    def push(self, username: str, *ops: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.push_raw(username, list(ops))
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        assert [r["op_id"] for r in results] == [op["op_id"] for op in ops]
        return results

    def push_one(self, username: str, op: dict[str, Any]) -> dict[str, Any]:
        return self.push(username, op)[0]

    def pull_raw(self, username: str, **params: Any) -> Any:
        return self.client.get(
            "/api/v1/sync/pull", params=params, headers=auth(self.token(username))
        )

    def pull(self, username: str, since: int = 0, **params: Any) -> dict[str, Any]:
        response = self.pull_raw(username, since=since, **params)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def pull_all(self, username: str, since: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Every event visible to `username` after `since`, page by page."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.pull(username, since, limit=limit)
            found += page["events"]
            since = page["next"]
            if not page["more"]:
                return found

    def history_raw(self, username: str, team: str, **params: Any) -> Any:
        return self.client.get(
            f"/api/v1/teams/{team}/history", params=params, headers=auth(self.token(username))
        )

    def history(self, username: str, team: str, **params: Any) -> dict[str, Any]:
        response = self.history_raw(username, team, **params)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page
