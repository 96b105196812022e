"""Just enough of a PDF reader to get the text back out of what `QPdfWriter` writes.

No PDF library is a dependency, so the tests read the file themselves: the objects, their Flate
streams, each font's ToUnicode map, and the glyph runs (`Tj`, `TJ`) of the page contents. Text
runs are joined by line; this is for asserting what a page says, not for layout.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from typing import Final

_OBJECT: Final = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_STREAM: Final = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_FONT_REF: Final = re.compile(rb"/(F\d+) (\d+) 0 R")
_TO_UNICODE: Final = re.compile(rb"/ToUnicode (\d+) 0 R")
_TOKENS: Final = re.compile(
    rb"/(F\d+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]+)>\s*Tj|\[(.*?)\]\s*TJ|(ET)", re.S
)


def _stream(body: bytes) -> bytes:
    found = _STREAM.search(body)
    if found is None:
        return b""
    raw = found.group(1)
    return zlib.decompress(raw) if b"/FlateDecode" in body[: found.start()] else raw


def _hex_text(hex_digits: bytes) -> str:
    return bytes.fromhex(hex_digits.decode()).decode("utf-16-be")


def _cmap(text: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = _hex_text(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, rest in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)", block
        ):
            start, end = int(lo, 16), int(hi, 16)
            if rest.startswith(b"["):
                for offset, dst in enumerate(re.findall(rb"<([0-9A-Fa-f]+)>", rest)):
                    mapping[start + offset] = _hex_text(dst)
            else:
                first = int(rest.strip(b"<>"), 16)
                for code in range(start, end + 1):
                    mapping[code] = chr(first + code - start)
    return mapping


def _glyphs(hex_digits: bytes, cmap: dict[int, str]) -> str:
    return "".join(
        cmap.get(int(hex_digits[i : i + 4], 16), "?") for i in range(0, len(hex_digits), 4)
    )


def pdf_text(data: bytes) -> str:
    """The text a PDF written by Qt shows, page by page, one line per text object."""
    objects = {int(num): body for num, body in _OBJECT.findall(data)}
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, number in _FONT_REF.findall(body):
            font = objects.get(int(number), b"")
            to_unicode = _TO_UNICODE.search(font)
            if to_unicode is not None:
                fonts[name] = _cmap(_stream(objects[int(to_unicode.group(1))]))
    lines: list[str] = []
    for body in objects.values():
        content = _stream(body)
        if b"BT" not in content or b"Tf" not in content:
            continue
        cmap: dict[int, str] = {}
        line = ""
        for font, tj, tj_array, end in _TOKENS.findall(content):
            if font:
                cmap = fonts.get(font, {})
            elif tj:
                line += _glyphs(tj, cmap)
            elif tj_array:
                line += "".join(
                    _glyphs(h, cmap) for h in re.findall(rb"<([0-9A-Fa-f]+)>", tj_array)
                )
            elif end and line:
                lines.append(line)
                line = ""
    # Qt maps the space glyph to a tab and uses ligatures ("ﬁ"): read them as plain text.
    return unicodedata.normalize("NFKC", "\n".join(lines)).replace("\t", " ")
