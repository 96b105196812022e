"""One patient's audit trail: who filed or read what about them, when, and from which device.

Every place that files or reads patient data records the patient in its audit entry (`note.file`
and `note.amend` when a note is filed, `note.read` for pulls and history, `photo.read`,
`fhir.read` and `fhir.search`), one entry per patient, so the trail is one indexed query.
Reading a trail names the patient, so it is audited in turn (`admin.audit.read`, with them).

The number can be given as staff say it (`943 476 5919`), or as `system|value`. A bare number
that is valid both as an NHS and as a CHI number is looked up as either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, and_, or_, select

from wardlink.core.form_patient import compact_number
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM, is_valid_chi_number, is_valid_nhs_number
from wardlink.core.protocol import ProtocolError
from wardlink.core.protocol.fields import as_object, read_int, read_str
from wardlink_server import audit, schema
from wardlink_server.audit import Actor
from wardlink_server.errors import ApiError
from wardlink_server.fhir.access import Patient
from wardlink_server.services import Services

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000
_NUMBER: Final = "must be a valid NHS or CHI number, or system|value"


@dataclass(frozen=True)
class TrailQuery:
    patient: str
    limit: int = DEFAULT_LIMIT
    before: int | None = None


def parse_query(value: object) -> TrailQuery:
    """`{"patient": "...", "limit"?: n, "before"?: seq}`; ProtocolError names the bad field."""
    obj = as_object(value, "")
    for key in obj:
        if key not in ("patient", "limit", "before"):
            raise ProtocolError(key, "is not a field of this request")
    patient = read_str(obj, "patient", "", max_chars=300)
    limit = read_int(obj, "limit", "", minimum=1) if "limit" in obj else DEFAULT_LIMIT
    if limit > MAX_LIMIT:
        raise ProtocolError("limit", f"must be at most {MAX_LIMIT}")
    before = read_int(obj, "before", "", minimum=1) if obj.get("before") is not None else None
    return TrailQuery(patient, limit, before)


def identifiers_of(text: str, *, chi_system: str) -> list[Patient]:
    """The identifiers a typed number may be; ProtocolError (naming no digits) if none."""
    system, bar, value = text.partition("|")
    digits = compact_number(value if bar else text)
    if not digits.isascii() or not digits.isdigit() or len(digits) > 64:
        raise ProtocolError("patient", _NUMBER)
    if bar:
        if not system.strip():
            raise ProtocolError("patient", _NUMBER)
        return [(system.strip(), digits)]
    found: list[Patient] = []
    if is_valid_nhs_number(digits):
        found.append((NHS_NUMBER_SYSTEM, digits))
    if is_valid_chi_number(digits):
        found.append((chi_system, digits))
    if not found:
        raise ProtocolError("patient", _NUMBER)
    return found


def trail(
    conn: Connection, patients: Sequence[Patient], *, limit: int, before: int | None = None
) -> list[dict[str, object]]:
    """The patients' audit entries, newest first, each with its actor and device named."""
    a, st, d = schema.audit, schema.staff, schema.devices
    query = (
        select(a, st.c.username, st.c.display_name, d.c.name.label("device_name"))
        .select_from(a.outerjoin(st, st.c.id == a.c.actor_id).outerjoin(d, d.c.id == a.c.device_id))
        .where(or_(*(and_(a.c.patient_system == s, a.c.patient_value == v) for s, v in patients)))
        .order_by(a.c.seq.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(a.c.seq < before)
    return [
        {
            "seq": row["seq"],
            "at": row["at"],
            "actor": None
            if row["actor_id"] is None
            else {
                "id": row["actor_id"],
                "username": row["username"],
                "display_name": row["display_name"],
            },
            "device": None
            if row["device_id"] is None
            else {"id": row["device_id"], "name": row["device_name"]},
            "action": row["action"],
            "subject": row["subject"],
            "patient": {"system": row["patient_system"], "value": row["patient_value"]},
            "detail": json.loads(row["detail"]),
        }
        for row in conn.execute(query).mappings()
    ]


def read_trail(
    conn: Connection, services: Services, actor: Actor, query: TrailQuery
) -> list[dict[str, object]]:
    """`trail` for a typed number, audited as a read of that patient's data."""
    try:
        patients = identifiers_of(query.patient, chi_system=services.policy.chi_system)
    except ProtocolError as exc:
        raise ApiError("invalid", f"The request is not valid: {exc}.", field=exc.path) from None
    entries = trail(conn, patients, limit=query.limit, before=query.before)
    for patient in patients:
        audit.record(
            conn, actor, "admin.audit.read", "audit", at=services.now(), patient=patient,
            detail={"by": "patient", "limit": query.limit, "before": query.before},
        )  # fmt: skip
    return entries
