"""What each resource type's queries work with: one read connection, the caller's scope, the
snapshot bound, and the conditions shared by the types made from notes.

Every query of the record reads notes with `seq <= bound` (the event head when the search
began), so a search's total and all its pages describe one state of the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    Table,
    and_,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.sql.expression import ColumnClause

from wardlink.core.fhir import PatientIdentifier, check_patient_identifier
from wardlink.core.form_patient import compact_number
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink_server import schema
from wardlink_server.fhir.access import Patient, Scope, Served, as_patient
from wardlink_server.fhir.search import Criteria, Param, Reference, SearchRequest, Token, Value
from wardlink_server.fhir.state import FhirState
from wardlink_server.services import Services

Column = ColumnElement[Any] | ColumnClause[Any]


@dataclass(frozen=True)
class Context:
    conn: Connection
    services: Services
    state: FhirState
    scope: Scope
    bound: int

    def visible(self, notes: Table | Any = schema.notes) -> list[ColumnElement[bool]]:
        """Notes of the caller's teams, filed before the snapshot bound."""
        return [self.scope.visible(notes.c.team_id), notes.c.seq <= self.bound]

    def resolve_patient(self, value: Value) -> PatientIdentifier | None:
        if not isinstance(value, Reference) or value.type not in (None, "Patient"):
            return None
        return self.state.patients.resolve(self.conn, value.id)

    def patient_conditions(
        self, criteria: Criteria, notes: Table | Any = schema.notes
    ) -> list[ColumnElement[bool]]:
        """`patient` (a Patient reference) and `subject:identifier` (`system|value`)."""
        system, value = notes.c.patient_system, notes.c.patient_value
        conditions: list[ColumnElement[bool]] = []
        for values in criteria.of("patient"):
            found = [self.resolve_patient(v) for v in values]
            either = [and_(system == p.system, value == p.value) for p in found if p is not None]
            conditions.append(_any(either))
        for values in criteria.of("subject:identifier"):
            conditions.append(_any([identifier_condition(v, system, value) for v in values]))
        return conditions

    def named_patients(self, criteria: Criteria) -> set[Patient]:
        """The patients a search names (for its audit entry): resolved references, and
        identifiers that are valid NHS or CHI numbers (a bare number as each it can be)."""
        named: set[Patient] = set()
        for values in criteria.of("patient"):
            named.update(as_patient(p) for v in values if (p := self.resolve_patient(v)))
        for name in ("subject:identifier", "identifier"):
            for values in criteria.of(name):
                for value in values:
                    if isinstance(value, Token):
                        named.update(self._valid(value))
        return named

    def _valid(self, token: Token) -> list[Patient]:
        if token.code is None:
            return []
        digits = compact_number(token.code)
        chi = self.services.policy.chi_system
        systems = [token.system] if token.system else [NHS_NUMBER_SYSTEM, chi]
        found: list[Patient] = []
        for system in systems:
            try:
                check_patient_identifier(PatientIdentifier(system, digits), chi_system=chi)
            except ValueError:
                continue
            found.append((system, digits))
        return found


def _any(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


def identifier_condition(value: Value, system: Column, code: Column) -> ColumnElement[bool]:
    """A token search on an identifier; the number may be given with spaces."""
    if not isinstance(value, Token) or value.system == "":
        return false()  # every identifier in the record has a system
    conditions: list[ColumnElement[bool]] = []
    if value.system is not None:
        conditions.append(system == value.system)
    if value.code is not None:
        conditions.append(code == compact_number(value.code))
    return and_(*conditions) if conditions else true()


def is_latest(ctx: Context, notes: Any = schema.notes) -> ColumnElement[bool]:
    """The note row is its lineage's latest version within the bound (a lineage stays in its
    team, so the row's visibility is the lineage's). Found by the (lineage, version) index,
    row by row, so that a search narrowed to one patient never groups the whole record."""
    later = schema.notes.alias("later")
    return ~exists().where(
        later.c.lineage_id == notes.c.lineage_id,
        later.c.version > notes.c.version,
        later.c.seq <= ctx.bound,
    )


def note_select(notes: Any = schema.notes) -> Select[Any]:
    """Note rows with their author's display name and their device's name."""
    st, d = schema.staff, schema.devices
    return select(
        notes, st.c.display_name.label("author_name"), d.c.name.label("device_name")
    ).select_from(
        notes.outerjoin(st, st.c.id == notes.c.author_id).outerjoin(d, d.c.id == notes.c.device_id)
    )


def paged(
    conn: Connection, query: Select[Any], offset: int, count: int, *order: ColumnElement[Any]
) -> tuple[int, Sequence[RowMapping]]:
    """The number of rows `query` finds, and those of one page in `order`."""
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    if count == 0 or offset >= total:
        return total, []
    rows = conn.execute(query.order_by(*order).offset(offset).limit(count)).mappings().all()
    return total, rows


def version_number(version: str | None) -> int | None:
    """A version id as the record numbers them (1, 2, ...); None for anything else."""
    if version is None or not version.isascii() or not version.isdigit() or len(version) > 9:
        return None
    return int(version)


class ResourceKind(Protocol):
    """One resource type the API serves: its search parameters and its three reads."""

    @property
    def name(self) -> str: ...

    @property
    def params(self) -> tuple[Param, ...]: ...

    def search(
        self, ctx: Context, request: SearchRequest, offset: int
    ) -> tuple[int, list[Served]]: ...

    def read(self, ctx: Context, rid: str, version: str | None) -> Served | None: ...

    def history(
        self, ctx: Context, rid: str, offset: int, count: int
    ) -> tuple[int, list[Served]] | None: ...
