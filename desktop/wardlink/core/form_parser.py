"""Parsing a Questionnaire's JSON into a `Form`, refusing what Wardlink does not support.

Every error names the form file and the item, so a faulty form is fixed at its source.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Final, Literal, cast

from wardlink.core.fhir import WARDLINK_FHIR
from wardlink.core.form_definitions import (
    CALCULATED_EXTENSION,
    DEFAULT_MAX_LENGTH,
    ITEM_TYPES,
    KNOWN_EXTENSIONS,
    MAX_OCCURS_EXTENSION,
    MAX_VALUE_EXTENSION,
    MIN_VALUE_EXTENSION,
    OPERATORS,
    ORDERED_TYPES,
    UNIT_OPTION_EXTENSION,
    AnswerOption,
    Coding,
    EnableAnswer,
    EnableWhen,
    Form,
    FormDefinitionError,
    Item,
    ItemType,
)

_ENABLE_ANSWER_KEYS: Final = {
    "answerBoolean": "boolean",
    "answerInteger": "integer",
    "answerDecimal": "decimal",
    "answerDate": "date",
    "answerDateTime": "dateTime",
    "answerString": "string",
    "answerCoding": "coding",
}
_ITEM_KEYS: Final = frozenset(
    {"linkId", "text", "type", "required", "repeats", "readOnly", "maxLength", "answerOption",
     "enableWhen", "enableBehavior", "item", "extension"}
)  # fmt: skip
_FORM_KEYS: Final = frozenset(
    {"resourceType", "id", "url", "version", "name", "title", "status", "subjectType", "date",
     "publisher", "description", "item"}
)  # fmt: skip
_FORM_ID: Final = re.compile(r"[a-z0-9][a-z0-9\-]{0,62}")


class _Parser:
    """Turns one Questionnaire's JSON into a Form, naming the form and item in every error."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, problem: str, link_id: str | None = None) -> FormDefinitionError:
        at = f" item {link_id!r}" if link_id else ""
        return FormDefinitionError(f"{self.where}{at}: {problem}")

    def text(self, obj: Mapping[str, object], key: str, link_id: str | None = None) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"needs a non-empty string {key!r}", link_id)
        return value

    def coding(self, obj: object, link_id: str) -> Coding:
        if not isinstance(obj, dict) or set(obj) != {"system", "code", "display"}:
            raise self.fail("codings need exactly system, code and display", link_id)
        return Coding(*(self.text(obj, k, link_id) for k in ("system", "code", "display")))

    def items_of(
        self, obj: Mapping[str, object], key: str, link_id: str | None = None
    ) -> list[object]:
        value = obj.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{key!r} must be a list", link_id)
        return value

    def extensions(self, raw: Mapping[str, object], link_id: str) -> dict[str, list[object]]:
        found: dict[str, list[object]] = {}
        for ext in self.items_of(raw, "extension", link_id):
            if not isinstance(ext, dict) or ext.get("url") not in KNOWN_EXTENSIONS:
                raise self.fail("has an extension Wardlink does not support", link_id)
            values = [v for k, v in ext.items() if k.startswith("value")]
            if len(ext) != 2 or len(values) != 1:
                raise self.fail("extensions need a url and one value", link_id)
            found.setdefault(cast(str, ext["url"]), []).append(values[0])
        return found

    def item(self, raw: object) -> Item:
        if not isinstance(raw, dict):
            raise self.fail("items must be objects")
        link_id = self.text(raw, "linkId")
        if not set(raw) <= _ITEM_KEYS:
            raise self.fail("uses Questionnaire elements Wardlink does not support", link_id)
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            raise self.fail("has an unsupported type", link_id)
        kind = cast(ItemType, kind)
        ext = self.extensions(raw, link_id)
        children = tuple(self.item(child) for child in self.items_of(raw, "item", link_id))
        if (kind == "group") != bool(children):
            raise self.fail("groups, and only groups, have child items", link_id)
        if kind in ("group", "display") and raw.get("repeats"):
            raise self.fail("groups and display items cannot repeat", link_id)
        if kind == "display" and raw.get("required"):
            raise self.fail("display items cannot be required", link_id)
        options = tuple(
            self.option(o, link_id) for o in self.items_of(raw, "answerOption", link_id)
        )
        if (kind == "choice") != bool(options):
            raise self.fail("choice items, and only they, need answerOption", link_id)
        if len({o.code for o in options}) != len(options):
            raise self.fail("has two answer options with the same code", link_id)
        max_length = raw.get("maxLength")
        if max_length is not None and (
            kind not in ("string", "text") or not isinstance(max_length, int)
        ):
            raise self.fail("maxLength is only for string and text items", link_id)
        if kind in ("string", "text") and max_length is None:
            max_length = DEFAULT_MAX_LENGTH
        bounds = [ext.get(MIN_VALUE_EXTENSION, [None])[0], ext.get(MAX_VALUE_EXTENSION, [None])[0]]
        if any(b is not None for b in bounds) and kind not in ("integer", "decimal", "quantity"):
            raise self.fail("minValue/maxValue are only for numbers and quantities", link_id)
        max_occurs = ext.get(MAX_OCCURS_EXTENSION, [None])[0]
        if max_occurs is not None and not (raw.get("repeats") and isinstance(max_occurs, int)):
            raise self.fail("maxOccurs needs a repeating item and a whole number", link_id)
        units = tuple(self.coding(u, link_id) for u in ext.get(UNIT_OPTION_EXTENSION, []))
        if units and kind != "quantity":
            raise self.fail("unitOption is only for quantity items", link_id)
        calculated = ext.get(CALCULATED_EXTENSION, [None])[0]
        if calculated is not None and not (isinstance(calculated, str) and raw.get("readOnly")):
            raise self.fail(
                "calculated items must be read-only and name their calculation", link_id
            )
        behavior = raw.get("enableBehavior", "all")
        if behavior not in ("all", "any"):
            raise self.fail("enableBehavior must be 'all' or 'any'", link_id)
        conditions = tuple(
            self.enable_when(e, link_id) for e in self.items_of(raw, "enableWhen", link_id)
        )
        if len(conditions) > 1 and "enableBehavior" not in raw:
            raise self.fail("several enableWhen conditions need an enableBehavior", link_id)
        return Item(
            link_id=link_id,
            text=self.text(raw, "text", link_id),
            type=kind,
            required=raw.get("required") is True,
            repeats=raw.get("repeats") is True,
            read_only=raw.get("readOnly") is True,
            max_length=max_length,
            max_occurs=max_occurs,
            min_value=self.number(bounds[0], link_id),
            max_value=self.number(bounds[1], link_id),
            options=options,
            units=units,
            enable_when=conditions,
            enable_behavior=cast(Literal["all", "any"], behavior),
            calculated=calculated,
            items=children,
        )

    def number(self, value: object, link_id: str) -> int | float | None:
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise self.fail("minValue/maxValue must be numbers", link_id)
        return value

    def option(self, raw: object, link_id: str) -> AnswerOption:
        if isinstance(raw, dict) and set(raw) == {"valueCoding"}:
            return AnswerOption(self.coding(raw["valueCoding"], link_id))
        if isinstance(raw, dict) and set(raw) == {"valueString"}:
            return AnswerOption(self.text(raw, "valueString", link_id))
        raise self.fail("answer options must be a valueCoding or a valueString", link_id)

    def enable_when(self, raw: object, link_id: str) -> EnableWhen:
        if not isinstance(raw, dict) or len(raw) != 3:
            raise self.fail("enableWhen needs question, operator and one answer", link_id)
        question, operator = self.text(raw, "question", link_id), raw.get("operator")
        if operator not in OPERATORS:
            raise self.fail("enableWhen has an unsupported operator", link_id)
        keys = [k for k in raw if k in _ENABLE_ANSWER_KEYS]
        if len(keys) != 1:
            raise self.fail("enableWhen needs one supported answer[x]", link_id)
        value = raw[keys[0]]
        answer: EnableAnswer
        if keys[0] == "answerCoding":
            answer = self.coding(value, link_id)
        elif keys[0] in ("answerDate", "answerDateTime"):
            try:
                moment = dt.datetime.fromisoformat(str(value))
            except ValueError:
                raise self.fail("enableWhen has a malformed date", link_id) from None
            if keys[0] == "answerDate":
                answer = moment.date()
            elif moment.utcoffset() is None:
                raise self.fail("enableWhen date-times need a time zone", link_id)
            else:
                answer = moment
        else:
            answer = cast(EnableAnswer, value)
        return EnableWhen(question, cast(str, operator), answer)


