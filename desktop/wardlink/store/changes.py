"""`Changes`: what an operation changed, so each view can decide whether to refresh.

One app-wide signal fans these out (DESIGN.md §2); views look only at the parts they show.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Changes:
    messages: frozenset[str] = field(default_factory=frozenset)  # team ids whose timeline changed
    notes: frozenset[str] = field(default_factory=frozenset)  # team ids whose notes changed
    teams: bool = False  # the team list, membership or unread counts
    outbox: bool = False  # something was queued or an outbox item settled
    staff: bool = False
    purged: frozenset[str] = field(default_factory=frozenset)  # team ids removed locally
    # team ids whose read receipts changed, or the members who send them
    receipts: frozenset[str] = field(default_factory=frozenset)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            messages=self.messages | other.messages,
            notes=self.notes | other.notes,
            teams=self.teams or other.teams,
            outbox=self.outbox or other.outbox,
            staff=self.staff or other.staff,
            purged=self.purged | other.purged,
            receipts=self.receipts | other.receipts,
        )

    def __bool__(self) -> bool:
        return bool(
            self.messages
            or self.notes
            or self.teams
            or self.outbox
            or self.staff
            or self.purged
            or self.receipts
        )


NOTHING = Changes()
