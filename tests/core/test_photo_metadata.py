"""The record server's allow-list check: a processed photo is clean, anything else is named."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from wardlink.core.photo_formats import PhotoFormat
from wardlink.core.photo_metadata import metadata_blocks
from wardlink.core.photos import process_photo

LIMIT = 10 * 1024 * 1024


def encode(fmt: str, **options: object) -> bytes:
    image = Image.new("RGB", (64, 48))
    for x in range(64):
        image.putpixel((x, x % 48), (x * 4, 255 - x * 4, 90))
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def test_processed_photos_are_clean() -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    for source in (encode("JPEG", exif=exif.tobytes()), encode("PNG", dpi=(300, 300))):
        processed = process_photo(source, max_bytes=LIMIT)
        fmt = PhotoFormat.JPEG if processed.content_type == "image/jpeg" else PhotoFormat.PNG
        assert metadata_blocks(processed.data, fmt) == []
        assert metadata_blocks(source, fmt) != []


@pytest.mark.parametrize(
    "options",
    [{}, {"progressive": True}, {"optimize": True}, {"quality": 30, "subsampling": 0}],
)
def test_plain_jpeg_layouts_are_clean(options: dict[str, object]) -> None:
    """Multi-scan (progressive) and optimised JPEGs walk through to the end marker."""
    assert metadata_blocks(encode("JPEG", **options), PhotoFormat.JPEG) == []


def test_restart_markers_inside_a_scan_are_not_blocks() -> None:
    data = encode("JPEG", restart_marker_blocks=1)
    assert b"\xff\xdd" in data  # a restart interval is defined
    assert metadata_blocks(data, PhotoFormat.JPEG) == []


def test_each_jpeg_block_is_named_without_its_content() -> None:
    jpeg = encode("JPEG")
    extra = b"".join(
        bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body
        for marker, body in [
            (0xE1, b"Exif\x00\x00secret"),
            (0xE2, b"ICC_PROFILE\x00"),
            (0xFE, b"x"),
        ]
    )
    found = metadata_blocks(jpeg[:2] + extra + jpeg[2:], PhotoFormat.JPEG)
    assert found == ["APP1", "APP2", "COM"]
    assert not any("secret" in name for name in found)


def test_a_jfif_header_with_a_thumbnail_is_refused() -> None:
    jpeg = encode("JPEG")
    assert jpeg[2:4] == b"\xff\xe0"
    length = int.from_bytes(jpeg[4:6], "big")
    thumb = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01" + b"\x00\x00\x00"
    header = b"\xff\xe0" + (len(thumb) + 2).to_bytes(2, "big") + thumb
    assert metadata_blocks(jpeg[:2] + header + jpeg[4 + length :], PhotoFormat.JPEG) == ["APP0"]


def test_png_chunks_outside_the_allow_list_are_named() -> None:
    png = encode("PNG")
    body = b"Comment\x00x"
    chunk = (
        len(body).to_bytes(4, "big")
        + b"tEXt"
        + body
        + zlib.crc32(b"tEXt" + body).to_bytes(4, "big")
    )
    at = png.index(b"IDAT") - 4
    assert metadata_blocks(png[:at] + chunk + png[at:], PhotoFormat.PNG) == ["tEXt"]
    assert metadata_blocks(png + b"more", PhotoFormat.PNG) == ["trailing data"]


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"\xff\xd8\xff\xe0\x00", PhotoFormat.JPEG),
        (encode("JPEG")[:-40], PhotoFormat.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00", PhotoFormat.PNG),
        (b"plain text", PhotoFormat.JPEG),
        (encode("PNG"), PhotoFormat.HEIF),
    ],
)
def test_damaged_or_foreign_bytes_are_never_clean(data: bytes, fmt: PhotoFormat) -> None:
    assert metadata_blocks(data, fmt) != []
