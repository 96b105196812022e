"""The "Seen by" line under my messages: which row carries which readers, and how it reads.

Each reader is named once, under the newest of my sent messages they have read (what
`view_queries.team_read_receipts` works out from seqs); the line names a few and the tooltip and
screen readers get everyone. No Qt here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from wardlink.ui.view_queries import ReadReceipts

NAMED: Final = 2  # names the line shows before "and N others"


@dataclass(frozen=True, slots=True)
class SeenBy:
    short: str  # the line under the message
    full: str  # every name: the tooltip and the row's accessible text


def listed(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def seen_by(names: Sequence[str], *, everyone: bool) -> SeenBy:
    """The line for readers `names` (sorted); `everyone`: they are all the team's other members."""
    full = f"Seen by {listed(names)}"
    if everyone:
        return SeenBy("Seen by everyone", f"Seen by everyone: {listed(names)}")
    if len(names) <= NAMED:
        return SeenBy(f"Seen by {', '.join(names)}", full)
    others = len(names) - 1
    return SeenBy(f"Seen by {names[0]} and {others} others", full)


def seen_lines(receipts: ReadReceipts) -> dict[int, SeenBy]:
    """The "Seen by" line of each of my messages that carries one, by seq."""
    names_at: dict[int, list[str]] = {}
    for staff, seq in receipts.reached.items():
        names_at.setdefault(seq, []).append(receipts.readers[staff])
    team = len(receipts.readers)
    return {
        seq: seen_by(
            sorted(names, key=str.casefold),
            # With one other member, their name says more than "everyone".
            everyone=team > 1 and len(names) == team,
        )
        for seq, names in names_at.items()
    }
