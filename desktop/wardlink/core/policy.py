"""The policy schema (DESIGN.md §7): its keys, defaults, precedence and validation.

Two sources set policy: machine policy (IT, per PC) and server policy (sent at sign-in and in
`policy.updated`). Where both set a key, the stricter value wins. A user's own settings can only
make things stricter; an attempt to loosen is ignored and reported, so the settings screen can
say why.

Keys with no "stricter" order (where the server is, which key signs leases, which CAs and folder
to use, the CHI system, the hospital number pattern) each have exactly one source. A user may set
one only where the table below allows it and no policy did:

- `server_url`: yes, where machine policy sets none (sign-in asks for it);
- `server_public_key`: yes, where machine policy sets none (trust on first use: the user
  confirms the key the server shows, and the client pins it as a user setting);
- `ca_bundle`: never (trusting more certificate authorities loosens TLS);
- `data_dir`: never (where profiles live is IT's decision: roaming profiles, shared drives);
- `chi_system`, `hospital_number_pattern`: never (they shape the record and the guard for
  everybody, so they come from the server alone).

A value of `None` (JSON `null`) in any source means "not set". Unknown keys: an error in machine
policy (a typo by IT must not pass silently), ignored from the server (a newer server may add
keys; `Policy.ignored_server_keys` lists them), ignored and reported from the user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import platformdirs

from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM
from wardlink.core.policy_file import (
    DEFAULT_POLICY_FILE,
    POLICY_FILE_ENV,
    MachinePolicySource,
    TomlPolicyFile,
    machine_policy_source,
    read_machine_policy,
)
from wardlink.core.policy_schema import (
    KEYS,
    KEYS_BY_NAME,
    PolicyKey,
    PolicySource,
    ReferenceRow,
    Strictness,
    UserRule,
    machine_keys,
    reference_markdown,
    reference_table,
)
from wardlink.core.policy_values import PolicyError, PolicyFileError, decode_public_key

__all__ = [
    "DEFAULT_POLICY_FILE",
    "KEYS",
    "KEYS_BY_NAME",
    "POLICY_FILE_ENV",
    "MachinePolicySource",
    "Policy",
    "PolicyError",
    "PolicyFileError",
    "PolicyKey",
    "PolicySource",
    "ReferenceRow",
    "Strictness",
    "TomlPolicyFile",
    "UserRule",
    "check_machine_policy",
    "check_server_policy",
    "check_setting",
    "data_folder",
    "machine_keys",
    "machine_policy_source",
    "merge",
    "read_machine_policy",
    "reference_markdown",
    "reference_table",
]


def _all_default() -> Mapping[str, PolicySource]:
    return MappingProxyType(dict.fromkeys(KEYS_BY_NAME, PolicySource.DEFAULT))


def _no_ignored() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Policy:
    """The effective policy: every key as a typed attribute, and where each value came from.

    `Policy()` is the defaults; `merge` builds the real one. Values are checked and put in normal
    form on construction, so a Policy never holds a value the schema refuses.
    """

    server_url: str | None = None
    server_public_key: str | None = None
    ca_bundle: Path | None = None
    data_dir: Path | None = None
    idle_lock_minutes: int = 5
    lock_after_hours: int = 72
    wipe_after_days: int = 30
    history_days: int = 30
    device_retention_days: int = 30
    hospital_number_pattern: str | None = None
    chi_system: str = DEFAULT_CHI_SYSTEM
    max_photo_mb: int = 10
    allow_pdf_export: bool = False
    sources: Mapping[str, PolicySource] = field(default_factory=_all_default, hash=False)
    ignored_user_settings: Mapping[str, str] = field(default_factory=_no_ignored, hash=False)
    ignored_server_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for spec in KEYS:
            value = getattr(self, spec.name)
            if value is not None:
                object.__setattr__(self, spec.name, spec.check(spec.name, value))
        unknown = sorted(set(self.sources) - set(KEYS_BY_NAME))
        if unknown:
            raise PolicyError(unknown[0], "is not a Wardlink policy setting")
        sources = {**_all_default(), **self.sources}
        object.__setattr__(self, "sources", MappingProxyType(sources))
        object.__setattr__(
            self, "ignored_user_settings", MappingProxyType(dict(self.ignored_user_settings))
        )

    def source_of(self, key: str) -> PolicySource:
        return self.sources[_spec(key).name]

    def as_dict(self) -> dict[str, object]:
        """Every key's effective value, in the schema's order."""
        return {spec.name: getattr(self, spec.name) for spec in KEYS}

    @property
    def server_public_key_bytes(self) -> bytes | None:
        """The pinned key's 32 raw bytes, ready for an Ed25519 verifier."""
        key = self.server_public_key
        return None if key is None else decode_public_key(key)

    @property
    def idle_lock(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.idle_lock_minutes)

    @property
    def lock_after(self) -> dt.timedelta:
        return dt.timedelta(hours=self.lock_after_hours)

    @property
    def wipe_after(self) -> dt.timedelta:
        return dt.timedelta(days=self.wipe_after_days)

    @property
    def max_photo_bytes(self) -> int:
        return self.max_photo_mb * 1024 * 1024


def data_folder(policy: Policy) -> Path:
    """Where the profiles live: the policy's `data_dir`, else this user's platform data folder
    (`%LOCALAPPDATA%\\wardlink`, `~/Library/Application Support/wardlink`,
    `$XDG_DATA_HOME/wardlink` or `~/.local/share/wardlink`)."""
    return policy.data_dir or Path(platformdirs.user_data_dir("wardlink", appauthor=False))


