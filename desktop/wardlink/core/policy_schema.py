"""The policy schema (DESIGN.md §7) as one table: each key's type, sources, default and order.

`wardlink.core.policy` applies it (validation, precedence, the effective `Policy`); this module
only declares it, and describes it in words for documentation and the self-test.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from wardlink.core import policy_values as values
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM


class PolicySource(StrEnum):
    """Where an effective value came from (shown in settings and the self-test)."""

    DEFAULT = "default"
    MACHINE = "machine"
    SERVER = "server"
    USER = "user"


class Strictness(StrEnum):
    LOWER = "lower is stricter"
    FALSE = "false is stricter"
    UNORDERED = "no order: taken from its one source"


class UserRule(StrEnum):
    TIGHTEN = "only to a stricter value"
    WHERE_UNSET = "only where no policy sets it"
    NEVER = "never"


Check = Callable[[str, object], object]


@dataclass(frozen=True, slots=True)
class PolicyKey:
    """One row of the schema."""

    name: str
    kind: str
    sources: frozenset[PolicySource]
    default: object
    strictness: Strictness
    user: UserRule
    check: Check
    meaning: str
    unset_means: str = ""  # what a default of None does, in words


_MACHINE = frozenset({PolicySource.MACHINE})
_SERVER = frozenset({PolicySource.SERVER})
_BOTH = _MACHINE | _SERVER


def _count(low: int, high: int, unit: str) -> Check:
    return functools.partial(values.whole_number, low=low, high=high, unit=unit)


# fmt: off
KEYS: tuple[PolicyKey, ...] = (
    PolicyKey(
        name="server_url", kind="https URL", sources=_MACHINE, default=None,
        strictness=Strictness.UNORDERED, user=UserRule.WHERE_UNSET, check=values.server_url,
        meaning="the record server", unset_means="sign-in asks for it",
    ),
    PolicyKey(
        name="server_public_key", kind="Ed25519 public key (base64 or hex)", sources=_MACHINE,
        default=None, strictness=Strictness.UNORDERED, user=UserRule.WHERE_UNSET,
        check=values.ed25519_public_key, meaning="the key that signs leases",
        unset_means="trust on first use: the key is shown to the user to confirm",
    ),
    PolicyKey(
        name="ca_bundle", kind="absolute path", sources=_MACHINE, default=None,
        strictness=Strictness.UNORDERED, user=UserRule.NEVER, check=values.absolute_path,
        meaning="a file of extra CA certificates to trust for the record server",
        unset_means="the system's certificate store only",
    ),
    PolicyKey(
        name="data_dir", kind="absolute path", sources=_MACHINE, default=None,
        strictness=Strictness.UNORDERED, user=UserRule.NEVER, check=values.absolute_path,
        meaning="where the encrypted profiles live",
        unset_means="the platform's per-user data folder",
    ),
    PolicyKey(
        name="idle_lock_minutes", kind="whole number of minutes (1-480)", sources=_BOTH,
        default=5, strictness=Strictness.LOWER, user=UserRule.TIGHTEN,
        check=_count(1, 480, "minutes"), meaning="lock after this much idle time",
    ),
    PolicyKey(
        name="lock_after_hours", kind="whole number of hours (1-720)", sources=_SERVER,
        default=72, strictness=Strictness.LOWER, user=UserRule.TIGHTEN,
        check=_count(1, 720, "hours"),
        meaning="offline lease: after this long without contact an online sign-in is needed",
    ),
    PolicyKey(
        name="wipe_after_days", kind="whole number of days (1-365)", sources=_SERVER,
        default=30, strictness=Strictness.LOWER, user=UserRule.TIGHTEN,
        check=_count(1, 365, "days"),
        meaning="offline lease: after this long without contact the profile is deleted",
    ),
    PolicyKey(
        name="history_days", kind="whole number of days (1-365)", sources=_SERVER,
        default=30, strictness=Strictness.LOWER, user=UserRule.TIGHTEN,
        check=_count(1, 365, "days"), meaning="how far back a new device loads messages",
    ),
    PolicyKey(
        name="device_retention_days", kind="whole number of days (1-365)", sources=_SERVER,
        default=30, strictness=Strictness.LOWER, user=UserRule.TIGHTEN,
        check=_count(1, 365, "days"),
        meaning="filed notes and old messages are purged from the PC after this",
    ),
    PolicyKey(
        name="hospital_number_pattern", kind="regular expression", sources=_SERVER,
        default=None, strictness=Strictness.UNORDERED, user=UserRule.NEVER,
        check=values.guard_pattern,
        meaning="an extra guard rule: local hospital numbers are refused in chat",
        unset_means="no hospital number rule",
    ),
    PolicyKey(
        name="chi_system", kind="URI", sources=_SERVER, default=DEFAULT_CHI_SYSTEM,
        strictness=Strictness.UNORDERED, user=UserRule.NEVER, check=values.identifier_system,
        meaning="the identifier system for CHI numbers in the record",
    ),
    PolicyKey(
        name="max_photo_mb", kind="whole number of MiB (1-50)", sources=_SERVER, default=10,
        strictness=Strictness.LOWER, user=UserRule.TIGHTEN, check=_count(1, 50, "megabytes"),
        meaning="the size cap for a clinical photo",
    ),
    PolicyKey(
        name="allow_pdf_export", kind="true or false", sources=_MACHINE, default=False,
        strictness=Strictness.FALSE, user=UserRule.TIGHTEN, check=values.true_or_false,
        meaning="whether a note can be printed or exported to a file the user chooses",
    ),
)
# fmt: on

KEYS_BY_NAME: Mapping[str, PolicyKey] = MappingProxyType({k.name: k for k in KEYS})


def machine_keys() -> tuple[str, ...]:
    """The keys machine policy may set, in the schema's order: the value names IT writes in the
    registry, the managed preferences or the policy file (installers and templates use these)."""
    return tuple(k.name for k in KEYS if PolicySource.MACHINE in k.sources)


@dataclass(frozen=True, slots=True)
class ReferenceRow:
    """One key described in words, for documentation and the self-test."""

    name: str
    kind: str
    sources: str
    default: str
    stricter: str
    user: str
    meaning: str


def _default_text(spec: PolicyKey) -> str:
    if spec.default is None:
        return f"none ({spec.unset_means})"
    if isinstance(spec.default, bool):
        return "true" if spec.default else "false"
    return str(spec.default)


def reference_table() -> tuple[ReferenceRow, ...]:
    """Every key with its type, sources, default, order and meaning, in the schema's order."""
    order = (PolicySource.MACHINE, PolicySource.SERVER)
    return tuple(
        ReferenceRow(
            name=spec.name,
            kind=spec.kind,
            sources=", ".join(s.value for s in order if s in spec.sources),
            default=_default_text(spec),
            stricter=spec.strictness.value,
            user=spec.user.value,
            meaning=spec.meaning,
        )
        for spec in KEYS
    )


def reference_markdown() -> str:
    """The reference table as Markdown, the shape DESIGN.md §7 uses."""
    head = "| key | type | source | default | stricter | a user may set it | meaning |"
    lines = [head, "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in reference_table():
        cells = (row.kind, row.sources, row.default, row.stricter, row.user, row.meaning)
        lines.append(f"| `{row.name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
