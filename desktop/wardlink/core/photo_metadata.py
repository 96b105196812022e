"""Does a photo still carry metadata? The record server's check of what a client uploads.

A photo processed by `wardlink.core.photos` carries pixels and the minimum its format needs:
a JPEG has a bare JFIF header, quantisation and Huffman tables, a frame, restart interval and
scans; a PNG has IHDR, PLTE, tRNS, IDAT and IEND. Anything else (EXIF with GPS, XMP, IPTC, ICC
profiles, comments, thumbnails, text chunks, timestamps, data after the end) could identify a
patient, a place or a device, and a client is never trusted to have removed it. The check is an
allow-list over the file's structure, so a block nobody thought of is refused too.
"""

from __future__ import annotations

from typing import Final

from wardlink.core.photo_formats import PNG_SIGNATURE, PhotoFormat

# JPEG markers allowed before and between scans: DQT, DHT, DRI, the frame headers of baseline,
# extended and progressive Huffman-coded JPEG, SOS; APP0 only as a bare JFIF header.
_DQT, _DHT, _DRI, _SOS, _EOI, _APP0 = 0xDB, 0xC4, 0xDD, 0xDA, 0xD9, 0xE0
_FRAMES: Final = frozenset({0xC0, 0xC1, 0xC2})
_JPEG_ALLOWED: Final = _FRAMES | {_DQT, _DHT, _DRI, _SOS}
_RESTARTS: Final = frozenset(range(0xD0, 0xD8))
_BARE_JFIF_LENGTH: Final = (
    16  # the length field counts itself: 2 + "JFIF\0" + 9 bytes, no thumbnail
)

_PNG_ALLOWED: Final = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})


def metadata_blocks(data: bytes, fmt: PhotoFormat) -> list[str]:
    """The names of whatever in `data` is not pixels or what decoding them needs; [] if clean.

    The names (a JPEG marker like "APP1", a PNG chunk type like "tEXt", "trailing data",
    "damaged structure") are safe to show and log: they never contain the block's content.
    """
    if fmt is PhotoFormat.JPEG:
        return _jpeg_blocks(data)
    if fmt is PhotoFormat.PNG:
        return _png_blocks(data)
    return ["not a processed photo format"]


def _jpeg_blocks(data: bytes) -> list[str]:
    found: list[str] = []
    if not data.startswith(b"\xff\xd8"):
        return ["damaged structure"]
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            return [*found, "damaged structure"]
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes may pad a marker
            pos += 1
        if pos >= len(data):
            break
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            if pos != len(data):
                found.append("trailing data")
            return found
        if pos + 2 > len(data):
            break
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > len(data):
            break
        payload = data[pos + 2 : pos + length]
        if marker == _APP0:
            if (
                length != _BARE_JFIF_LENGTH
                or not payload.startswith(b"JFIF\x00")
                or payload[-2:] != b"\x00\x00"
            ):
                found.append("APP0")
        elif marker not in _JPEG_ALLOWED:
            found.append(_jpeg_name(marker))
        pos += length
        if marker == _SOS:
            pos = _end_of_scan(data, pos)
    return [*found, "damaged structure"]


def _end_of_scan(data: bytes, pos: int) -> int:
    """The offset of the marker that ends the entropy-coded data starting at `pos`."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return len(data)
        following = data[pos + 1]
        if following == 0x00 or following in _RESTARTS:
            pos += 2
        elif following == 0xFF:
            pos += 1
        else:
            return pos


def _jpeg_name(marker: int) -> str:
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    if marker == 0xFE:
        return "COM"
    return f"marker 0x{marker:02X}"


def _png_blocks(data: bytes) -> list[str]:
    if not data.startswith(PNG_SIGNATURE):
        return ["damaged structure"]
    found: list[str] = []
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data) or not kind.isalpha():
            break
        if kind not in _PNG_ALLOWED:
            found.append(kind.decode("ascii"))
        if kind == b"IEND":
            if end != len(data):
                found.append("trailing data")
            return found
        pos = end
    return [*found, "damaged structure"]