def _check_enable_when(form_items: Mapping[str, Item], parser: _Parser) -> None:
    """Every condition points at an answerable question of a matching type, with no cycles."""
    for item in form_items.values():
        for cond in item.enable_when:
            target = form_items.get(cond.question)
            if target is None or not target.answerable or target.link_id == item.link_id:
                raise parser.fail("enableWhen must point at another question", item.link_id)
            if cond.operator == "exists":
                ok = isinstance(cond.answer, bool)
            elif cond.operator in ("=", "!="):
                ok = _answer_fits(target, cond.answer)
            else:
                ok = target.type in ORDERED_TYPES and _answer_fits(target, cond.answer)
            if not ok:
                raise parser.fail("enableWhen's answer does not fit its question", item.link_id)
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(link_id: str) -> None:
        if link_id in done:
            return
        if link_id in visiting:
            raise parser.fail("enableWhen conditions form a cycle", link_id)
        visiting.add(link_id)
        for cond in form_items[link_id].enable_when:
            visit(cond.question)
        visiting.discard(link_id)
        done.add(link_id)

    for link_id in form_items:
        visit(link_id)


def _answer_fits(target: Item, answer: EnableAnswer) -> bool:
    if target.type == "choice":
        key = (answer.system, answer.code) if isinstance(answer, Coding) else answer
        return any(
            key == ((o.value.system, o.value.code) if isinstance(o.value, Coding) else o.value)
            for o in target.options
        )
    expected: dict[str, type | tuple[type, ...]] = {
        "boolean": bool,
        "integer": int,
        "decimal": (int, float),
        "string": str,
        "text": str,
        "date": dt.date,
        "dateTime": dt.datetime,
    }
    wanted = expected.get(target.type)
    if wanted is None or (isinstance(answer, bool) and target.type != "boolean"):
        return False
    return isinstance(answer, wanted)


