"""Clinical photos made safe to file: upright, stripped of every metadata block, re-encoded.

Photos from phones carry GPS positions, device serials, capture times, thumbnails (which can
show what was cropped out), maker notes and comments; none of it may leave the device. Rather
than delete the blocks we know about, the photo is decoded and a new file is encoded from its
pixels alone, so nothing but pixels can reach the output, whatever the source carried. It all
happens in memory: a photo is never written to disk unencrypted, not even as a temp file.

Decisions:
- Input is JPEG, PNG, or HEIC/HEIF where the HEIF decoder is installed, told apart by content.
  JPEG and HEIC become baseline JPEG; PNG stays PNG (lossless, for screenshots of results)
  holding only IHDR, PLTE, tRNS, IDAT and IEND. Only the first frame of an animated or
  multi-picture file is kept.
- The EXIF orientation is applied to the pixels; HEIF's own rotation and mirroring are applied
  by its decoder.
- An RGB or CMYK ICC profile is applied (pixels converted to sRGB), then dropped; other or
  unreadable profiles are dropped unapplied. Alpha is flattened onto white for JPEG output;
  16-bit grey becomes 8-bit.
- At most 50 megapixels are decoded. The longest side is brought down to 4096 px and JPEG is
  encoded at quality 85; while the result exceeds `max_bytes`, quality and then size step down
  (`_JPEG_STEPS`, `_PNG_SIDES`) to no less than 1600 px on the longest side, and past the last
  step the photo is refused with PhotoTooLarge.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import ExifTags, Image, ImageCms

from wardlink.core.photo_formats import (
    PhotoFormat,
    other_format_name,
    photo_format,
    png_chunks_intact,
)

JPEG_CONTENT_TYPE = "image/jpeg"
PNG_CONTENT_TYPE = "image/png"
MAX_PIXELS = 50_000_000
MAX_SIDE = 4096
_MIB = 1024 * 1024

# (longest side, JPEG quality), tried in order until the output fits.
_JPEG_STEPS: tuple[tuple[int, int], ...] = (
    (4096, 85),
    (4096, 75),
    (3072, 75),
    (2048, 70),
    (1600, 60),
)
_PNG_SIDES: tuple[int, ...] = (4096, 3072, 2048, 1600)

_ORIENTATION_FIXES: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# What decoders raise on damaged or hostile input; anything else is a bug and propagates.
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
)

_PROFILE_ERRORS: tuple[type[Exception], ...] = (ImageCms.PyCMSError, *_DECODE_ERRORS)

_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA"})
_COLOUR_KEY_MODES = frozenset({"1", "L", "P", "RGB"})

Transparency = int | bytes | tuple[int, ...]
RejectionReason = Literal[
    "not_an_image",
    "unsupported_format",
    "heic_unsupported",
    "damaged",
    "too_many_pixels",
    "too_large",
]


class PhotoRejected(Exception):
    """A file that cannot be attached as a clinical photo; `message` is for the user."""

    def __init__(self, message: str, *, reason: RejectionReason) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class PhotoTooLarge(PhotoRejected):
    """A photo still over the size cap after every reduction step."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            "This photo is too large to attach, even after reducing its size and quality "
            f"(the limit is {_human_size(max_bytes)}).",
            reason="too_large",
        )
        self.max_bytes = max_bytes


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store and file: clean bytes plus what a FHIR Attachment needs."""

    data: bytes
    content_type: str
    width: int
    height: int
    size: int
    sha256: str
    sha1_base64: str


def max_bytes_from_policy(max_photo_mb: int) -> int:
    """Policy's `max_photo_mb` as a byte count; a megabyte here is 1,048,576 bytes."""
    if max_photo_mb < 1:
        raise ValueError("max_photo_mb must be at least 1")
    return max_photo_mb * _MIB


