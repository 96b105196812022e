"""Clinical photo processing: metadata really gone, pixels upright, non-images refused.

Every image is made here in memory. The output is checked with JPEG and PNG readers written in
this file, independently of the module and of Pillow's own metadata parsing.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import io
import random
import struct
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from wardlink.core import photos
from wardlink.core.photos import PhotoRejected, PhotoTooLarge, ProcessedPhoto, process_photo

LIMIT = 10 * 1024 * 1024

# Strings planted in the inputs' metadata; none may survive processing.
SECRETS = [
    b"SecretCam",
    b"SecretModel",
    b"WARDLINK-GPS-TRACE",
    b"WARDLINK-MAKERNOTE",
    b"WARDLINK-XMP",
    b"WARDLINK-IPTC",
    b"WARDLINK-COMMENT",
    b"WARDLINK-TEXT",
    b"WARDLINK-ITXT",
    b"WARDLINK-ZTXT",
    b"WARDLINK-PRIVATE",
]
# What any metadata block would carry whatever its payload.
METADATA_MARKS = [
    b"Exif",
    b"GPS",
    b"http://ns.adobe.com",
    b"xmpmeta",
    b"adobe:ns:meta",
    b"Photoshop 3.0",
    b"8BIM",
    b"ICC_PROFILE",
    b"acsp",
    b"MM\x00*",
    b"II*\x00",
]

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


# --- independent readers -------------------------------------------------------------------


@dataclass
class JpegLayout:
    segments: list[tuple[int, bytes]]  # (marker, payload) from after SOI to SOS inclusive
    tail: bytes  # everything from the first marker after the entropy-coded scan


def read_jpeg(data: bytes) -> JpegLayout:
    """Walk a JPEG's marker segments up to SOS, then skip the scan to the next real marker."""
    assert data[:2] == b"\xff\xd8", "no SOI"
    pos = 2
    segments: list[tuple[int, bytes]] = []
    while True:
        assert data[pos] == 0xFF, f"expected a marker at {pos}"
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            segments.append((marker, b""))
            continue
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        segments.append((marker, data[pos + 2 : pos + length]))
        pos += length
        if marker == 0xDA:
            break
    while True:
        pos = data.index(b"\xff", pos)
        following = data[pos + 1]
        if following in (0x00, 0xFF) or 0xD0 <= following <= 0xD7:
            pos += 1
            continue
        return JpegLayout(segments, data[pos:])


