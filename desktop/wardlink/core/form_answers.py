"""One answer to one form item: from Python to FHIR, checked, and back again.

The client hands answers over as plain Python values (`str`, `int`, `float`, `bool`,
`datetime.date`, aware `datetime.datetime`, `Quantity`, a photo); a submitted
QuestionnaireResponse carries them as FHIR `value[x]` objects. Both are checked by the same code,
on the FHIR form, so the client and the record server can never disagree about what is valid.
Problems come back as short phrases that name the rule, never the value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Protocol, runtime_checkable

from wardlink.core.clock import format_timestamp, parse_timestamp
from wardlink.core.fhir import sha1_base64
from wardlink.core.form_definitions import Coding, Item
from wardlink.core.model import BLOB_URL_PREFIX

UCUM: Final = "http://unitsofmeasure.org"
PHOTO_CONTENT_TYPES: Final = frozenset({"image/jpeg", "image/png"})
PHOTO_TITLE_MAX: Final = 200
_INT32: Final = (-(2**31), 2**31 - 1)
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_SHA256: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)
_VALUE_KEYS: Final = {
    "string": "valueString",
    "text": "valueString",
    "integer": "valueInteger",
    "decimal": "valueDecimal",
    "quantity": "valueQuantity",
    "date": "valueDate",
    "dateTime": "valueDateTime",
    "boolean": "valueBoolean",
    "attachment": "valueAttachment",
}

FhirAnswer = dict[str, object]


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount with its UCUM unit code, e.g. `Quantity(2, "L/min")`."""

    value: int | float
    unit: str


