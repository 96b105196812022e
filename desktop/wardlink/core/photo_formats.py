"""What kind of file a photo is, judged by its bytes and never by its name.

A file's name and declared type are whatever the sender's device made up; only the content
decides. These checks are cheap and run before any decoder sees the bytes, so that a decoder is
only ever asked to read the one format the content claims to be.
"""

from __future__ import annotations

import enum
import zlib


class PhotoFormat(enum.Enum):
    """The formats Wardlink reads as clinical photos."""

    JPEG = "JPEG"
    PNG = "PNG"
    HEIF = "HEIF"


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"

# ISO base media file brands: HEVC-coded HEIF (what phones write), and the generic HEIF brands
# that a HEVC decoder may still read. AVIF shares the container but needs an AV1 decoder.
_HEVC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_GENERIC_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})

_MAX_CHUNK_LENGTH = 2**31 - 1  # the PNG specification's limit


def photo_format(data: bytes) -> PhotoFormat | None:
    """The photo format `data` claims to be by its magic bytes, or None."""
    if data.startswith(_JPEG_MAGIC):
        return PhotoFormat.JPEG
    if data.startswith(PNG_SIGNATURE):
        return PhotoFormat.PNG
    brands = _ftyp_brands(data)
    if brands is not None:
        major, all_brands = brands
        if major in _AVIF_BRANDS:
            return None
        if all_brands & _HEVC_BRANDS:
            return PhotoFormat.HEIF
        if major in _GENERIC_HEIF_BRANDS and not all_brands & _AVIF_BRANDS:
            return PhotoFormat.HEIF
    return None


def other_format_name(data: bytes) -> str | None:
    """The name of a well-known file format that is not a supported photo, for messages."""
    head = data[:1024]
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    if head.startswith(b"BM"):
        return "BMP"
    if head.startswith(b"%PDF-"):
        return "PDF"
    brands = _ftyp_brands(data)
    if brands is not None and brands[1] & _AVIF_BRANDS:
        return "AVIF"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in text:
        return "SVG"
    return None


def png_chunks_intact(data: bytes) -> bool:
    """True if `data` is a PNG signature and a well-formed run of chunks from IHDR to IEND.

    Every chunk's CRC is checked, including those of the image data, which decoders skip.
    Bytes after IEND are ignored: they are dropped with everything else that is not pixels.
    """
    if not data.startswith(PNG_SIGNATURE):
        return False
    offset = len(PNG_SIGNATURE)
    first = True
    while offset + 12 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        end = offset + 12 + length
        if length > _MAX_CHUNK_LENGTH or end > len(data) or not kind.isalpha():
            return False
        if first and (kind != b"IHDR" or length != 13):
            return False
        body = data[offset + 4 : offset + 8 + length]
        if zlib.crc32(body) != int.from_bytes(data[end - 4 : end], "big"):
            return False
        if kind == b"IEND":
            return True
        first = False
        offset = end
    return False


def _ftyp_brands(data: bytes) -> tuple[bytes, frozenset[bytes]] | None:
    """The major brand and all brands of an ISO base media file's `ftyp` box, or None."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    box_end = min(int.from_bytes(data[0:4], "big"), len(data), 4096)
    if box_end < 16:
        return None
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, box_end - 3, 4)}
    return major, frozenset({major, *compatible})
