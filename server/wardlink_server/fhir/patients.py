"""Patients: made from the identifiers the caller's notes carry, never stored on their own.

A Patient exists for a caller while at least one note they can see carries its NHS or CHI
number. Its versions are those notes, oldest first: version n is the Patient as the n-th of
them leaves it (the birth date it records), last updated when that note was filed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, func, select

from wardlink.core.fhir import PatientIdentifier
from wardlink_server import schema
from wardlink_server.fhir import resources
from wardlink_server.fhir.access import Served, as_patient
from wardlink_server.fhir.context import Context, identifier_condition, paged, version_number
from wardlink_server.fhir.search import LAST_UPDATED, Param, SearchRequest, date_condition, matching

n = schema.notes


class Patients:
    name = "Patient"
    params = (
        Param(
            "identifier",
            "token",
            "An NHS or CHI number, as system|value (spaces allowed in the number).",
        ),
        LAST_UPDATED,
    )

    def search(self, ctx: Context, request: SearchRequest, offset: int) -> tuple[int, list[Served]]:
        criteria = request.criteria
        last_seq = func.max(n.c.seq).label("last_seq")
        notes = func.count().label("notes")
        query = (
            select(n.c.patient_system, n.c.patient_value, last_seq, notes)
            .where(
                *ctx.visible(),
                *matching(
                    criteria,
                    "identifier",
                    lambda v: identifier_condition(v, n.c.patient_system, n.c.patient_value),
                ),
            )
            .group_by(n.c.patient_system, n.c.patient_value)
            .having(
                *matching(
                    criteria, "_lastUpdated", lambda v: date_condition(v, func.max(n.c.recorded))
                )
            )
        )
        total, groups = paged(
            ctx.conn, query, offset, request.count,
            last_seq.desc(), n.c.patient_system, n.c.patient_value,
        )  # fmt: skip
        if not groups:
            return total, []
        latest = {
            int(row["seq"]): row
            for row in ctx.conn.execute(
                select(n).where(n.c.seq.in_([int(g["last_seq"]) for g in groups]))
            ).mappings()
        }
        return total, [
            _served(
                PatientIdentifier(str(g["patient_system"]), str(g["patient_value"])),
                latest[int(g["last_seq"])],
                int(g["notes"]),
                ctx,
            )
            for g in groups
        ]

    def read(self, ctx: Context, rid: str, version: str | None) -> Served | None:
        identifier = ctx.state.patients.resolve(ctx.conn, rid)
        if identifier is None:
            return None
        query = _notes_about(ctx, identifier)
        counted = select(func.count()).select_from(query.subquery())
        count = int(ctx.conn.execute(counted).scalar_one())
        number = count if version is None else version_number(version)
        if number is None or not 1 <= number <= count:
            return None
        row = ctx.conn.execute(query.order_by(n.c.seq).offset(number - 1).limit(1)).mappings()
        return _served(identifier, row.one(), number, ctx)

    def history(
        self, ctx: Context, rid: str, offset: int, count: int
    ) -> tuple[int, list[Served]] | None:
        identifier = ctx.state.patients.resolve(ctx.conn, rid)
        if identifier is None:
            return None
        total, rows = paged(ctx.conn, _notes_about(ctx, identifier), offset, count, n.c.seq.desc())
        if total == 0:
            return None
        return total, [
            _served(identifier, row, total - offset - i, ctx) for i, row in enumerate(rows)
        ]


def _notes_about(ctx: Context, identifier: PatientIdentifier) -> Any:
    return select(n).where(
        n.c.patient_system == identifier.system, n.c.patient_value == identifier.value,
        *ctx.visible(),
    )  # fmt: skip


def _served(identifier: PatientIdentifier, note: RowMapping, version: int, ctx: Context) -> Served:
    return Served(
        resources.patient(identifier, note, version, ctx.state),
        frozenset({as_patient(identifier)}),
        created=version == 1,
    )