def _spec(key: str) -> PolicyKey:
    try:
        return KEYS_BY_NAME[key]
    except KeyError:
        raise PolicyError(key, "is not a Wardlink policy setting (check the spelling)") from None


def check_setting(key: str, value: object) -> object:
    """`value` in normal form for `key`, or PolicyError: for a settings screen before saving."""
    spec = _spec(key)
    return spec.check(spec.name, value)


def check_machine_policy(raw: Mapping[str, object]) -> dict[str, object]:
    """Machine policy checked strictly: unknown keys and server-only keys are errors."""
    checked: dict[str, object] = {}
    try:
        for key, value in raw.items():
            spec = _spec(key)
            if PolicySource.MACHINE not in spec.sources:
                raise PolicyError(key, "is set by the record server, not by machine policy")
            if value is not None:
                checked[key] = spec.check(key, value)
    except PolicyError as exc:
        exc.source = PolicySource.MACHINE.value
        raise
    return checked


def check_server_policy(raw: Mapping[str, object]) -> dict[str, object]:
    """Server policy: unknown keys skipped (a newer server), known ones checked, machine-only
    keys refused naming the key.
    """
    checked: dict[str, object] = {}
    try:
        for key, value in raw.items():
            spec = KEYS_BY_NAME.get(key)
            if spec is None:
                continue
            if PolicySource.SERVER not in spec.sources:
                raise PolicyError(key, "can only be set by machine policy, not by the server")
            if value is not None:
                checked[key] = spec.check(key, value)
    except PolicyError as exc:
        exc.source = PolicySource.SERVER.value
        raise
    return checked


def _stricter(spec: PolicyKey, a: object, b: object) -> bool:
    """True if `a` is strictly stricter than `b` under the key's order."""
    if spec.strictness is Strictness.LOWER and isinstance(a, int) and isinstance(b, int):
        return a < b
    if spec.strictness is Strictness.FALSE:
        return a is False and b is True
    return False


def _loosening_reason(spec: PolicyKey, effective: object) -> str:
    if spec.strictness is Strictness.FALSE:
        return "is turned off by the current policy; you cannot turn it on"
    return f"the current policy sets {effective}; you can only choose a lower value"


def _user_reason(spec: PolicyKey, value: object, effective: object, source: PolicySource) -> str:
    """Why a (valid) user setting is ignored, or "" where it applies."""
    if spec.user is UserRule.NEVER:
        return "is set by your organisation only"
    if spec.user is UserRule.WHERE_UNSET:
        if source is PolicySource.DEFAULT:
            return ""
        return "is already set by your organisation's policy"
    if value == effective or _stricter(spec, value, effective):
        return ""
    return _loosening_reason(spec, effective)


def merge(
    machine: Mapping[str, object] | None,
    server: Mapping[str, object] | None,
    user: Mapping[str, object] | None,
) -> Policy:
    """The effective policy: the stricter of machine and server, then the user's tightenings.

    Raises PolicyError for bad machine or server policy. Never raises for user settings: each one
    that does not apply is listed in `Policy.ignored_user_settings` with the reason.
    """
    by_source = (
        (PolicySource.MACHINE, check_machine_policy(machine or {})),
        (PolicySource.SERVER, check_server_policy(server or {})),
    )
    effective: dict[str, object] = {}
    sources: dict[str, PolicySource] = {}
    for spec in KEYS:
        effective[spec.name], sources[spec.name] = spec.default, PolicySource.DEFAULT
        for source, table in by_source:  # machine first: it wins a tie
            if spec.name not in table:
                continue
            value = table[spec.name]
            first = sources[spec.name] is PolicySource.DEFAULT
            if first or _stricter(spec, value, effective[spec.name]):
                effective[spec.name], sources[spec.name] = value, source

    ignored: dict[str, str] = {}
    for key, raw in (user or {}).items():
        if raw is None:
            continue
        try:
            spec = _spec(key)
            value = spec.check(key, raw)
        except PolicyError as exc:
            ignored[key] = exc.message
            continue
        reason = _user_reason(spec, value, effective[key], sources[key])
        if reason:
            ignored[key] = f"{key}: {reason}"
        elif value != effective[key]:
            effective[key], sources[key] = value, PolicySource.USER

    unknown_server = tuple(sorted(k for k in (server or {}) if k not in KEYS_BY_NAME))
    # The table's checks give each key's declared type; Policy re-checks on construction.
    typed: dict[str, Any] = effective
    return Policy(
        **typed,
        sources=sources,
        ignored_user_settings=ignored,
        ignored_server_keys=unknown_server,
    )


_EXTRA_FIELDS = frozenset({"sources", "ignored_user_settings", "ignored_server_keys"})


def _check_schema_matches_policy() -> None:
    """The table and the dataclass must list the same keys, in order, with the same defaults."""
    attrs = [f for f in fields(Policy) if f.name not in _EXTRA_FIELDS]
    if [f.name for f in attrs] != [k.name for k in KEYS]:
        raise RuntimeError("Policy's attributes and the policy table list different keys")
    for f, spec in zip(attrs, KEYS, strict=True):
        if f.default != spec.default:
            raise RuntimeError(f"{spec.name}: Policy's default differs from the table's")
        if len(spec.sources) != 1 and spec.strictness is Strictness.UNORDERED:
            raise RuntimeError(f"{spec.name}: a key with no order must have one source")
        if spec.strictness is Strictness.UNORDERED and spec.user is UserRule.TIGHTEN:
            raise RuntimeError(f"{spec.name}: a key with no order cannot be tightened")


_check_schema_matches_policy()