@functools.cache
def heic_supported() -> bool:
    """True if HEIC/HEIF photos can be read here; registers the decoder on first use."""
    try:
        import pillow_heif  # optional: loaded only when the first HEIC arrives
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def process_photo(data: bytes, *, max_bytes: int) -> ProcessedPhoto:
    """Check, orient, strip and re-encode a photo; PhotoRejected or PhotoTooLarge if it can't be."""
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    source_format = _checked_format(data)
    as_png = source_format is PhotoFormat.PNG
    image, transparency = _decode_upright(data, source_format)
    image, transparency = _png_ready(image, transparency) if as_png else (_jpeg_ready(image), None)
    encoded, (width, height) = _encode_within(image, transparency, as_png=as_png, limit=max_bytes)
    return ProcessedPhoto(
        data=encoded,
        content_type=PNG_CONTENT_TYPE if as_png else JPEG_CONTENT_TYPE,
        width=width,
        height=height,
        size=len(encoded),
        sha256=hashlib.sha256(encoded).hexdigest(),
        sha1_base64=_sha1_base64(encoded),
    )


def _sha1_base64(data: bytes) -> str:
    """SHA-1 as FHIR R4's Attachment.hash has it: an integrity check, not a security measure."""
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode("ascii")


def _checked_format(data: bytes) -> PhotoFormat:
    """The format the content claims, after the checks that need no decoder."""
    found = photo_format(data)
    if found is None:
        other = other_format_name(data)
        if other is not None:
            raise PhotoRejected(
                f"This is a {other} file. Only JPEG, PNG and HEIC photos can be attached.",
                reason="unsupported_format",
            )
        raise PhotoRejected(
            "This file is not a photo. Only JPEG, PNG and HEIC photos can be attached.",
            reason="not_an_image",
        )
    if found is PhotoFormat.HEIF and not heic_supported():
        raise PhotoRejected(
            "HEIC photos can't be read on this computer. Please send the photo as a JPEG.",
            reason="heic_unsupported",
        )
    if found is PhotoFormat.PNG and not png_chunks_intact(data):
        raise _damaged()
    return found


def _damaged() -> PhotoRejected:
    return PhotoRejected(
        "This photo is damaged or incomplete, so it can't be attached. "
        "Try taking or exporting it again.",
        reason="damaged",
    )


def _too_many_pixels() -> PhotoRejected:
    return PhotoRejected(
        f"This photo has too many pixels to open safely (the limit is "
        f"{MAX_PIXELS // 1_000_000} megapixels).",
        reason="too_many_pixels",
    )


def _decode_upright(
    data: bytes, source_format: PhotoFormat
) -> tuple[Image.Image, Transparency | None]:
    """The decoded pixels, upright and in sRGB where a profile says how, and any colour key."""
    # Pillow warns about damaged metadata, which is dropped anyway; a decompression bomb must
    # stop the decode whatever the process's warning filters say.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image: Image.Image = Image.open(io.BytesIO(data), formats=[source_format.value])
            if image.width * image.height > MAX_PIXELS:
                raise _too_many_pixels()
            if source_format is PhotoFormat.JPEG:
                image.draft(None, _fitted(image.size, MAX_SIDE))
            image.load()
            orientation = _exif_orientation(image)
            icc = image.info.get("icc_profile")
            transparency = image.info.get("transparency")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels() from exc
        except _DECODE_ERRORS as exc:
            raise _damaged() from exc
    fix = _ORIENTATION_FIXES.get(orientation)
    if fix is not None:
        image = image.transpose(fix)
    image = _to_srgb(image, icc)
    usable_key = transparency if isinstance(transparency, int | bytes | tuple) else None
    return image, usable_key