def read_png(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every PNG chunk as (type, body), each CRC checked, nothing after IEND."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
    pos = 8
    chunks: list[tuple[bytes, bytes]] = []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert pos == len(data)
    return chunks


def assert_clean_jpeg(data: bytes) -> None:
    layout = read_jpeg(data)
    markers = [marker for marker, _ in layout.segments]
    allowed = {0xE0, 0xDB, 0xC4, 0xC0, 0xDD, 0xDA}
    assert set(markers) <= allowed, [hex(m) for m in markers]
    assert markers.count(0xC0) == 1, "not exactly one baseline frame header"
    for marker, payload in layout.segments:
        if marker == 0xE0:  # the minimal JFIF header and nothing else: no thumbnail
            assert payload[:5] == b"JFIF\x00"
            assert len(payload) == 14
            assert payload[12:14] == b"\x00\x00"
    assert layout.tail == b"\xff\xd9", "something after the scan other than EOI"
    assert_no_marks(data)


def assert_clean_png(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks = read_png(data)
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    assert set(kinds) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}, kinds
    assert_no_marks(data)
    return chunks


def assert_no_marks(data: bytes) -> None:
    for mark in SECRETS + METADATA_MARKS:
        assert mark not in data, mark


# --- making inputs ---------------------------------------------------------------------------


def ifd(entries: list[tuple[int, int, int, bytes]], start: int, next_ifd: int = 0) -> bytes:
    """One little-endian TIFF IFD at offset `start`, values over four bytes placed after it."""
    head = struct.pack("<H", len(entries))
    data_start = start + 2 + 12 * len(entries) + 4
    extra = b""
    for tag, kind, count, value in sorted(entries):
        if len(value) <= 4:
            head += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
        else:
            head += struct.pack("<HHII", tag, kind, count, data_start + len(extra))
            extra += value + b"\x00" * (len(value) % 2)
    return head + struct.pack("<I", next_ifd) + extra


def exif_block(orientation: int = 1, *, thumbnail: bytes = b"") -> bytes:
    """EXIF as a camera writes it: make/model, orientation, Exif IFD with a MakerNote, GPS IFD,
    and IFD1 holding a JPEG thumbnail. Returned with its "Exif\\0\\0" header."""
    ascii_, short, long_, rational, undefined = 2, 3, 4, 5, 7

    def text(value: str) -> tuple[int, bytes]:
        raw = value.encode() + b"\x00"
        return len(raw), raw

    def rationals(*pairs: tuple[int, int]) -> bytes:
        return b"".join(struct.pack("<II", n, d) for n, d in pairs)

    maker_note = b"WARDLINK-MAKERNOTE serial 0042"
    method = b"ASCII\x00\x00\x00WARDLINK-GPS-TRACE"
    exif_ifd = [
        (0x9003, ascii_, *text("2026:11:28 09:15:02")),
        (0x927C, undefined, len(maker_note), maker_note),
    ]
    gps_ifd = [
        (0x0001, ascii_, 2, b"N\x00"),
        (0x0002, rational, 3, rationals((51, 1), (30, 1), (2644, 100))),
        (0x0003, ascii_, 2, b"W\x00"),
        (0x0004, rational, 3, rationals((0, 1), (7, 1), (3946, 100))),
        (0x001B, undefined, len(method), method),
    ]

    def layout(exif_at: int, gps_at: int, ifd1_at: int, thumb_at: int) -> list[bytes]:
        ifd0 = [
            (0x010F, ascii_, *text("SecretCam")),
            (0x0110, ascii_, *text("SecretModel X")),
            (0x0112, short, 1, struct.pack("<H", orientation)),
            (0x8769, long_, 1, struct.pack("<I", exif_at)),
            (0x8825, long_, 1, struct.pack("<I", gps_at)),
        ]
        ifd1 = [
            (0x0103, short, 1, struct.pack("<H", 6)),
            (0x0201, long_, 1, struct.pack("<I", thumb_at)),
            (0x0202, long_, 1, struct.pack("<I", len(thumbnail))),
        ]
        parts = [
            ifd(ifd0, 8, ifd1_at if thumbnail else 0),
            ifd(exif_ifd, exif_at),
            ifd(gps_ifd, gps_at),
        ]
        return [*parts, ifd(ifd1, ifd1_at)] if thumbnail else parts

    sizes = [len(part) for part in layout(0, 0, 0, 0)]
    starts = [8]
    for size in sizes:
        starts.append(starts[-1] + size)
    parts = layout(starts[1], starts[2], starts[3], starts[-1])
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + b"".join(parts) + thumbnail


XMP_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="51,30.44N" exif:UserComment="WARDLINK-XMP"/>'
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def iptc_block() -> bytes:
    caption = b"WARDLINK-IPTC caption naming the patient"
    record = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record))
    return b"Photoshop 3.0\x00" + resource + record + b"\x00" * (len(record) % 2)


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_segments(jpeg: bytes, *segments: bytes) -> bytes:
    """`jpeg` with marker segments inserted straight after its SOI."""
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def quadrants(width: int = 64, height: int = 32) -> Image.Image:
    """Upright test card: red top-left, green top-right, blue bottom-left, white bottom-right."""
    image = Image.new("RGB", (width, height), WHITE)
    image.paste(RED, (0, 0, width // 2, height // 2))
    image.paste(GREEN, (width // 2, 0, width, height // 2))
    image.paste(BLUE, (0, height // 2, width // 2, height))
    return image


def stored_for_orientation(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera stores so that EXIF `orientation` displays `upright`.

    Written from the EXIF definition of where stored row 0 and column 0 lie on the display,
    pixel by pixel, so that it shares nothing with the module's transposes.
    """
    width, height = upright.size
    to_visual: dict[int, Callable[[int, int], tuple[int, int]]] = {
        1: lambda sx, sy: (sx, sy),  # row 0 top, column 0 left
        2: lambda sx, sy: (width - 1 - sx, sy),  # row 0 top, column 0 right
        3: lambda sx, sy: (width - 1 - sx, height - 1 - sy),  # row 0 bottom, column 0 right
        4: lambda sx, sy: (sx, height - 1 - sy),  # row 0 bottom, column 0 left
        5: lambda sx, sy: (sy, sx),  # row 0 left, column 0 top
        6: lambda sx, sy: (width - 1 - sy, sx),  # row 0 right, column 0 top
        7: lambda sx, sy: (width - 1 - sy, height - 1 - sx),  # row 0 right, column 0 bottom
        8: lambda sx, sy: (sy, height - 1 - sx),  # row 0 left, column 0 bottom
    }
    size = (width, height) if orientation <= 4 else (height, width)
    stored = Image.new("RGB", size)
    for sy in range(size[1]):
        for sx in range(size[0]):
            pixel = upright.getpixel(to_visual[orientation](sx, sy))
            assert isinstance(pixel, tuple)
            stored.putpixel((sx, sy), pixel)
    return stored


def assert_upright(data: bytes, width: int = 64, height: int = 32) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (width, height)
        rgb = image.convert("RGB")
        expected = {
            (width // 4, height // 4): RED,
            (3 * width // 4, height // 4): GREEN,
            (width // 4, 3 * height // 4): BLUE,
            (3 * width // 4, 3 * height // 4): WHITE,
        }
        for point, colour in expected.items():
            got = rgb.getpixel(point)
            assert isinstance(got, tuple)
            assert all(abs(a - b) <= 48 for a, b in zip(got, colour, strict=True)), (point, got)


def camera_jpeg(orientation: int = 1) -> bytes:
    """A JPEG carrying every metadata block a phone or an editor adds."""
    upright = quadrants()
    thumbnail = encode(stored_for_orientation(upright, orientation).resize((16, 8)), "JPEG")
    base = encode(stored_for_orientation(upright, orientation), "JPEG", quality=95)
    return with_segments(
        base,
        segment(0xE1, exif_block(orientation, thumbnail=thumbnail)),
        segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP_PACKET),
        segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + srgb_icc()),
        segment(0xED, iptc_block()),
        segment(0xFE, b"WARDLINK-COMMENT taken in bay 4"),
    )


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` but whose data is next to nothing."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b""))
        + png_chunk(b"IEND", b"")
    )


def heif_encoder() -> Any:
    pillow_heif = pytest.importorskip("pillow_heif", reason="the HEIF library is not installed")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("this libheif build has no HEVC encoder, so no HEIC can be made in memory")
    return pillow_heif


def camera_heic(orientation: int = 1, image: Image.Image | None = None) -> bytes:
    """A HEIC as a phone writes it: stored pixels, the orientation as the container's rotation
    and mirroring (which the encoder derives from the EXIF tag), EXIF and XMP."""
    pillow_heif = heif_encoder()
    picture = image or quadrants()
    heif = pillow_heif.from_bytes(picture.mode, picture.size, picture.tobytes())
    heif.info["exif"] = exif_block(orientation)
    heif.info["xmp"] = XMP_PACKET
    out = io.BytesIO()
    heif.save(out, quality=95)
    return out.getvalue()


@pytest.fixture
def fresh_heic_check() -> Iterator[None]:
    photos.heic_supported.cache_clear()
    yield
    photos.heic_supported.cache_clear()


# --- metadata --------------------------------------------------------------------------------


def test_camera_jpeg_loses_every_metadata_block() -> None:
    source = camera_jpeg()
    markers = [marker for marker, _ in read_jpeg(source).segments]
    assert {0xE1, 0xE2, 0xED, 0xFE} <= set(markers)  # the input really carries them
    assert all(secret in source for secret in SECRETS[:6])
    with Image.open(io.BytesIO(source)) as original:  # and a real reader finds the GPS IFD
        assert original.getexif().get_ifd(0x8825)[0x0001] == "N"

    result = process_photo(source, max_bytes=LIMIT)

    assert result.content_type == "image/jpeg"
    assert_clean_jpeg(result.data)
    assert_upright(result.data)


def test_progressive_jpeg_comes_out_baseline() -> None:
    source = with_segments(
        encode(quadrants(), "JPEG", progressive=True), segment(0xE1, exif_block())
    )
    assert 0xC2 in [marker for marker, _ in read_jpeg(source).segments]
    assert_clean_jpeg(process_photo(source, max_bytes=LIMIT).data)


def test_png_keeps_only_critical_chunks() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "WARDLINK-TEXT")
    info.add_itxt("Description", "WARDLINK-ITXT", lang="en")
    info.add_text("Author", "WARDLINK-ZTXT " * 20, zip=True)
    info.add(b"tIME", struct.pack(">HBBBBB", 2026, 11, 28, 9, 15, 2))
    info.add(b"prIv", b"WARDLINK-PRIVATE")
    info.add(b"XML:", XMP_PACKET)
    source = encode(
        quadrants().convert("RGBA"),
        "PNG",
        pnginfo=info,
        icc_profile=srgb_icc(),
        exif=exif_block(),
        dpi=(300, 300),
    )
    kinds = {kind for kind, _ in read_png(source)}
    assert {b"tEXt", b"iTXt", b"zTXt", b"tIME", b"iCCP", b"eXIf", b"pHYs", b"prIv"} <= kinds

    result = process_photo(source, max_bytes=LIMIT)

    assert result.content_type == "image/png"
    assert {kind for kind, _ in assert_clean_png(result.data)} == {b"IHDR", b"IDAT", b"IEND"}
    assert_upright(result.data)


def test_heic_becomes_clean_jpeg() -> None:
    source = camera_heic()
    assert b"SecretCam" in source
    assert b"WARDLINK-XMP" in source

    result = process_photo(source, max_bytes=LIMIT)

    assert result.content_type == "image/jpeg"
    assert_clean_jpeg(result.data)
    assert_upright(result.data)


def test_heic_with_alpha_is_flattened_onto_white() -> None:
    card = quadrants().convert("RGBA")
    card.paste((0, 0, 0, 0), (32, 16, 64, 32))  # transparent where white would be
    result = process_photo(camera_heic(image=card), max_bytes=LIMIT)
    assert_upright(result.data)


def test_without_a_heif_decoder_heic_is_refused_plainly(
    fresh_heic_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = camera_heic()
    monkeypatch.setitem(sys.modules, "pillow_heif", None)
    with pytest.raises(PhotoRejected) as caught:
        process_photo(source, max_bytes=LIMIT)
    assert caught.value.reason == "heic_unsupported"
    assert "JPEG" in caught.value.message


# --- orientation -----------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_orientation_is_applied(orientation: int) -> None:
    source = camera_jpeg(orientation)
    stored_width, _ = Image.open(io.BytesIO(source)).size
    assert stored_width == (64 if orientation <= 4 else 32)

    result = process_photo(source, max_bytes=LIMIT)

    assert (result.width, result.height) == (64, 32)
    assert_upright(result.data)
    assert_clean_jpeg(result.data)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_heic_orientation_is_applied(orientation: int) -> None:
    source = camera_heic(orientation, stored_for_orientation(quadrants(), orientation))
    assert (b"irot" in source or b"imir" in source) == (orientation != 1)
    result = process_photo(source, max_bytes=LIMIT)
    assert_upright(result.data)


def test_png_exif_orientation_is_applied() -> None:
    source = encode(stored_for_orientation(quadrants(), 6), "PNG", exif=exif_block(6))
    result = process_photo(source, max_bytes=LIMIT)
    assert (result.width, result.height) == (64, 32)
    assert_upright(result.data)


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_nonsense_orientation_leaves_pixels_as_stored(orientation: int) -> None:
    source = with_segments(encode(quadrants(), "JPEG"), segment(0xE1, exif_block(orientation)))
    assert_upright(process_photo(source, max_bytes=LIMIT).data)


# --- modes -----------------------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb() -> None:
    source = encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG")
    result = process_photo(source, max_bytes=LIMIT)
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.mode == "RGB"
        red = image.getpixel((16, 16))
    assert isinstance(red, tuple)
    assert red[0] > 200
    assert max(red[1], red[2]) < 50


def test_grey_jpeg_stays_grey() -> None:
    result = process_photo(encode(Image.new("L", (32, 32), 77), "JPEG"), max_bytes=LIMIT)
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.mode == "L"
        assert abs(int(image.getpixel((5, 5))) - 77) <= 2  # type: ignore[arg-type]


def test_sixteen_bit_grey_png_is_scaled_to_eight_bits() -> None:
    deep = Image.new("I;16", (3, 1))
    for x, value in enumerate((0, 32896, 65535)):
        deep.putpixel((x, 0), value)
    result = process_photo(encode(deep, "PNG"), max_bytes=LIMIT)
    assert_clean_png(result.data)
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.mode == "L"
        assert [image.getpixel((x, 0)) for x in range(3)] == [0, 128, 255]


def test_palette_png_keeps_its_transparency() -> None:
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([*RED, *GREEN])
    palette.paste(0, (0, 0, 4, 8))
    source = encode(palette, "PNG", transparency=0)
    result = process_photo(source, max_bytes=LIMIT)
    kinds = [kind for kind, _ in assert_clean_png(result.data)]
    assert b"PLTE" in kinds
    assert b"tRNS" in kinds
    with Image.open(io.BytesIO(result.data)) as image:
        rgba = image.convert("RGBA")
        assert rgba.getpixel((1, 1))[3] == 0  # type: ignore[index]
        assert rgba.getpixel((6, 1)) == (*GREEN, 255)


@pytest.mark.parametrize("mode", ["LA", "RGBA"])
def test_alpha_survives_in_png(mode: str) -> None:
    image = Image.new(mode, (4, 4), (90, 10) if mode == "LA" else (1, 2, 3, 10))
    result = process_photo(encode(image, "PNG"), max_bytes=LIMIT)
    assert_clean_png(result.data)
    with Image.open(io.BytesIO(result.data)) as out:
        assert out.mode == mode
        assert out.getpixel((0, 0)) == image.getpixel((0, 0))


def test_unreadable_icc_profile_is_dropped_not_fatal() -> None:
    source = with_segments(
        encode(quadrants(), "JPEG"), segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"junk" * 40)
    )
    result = process_photo(source, max_bytes=LIMIT)
    assert_clean_jpeg(result.data)
    assert_upright(result.data)


# --- refusals --------------------------------------------------------------------------------


def good_jpeg() -> bytes:
    return encode(quadrants(), "JPEG")


def good_png() -> bytes:
    return encode(quadrants(), "PNG")


def flip_idat_byte(data: bytes) -> bytes:
    at = data.index(b"IDAT") + 6
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to claim `width` x `height`."""
    data = bytearray(good_jpeg())
    at = data.index(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


REFUSED: dict[str, tuple[Callable[[], bytes], str]] = {
    "zero bytes": (lambda: b"", "not_an_image"),
    "text": (lambda: b"Bed 4: obs stable, review at 14:00\n" * 5, "not_an_image"),
    "random bytes": (lambda: bytes(range(256)) * 4, "not_an_image"),
    "text behind a JPEG header": (
        lambda: b"\xff\xd8\xff\xe0" + b"not a photo at all " * 9,
        "damaged",
    ),
    "JPEG magic then garbage": (
        lambda: b"\xff\xd8\xff" + random.Random(7).randbytes(2000),
        "damaged",
    ),
    "JPEG cut in half": (lambda: good_jpeg()[: len(good_jpeg()) // 2], "damaged"),
    "JPEG without its last bytes": (lambda: good_jpeg()[:-40], "damaged"),
    "PNG cut in half": (lambda: good_png()[: len(good_png()) // 2], "damaged"),
    "PNG without IEND": (lambda: good_png()[:-12], "damaged"),
    "PNG with a bad CRC": (lambda: flip_idat_byte(good_png()), "damaged"),
    "PNG header then junk": (lambda: b"\x89PNG\r\n\x1a\n" + b"junk" * 100, "damaged"),
    "GIF": (lambda: encode(quadrants(), "GIF"), "unsupported_format"),
    "TIFF": (lambda: encode(quadrants(), "TIFF"), "unsupported_format"),
    "BMP": (lambda: encode(quadrants(), "BMP"), "unsupported_format"),
    "WebP": (lambda: b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40, "unsupported_format"),
    "SVG": (
        lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "unsupported_format",
    ),
    "PDF": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "unsupported_format"),
    "PNG bomb, 10 gigapixels": (lambda: png_bomb(100_000, 100_000), "too_many_pixels"),
    "PNG bomb, 100 megapixels": (lambda: png_bomb(10_000, 10_000), "too_many_pixels"),
    "PNG bomb, 56 megapixels": (lambda: png_bomb(8_000, 7_000), "too_many_pixels"),
    "JPEG bomb": (lambda: jpeg_claiming(60_000, 60_000), "too_many_pixels"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_not_really_a_photo_is_refused(name: str) -> None:
    make, reason = REFUSED[name]
    with pytest.raises(PhotoRejected) as caught:
        process_photo(make(), max_bytes=LIMIT)
    assert caught.value.reason == reason
    assert caught.value.message == str(caught.value)
    assert not isinstance(caught.value, PhotoTooLarge)


def outcome(source: bytes) -> ProcessedPhoto | PhotoRejected:
    """The processed photo or the refusal: anything else escaping is a bug."""
    try:
        return process_photo(source, max_bytes=LIMIT)
    except PhotoRejected as refused:
        return refused


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.data())
def test_damaged_jpeg_is_refused_or_comes_out_clean(data: st.DataObject) -> None:
    source = bytearray(good_jpeg())
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(2, len(source) - 1))
        source[at] = data.draw(st.integers(0, 255))
    source = source[: data.draw(st.integers(3, len(source)))]
    result = outcome(bytes(source))
    if isinstance(result, PhotoRejected):
        assert result.reason in ("not_an_image", "damaged", "too_many_pixels")
    else:
        assert_clean_jpeg(result.data)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(st.data())
def test_png_with_damaged_data_but_valid_crcs_is_refused_or_clean(data: st.DataObject) -> None:
    chunks = read_png(good_png())
    kinds = [kind for kind, _ in chunks]
    index = data.draw(st.sampled_from([kinds.index(b"IHDR"), kinds.index(b"IDAT")]))
    body = bytearray(chunks[index][1])
    for _ in range(data.draw(st.integers(1, 4))):
        body[data.draw(st.integers(0, len(body) - 1))] = data.draw(st.integers(0, 255))
    chunks[index] = (chunks[index][0], bytes(body))
    source = b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(kind, body) for kind, body in chunks)
    result = outcome(source)
    if isinstance(result, PhotoRejected):
        assert result.reason in ("damaged", "too_many_pixels")
    else:
        assert_clean_png(result.data)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(PhotoRejected):
        process_photo(data, max_bytes=LIMIT)


# --- hashes, determinism, size ---------------------------------------------------------------


@pytest.mark.parametrize("make", [camera_jpeg, good_png])
def test_hashes_and_size_describe_the_output(make: Callable[[], bytes]) -> None:
    result = process_photo(make(), max_bytes=LIMIT)
    assert result.size == len(result.data)
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    assert base64.b64decode(result.sha1_base64) == hashlib.sha1(result.data).digest()
    assert len(result.sha256) == 64


@pytest.mark.parametrize("make", [camera_jpeg, good_png, camera_heic])
def test_processing_is_deterministic(make: Callable[[], bytes]) -> None:
    source = make()
    first = process_photo(source, max_bytes=LIMIT)
    second = process_photo(source, max_bytes=LIMIT)
    assert first == second


def test_processed_photo_is_frozen() -> None:
    result = process_photo(good_png(), max_bytes=LIMIT)
    with pytest.raises(AttributeError):
        result.size = 1  # type: ignore[misc]


def noise(width: int, height: int) -> Image.Image:
    """Incompressible pixels, so that output size depends on the encoder's settings."""
    generator = random.Random(4)
    return Image.frombytes("RGB", (width, height), generator.randbytes(width * height * 3))


def test_longest_side_is_brought_down_to_4096() -> None:
    result = process_photo(encode(Image.new("RGB", (5000, 1000), RED), "JPEG"), max_bytes=LIMIT)
    assert (result.width, result.height) == (4096, 819)
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.size == (4096, 819)


def test_very_large_jpeg_is_decoded_scaled_and_fitted() -> None:
    source = encode(quadrants(8400, 1000), "JPEG")
    result = process_photo(source, max_bytes=LIMIT)
    assert (result.width, result.height) == (4096, 488)
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.size == (4096, 488)
        assert image.convert("RGB").getpixel((100, 100))[0] > 200  # type: ignore[index]


def test_over_the_cap_is_reduced_until_it_fits() -> None:
    source = encode(noise(800, 600), "JPEG", quality=95)
    at_first_step = len(encode(noise(800, 600), "JPEG", quality=85, optimize=True))
    limit = at_first_step - 1

    result = process_photo(source, max_bytes=limit)

    assert result.size <= limit
    assert_clean_jpeg(result.data)


def test_too_large_even_after_reducing_is_refused() -> None:
    with pytest.raises(PhotoTooLarge) as caught:
        process_photo(encode(noise(400, 300), "JPEG"), max_bytes=2_000)
    assert isinstance(caught.value, PhotoRejected)
    assert caught.value.reason == "too_large"
    assert caught.value.max_bytes == 2_000
    assert "2 KB" in caught.value.message


def test_png_stays_png_and_lossless_or_is_refused() -> None:
    source = encode(noise(300, 200), "PNG")
    kept = process_photo(source, max_bytes=LIMIT)
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.tobytes() == noise(300, 200).tobytes()
    with pytest.raises(PhotoTooLarge):
        process_photo(source, max_bytes=len(source) // 2)


def test_policy_megabytes_to_bytes() -> None:
    assert photos.max_bytes_from_policy(10) == 10 * 1024 * 1024
    with pytest.raises(ValueError, match="at least 1"):
        photos.max_bytes_from_policy(0)


# --- nothing on disk -------------------------------------------------------------------------


@pytest.fixture
def no_files_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Fail on any attempt to create a file; yield the (per-test) temp dir to inspect after."""
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR, which is per test
    temp_dir = Path(tempfile.gettempdir())
    assert temp_dir.is_relative_to(tmp_path)
    real_open = builtins.open

    def read_only_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            raise AssertionError(f"tried to write a file: {file!r}")
        return real_open(file, mode, *args, **kwargs)

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("tried to make a temp file")

    monkeypatch.setattr(builtins, "open", read_only_open)
    for name in (
        "mkstemp",
        "mkdtemp",
        "NamedTemporaryFile",
        "TemporaryFile",
        "SpooledTemporaryFile",
    ):
        monkeypatch.setattr(tempfile, name, refuse)
    before = sorted(temp_dir.rglob("*"))
    yield temp_dir
    assert sorted(temp_dir.rglob("*")) == before


@pytest.mark.parametrize("make", [camera_jpeg, good_png, camera_heic])
def test_no_temp_files(
    make: Callable[[], bytes], fresh_heic_check: None, no_files_written: Path
) -> None:
    result = process_photo(make(), max_bytes=LIMIT)
    assert isinstance(result, ProcessedPhoto)
    assert list(no_files_written.iterdir()) == []
