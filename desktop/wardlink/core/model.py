"""The domain's nouns, shared by the store, the sync engine, the UI and the record server.

Plain values with no behaviour beyond small derived properties, so that every layer can hold them
without dragging in another. Times are aware UTC datetimes (see `wardlink.core.clock` for the wire
form). Fields that may carry patient data (a message body, a note's patient identifier and
resource, a photo's title) are left out of `repr`, so that a logged or asserted object never
prints them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

BLOB_URL_PREFIX = "urn:wardlink:blob:"


class Role(StrEnum):
    STAFF = "staff"
    ADMIN = "admin"
    INTEGRATION = "integration"  # an EPR or other system reading the record, not a person


class TeamKind(StrEnum):
    WARD = "ward"
    COMMUNITY = "community"


class Priority(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


class MessageState(StrEnum):
    """Where a message stands: our own go queued → sent, or held; others' arrive received."""

    QUEUED = "queued"
    SENT = "sent"
    HELD = "held"
    RECEIVED = "received"


class NoteStatus(StrEnum):
    """The QuestionnaireResponse status: a first version is completed, a later one amended."""

    COMPLETED = "completed"
    AMENDED = "amended"


class NoteState(StrEnum):
    """Where a note stands: queued → filed (the record server accepted it), or held."""

    QUEUED = "queued"
    FILED = "filed"
    HELD = "held"


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    username: str
    display_name: str
    role: Role
    active: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_person(self) -> bool:
        """Integration accounts are systems: they belong in no team and sign in to no PC."""
        return self.role is not Role.INTEGRATION


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    kind: TeamKind


@dataclass(frozen=True, slots=True)
class Membership:
    team_id: str
    staff_id: str


@dataclass(frozen=True, slots=True)
class Message:
    """A chat message; `seq` and `server_ts` stay None until the server has applied it."""

    id: str
    team_id: str
    author_id: str
    author_name: str
    body: str = field(repr=False)
    priority: Priority
    client_ts: dt.datetime
    state: MessageState
    server_ts: dt.datetime | None = None
    seq: int | None = None
    held_reason: str | None = None
    note_ref: str | None = None
    acked: bool = False

    @property
    def is_urgent(self) -> bool:
        return self.priority is Priority.URGENT

    @property
    def awaiting_ack(self) -> bool:
        """An urgent message nobody has acknowledged yet."""
        return self.is_urgent and not self.acked

    @property
    def is_own_unsent(self) -> bool:
        """Still ours to deliver: queued, or held for the author to edit."""
        return self.state in (MessageState.QUEUED, MessageState.HELD)


@dataclass(frozen=True, slots=True)
class Note:
    """One version of a clinical form; amendments are new versions of the same lineage.

    `lineage_id` is the id of the first version (equal to `id` for that version); `version_of`
    is the id of the version this one amends. `resource` is the QuestionnaireResponse as a dict.
    """

    id: str
    lineage_id: str
    version: int
    version_of: str | None
    team_id: str
    form_url: str
    form_version: str
    form_title: str
    patient_system: str
    patient_value: str = field(repr=False)
    status: NoteStatus
    author_id: str
    author_name: str
    authored: dt.datetime
    resource: Mapping[str, object] = field(repr=False, hash=False)
    state: NoteState
    photos: tuple[str, ...] = ()
    held_reason: str | None = None

    @property
    def is_amendment(self) -> bool:
        return self.version_of is not None

    @property
    def is_filed(self) -> bool:
        return self.state is NoteState.FILED

    @property
    def questionnaire(self) -> str:
        """The canonical reference `url|version`, as QuestionnaireResponse.questionnaire has it."""
        return f"{self.form_url}|{self.form_version}"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A clinical photo, addressed by the SHA-256 of its (cleaned) bytes."""

    sha256: str
    content_type: str
    size: int
    title: str = field(repr=False)

    @property
    def url(self) -> str:
        """The address a QuestionnaireResponse's valueAttachment carries."""
        return f"{BLOB_URL_PREFIX}{self.sha256}"
