"""Detector for dates of birth.

A ward chat is full of dates that identify nobody: shift swaps, clinic and rota dates. So a date
counts as a date of birth only when it is given as one:

- after a cue: "DOB", "D.O.B.", "DoB:", "date of birth", "birth date" (then ":" "-" "is" "on"
  and the like may come between), in any common form: 12/03/1945, 12.3.45, 1945-03-12,
  12-03-1945, 12 / 03 / 1945, 3 March 1945, 3rd of Mar 45, March 3, 1945, 12031945; the year
  may be left out if the separator is "/" or the month is a word ("DOB 12/03", "DOB 3 March");
- after "born", the same but with a year or a month name: "born 2/7 ago" is a baby's age in
  days, "born 3 March" and "born on 12/03/1945" are birth dates;
- or without a cue, as a complete date in the 1900s ("Mrs Patel 12/03/1945"), since nobody
  arranges shifts or clinics for those.

The span is the date itself, not the cue, so the composer highlights exactly what would move to
the form's date-of-birth field. Without a cue a date must exist on the calendar; after a cue a
day of 1-31 and a month of 1-12 are enough ("DOB 31/02/1950" is a mistyped date of birth).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from wardlink.core.guard_kinds import Hit

_MONTH_WORD = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_ORDINAL = r"(?:st|nd|rd|th)?"

# Each form names its parts d, m (number), mon (word) and y; the suffix tells forms apart.
_DATE_FORMS = (
    r"(?P<d1>[0-9]{1,2})[ ]?(?P<s1>[/.\-])[ ]?(?P<m1>[0-9]{1,2})[ ]?(?P=s1)[ ]?"
    r"(?P<y1>[0-9]{4}|[0-9]{2})",
    r"(?P<y2>(?:18|19|20)[0-9]{2})-(?P<m2>[0-9]{1,2})-(?P<d2>[0-9]{1,2})",
    rf"(?P<d3>[0-9]{{1,2}}){_ORDINAL}(?:\s+of)?[\s\-]+(?P<mon3>{_MONTH_WORD}),?"
    rf"(?:[\s\-]+(?P<y3>[0-9]{{4}}|[0-9]{{2}}))?",
    rf"(?P<mon4>{_MONTH_WORD})\s+(?P<d4>[0-9]{{1,2}}){_ORDINAL},?(?:\s+(?P<y4>[0-9]{{4}}))?",
    r"(?P<d5>[0-9]{1,2})/(?P<m5>[0-9]{1,2})",
    r"(?P<d6>[0-9]{2})(?P<m6>[0-9]{2})(?P<y6>(?:19|20)[0-9]{2}|[0-9]{2})",
)
_DATE_END = r"(?![0-9]|[/.\-][0-9]|[^\W\d_])"
_DATE = "(?:" + "|".join(_DATE_FORMS) + ")" + _DATE_END

_CONNECTOR = r"(?:\s*[:=\-–(]\s*|\s+)(?:(?:is|was|on|the|of)\s+){0,2}"
_DOB_CUE = (
    r"(?:\bd\.?o\.?b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s?date\b)"
    + _CONNECTOR
    + r"|\bd\.?o\.?b\.?(?=[0-9])"  # "DOB12/03/1945", "dob120345"
)
_DOB_DATE = re.compile("(?:" + _DOB_CUE + ")(?P<date>" + _DATE + ")", re.IGNORECASE)
# "born 2/7 ago" is a baby's age in days, so after "born" a date needs a year or a month name.
_BORN_DATE = re.compile(
    r"\bborn" + _CONNECTOR + "(?P<date>" + "|".join(_DATE_FORMS[:4]) + ")" + _DATE_END,
    re.IGNORECASE,
)

# Without a cue: only complete dates with a year in the 1900s.
_BARE_DATE = re.compile(
    r"(?<![\w/.\-])(?P<date>"
    r"[0-9]{1,2}(?P<s>[/.\-])[0-9]{1,2}(?P=s)19[0-9]{2}"
    r"|19[0-9]{2}-[0-9]{1,2}-[0-9]{1,2}"
    rf"|[0-9]{{1,2}}{_ORDINAL}(?:\s+of)?\s+{_MONTH_WORD},?\s+19[0-9]{{2}}"
    rf"|{_MONTH_WORD}\s+[0-9]{{1,2}}{_ORDINAL},?\s+19[0-9]{{2}}"
    r")" + _DATE_END,
    re.IGNORECASE,
)
_BARE_PARTS = re.compile(_DATE, re.IGNORECASE)


def find_dates_of_birth(text: str) -> Iterator[Hit]:
    """Dates given as a date of birth in `text` (the date's span only)."""
    for pattern in (_DOB_DATE, _BORN_DATE):
        for match in pattern.finditer(text):
            if _is_date(match, calendar_checked=False):
                yield Hit("dob", match.start("date"), match.end("date"))
    for match in _BARE_DATE.finditer(text):
        parts = _BARE_PARTS.fullmatch(match.group("date"))
        if parts is not None and _is_date(parts, calendar_checked=True):
            yield Hit("dob", match.start("date"), match.end("date"))


def _is_date(match: re.Match[str], *, calendar_checked: bool) -> bool:
    """True if the matched day, month and (optional) year can be a date.

    With `calendar_checked` the date must exist ("31/02/1950" does not); without it, a day of
    1-31 and a month of 1-12 will do, because after a "DOB" cue a mistyped date is still the
    patient's date of birth and still must not go into chat.
    """
    parts = {
        key[:-1]: value for key, value in match.groupdict().items() if value and key[-1].isdigit()
    }
    if "mon" in parts:
        month = _MONTHS[parts["mon"][:3].lower()]
    elif "m" in parts:
        month = int(parts["m"])
    else:
        return False
    day = int(parts["d"])
    year_text = parts.get("y")
    if year_text is None:
        years = [2000]  # a leap year, so that "DOB 29/02" stands
    elif len(year_text) == 2:
        years = [1900 + int(year_text), 2000 + int(year_text)]
    else:
        years = [int(year_text)] if 1880 <= int(year_text) <= 2100 else []
    if not calendar_checked:
        return bool(years) and 1 <= month <= 12 and 1 <= day <= 31
    return any(_date_exists(year, month, day) for year in years)


def _date_exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True