@runtime_checkable
class PhotoLike(Protocol):
    """What a photo answer needs: `wardlink.core.model.Attachment` fits, as does `PhotoAnswer`."""

    @property
    def sha256(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def title(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PhotoAnswer:
    """A photo stored by content address. `sha1` is optional: hex or base64 in, base64 kept."""

    sha256: str
    content_type: str
    size: int
    title: str = field(default="Clinical photograph", repr=False)
    sha1: str | None = None

    def __post_init__(self) -> None:
        if self.sha1 is not None:  # one spelling, so that equal photos compare equal
            object.__setattr__(self, "sha1", sha1_base64(self.sha1))


AnswerValue = str | int | float | bool | dt.date | dt.datetime | Quantity | PhotoLike


class AnswerProblem(ValueError):
    """Why one value cannot be an answer to its item (a phrase, completed by the caller)."""


def _photo_hash(digest: str) -> str:
    try:
        return sha1_base64(digest)
    except ValueError:
        raise AnswerProblem("has a photo checksum that is not a SHA-1 digest") from None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def to_fhir(item: Item, value: object) -> FhirAnswer | None:
    """`value` as the FHIR answer for `item`; None for a blank string. Unchecked beyond type."""
    kind = item.type
    if kind in ("string", "text"):
        if not isinstance(value, str):
            raise AnswerProblem("needs text")
        return {"valueString": value.strip()} if value.strip() else None
    if kind == "choice":
        option = item.option(value) if isinstance(value, str) else None
        if option is None:
            raise AnswerProblem("must be one of the options offered")
        if isinstance(option.value, Coding):
            return {"valueCoding": option.value.as_fhir()}
        return {"valueString": option.value}
    if kind == "dateTime":
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            raise AnswerProblem("needs a date and time with a time zone")
        return {"valueDateTime": format_timestamp(value)}
    if kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise AnswerProblem("needs a date")
        return {"valueDate": value.isoformat()}
    if kind == "quantity":
        if not isinstance(value, Quantity):
            raise AnswerProblem("needs an amount with its unit")
        unit = next((u for u in item.units if u.code == value.unit), None)
        if unit is None and item.units:
            raise AnswerProblem(_units_phrase(item))
        unit = unit or Coding(UCUM, value.unit, value.unit)
        return {"valueQuantity": {"value": value.value, "unit": unit.display,
                                  "system": unit.system, "code": unit.code}}  # fmt: skip
    if kind == "attachment":
        if not isinstance(value, PhotoLike):
            raise AnswerProblem("needs a photo")
        attachment: dict[str, object] = {
            "contentType": value.content_type,
            "size": value.size,
            "title": value.title.strip() or "Clinical photograph",
            "url": f"{BLOB_URL_PREFIX}{value.sha256}",
        }
        sha1 = getattr(value, "sha1", None)
        if isinstance(sha1, str):
            attachment["hash"] = _photo_hash(sha1)
        return {"valueAttachment": attachment}
    if isinstance(value, Decimal) and kind == "decimal":
        value = float(value)
    return {_VALUE_KEYS[kind]: value}  # numbers and booleans: check() judges their type


def _units_phrase(item: Item) -> str:
    return "must be in " + " or ".join(u.display for u in item.units)


def _bounds_phrase(item: Item, value: float) -> str | None:
    low, high = item.min_value, item.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return f"must be from {low:g} to {high:g}"
        return f"must be at least {low:g}" if low is not None else f"must be at most {high:g}"
    return None


def check(item: Item, answer: object) -> str | None:
    """What is wrong with one FHIR answer to `item`, or None if nothing is."""
    if not isinstance(answer, dict) or len(answer) != 1:
        return "has an answer in the wrong shape"
    ((key, value),) = answer.items()
    if item.type == "choice":
        return _check_choice(item, key, value)
    if key != _VALUE_KEYS.get(item.type):
        return "has the wrong kind of answer"
    if item.type in ("string", "text"):
        if not isinstance(value, str) or not value.strip():
            return "is blank"
        if item.max_length is not None and len(value) > item.max_length:
            return f"is longer than {item.max_length} characters"
        return None
    if item.type == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return "needs a whole number"
        if not _INT32[0] <= value <= _INT32[1]:
            return "is out of range"
        return _bounds_phrase(item, value)
    if item.type == "decimal":
        return _bounds_phrase(item, _number(value)) if _is_number(value) else "needs a number"
    if item.type == "boolean":
        return None if isinstance(value, bool) else "needs yes or no"
    if item.type == "date":
        return None if _parse_date(value) is not None else "needs a real date"
    if item.type == "dateTime":
        return None if _parse_datetime(value) is not None else "needs a real date and time"
    if item.type == "quantity":
        return _check_quantity(item, value)
    return _check_attachment(value)


def _check_choice(item: Item, key: str, value: object) -> str | None:
    chosen: object = None
    if (
        key == "valueCoding"
        and isinstance(value, dict)
        and set(value) <= {"system", "code", "display"}
    ):
        chosen = (value.get("system"), value.get("code"))
    elif key == "valueString":
        chosen = value
    for option in item.options:
        offered = option.value
        if chosen == ((offered.system, offered.code) if isinstance(offered, Coding) else offered):
            return None
    return "must be one of the options offered"


def _check_quantity(item: Item, value: object) -> str | None:
    if not isinstance(value, dict) or not set(value) <= {"value", "unit", "system", "code"}:
        return "needs an amount with its unit"
    if not _is_number(value.get("value")):
        return "needs a number"
    if item.units and not any(
        (u.system, u.code) == (value.get("system"), value.get("code")) for u in item.units
    ):
        return _units_phrase(item)
    if not item.units and not isinstance(value.get("code"), str):
        return "needs a unit"
    return _bounds_phrase(item, _number(value.get("value")))


def _check_attachment(value: object) -> str | None:
    if not isinstance(value, dict) or not set(value) <= {
        "contentType",
        "size",
        "title",
        "url",
        "hash",
    }:
        return "must be a photo stored by Wardlink"
    url = value.get("url")
    if not isinstance(url, str) or not url.startswith(BLOB_URL_PREFIX):
        return "must be a photo stored by Wardlink"
    if not _SHA256.fullmatch(url.removeprefix(BLOB_URL_PREFIX)):
        return "must be a photo stored by Wardlink"
    if value.get("contentType") not in PHOTO_CONTENT_TYPES:
        return "must be a JPEG or PNG photo"
    size = value.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        return "has a photo with no size"
    title = value.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > PHOTO_TITLE_MAX:
        return f"needs a photo title of at most {PHOTO_TITLE_MAX} characters"
    digest = value.get("hash")
    if digest is not None:
        try:
            if not isinstance(digest, str) or sha1_base64(digest) != digest:
                return "has a photo checksum that is not base64 SHA-1"
        except ValueError:
            return "has a photo checksum that is not base64 SHA-1"
    return None


def _parse_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _parse_datetime(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _number(value: object) -> int | float:
    if not _is_number(value):
        raise ValueError("a number was expected")
    return value  # type: ignore[return-value]  # _is_number narrowed it


def from_fhir(item: Item, answer: Mapping[str, object]) -> AnswerValue:
    """The Python value of a FHIR answer that `check` accepted (the inverse of `to_fhir`)."""
    ((_, value),) = answer.items()
    result: AnswerValue | None = None
    if isinstance(value, dict):
        if item.type == "choice":
            result = str(value["code"])
        elif item.type == "quantity":
            result = Quantity(_number(value["value"]), str(value["code"]))
        elif item.type == "attachment":
            digest = value.get("hash")
            result = PhotoAnswer(
                sha256=str(value["url"]).removeprefix(BLOB_URL_PREFIX),
                content_type=str(value["contentType"]),
                size=int(_number(value["size"])),
                title=str(value["title"]),
                sha1=digest if isinstance(digest, str) else None,
            )
    elif item.type == "date":
        result = _parse_date(value)
    elif item.type == "dateTime":
        result = _parse_datetime(value)
    elif isinstance(value, str | int | float | bool):
        result = value
    if result is None:
        raise ValueError("an answer was used before it was checked")
    return result


def display(item: Item, answer: Mapping[str, object]) -> str:
    """A FHIR answer as a person reads it: the option's label, 'Yes', '2 L/min'."""
    value = from_fhir(item, answer)
    if item.type == "choice":
        option = item.option(str(value))
        return option.display if option else str(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, Quantity):
        unit = next((u.display for u in item.units if u.code == value.unit), value.unit)
        return f"{value.value:g} {unit}"
    if isinstance(value, PhotoLike):
        return f"Photo: {value.title}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
