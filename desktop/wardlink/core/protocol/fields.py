"""Field readers for the protocol types: each names the field it refuses, never its value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal, TypeAlias, TypeGuard

from wardlink.core.clock import check_timestamp

PROTOCOL_VERSION: Final = 1
MAX_PUSH_OPS: Final = 500
MAX_PUSH_BYTES: Final = 2 * 1024 * 1024
MAX_PULL_LIMIT: Final = 1000
MAX_PULL_WAIT_S: Final = 30
MAX_BODY_CHARS: Final = 4000
MAX_REASON_CHARS: Final = 500
MAX_NAME_CHARS: Final = 200

Json: TypeAlias = object
Priority = Literal["routine", "urgent"]
ERROR_CODES: Final = frozenset(
    {
        "unauthenticated",
        "bad_credentials",
        "throttled",
        "device_revoked",
        "account_disabled",
        "forbidden",
        "not_found",
        "invalid",
        "too_large",
        "patient_identifiers",
        "unknown_questionnaire",
        "invalid_answers",
        "conflict",
    }
)
OP_TYPES: Final = (
    "message.post",
    "message.retract",
    "message.ack",
    "receipt.read",
    "note.submit",
    "note.amend",
)
EVENT_TYPES: Final = (
    "message",
    "message.retracted",
    "message.acked",
    "receipt",
    "note",
    "note.amended",
    "membership.added",
    "membership.removed",
    "staff.updated",
    "policy.updated",
)

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")


class ProtocolError(ValueError):
    """A request or response that does not follow the protocol. `path` names the field."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


# -- field readers ------------------------------------------------------------------------------
# Each reader takes the common case (a plain ASCII value, plainly valid) in one test and returns
# it; anything else goes through every check in turn, which decides and names the field. A client
# reads each of 100,000 events of an initial sync with these.


def as_object(value: Json | Mapping[str, Json], path: str) -> Mapping[str, Json]:
    """An object, as JSON decodes one, or as a page reader keeps one undecoded (`RawObject`)."""
    if not isinstance(value, Mapping):
        raise ProtocolError(path, "must be an object")
    return value


def read_str(
    obj: Mapping[str, Json],
    key: str,
    path: str,
    *,
    max_chars: int = MAX_NAME_CHARS,
    empty: bool = False,
) -> str:
    value = obj.get(key)
    if (
        type(value) is str
        and len(value) <= max_chars
        and value.isascii()
        and (empty or (value and not value.isspace()))
    ):
        return value
    where = f"{path}.{key}" if path else key
    if not isinstance(value, str):
        raise ProtocolError(where, "must be a string")
    if not empty and not value.strip():
        raise ProtocolError(where, "must not be empty")
    if len(value) > max_chars:
        raise ProtocolError(where, f"must be at most {max_chars} characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: JSON allows it, nothing can store it
            raise ProtocolError(where, "must be valid Unicode text") from None
    return value


def read_uuid(obj: Mapping[str, Json], key: str, path: str) -> str:
    value = obj.get(key)
    if type(value) is str and UUID_PATTERN.fullmatch(value):
        return value
    value = read_str(obj, key, path)
    if not UUID_PATTERN.fullmatch(value):
        raise ProtocolError(f"{path}.{key}" if path else key, "must be a lowercase UUID")
    return value


def read_opt_uuid(obj: Mapping[str, Json], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is str and UUID_PATTERN.fullmatch(value):
        return value
    return read_uuid(obj, key, path)


def read_int(obj: Mapping[str, Json], key: str, path: str, *, minimum: int = 0) -> int:
    value = obj.get(key)
    if type(value) is int and minimum <= value <= 2**62:
        return value
    where = f"{path}.{key}" if path else key
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(where, "must be a whole number")
    if value < minimum:
        raise ProtocolError(where, f"must be at least {minimum}")
    if value > 2**62:
        raise ProtocolError(where, "is too large")
    return value


def is_plain_str(value: Json, max_chars: int = MAX_NAME_CHARS) -> TypeGuard[str]:
    """Whether `read_str` takes `value` on its quick path (a plain ASCII, non-blank string)."""
    return (
        type(value) is str
        and len(value) <= max_chars
        and value.isascii()
        and bool(value)
        and not value.isspace()
    )


def is_uuid(value: Json) -> TypeGuard[str]:
    """Whether `read_uuid` returns `value` as it is."""
    return type(value) is str and UUID_PATTERN.fullmatch(value) is not None


def is_timestamp(value: Json) -> TypeGuard[str]:
    """Whether `read_timestamp` returns `value` as it is."""
    if type(value) is not str:
        return False
    try:
        check_timestamp(value)  # a string of the wire form is short, plain ASCII
    except ValueError:
        return False
    return True


def read_timestamp(obj: Mapping[str, Json], key: str, path: str) -> str:
    value = read_str(obj, key, path)
    try:
        check_timestamp(value)
    except ValueError as exc:
        raise ProtocolError(f"{path}.{key}" if path else key, str(exc)) from None
    return value


def read_resource(obj: Mapping[str, Json], key: str, path: str) -> dict[str, Json]:
    value = obj.get(key)
    where = f"{path}.{key}"
    if not isinstance(value, dict) or value.get("resourceType") != "QuestionnaireResponse":
        raise ProtocolError(where, "must be a QuestionnaireResponse resource")
    return value


def read_priority(obj: Mapping[str, Json], key: str, path: str) -> Priority:
    value = obj.get(key, "routine")
    if value == "routine":
        return "routine"
    if value == "urgent":
        return "urgent"
    raise ProtocolError(f"{path}.{key}", "must be 'routine' or 'urgent'")


def read_list(obj: Mapping[str, Json], key: str, path: str) -> list[Json]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise ProtocolError(f"{path}.{key}" if path else key, "must be a list")
    return value


def drop_none(values: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}
