"""Clinical photo blobs: hash-checked, capped, JPEG or PNG by content, read only through notes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import uuid
import zlib
from collections.abc import Callable

import httpx2
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, insert, select
from starlette.requests import Request

from tests.server.conftest import Directory, auth
from tests.server.direct_sign_in import token_for
from wardlink.core.photos import process_photo
from wardlink.core.policy import merge
from wardlink_server import events, schema
from wardlink_server.api.blobs import _read_capped
from wardlink_server.services import Services

NHS = ("https://fhir.nhs.uk/Id/nhs-number", "9990000018")


def image_bytes(fmt: str, size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 60)).save(out, format=fmt)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(
    client: TestClient, token: str, data: bytes, content_type: str, address: str | None = None
) -> httpx2.Response:
    return client.put(
        f"/api/v1/blobs/{address or sha(data)}",
        content=data,
        headers={**auth(token), "Content-Type": content_type},
    )


def blob_count(services: Services) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.blobs)).scalar_one())


def file_note(
    services: Services, board: Directory, team: str, author: str, photos: list[str]
) -> str:
    """A note row and its photo links, as the push service stores them."""
    note_id = str(uuid.uuid4())
    with services.writer.begin() as conn:
        seq = events.append(conn, "note", at=services.now(), team_id=board.teams[team], data={})
        conn.execute(
            insert(schema.notes).values(
                id=note_id, lineage_id=note_id, version=1, version_of=None,
                team_id=board.teams[team], author_id=board.staff[author], device_id="d",
                form_url="https://wardlink.example/forms/wound-assessment", form_version="1",
                form_title="Wound assessment", patient_system=NHS[0], patient_value=NHS[1],
                status="completed", authored=services.now(), recorded=services.now(),
                reason=None, resource="{}", seq=seq,
            )
        )  # fmt: skip
        for position, digest in enumerate(photos):
            conn.execute(
                insert(schema.note_photos).values(note_id=note_id, sha256=digest, position=position)
            )
    return note_id


@pytest.fixture
def tokens(services: Services, board: Directory) -> Callable[[str], str]:
    return lambda username: token_for(services, board.staff[username])


def test_a_photo_is_stored_once_and_answers_201_then_200(
    client: TestClient, services: Services, tokens: Callable[[str], str]
) -> None:
    jpeg = image_bytes("JPEG")
    first = put(client, tokens("alice"), jpeg, "image/jpeg")
    assert first.status_code == 201, first.text
    expected_sha1 = base64.b64encode(hashlib.sha1(jpeg).digest()).decode()
    assert first.json() == {
        "sha256": sha(jpeg), "content_type": "image/jpeg", "size": len(jpeg), "sha1": expected_sha1,
    }  # fmt: skip
    again = put(client, tokens("bob"), jpeg, "image/jpeg")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert blob_count(services) == 1
    with services.engine.connect() as conn:
        row = conn.execute(select(schema.blobs)).mappings().one()
    assert bytes(row["data"]) == jpeg
    assert row["sha1_b64"] == expected_sha1
    assert row["uploaded_by"] is not None


def test_png_is_taken_and_kept_as_png(client: TestClient, tokens: Callable[[str], str]) -> None:
    png = image_bytes("PNG")
    response = put(client, tokens("dave"), png, "image/png; charset=binary")
    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


def _with_bad_crc(png: bytes) -> bytes:
    # Break the IDAT chunk's CRC and nothing else: decoders skip that check, so only the
    # chunk walk can tell.
    start = png.index(b"IDAT") - 4
    length = int.from_bytes(png[start : start + 4], "big")
    crc_at = start + 8 + length
    assert zlib.crc32(png[start + 4 : crc_at]) == int.from_bytes(png[crc_at : crc_at + 4], "big")
    damaged = bytearray(png)
    damaged[crc_at] ^= 0x01
    Image.open(io.BytesIO(bytes(damaged))).load()  # a decoder still takes it
    return bytes(damaged)


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("png with a broken crc", _with_bad_crc(image_bytes("PNG")), "image/png"),
        ("jpeg sent as png", image_bytes("JPEG"), "image/png"),
        ("png sent as jpeg", image_bytes("PNG"), "image/jpeg"),
        ("gif sent as png", image_bytes("GIF"), "image/png"),
        ("text sent as jpeg", b"Bay 3 bed 2 obs stable", "image/jpeg"),
        ("jpeg magic then junk", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "image/jpeg"),
        ("truncated jpeg", image_bytes("JPEG", (200, 200))[:300], "image/jpeg"),
        ("png signature then nothing", b"\x89PNG\r\n\x1a\n", "image/png"),
    ],
)
def test_a_file_that_only_claims_to_be_a_photo_is_refused(
    client: TestClient,
    services: Services,
    tokens: Callable[[str], str],
    name: str,
    data: bytes,
    content_type: str,
) -> None:
    response = put(client, tokens("alice"), data, content_type)
    assert response.status_code == 422, name
    assert response.json()["error"]["code"] == "invalid"
    assert blob_count(services) == 0


def _jpeg_with(marker: int, payload: bytes) -> bytes:
    """A plain JPEG with one more segment straight after its start marker."""
    jpeg = image_bytes("JPEG")
    segment = bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]


def _png_with(kind: bytes, body: bytes) -> bytes:
    png = image_bytes("PNG")
    chunk = len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    iend = png.index(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]


@pytest.mark.parametrize(
    ("data", "content_type", "block"),
    [
        (_jpeg_with(0xE1, b"Exif\x00\x00GPS 51.5N 0.12W"), "image/jpeg", "APP1"),
        (_jpeg_with(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"), "image/jpeg", "APP1"),
        (_jpeg_with(0xED, b"Photoshop 3.0\x00IPTC"), "image/jpeg", "APP13"),
        (_jpeg_with(0xFE, b"Bed 4, Mrs X"), "image/jpeg", "COM"),
        (image_bytes("JPEG") + b"appended", "image/jpeg", "trailing data"),
        (_png_with(b"tEXt", b"Comment\x00Bed 4, Mrs X"), "image/png", "tEXt"),
        (_png_with(b"eXIf", b"MM\x00*GPS"), "image/png", "eXIf"),
        (_png_with(b"tIME", bytes(7)), "image/png", "tIME"),
    ],
)
def test_a_photo_that_still_carries_metadata_is_refused(
    client: TestClient,
    services: Services,
    tokens: Callable[[str], str],
    data: bytes,
    content_type: str,
    block: str,
) -> None:
    """The client strips metadata; the server never trusts that it did."""
    Image.open(io.BytesIO(data)).load()  # still a photo a decoder takes
    response = put(client, tokens("alice"), data, content_type)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert block in error["blocks"]
    assert "Mrs X" not in response.text and "GPS" not in response.text
    assert blob_count(services) == 0


def test_a_photo_from_the_clients_processing_is_taken(
    client: TestClient, tokens: Callable[[str], str]
) -> None:
    source = _jpeg_with(0xE1, b"Exif\x00\x00GPS 51.5N 0.12W")
    processed = process_photo(source, max_bytes=10 * 1024 * 1024).data
    assert put(client, tokens("alice"), processed, "image/jpeg").status_code == 201


def test_the_body_must_hash_to_its_address(
    client: TestClient, services: Services, tokens: Callable[[str], str]
) -> None:
    jpeg = image_bytes("JPEG")
    response = put(client, tokens("alice"), jpeg, "image/jpeg", address="0" * 64)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["field"] == "sha256"
    assert blob_count(services) == 0


@pytest.mark.parametrize("address", ["abc", "A" * 64, "g" * 64, "0" * 63, "0" * 65])
def test_a_malformed_address_is_a_400(
    client: TestClient, tokens: Callable[[str], str], address: str
) -> None:
    token = tokens("alice")
    response = put(client, token, image_bytes("JPEG"), "image/jpeg", address=address)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert client.get(f"/api/v1/blobs/{address}", headers=auth(token)).status_code == 400


@pytest.mark.parametrize("content_type", [None, "text/plain", "image/gif", "application/json"])
def test_only_jpeg_and_png_content_types_are_taken(
    client: TestClient, tokens: Callable[[str], str], content_type: str | None
) -> None:
    data = image_bytes("JPEG")
    headers = auth(tokens("alice"))
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.put(f"/api/v1/blobs/{sha(data)}", content=data, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_size_cap_comes_from_policy(
    client: TestClient, services: Services, tokens: Callable[[str], str]
) -> None:
    services.policy = merge(None, {"max_photo_mb": 1}, None)
    big = b"\xff\xd8\xff" + b"\x00" * (1024 * 1024)
    response = put(client, tokens("alice"), big, "image/jpeg")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert blob_count(services) == 0


def test_an_oversized_body_is_not_read_past_the_cap(services: Services) -> None:
    pulled: list[int] = []

    async def receive() -> dict[str, object]:
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}

    request = Request({"type": "http", "method": "PUT", "headers": []}, receive)

    assert asyncio.run(_read_capped(request, 4500)) is None
    assert len(pulled) == 5  # 5000 bytes read: the first chunk past 4500, and no more


def test_a_declared_length_over_the_cap_is_refused_unread(services: Services) -> None:
    async def receive() -> dict[str, object]:
        raise AssertionError("the body was read")

    headers = [(b"content-length", b"999999")]
    request = Request({"type": "http", "method": "PUT", "headers": headers}, receive)

    assert asyncio.run(_read_capped(request, 1000)) is None


def test_uploads_need_a_staff_account(
    client: TestClient, services: Services, board: Directory, tokens: Callable[[str], str]
) -> None:
    jpeg = image_bytes("JPEG")
    unauthenticated = client.put(
        f"/api/v1/blobs/{sha(jpeg)}", content=jpeg, headers={"Content-Type": "image/jpeg"}
    )
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthenticated"
    integration = put(client, tokens("epr"), jpeg, "image/jpeg")
    assert integration.status_code == 403
    assert integration.json()["error"]["code"] == "forbidden"
    assert put(client, tokens("admin"), jpeg, "image/jpeg").status_code == 201


def test_a_photo_is_read_only_through_a_note_the_caller_can_see(
    client: TestClient, services: Services, board: Directory, tokens: Callable[[str], str]
) -> None:
    jpeg = image_bytes("JPEG")
    assert put(client, tokens("alice"), jpeg, "image/jpeg").status_code == 201
    url = f"/api/v1/blobs/{sha(jpeg)}"
    missing = client.get(f"/api/v1/blobs/{'0' * 64}", headers=auth(tokens("alice")))
    unreferenced = client.get(url, headers=auth(tokens("alice")))
    assert missing.status_code == unreferenced.status_code == 404
    assert missing.json() == unreferenced.json()

    file_note(services, board, "ward", "alice", [sha(jpeg)])
    for username in ("alice", "bob", "epr"):
        response = client.get(url, headers=auth(tokens(username)))
        assert response.status_code == 200, username
        assert response.content == jpeg
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "no-store"
    for username in ("carol", "dave", "admin"):
        response = client.get(url, headers=auth(tokens(username)))
        assert response.status_code == 404, username
        assert response.json() == missing.json()
    assert client.get(url).status_code == 401


def test_every_read_is_audited_with_the_patient(
    client: TestClient, services: Services, board: Directory, tokens: Callable[[str], str]
) -> None:
    png = image_bytes("PNG")
    put(client, tokens("carol"), png, "image/png")
    note_id = file_note(services, board, "community", "carol", [sha(png)])
    token = tokens("carol")
    for _ in range(2):
        assert client.get(f"/api/v1/blobs/{sha(png)}", headers=auth(token)).status_code == 200
    client.get(f"/api/v1/blobs/{sha(png)}", headers=auth(tokens("dave")))  # refused: not audited
    with services.engine.connect() as conn:
        reads = (
            conn.execute(select(schema.audit).where(schema.audit.c.action == "photo.read"))
            .mappings()
            .all()
        )
    assert len(reads) == 2
    assert {r["actor_id"] for r in reads} == {board.staff["carol"]}
    assert all(r["device_id"] for r in reads)
    assert {(r["patient_system"], r["patient_value"]) for r in reads} == {NHS}
    assert {r["subject"] for r in reads} == {sha(png)}
    assert {json.loads(r["detail"])["note_id"] for r in reads} == {note_id}
