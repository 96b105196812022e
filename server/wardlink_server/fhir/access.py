"""Who may read what through the FHIR API, and the audit entry every read of patient data leaves.

A staff member sees the records of notes filed in their current teams, and a Patient only as
long as one of those notes carries it; an integration account (an EPR, with a token from
`admin issue-token`) sees every team's. What a caller may not see answers exactly as what does
not exist. Questionnaires (form definitions) hold no patient data: any signed-in caller reads
them.

Audit: one `fhir.read` or `fhir.search` entry per request and patient, holding the ids of that
patient's resources the answer carried; a search that names a patient is recorded with that
patient even when it found nothing (someone looked them up). Every read by an integration
account is recorded, with no patient when it touched none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, true

from wardlink.core.fhir import PatientIdentifier
from wardlink_server import audit, directory
from wardlink_server.audit import Actor
from wardlink_server.auth import Caller
from wardlink_server.services import Services

Patient = tuple[str, str]  # (system, value), as the audit table holds it


@dataclass(frozen=True)
class Scope:
    """The teams whose notes the caller may read; None for every team."""

    teams: tuple[str, ...] | None

    def visible(self, team_id: ColumnElement[str]) -> ColumnElement[bool]:
        return true() if self.teams is None else team_id.in_(self.teams)


def scope_of(conn: Connection, caller: Caller) -> Scope:
    if caller.is_integration:
        return Scope(None)
    return Scope(tuple(directory.team_ids_of(conn, caller.staff_id)))


def as_patient(identifier: PatientIdentifier) -> Patient:
    return identifier.system, identifier.value


@dataclass(frozen=True)
class Served:
    """One resource in an answer, with the patients whose data it holds."""

    resource: dict[str, object]
    patients: frozenset[Patient] = frozenset()
    created: bool = True  # this version created the resource (history: POST, not PUT)
    raw: tuple[str, bytes] | None = None  # a Binary's content type and bytes

    @property
    def reference(self) -> str:
        return f"{self.resource['resourceType']}/{self.resource['id']}"


def record_read(
    services: Services,
    caller: Caller,
    action: str,
    subject: str,
    served: Sequence[Served],
    *,
    named: Iterable[Patient] = (),
    detail: Mapping[str, object] | None = None,
) -> None:
    """Audit one FHIR request: an entry per patient it touched or named (see the module doc)."""
    by_patient: dict[Patient, list[str]] = {patient: [] for patient in sorted(set(named))}
    for item in served:
        for patient in item.patients:
            by_patient.setdefault(patient, []).append(item.reference)
    if not by_patient and not caller.is_integration:
        return
    actor = Actor(caller.staff_id, caller.device_id)
    base = dict(detail or {})
    with services.writer.begin() as conn:
        at = services.now()
        if not by_patient:
            audit.record(conn, actor, action, subject, at=at, detail=base)
        for patient in sorted(by_patient):
            resources = sorted(set(by_patient[patient]))
            audit.record(
                conn, actor, action, subject, at=at, patient=patient,
                detail={**base, "resources": resources},
            )  # fmt: skip