def parse_form(resource: Mapping[str, object], where: str = "form") -> Form:
    """Check a Questionnaire against Wardlink's supported subset and return it as a Form."""
    parser = _Parser(where)
    if resource.get("resourceType") != "Questionnaire" or resource.get("status") != "active":
        raise parser.fail("must be an active Questionnaire")
    if not set(resource) <= _FORM_KEYS:
        raise parser.fail("uses Questionnaire elements Wardlink does not support")
    form_id = parser.text(resource, "id")
    if not _FORM_ID.fullmatch(form_id):
        raise parser.fail("ids are lower-case words joined by hyphens")
    items = tuple(parser.item(raw) for raw in parser.items_of(resource, "item"))
    by_link_id: dict[str, Item] = {}
    parent_of: dict[str, str | None] = {}

    def index(children: tuple[Item, ...], parent: str | None) -> None:
        for child in children:
            if child.link_id in by_link_id:
                raise parser.fail("linkIds must be unique", child.link_id)
            by_link_id[child.link_id] = child
            parent_of[child.link_id] = parent
            index(child.items, child.link_id)

    index(items, None)
    _check_enable_when(by_link_id, parser)
    url = parser.text(resource, "url")
    if url != f"{WARDLINK_FHIR}/Questionnaire/{form_id}":
        raise parser.fail("url must end in the form's id")
    return Form(
        id=form_id,
        url=url,
        version=parser.text(resource, "version"),
        name=parser.text(resource, "name"),
        title=parser.text(resource, "title"),
        items=items,
        resource=resource,
        by_link_id=by_link_id,
        parent_of=parent_of,
    )
