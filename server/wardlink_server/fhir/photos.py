"""Clinical photos: a DocumentReference per photo per note, and the photo's bytes as a Binary.

A photo is visible to a caller who can see a note that carries it. A DocumentReference follows
its note's versions from the one that first carried the photo (see `resources`); a search
matches it by its latest version. A Binary never changes: the same bytes, one version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from sqlalchemy import and_, func, select

from wardlink_server import schema
from wardlink_server.blobs import SHA256_PATTERN
from wardlink_server.fhir import resources
from wardlink_server.fhir.access import Patient, Served, as_patient
from wardlink_server.fhir.context import Context, is_latest, paged, version_number
from wardlink_server.fhir.notes import PATIENT, SUBJECT_IDENTIFIER
from wardlink_server.fhir.resources import PhotoVersion, patient_of_row
from wardlink_server.fhir.search import LAST_UPDATED, SearchRequest, date_condition, matching

n, p, b, st = schema.notes, schema.note_photos, schema.blobs, schema.staff
BLOB_INFO: Final = (b.c.sha256, b.c.content_type, b.c.size, b.c.sha1_b64, b.c.created_at)


class DocumentReferences:
    name = "DocumentReference"
    params = (PATIENT, SUBJECT_IDENTIFIER, LAST_UPDATED)

    def search(self, ctx: Context, request: SearchRequest, offset: int) -> tuple[int, list[Served]]:
        criteria = request.criteria
        pairs = (
            select(n.c.lineage_id, p.c.sha256, n.c.version)
            .select_from(p.join(n, n.c.id == p.c.note_id))
            .where(*ctx.visible(), *ctx.patient_conditions(criteria))
            .subquery("pairs")
        )
        firsts = (
            select(
                pairs.c.lineage_id,
                pairs.c.sha256,
                func.min(pairs.c.version).label("first_version"),
            )
            .group_by(pairs.c.lineage_id, pairs.c.sha256)
            .subquery("firsts")
        )
        cur, first, still = n.alias("cur"), n.alias("first"), p.alias("still")
        query = (
            select(
                firsts.c.lineage_id,
                firsts.c.sha256,
                firsts.c.first_version,
                cur.c.version,
                cur.c.recorded,
                still.c.sha256.label("present"),
                first.c.resource,
                first.c.author_id,
                first.c.recorded.label("first_recorded"),
                first.c.patient_system,
                first.c.patient_value,
                st.c.display_name.label("author_name"),
                *BLOB_INFO[1:4],
            )
            .select_from(
                firsts.join(
                    cur,
                    and_(
                        cur.c.lineage_id == firsts.c.lineage_id,
                        cur.c.seq <= ctx.bound,
                        is_latest(ctx, cur),
                    ),
                )
                .join(
                    first,
                    and_(
                        first.c.lineage_id == firsts.c.lineage_id,
                        first.c.version == firsts.c.first_version,
                    ),
                )
                .outerjoin(
                    still, and_(still.c.note_id == cur.c.id, still.c.sha256 == firsts.c.sha256)
                )
                .join(b, b.c.sha256 == firsts.c.sha256)
                .outerjoin(st, st.c.id == first.c.author_id)
            )
            .where(*matching(criteria, "_lastUpdated", lambda v: date_condition(v, cur.c.recorded)))
        )
        total, rows = paged(
            ctx.conn, query, offset, request.count, cur.c.seq.desc(), firsts.c.sha256
        )
        served = []
        for row in rows:
            first_row = {
                "resource": row["resource"], "author_id": row["author_id"],
                "author_name": row["author_name"], "recorded": row["first_recorded"],
                "patient_system": row["patient_system"], "patient_value": row["patient_value"],
            }  # fmt: skip
            photo = PhotoVersion(
                str(row["lineage_id"]),
                str(row["sha256"]),
                int(row["version"]),
                str(row["recorded"]),
                row["present"] is not None,
                int(row["first_version"]),
                first_row,
                row,
            )
            served.append(_served(ctx, photo))
        return total, served

    def read(self, ctx: Context, rid: str, version: str | None) -> Served | None:
        versions = _photo_versions(ctx, rid)
        if not versions:
            return None
        if version is None:
            return _served(ctx, versions[-1])
        number = version_number(version)
        return next((_served(ctx, v) for v in versions if v.version == number), None)

    def history(
        self, ctx: Context, rid: str, offset: int, count: int
    ) -> tuple[int, list[Served]] | None:
        versions = _photo_versions(ctx, rid)
        if not versions:
            return None
        newest_first = versions[::-1][offset : offset + count]
        return len(versions), [_served(ctx, v) for v in newest_first]


def _served(ctx: Context, photo: PhotoVersion) -> Served:
    return Served(
        resources.document_reference(photo, ctx.state),
        frozenset({as_patient(patient_of_row(photo.first))}),
        created=photo.version == photo.first_version,
    )


def _photo_versions(ctx: Context, rid: str) -> list[PhotoVersion]:
    """Every version of a DocumentReference the caller can see, oldest first."""
    split = resources.split_document_reference_id(rid)
    if split is None:
        return []
    lineage, prefix = split
    rows = (
        ctx.conn.execute(
            select(n, st.c.display_name.label("author_name"))
            .select_from(n.outerjoin(st, st.c.id == n.c.author_id))
            .where(n.c.lineage_id == lineage, *ctx.visible())
            .order_by(n.c.version)
        )
        .mappings()
        .all()
    )
    if not rows:
        return []
    carried = ctx.conn.execute(
        select(p.c.note_id, p.c.sha256).where(
            p.c.note_id.in_([str(row["id"]) for row in rows]),
            p.c.sha256.startswith(prefix, autoescape=True),
        )
    ).all()
    if not carried:
        return []
    sha = min(str(s) for _, s in carried)
    carrying = {str(note_id) for note_id, s in carried if s == sha}
    blob = ctx.conn.execute(select(*BLOB_INFO).where(b.c.sha256 == sha)).mappings().first()
    if blob is None:
        return []
    first_index = next(i for i, row in enumerate(rows) if str(row["id"]) in carrying)
    first = rows[first_index]
    return [
        PhotoVersion(
            lineage,
            sha,
            int(row["version"]),
            str(row["recorded"]),
            str(row["id"]) in carrying,
            int(first["version"]),
            first,
            blob,
        )
        for row in rows[first_index:]
    ]


class Binaries:
    name = "Binary"
    params = (LAST_UPDATED,)

    def search(self, ctx: Context, request: SearchRequest, offset: int) -> tuple[int, list[Served]]:
        visible = select(p.c.sha256).select_from(p.join(n, n.c.id == p.c.note_id))
        query = select(*BLOB_INFO).where(
            b.c.sha256.in_(visible.where(*ctx.visible())),
            *matching(
                request.criteria, "_lastUpdated", lambda v: date_condition(v, b.c.created_at)
            ),
        )
        total, rows = paged(
            ctx.conn, query, offset, request.count, b.c.created_at.desc(), b.c.sha256
        )
        patients = _patients_of(ctx, [str(row["sha256"]) for row in rows])
        return total, [
            Served(resources.binary(row, None), frozenset(patients.get(str(row["sha256"]), ())))
            for row in rows
        ]

    def read(self, ctx: Context, rid: str, version: str | None) -> Served | None:
        if not SHA256_PATTERN.fullmatch(rid):
            return None
        if version is not None and version_number(version) != 1:
            return None
        patients = _patients_of(ctx, [rid]).get(rid)
        if not patients:
            return None
        row = ctx.conn.execute(select(*BLOB_INFO, b.c.data).where(b.c.sha256 == rid)).mappings()
        blob = row.first()
        if blob is None:
            return None
        data = bytes(blob["data"])
        return Served(
            resources.binary(blob, data),
            frozenset(patients),
            raw=(str(blob["content_type"]), data),
        )

    def history(
        self, ctx: Context, rid: str, offset: int, count: int
    ) -> tuple[int, list[Served]] | None:
        found = self.read(ctx, rid, None)
        return None if found is None else (1, [found][offset : offset + count])


def _patients_of(ctx: Context, shas: Sequence[str]) -> Mapping[str, set[Patient]]:
    """The patients of the visible notes that carry each photo."""
    found: dict[str, set[Patient]] = {}
    if not shas:
        return found
    rows = ctx.conn.execute(
        select(p.c.sha256, n.c.patient_system, n.c.patient_value)
        .select_from(p.join(n, n.c.id == p.c.note_id))
        .where(p.c.sha256.in_(shas), *ctx.visible())
        .distinct()
    )
    for sha, system, value in rows:
        found.setdefault(str(sha), set()).add((str(system), str(value)))
    return found
