"""How a timeline groups messages: day separators and runs by one author. No Qt here.

Times are shown in the PC's local time zone; a message is placed by the server's time once it
has one, else by when it was written here.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from wardlink.core.model import Message

GROUP_GAP: Final = dt.timedelta(minutes=10)


def shown_time(message: Message) -> dt.datetime:
    """The message's time in local time (server time once known)."""
    return (message.server_ts or message.client_ts).astimezone()


def clock_text(message: Message) -> str:
    return shown_time(message).strftime("%H:%M")


def day_text(day: dt.date, today: dt.date) -> str:
    """ "Today", "Yesterday", "Tuesday 24 November" (with the year when it is not this year)."""
    if day == today:
        return "Today"
    if day == today - dt.timedelta(days=1):
        return "Yesterday"
    text = f"{day:%A} {day.day} {day:%B}"
    return text if day.year == today.year else f"{text} {day.year}"


def day_label(previous: Message | None, message: Message, today: dt.date) -> str | None:
    """The separator above `message`, if it starts a new day (or opens the list)."""
    day = shown_time(message).date()
    if previous is not None and shown_time(previous).date() == day:
        return None
    return day_text(day, today)


def starts_group(previous: Message | None, message: Message) -> bool:
    """Whether `message` shows its author's name: a new author, a pause, a new day, or urgent."""
    if previous is None or message.is_urgent or previous.author_id != message.author_id:
        return True
    before, now = shown_time(previous), shown_time(message)
    return before.date() != now.date() or now - before > GROUP_GAP
