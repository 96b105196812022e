"""What the FHIR API keeps per database: its two secrets, and the index from Patient id back to
the patient's identifier.

A Patient's id is an HMAC of its NHS or CHI number under a server secret (`wardlink.core.fhir`),
so that no number appears in an id or a URL; the secret lives in the `settings` table (like the
lease signing key), made on first use, and must never change, or every Patient id would. A
second secret encrypts page links (`paging`). The index is the other way round: it hashes each
identifier the notes carry, once, and then learns only the notes filed since (by event seq, which
is commit order), so resolving `Patient/<id>` never scans the whole record again.
"""

from __future__ import annotations

import base64
import secrets
import threading
import weakref
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from wardlink.core.fhir import PatientIdentifier, patient_id
from wardlink_server import events, schema
from wardlink_server.services import Services

PATIENT_ID_KEY: Final = "fhir_patient_id_key"
PAGE_KEY: Final = "fhir_page_key"
KEY_BYTES: Final = 32


@dataclass
class PatientIndex:
    """Patient id -> identifier, for every patient any note carries (not only visible ones:
    visibility is checked by the query that uses the identifier)."""

    key: bytes
    ids: dict[str, PatientIdentifier] = field(default_factory=dict)
    seen_seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, conn: Connection, pid: str) -> PatientIdentifier | None:
        with self.lock:
            found = self.ids.get(pid)
            if found is None:
                head = events.head(conn)
                if head > self.seen_seq:
                    self._learn(conn, head)
                    found = self.ids.get(pid)
        return found

    def _learn(self, conn: Connection, head: int) -> None:
        n = schema.notes
        rows = conn.execute(
            select(n.c.patient_system, n.c.patient_value)
            .where(n.c.seq > self.seen_seq, n.c.seq <= head)
            .group_by(n.c.patient_system, n.c.patient_value)
        ).all()
        for system, value in rows:
            identifier = PatientIdentifier(str(system), str(value))
            self.ids[patient_id(identifier, key=self.key)] = identifier
        self.seen_seq = head


@dataclass(frozen=True)
class FhirState:
    patient_key: bytes
    page_key: bytes
    patients: PatientIndex

    def patient_id(self, identifier: PatientIdentifier) -> str:
        return patient_id(identifier, key=self.patient_key)


_states: weakref.WeakKeyDictionary[Engine, FhirState] = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()


def state_of(services: Services) -> FhirState:
    """The FHIR state of `services`' database, loaded (or made) on first use."""
    with _states_lock:
        found = _states.get(services.engine)
        if found is None:
            patient_key = _secret(services, PATIENT_ID_KEY)
            found = FhirState(patient_key, _secret(services, PAGE_KEY), PatientIndex(patient_key))
            _states[services.engine] = found
        return found


def _secret(services: Services, name: str) -> bytes:
    """The secret stored under `name`, made now if there is none; another process making it at
    the same moment wins, and both use its value."""
    s = schema.settings
    query = select(s.c.value).where(s.c.key == name)
    with services.engine.connect() as conn:
        stored = conn.execute(query).scalar_one_or_none()
    if stored is None:
        made = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
        try:
            with services.writer.begin() as conn:
                stored = conn.execute(query).scalar_one_or_none()
                if stored is None:
                    conn.execute(insert(s).values(key=name, value=made))
                    stored = made
        except IntegrityError:
            with services.engine.connect() as conn:
                stored = conn.execute(query).scalar_one()
    return base64.b64decode(stored)