def _exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8); 1 where it is missing, invalid or unreadable."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and value in _ORIENTATION_FIXES else 1


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc: object) -> Image.Image:
    """`image` converted to sRGB with its RGB or CMYK ICC profile; unchanged if there is none."""
    if not isinstance(icc, bytes) or not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    output_mode = "RGB" if image.mode == "CMYK" else image.mode
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = source.profile.xcolor_space.strip()
        if space != ("CMYK" if image.mode == "CMYK" else "RGB"):
            return image
        converted = ImageCms.profileToProfile(
            image, source, _srgb_profile(), outputMode=output_mode
        )
    except _PROFILE_ERRORS:
        return image
    return converted if converted is not None else image


def _png_ready(
    image: Image.Image, transparency: Transparency | None
) -> tuple[Image.Image, Transparency | None]:
    """`image` in a mode PNG stores at 8 bits per sample, keeping a palette or colour key."""
    if image.mode.startswith("I"):
        return _grey_to_8_bit(image), None
    if image.mode in _PNG_MODES:
        return image, transparency if image.mode in _COLOUR_KEY_MODES else None
    return image.convert("RGBA" if _has_alpha(image) else "RGB"), None


def _jpeg_ready(image: Image.Image) -> Image.Image:
    """`image` as 8-bit grey or RGB, alpha flattened onto white."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I"):
        return _grey_to_8_bit(image)
    if image.mode == "P" or _has_alpha(image):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _has_alpha(image: Image.Image) -> bool:
    return any(band in ("A", "a") for band in image.getbands())


def _grey_to_8_bit(image: Image.Image) -> Image.Image:
    """16-bit (or 32-bit integer) grey scaled, not clipped, to 8 bits."""
    return image.convert("I").point(lambda v: v * (1 / 257) + 0.5).convert("L")


def _encode_within(
    image: Image.Image, transparency: Transparency | None, *, as_png: bool, limit: int
) -> tuple[bytes, tuple[int, int]]:
    """The first encoding along the size/quality steps that fits in `limit` bytes."""
    steps = [(side, 0) for side in _PNG_SIDES] if as_png else list(_JPEG_STEPS)
    tried: set[tuple[tuple[int, int], int]] = set()
    for side, quality in steps:
        size = _fitted(image.size, side)
        if (size, quality) in tried:
            continue
        tried.add((size, quality))
        scaled, key = (
            (image, transparency) if size == image.size else _resized(image, size, transparency)
        )
        encoded = _encode_png(scaled, key) if as_png else _encode_jpeg(scaled, quality)
        if len(encoded) <= limit:
            return encoded, size
    raise PhotoTooLarge(limit)


def _fitted(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """`size` scaled down, keeping its shape, so that its longest side is at most `longest`."""
    width, height = size
    if max(width, height) <= longest:
        return size
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resized(
    image: Image.Image, size: tuple[int, int], transparency: Transparency | None
) -> tuple[Image.Image, Transparency | None]:
    """`image` resampled to `size`; palettes and colour keys become full colour and alpha first."""
    if transparency is not None:
        keyed = image.copy()
        keyed.info["transparency"] = transparency
        image = keyed.convert("RGBA")
    elif image.mode == "P":
        image = image.convert("RGB")
    elif image.mode == "1":
        image = image.convert("L")
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0), None


def _bare(image: Image.Image) -> Image.Image:
    """A new image holding only `image`'s pixels (and palette): no info, EXIF, XMP or profile."""
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        palette = image.getpalette()
        if palette is not None:
            bare.putpalette(palette)
    return bare


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    _bare(image).save(out, format="JPEG", quality=quality, optimize=True, progressive=False)
    return out.getvalue()


def _encode_png(image: Image.Image, transparency: Transparency | None) -> bytes:
    out = io.BytesIO()
    if transparency is None:
        _bare(image).save(out, format="PNG", compress_level=6)
    else:
        _bare(image).save(out, format="PNG", compress_level=6, transparency=transparency)
    return out.getvalue()


def _human_size(count: int) -> str:
    if count >= _MIB:
        return f"{count / _MIB:.1f} MB"
    return f"{max(1, round(count / 1024))} KB"
