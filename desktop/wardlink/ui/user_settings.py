"""A staff member's own settings, kept in their encrypted profile (`sync_state`), never on disk
in the clear, and applied only within policy: a user can make the idle lock shorter, never
longer (`core.policy.merge` takes them as its user layer).

No Qt here: `load_user_settings` and `save_user_settings` are store operations for the DB lane.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from wardlink.store.database import Store

SETTINGS_KEY: Final = "settings.user"


class ThemeChoice(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class UserSettings:
    idle_lock_minutes: int | None = None  # None: as policy says
    theme: ThemeChoice = ThemeChoice.SYSTEM

    def policy_values(self) -> dict[str, object]:
        """The settings that are policy keys, for `merge`'s user layer."""
        if self.idle_lock_minutes is None:
            return {}
        return {"idle_lock_minutes": self.idle_lock_minutes}

    def to_json(self) -> dict[str, object]:
        return {"idle_lock_minutes": self.idle_lock_minutes, "theme": self.theme.value}

    @classmethod
    def from_json(cls, value: object) -> UserSettings:
        """Settings as stored; anything unexpected falls back to the default for that field."""
        if not isinstance(value, dict):
            return cls()
        minutes = value.get("idle_lock_minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
            minutes = None
        try:
            theme = ThemeChoice(str(value.get("theme", ThemeChoice.SYSTEM.value)))
        except ValueError:
            theme = ThemeChoice.SYSTEM
        return cls(minutes, theme)


def load_user_settings(store: Store) -> UserSettings:
    return UserSettings.from_json(store.get_json_state(SETTINGS_KEY))


def save_user_settings(store: Store, settings: UserSettings) -> UserSettings:
    store.set_json_state(SETTINGS_KEY, settings.to_json())
    return settings
