"""Clinical form definitions: what a FHIR R4 Questionnaire in `resources/forms/` becomes.

Wardlink supports a deliberate subset of Questionnaire: the item types, flags and extensions its
forms use (listed in `ITEM_TYPES` and the `*_EXTENSION` constants), with simple `enableWhen`.
Anything else in a form file is a bug in that file, reported when the forms are loaded rather
than when a nurse is half-way through one. Groups do not repeat; leaf items may. This module
holds the model; `form_parser` checks and builds it, `form_catalogue` loads the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from wardlink.core.fhir import WARDLINK_FHIR

ItemType = Literal[
    "group", "display", "string", "text", "integer", "decimal", "quantity",
    "date", "dateTime", "boolean", "choice", "attachment",
]  # fmt: skip
ITEM_TYPES: Final[frozenset[str]] = frozenset(get_args(ItemType))
ANSWERABLE: Final = ITEM_TYPES - {"group", "display"}
OPERATORS: Final = frozenset({"exists", "=", "!=", ">", "<", ">=", "<="})
ORDERED_TYPES: Final = frozenset({"integer", "decimal", "date", "dateTime"})

CALCULATED_EXTENSION: Final = f"{WARDLINK_FHIR}/StructureDefinition/calculated"
MIN_VALUE_EXTENSION: Final = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_EXTENSION: Final = "http://hl7.org/fhir/StructureDefinition/maxValue"
MAX_OCCURS_EXTENSION: Final = "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs"
UNIT_OPTION_EXTENSION: Final = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption"
KNOWN_EXTENSIONS: Final = frozenset(
    {
        CALCULATED_EXTENSION,
        MIN_VALUE_EXTENSION,
        MAX_VALUE_EXTENSION,
        MAX_OCCURS_EXTENSION,
        UNIT_OPTION_EXTENSION,
    }
)
# Free text without a maxLength is still capped: a form is a record entry, not a document store.
DEFAULT_MAX_LENGTH: Final = 10_000


class FormDefinitionError(ValueError):
    """A form file breaks the supported Questionnaire subset: a bug in that file, not user error."""


class UnknownQuestionnaire(LookupError):
    """A response names a form (or a form version) this installation does not have."""

    code: Final = "unknown_questionnaire"
    message: Final = "This form is not one Wardlink knows; the app or the server may need updating."

    def __init__(self) -> None:
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class Coding:
    system: str
    code: str
    display: str

    def as_fhir(self) -> dict[str, object]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True, slots=True)
class AnswerOption:
    """One permitted answer of a choice item: a coding, or a plain string."""

    value: Coding | str

    @property
    def code(self) -> str:
        return self.value.code if isinstance(self.value, Coding) else self.value

    @property
    def display(self) -> str:
        return self.value.display if isinstance(self.value, Coding) else self.value


EnableAnswer = bool | int | float | str | dt.date | dt.datetime | Coding


@dataclass(frozen=True, slots=True)
class EnableWhen:
    question: str
    operator: str
    answer: EnableAnswer


@dataclass(frozen=True, slots=True)
class Item:
    """One Questionnaire item, with the constraints Wardlink enforces on its answers."""

    link_id: str
    text: str
    type: ItemType
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    max_length: int | None = None
    max_occurs: int | None = None
    min_value: int | float | None = None
    max_value: int | float | None = None
    options: tuple[AnswerOption, ...] = ()
    units: tuple[Coding, ...] = ()
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: Literal["all", "any"] = "all"
    calculated: str | None = None
    items: tuple[Item, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.type in ANSWERABLE

    def option(self, code: str) -> AnswerOption | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class Form:
    """A loaded Questionnaire; `resource` is the JSON as filed (serve it, do not edit it)."""

    id: str
    url: str
    version: str
    name: str
    title: str
    items: tuple[Item, ...]
    resource: Mapping[str, object] = field(repr=False)
    by_link_id: Mapping[str, Item] = field(repr=False)
    parent_of: Mapping[str, str | None] = field(repr=False)

    @property
    def canonical(self) -> str:
        """`url|version`, as a QuestionnaireResponse's `questionnaire` names its form."""
        return f"{self.url}|{self.version}"

    def walk(self) -> Iterator[Item]:
        """Every item, depth first, in the order the form shows them."""
        return _walk(self.items)


def _walk(items: tuple[Item, ...]) -> Iterator[Item]:
    for item in items:
        yield item
        yield from _walk(item.items)
