"""Detectors for where a patient lives or can be reached: postcodes, street addresses, e-mail.

Postcodes follow the Royal Mail format (outward code, optional space, inward code), in any case,
with the letters each position allows; the inward code's letters never include C, I, K, M, O or
V, which is what keeps "B12 1mg" or "CO2 8kPa" from looking like one. An outward code on its
own ("M1", "LS1") is a motorway or a district, not an address, and is not flagged.

A street address is a house number (27, 27b, 14-16, optionally after "Flat 3," or "flat 2/1,")
followed by one to three capitalised words ending in a street type ("14 Acacia Avenue",
"3 St Mary's Close", "14 ACACIA AVENUE"). In lower case ("14 acacia avenue") only the
unmistakable types count (street, road, avenue, lane, crescent, terrace, gardens), because
"way", "park", "close" or "green" are ordinary words in ward chat. A number that belongs to a
bed, bay, room or ward ("bay 3 Rose Court") is not a house number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wardlink.core.guard_kinds import Hit

_POSTCODE = re.compile(
    r"(?<![\w/])"
    r"(?:GIR ?0AA"
    r"|[A-PR-UWYZ](?:[0-9][A-HJKPSTUW0-9]?|[A-HK-Y][0-9][ABEHMNPRV-Y0-9]?)"
    r"[ \u00a0]{0,2}[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![\w/])",
    re.IGNORECASE,
)

_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.+\-]*\w@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?![\w\-@])(?!\.\w)"
)

_STREET_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Crescent|Cres|Court|Ct|Place|Way"
    "|Gardens|Gdns|Grove|Terrace|Terr|Walk|Row|Square|Sq|Hill|Park|Mews|View|Rise|Green"
    "|Parade|Fold|Mount|Vale|Chase|Gate|Wynd|Brae|Loan|Croft|Meadow|Meadows|Boulevard|Bank"
    "|Heights|Approach|Garth|Wharf|Yard|Villas|Cottages|Circus|Quay|Crossway|Dale|Glen|Hollow"
)
_PLAIN_STREET_TYPES = "street|road|avenue|lane|crescent|terrace|gardens"
_HOUSE_NUMBER = r"[0-9]{1,4}[A-Za-z]?(?:[-–][0-9]{1,4}[A-Za-z]?)?"
_FLAT = r"(?:(?i:flat|apartment|apt|unit)[ ]+[0-9]{1,4}[A-Za-z]?(?:/[0-9]{1,2})?,?[ ]+)?"
_TITLE_WORD = r"[A-Z][A-Za-z'’]*\.?"
_PLAIN_WORD = r"[a-z][a-z'’]*"

_ADDRESS = re.compile(
    rf"(?<![\w./:£$€%+\-])(?P<flat>{_FLAT})(?P<number>{_HOUSE_NUMBER}),?[ ]+"
    rf"(?:(?:{_TITLE_WORD}[ ]+){{1,3}}(?:{_STREET_TYPES}|{_STREET_TYPES.upper()})"
    rf"|(?P<plain>(?:{_PLAIN_WORD}[ ]+){{1,2}})(?i:{_PLAIN_STREET_TYPES}))\b"
)
# Words that, before a number, make it a bed, bay or room rather than a house.
_NOT_A_HOUSE = re.compile(
    r"(?:\b(?:bed|beds|bay|bays|room|rm|sr|side|ward|theatre|level|floor|clinic|cubicle|chair"
    r"|trolley|gate|platform|junction|j|ext|bleep)\.?|#)[ ]*$",
    re.IGNORECASE,
)
# Lower-case words that never form a street name before "road", "lane"...: "20 mins down the
# road", "2 units on the ward".
_NOT_A_STREET_WORDS = """
    a an the on in at to of and or by down up along across off min mins minute minutes hr hrs
    hour hours mile miles yards metres units tabs mg ml times days weeks from for
    """
_NOT_A_STREET_WORD = frozenset(_NOT_A_STREET_WORDS.split())


def find_postcodes(text: str) -> Iterator[Hit]:
    """UK postcodes (outward and inward code), with or without the space, in any case."""
    for match in _POSTCODE.finditer(text):
        yield Hit("postcode", match.start(), match.end())


def find_emails(text: str) -> Iterator[Hit]:
    """E-mail addresses; "@Sam" style mentions have no local part and are left alone."""
    if "@" not in text:
        return
    for match in _EMAIL.finditer(text):
        yield Hit("email", match.start(), match.end())


def find_street_addresses(text: str) -> Iterator[Hit]:
    """A house number and street, with the flat number if one comes first."""
    pos = 0
    while (match := _ADDRESS.search(text, pos)) is not None:
        start = match.start()
        plain = match.group("plain")
        if (not match.group("flat") and _NOT_A_HOUSE.search(text, max(0, start - 24), start)) or (
            plain and any(word in _NOT_A_STREET_WORD for word in plain.split())
        ):
            pos = start + 1  # a real address may still begin inside the rejected match
            continue
        yield Hit("address", start, match.end())
        pos = match.end()
