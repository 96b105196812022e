"""Python code-point offsets to Qt's UTF-16 positions, and back.

The guard reports spans in code points (`text[start:end]`); QTextDocument and QString count
UTF-16 code units, in which every character outside the Basic Multilingual Plane (most emoji)
takes two. Without this conversion an underline after an emoji lands one place too early.
"""

from __future__ import annotations

from itertools import accumulate


def utf16_length(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


class Utf16Offsets:
    """Converts offsets within one text; built once, then O(1) per lookup."""

    def __init__(self, text: str) -> None:
        self._prefix = [0, *accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in text)]

    def to_utf16(self, index: int) -> int:
        """The UTF-16 position of code point `index` (0 <= index <= len(text))."""
        return self._prefix[index]

    def to_code_point(self, position: int) -> int:
        """The code-point index at UTF-16 `position` (inside a surrogate pair: its start)."""
        lo, hi = 0, len(self._prefix) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._prefix[mid] <= position:
                lo = mid
            else:
                hi = mid - 1
        return lo
