"""Clinical photo blobs: content-addressed by SHA-256, checked by content, read through notes.

A photo is uploaded before the note that references it (DESIGN.md §4, "Blobs"). The server
never trusts the sender's word for what the bytes are: the body must hash to its address and
decode as the JPEG or PNG it says it is. A blob is only ever read through a note the caller can
see, and every read is audited with the note's patient.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import struct
import warnings
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from wardlink.core.photo_formats import PhotoFormat, photo_format, png_chunks_intact
from wardlink.core.photo_metadata import metadata_blocks
from wardlink.core.photos import JPEG_CONTENT_TYPE, MAX_PIXELS, PNG_CONTENT_TYPE
from wardlink_server import audit, directory, schema
from wardlink_server.audit import Actor
from wardlink_server.auth import Caller
from wardlink_server.errors import ApiError
from wardlink_server.services import Services

SHA256_PATTERN = re.compile(r"[0-9a-f]{64}", re.ASCII)
CONTENT_TYPES = {JPEG_CONTENT_TYPE: PhotoFormat.JPEG, PNG_CONTENT_TYPE: PhotoFormat.PNG}

# What Pillow raises on damaged or hostile input.
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
    RuntimeError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


@dataclass(frozen=True)
class Blob:
    sha256: str
    content_type: str
    size: int
    sha1_b64: str


@dataclass(frozen=True)
class StoredBlob:
    blob: Blob
    created: bool  # False when the same bytes were stored before


def check_address(sha256: str) -> str:
    """The path's content address, or a 400 if it is not a lowercase hex SHA-256."""
    if not SHA256_PATTERN.fullmatch(sha256):
        raise ApiError(
            "invalid", "A photo's address is its SHA-256 in lowercase hex.", field="sha256"
        )
    return sha256


def check_uploader(caller: Caller) -> None:
    if caller.is_integration:
        raise ApiError("forbidden", "Integration accounts cannot upload photos.")


def declared_format(content_type: str | None) -> PhotoFormat:
    """The format the request's Content-Type names; only JPEG and PNG are taken."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    found = CONTENT_TYPES.get(media)
    if found is None:
        raise ApiError(
            "invalid",
            "Send a photo as image/jpeg or image/png.",
            field="content-type",
        )
    return found


def max_bytes(services: Services) -> int:
    return services.policy.max_photo_bytes


def too_large(services: Services) -> ApiError:
    return ApiError(
        "too_large",
        f"The photo is larger than the {services.policy.max_photo_mb} MB limit.",
        max_bytes=max_bytes(services),
    )


def store(
    services: Services, caller: Caller, sha256: str, declared: PhotoFormat, data: bytes
) -> StoredBlob:
    """Check `data` and store it at `sha256`; the same bytes again are not stored twice."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ApiError(
            "invalid", "The photo's bytes do not match its address.", status=422, field="sha256"
        )
    with services.engine.connect() as conn:
        existing = _blob(conn, sha256)
    if existing is not None:
        return StoredBlob(existing, created=False)
    _check_content(data, declared)
    content_type = next(k for k, v in CONTENT_TYPES.items() if v is declared)
    blob = Blob(
        sha256=sha256,
        content_type=content_type,
        size=len(data),
        sha1_b64=base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode(),
    )
    try:
        with services.writer.begin() as conn:
            conn.execute(
                insert(schema.blobs).values(
                    sha256=blob.sha256,
                    content_type=blob.content_type,
                    size=blob.size,
                    sha1_b64=blob.sha1_b64,
                    data=data,
                    uploaded_by=caller.staff_id,
                    created_at=services.now(),
                )
            )
    except IntegrityError:  # the same photo arrived at the same moment from another upload
        return StoredBlob(blob, created=False)
    return StoredBlob(blob, created=True)


def _blob(conn: Connection, sha256: str) -> Blob | None:
    b = schema.blobs
    row = (
        conn.execute(
            select(b.c.sha256, b.c.content_type, b.c.size, b.c.sha1_b64).where(b.c.sha256 == sha256)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Blob(row["sha256"], row["content_type"], int(row["size"]), row["sha1_b64"])


def _check_content(data: bytes, declared: PhotoFormat) -> None:
    """Refuse (422) bytes that are not a whole, decodable photo of the declared format."""
    if photo_format(data) is not declared:
        raise _not_a_photo()
    if declared is PhotoFormat.PNG and not png_chunks_intact(data):
        raise _not_a_photo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[declared.value]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise _not_a_photo()
                image.load()
        except _DECODE_ERRORS:
            raise _not_a_photo() from None
    found = metadata_blocks(data, declared)
    if found:
        raise ApiError(
            "invalid",
            "The photo still carries metadata (such as location, camera or time details): "
            "add it through Wardlink, which removes them before upload.",
            status=422,
            blocks=found,
        )


def _not_a_photo() -> ApiError:
    return ApiError(
        "invalid",
        "The upload is not a complete JPEG or PNG photo of the type it was sent as.",
        status=422,
    )


@dataclass(frozen=True)
class PhotoRead:
    content_type: str
    data: bytes


def read(services: Services, caller: Caller, sha256: str) -> PhotoRead:
    """The photo's bytes, if the caller can see a note that references it (404 otherwise).

    The read is audited with the patient of the note it was reached through: one entry per
    patient, should the same photo be in notes about two.
    """
    n, p, b = schema.notes, schema.note_photos, schema.blobs
    with services.writer.begin() as conn:
        query = (
            select(n.c.id, n.c.patient_system, n.c.patient_value)
            .select_from(p.join(n, n.c.id == p.c.note_id))
            .where(p.c.sha256 == sha256)
            .order_by(n.c.seq)
        )
        if not caller.is_integration:
            query = query.where(n.c.team_id.in_(directory.team_ids_of(conn, caller.staff_id)))
        first_note: dict[tuple[str, str], str] = {}
        for note_id, system, value in conn.execute(query):
            first_note.setdefault((str(system), str(value)), str(note_id))
        blob = conn.execute(select(b.c.content_type, b.c.data).where(b.c.sha256 == sha256)).first()
        if not first_note or blob is None:
            raise ApiError("not_found", "There is no photo at that address that you can see.")
        for patient, note_id in first_note.items():
            audit.record(
                conn,
                Actor(caller.staff_id, caller.device_id),
                "photo.read",
                sha256,
                at=services.now(),
                patient=patient,
                detail={"note_id": note_id},
            )
    return PhotoRead(str(blob.content_type), bytes(blob.data))
