"""Detector for personal names given with a title: Mr, Mrs, Ms, Miss, Mx.

A name without a title cannot be told from a drug, a ward or a colleague by pattern alone, and
on a ward "Dr", "Sister" and "Nurse" mostly name staff, so only these five titles count. The
rules, chosen to catch names typed quickly while leaving clinical shorthand alone:

- A title in any of "Mrs", "mrs", "Mrs." (Mr, Ms, Miss, Mx alike) followed by a capitalised
  name is a name: "Mrs Patel", "mr. John Smith", "Miss O'Neill", "Mx Taylor-Brown",
  "Mrs A. B. Khan", "Mr de Souza", "Mrs PATEL". Up to three name words are taken, all in the
  case of the first ("Mrs Patel NEWS 5" ends at "Patel").
- "mr", "mrs" and "mx" (or "Mr", "Mrs", "Mx") followed by a lower-case word are a name too,
  because people type "mrs patel" in a hurry; only that one word is taken. "ms" and "miss" are
  not, because "QT 450 ms" and "don't miss the 10am dose" are far more common than a
  lower-case "ms smith".
- "MR" and "MS" in capitals are mitral regurgitation and multiple sclerosis, never titles;
  "MRS", "MISS" and "MX" in capitals are titles.
- The word after the title must not be an ordinary word: "Mr Men", "Miss the handover",
  "Mrs in bay 3", "Mr on the ward", a weekday or month ("don't miss Friday's training").
  A sentence-initial title is treated like any other: "Mrs Patel rang" is a name, "Mr. The"
  is not.

The span runs from the title to the end of the last name word; a possessive "'s" is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wardlink.core.guard_kinds import Hit

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_PART = rf"(?:[{_UPPER}]['’])?[{_UPPER}][{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?"
_CAPITALISED = rf"{_PART}(?:-{_PART})*"
_ALL_CAPS = rf"(?:[{_UPPER}]['’])?[{_UPPER}]{{2,}}(?:-[{_UPPER}]{{2,}})*"
_PARTICLES = r"(?:de|da|di|du|van|von|der|den|le|la|del|dos|al|el|ap)[ ]+"

_TITLE = re.compile(
    r"(?<![\w'’.])(?P<title>[Mm](?:rs|r|s|iss|x)|MRS|MISS|MX)(?:\.[ \t\u00a0]*|[ \t\u00a0]+)"
)
_INITIALS = re.compile(rf"(?:[{_UPPER}](?:\.[ ]?|[ ]+)){{1,3}}(?=[{_UPPER}a-z])")
_FIRST_WORD = re.compile(rf"(?:{_PARTICLES}){{0,2}}(?P<word>{_CAPITALISED}|{_ALL_CAPS})(?!\w)")
_NEXT_WORD = re.compile(rf"[ ]+(?:{_PARTICLES}){{0,2}}(?P<word>{_CAPITALISED}|{_ALL_CAPS})(?!\w)")
_LOWER_WORD = re.compile(rf"(?P<word>[{_LOWER}][{_LOWER}'’\-]*[{_LOWER}])(?![\w])")

_LOWER_CASE_TITLES = frozenset({"mr", "mrs", "mx", "Mr", "Mrs", "Mx"})
_NOT_A_NAME_WORDS = """
    a an the and or but so if of in on at to by for from with without into onto over under is
    was are were be been has had have will would can could should may might must shall do did
    does not no yes please pls thanks thank thx ok okay re also just still now then he she they
    them his her their him it its this that these those who whom which what bed beds bay bays
    room side ward unit theatre clinic home here there echo scan scans mri ct ultrasound angio
    head spine brain jet murmur valve repair mod moderate mild severe trivial significant worse
    better same stable improved noted seen flare relapse nurse nurses team society men man woman
    women world universe monday tuesday wednesday thursday friday saturday sunday today tomorrow
    tonight yesterday january february march april june july august september october november
    december christmas xmas easter mr mrs ms miss mx dr prof sister flat apartment apt house
    """
_NOT_A_NAME = frozenset(_NOT_A_NAME_WORDS.split())


def find_titled_names(text: str) -> Iterator[Hit]:
    """Personal names after Mr, Mrs, Ms, Miss or Mx, following the module's rules."""
    for title_match in _TITLE.finditer(text):
        end = _name_end(text, title_match.group("title"), title_match.end())
        if end is not None:
            yield Hit("name", title_match.start(), end)


def _name_end(text: str, title: str, pos: int) -> int | None:
    """Where the name after a title ends, or None if what follows is not a name."""
    initials = _INITIALS.match(text, pos)
    after_initials = initials.end() if initials else pos
    first = _FIRST_WORD.match(text, after_initials)
    if first is not None and _may_be_name(title, first.group("word")):
        end = first.end()
        all_caps = first.group("word").isupper()
        for _ in range(2):
            following = _NEXT_WORD.match(text, end)
            if (
                following is None
                or following.group("word").lower() in _NOT_A_NAME
                or following.group("word").isupper() != all_caps  # "Mrs Patel NEWS 5"
            ):
                break
            end = following.end()
        return end
    if initials is None and title in _LOWER_CASE_TITLES:
        lower = _LOWER_WORD.match(text, pos)
        if lower is not None and lower.group("word") not in _NOT_A_NAME:
            return lower.end()
    return None


def _may_be_name(title: str, word: str) -> bool:
    """A capitalised word after a title; two capitals after "Mr" ("Mr CT") are shorthand."""
    if word.lower() in _NOT_A_NAME:
        return False
    return title.isupper() or not word.isupper() or len(word) > 2
