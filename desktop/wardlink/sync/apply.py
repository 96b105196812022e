"""Applying pulled events: a page's events and its cursor in one local transaction.

`apply_page` is a store operation (run it on the DB lane: `lane.call(apply_page, page)`): either
every event of the page and the page's `next` cursor are stored, or nothing is, so a crash or a
store error mid-page leaves the cursor where it was and the page is simply pulled again.

An event that cannot be applied (malformed data, a team this device does not hold, data that
clashes with a row held here) is skipped, recorded in the local audit log by seq, type and a
reason naming fields (never content), and reported in `Applied.skipped`; the rest of the page
and the cursor still commit. Such an event is a bug, but refusing the page would stop the cursor
for good: the device would never again receive anything, urgent messages included. Losing one
unreadable event, with a trace, is the safer failure. Store failures the user can act on (disk
full, a damaged file) are not skipped: they roll the whole page back and reach the engine.

An ack can arrive before the message it acknowledges (a backfill pages newest first); it waits
in the store (`messages.keep_early_ack_in_tx`) until its message comes, while older history may.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, TypeVar

import sqlcipher3

from wardlink.core import forms
from wardlink.core.clock import parse_timestamp
from wardlink.core.fhir import NOTE_LINEAGE_SYSTEM
from wardlink.core.model import Team, TeamKind
from wardlink.core.policy import check_server_policy
from wardlink.core.policy_values import PolicyError
from wardlink.core.protocol import (
    MAX_PULL_LIMIT,
    Event,
    NoteData,
    ProtocolError,
    PullResponse,
)
from wardlink.core.protocol.fields import (
    UUID_PATTERN,
    Json,
    as_object,
    read_int,
    read_str,
    read_timestamp,
    read_uuid,
)
from wardlink.store import attachments, audit, messages, notes, retention, teams
from wardlink.store.changes import NOTHING, Changes
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.store.messages import RemoteMessage
from wardlink.store.notes import RemoteNote
from wardlink.sync.client import RecordClient
from wardlink.sync.message_rows import MessageRead, read_remote_message, rows_of

CURSOR_KEY: Final = "cursor"  # sync_state: the pull cursor, the highest seq applied
SERVER_POLICY_KEY: Final = "policy.server"  # sync_state: the server's policy (as sign-in keeps it)
HISTORY_TYPES: Final = frozenset({"message", "message.acked", "receipt", "note", "note.amended"})
SKIPPED_ACTION: Final = "sync.event_skipped"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SkippedEvent:
    """An event that was not applied, and why (the reason names fields, never values)."""

    seq: int
    type: str
    reason: str


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a pull page (or a history page) did.

    `joined`: teams this profile was newly added to (to backfill); `purged`: teams whose local
    data was removed; `policy_changed`: a new server policy is stored (the engine merges it again);
    `missing_photos`: photos of applied notes whose bytes are not here (`pusher.fetch_photos`);
    `cursor` and `more` are the pull page's (None and False for history)."""

    changes: Changes = NOTHING
    applied: int = 0
    cursor: int | None = None
    more: bool = False
    joined: frozenset[str] = frozenset()
    purged: frozenset[str] = frozenset()
    policy_changed: bool = False
    missing_photos: tuple[str, ...] = ()
    skipped: tuple[SkippedEvent, ...] = ()


def read_cursor(store: Store) -> int | None:
    """The stored pull cursor (None until a sign-in stored one)."""
    value = store.get_state(CURSOR_KEY)
    return None if value is None else int(value)


def apply_page(store: Store, page: PullResponse, reads: Sequence[MessageRead] = ()) -> Applied:
    """Apply a pulled page and store its cursor, in one transaction (a store operation).
    `reads`: its message events read ahead (`message_rows.rows_of`), if they were."""
    return with_care(lambda careful: _apply_page(store, page, reads, careful=careful))


def _apply_page(
    store: Store, page: PullResponse, reads: Sequence[MessageRead], *, careful: bool
) -> Applied:
    with store.transaction():
        applier = EventApplier(store, careful=careful)
        for event, read in zip(page.events, reads or (None,) * len(page.events), strict=True):
            applier.apply(event, read)
        applier.finish()
        # Never backwards: the cursor says what is here, and that only grows.
        cursor = max(page.next, read_cursor(store) or 0)
        store.set_state(CURSOR_KEY, str(cursor))
    return applier.result(cursor=cursor, more=page.more)


def pull_page(
    lane: DbLane, client: RecordClient, *, wait: float = 0.0, limit: int = MAX_PULL_LIMIT
) -> Applied:
    """Pull the page after the stored cursor (long-polling up to `wait` seconds) and apply it.

    Transport errors propagate with nothing applied. Call again while `Applied.more`."""
    since = lane.call(read_cursor) or 0
    page = client.pull_page(since, limit=limit, wait=wait)
    reads = rows_of(page.response.events, page.messages)  # here, not on the lane
    return lane.call(apply_page, page.response, reads)


# -- the applier -------------------------------------------------------------------------------


class Clash(Exception):
    """A bulk write hit a constraint where no savepoint could undo it alone: the caller rolls the
    page back and applies it again with `careful` on (see `with_care`)."""


def with_care(apply: Callable[[bool], T]) -> T:
    """`apply(careful=False)`, and if it clashes (rolled back by then), `apply(careful=True)`."""
    try:
        return apply(False)
    except Clash:
        return apply(True)


class _Skip(Exception):
    """This event is not applied; `reason` names fields only. An empty reason: quietly."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class EventApplier:
    """Applies events in order inside the caller's transaction.

    Runs of messages and of notes are written in bulk; any other event first writes what is
    batched, so order holds (an ack after its message, a purge after the team's earlier events).
    With `history_of`, only a history page's event types for that one team are taken.

    Runs are written without a savepoint unless `careful`: SQLCipher writes every page a
    savepoint may have to restore, which doubles the cost of a bulk insert. A constraint failure
    then raises `Clash` (the caller's transaction rolls back), and the page is applied again
    with `careful`, where each run has its savepoint and a refused row is skipped alone."""

    def __init__(
        self, store: Store, *, history_of: str | None = None, careful: bool = True
    ) -> None:
        self._store = store
        self._history_of = history_of
        self._careful = careful
        self._teams = teams.team_ids(store)
        self._purged: set[str] = set()
        self._joined: set[str] = set()
        self._messages: list[tuple[Event, RemoteMessage]] = []
        self._notes: list[tuple[Event, RemoteNote]] = []
        self._changes = NOTHING
        self._applied = 0
        self._skipped: list[SkippedEvent] = []
        self._photos: dict[str, None] = {}
        self._policy_changed = False

    def apply(self, event: Event, read: MessageRead = None) -> None:
        """Apply `event` (or batch it); `read`: a `message` event as `message_rows` read it
        ahead, on another thread, or None to read it here."""
        try:
            if self._history_of is not None and (
                event.type not in HISTORY_TYPES or event.team_id != self._history_of
            ):
                raise _Skip("is not part of this team's history")
            if event.type == "message":
                self._team_of(event)  # a team held here, or skipped
                if read is None:
                    read = read_remote_message(event)
                elif isinstance(read, ProtocolError):
                    raise read
                self._messages.append((event, read))
            elif event.type in ("note", "note.amended"):
                self._notes.append((event, self._read_note(event)))
            else:
                self._flush()
                handler = self._HANDLERS.get(event.type)
                if handler is None:
                    raise _Skip("is of a type this version does not apply")
                self._guarded([(event, event)], lambda _: handler(self, event))
        except _Skip as skip:
            self._skip(event, skip.reason)
        except ProtocolError as exc:
            self._skip(event, str(exc))

    def finish(self) -> None:
        """Write what is still batched."""
        self._flush()

    def result(self, *, cursor: int | None = None, more: bool = False) -> Applied:
        return Applied(
            changes=self._changes,
            applied=self._applied,
            cursor=cursor,
            more=more,
            joined=frozenset(self._joined),
            purged=frozenset(self._purged),
            policy_changed=self._policy_changed,
            missing_photos=tuple(self._photos),
            skipped=tuple(self._skipped),
        )

    def history_is_all_here(self, team_id: str) -> None:
        """Early acks still waiting (once what is batched is written) will find no message."""
        self._flush()
        messages.drop_early_acks_in_tx(self._store, team_id)

    # -- bookkeeping -----------------------------------------------------------------------

    def _skip(self, event: Event, reason: str) -> None:
        if not reason:
            return
        self._skipped.append(SkippedEvent(event.seq, event.type, reason))
        audit.append(
            self._store,
            SKIPPED_ACTION,
            subject=str(event.seq),
            detail={"type": event.type, "reason": reason},
        )

    def _team_of(self, event: Event) -> str:
        """The event's team, if this device holds it. A team purged earlier in this page is
        skipped quietly: its later events are no longer ours."""
        team = event.team_id
        if team is None:
            raise _Skip("names no team")
        if team not in self._teams:
            raise _Skip("" if team in self._purged else "is for a team this device does not hold")
        return team

    def _flush(self) -> None:
        if self._messages:
            batch, self._messages = self._messages, []
            changed = self._bulk(
                batch, lambda ms: messages.apply_remote_messages_in_tx(self._store, ms)
            )
            if changed:
                self._changes |= Changes(messages=changed, teams=True)
                for team_id in changed:
                    messages.settle_early_acks_in_tx(self._store, team_id)
        if self._notes:
            batch_n, self._notes = self._notes, []
            changed = self._bulk(
                batch_n, lambda ns: notes.apply_remote_notes_in_tx(self._store, ns)
            )
            if changed:
                self._changes |= Changes(notes=changed)
            wanted = [sha for _, n in batch_n for sha in n.photos]
            for sha in attachments.missing_photos(self._store, wanted):
                self._photos[sha] = None

    def _bulk(
        self, items: Sequence[tuple[Event, T]], write: Callable[[list[T]], frozenset[str] | None]
    ) -> frozenset[str]:
        """A run of rows, written at once (see the class docstring for `careful`)."""
        if self._careful:
            return self._guarded(items, write)
        try:
            done = write([value for _, value in items])
        except sqlcipher3.IntegrityError:
            raise Clash() from None
        self._applied += len(items)
        return done or frozenset()

    def _guarded(
        self, items: Sequence[tuple[Event, T]], write: Callable[[list[T]], frozenset[str] | None]
    ) -> frozenset[str]:
        """Write `items` at once; if the store refuses a constraint, one by one, skipping only
        the ones it refuses. Returns the teams whose timeline changed."""
        try:
            with _savepoint(self._store):
                done = write([value for _, value in items])
        except _Skip as skip:
            self._skip(items[0][0], skip.reason)
            return frozenset()
        except sqlcipher3.IntegrityError:
            if len(items) == 1:
                self._skip(items[0][0], "clashes with data held on this device")
                return frozenset()
            changed: frozenset[str] = frozenset()
            for item in items:
                changed |= self._guarded([item], write)
            return changed
        self._applied += len(items)
        return done or frozenset()

    # -- message and note events, read into store rows --------------------------------------

    def _read_note(self, event: Event) -> RemoteNote:
        team = self._team_of(event)
        data = NoteData.from_json(event.data)
        resource = data.resource
        try:
            patient = forms.patient_of(resource)
        except ValueError:
            raise _Skip("data.resource.subject: has no patient identifier") from None
        status = resource.get("status")
        if status not in ("completed", "amended"):
            raise _Skip("data.resource.status: must be completed or amended")
        authored = resource.get("authored")
        try:
            parse_timestamp(authored if isinstance(authored, str) else "")
        except ValueError:
            raise _Skip("data.resource.authored: is not a wire timestamp") from None
        try:
            search_text = forms.summary_text(resource)
        except (ValueError, LookupError):  # a form this version does not know: still the record
            search_text = data.form_title
        return RemoteNote(
            seq=event.seq,
            id=data.id,
            version=data.version,
            version_of=data.version_of,
            team_id=team,
            author_id=data.author_id,
            author_name=data.author_name,
            form_url=data.form_url,
            form_version=data.form_version,
            form_title=data.form_title,
            patient_system=patient.system,
            patient_value=patient.value,
            status=str(status),
            authored=str(authored),
            resource=resource,
            search_text=search_text,
            photos=data.photos,
            lineage_id=_lineage_of(resource),
        )

    # -- the other event types (each runs once everything before it is written) --------------

    def _retracted(self, event: Event) -> None:
        self._team_of(event)  # a team held here, or skipped
        message_id = read_uuid(event.data, "id", "data")
        changed = messages.apply_retraction_in_tx(self._store, message_id)
        self._changes |= Changes(messages=changed, teams=bool(changed))

    def _acked(self, event: Event) -> None:
        team = self._team_of(event)
        message_id = read_uuid(event.data, "id", "data")
        by = read_uuid(event.data, "by", "data")
        at = read_timestamp(event.data, "at", "data")
        changed = messages.apply_ack_in_tx(self._store, message_id, by, at)
        if changed:
            self._changes |= Changes(messages=changed)
        elif messages.get_message(self._store, message_id) is None:
            state = teams.get_backfill(self._store, team)
            if state is not None and state.has_older:
                messages.keep_early_ack_in_tx(self._store, team, message_id, by, at)

    def _receipt(self, event: Event) -> None:
        team = self._team_of(event)
        staff_id = read_uuid(event.data, "staff_id", "data")
        up_to_seq = read_int(event.data, "up_to_seq", "data")
        mine = messages.apply_receipt_in_tx(self._store, team, staff_id, up_to_seq)
        self._changes |= Changes(receipts=frozenset({team}), teams=mine)

    def _membership(self, event: Event) -> None:
        team, staff_id = _read_membership(event.data)
        if event.team_id is not None and event.team_id != team.id:
            raise _Skip("data.team.id: is not the event's team")
        if staff_id == self._store.me:
            if event.type == "membership.added":
                self._join(event, team)
            else:
                self._leave(team.id)
            return
        self._team_of(event)
        if event.type == "membership.added":
            teams.add_member_in_tx(self._store, team.id, staff_id)
        else:
            teams.remove_member_in_tx(self._store, team.id, staff_id)
        self._changes |= Changes(teams=True, receipts=frozenset({team.id}))

    def _join(self, event: Event, team: Team) -> None:
        new = team.id not in self._teams
        teams.upsert_teams_in_tx(self._store, [team])
        teams.add_member_in_tx(self._store, team.id, self._store.me)
        state = teams.get_backfill(self._store, team.id)
        if new or (state is not None and state.backfilled_to is None):
            # Its history is what came before this event; what follows arrives by pull.
            teams.set_backfill_in_tx(self._store, team.id, event.seq + 1, complete=False)
        if new:
            self._joined.add(team.id)
        self._teams.add(team.id)
        self._changes |= Changes(teams=True)

    def _leave(self, team_id: str) -> None:
        if team_id not in self._teams:
            return
        self._changes |= retention.purge_team_in_tx(self._store, team_id)
        self._teams.discard(team_id)
        self._joined.discard(team_id)
        self._purged.add(team_id)

    def _staff_updated(self, event: Event) -> None:
        staff_id = read_uuid(event.data, "id", "data")
        name = read_str(event.data, "display_name", "data")
        active = event.data.get("active")
        if not isinstance(active, bool):
            raise _Skip("data.active: must be true or false")
        teams.update_staff_in_tx(self._store, staff_id, name, active)
        self._changes |= Changes(staff=True)

    def _policy_updated(self, event: Event) -> None:
        policy = dict(as_object(event.data.get("policy"), "data.policy"))
        try:
            check_server_policy(policy)
        except PolicyError:
            # Keep the policy in force rather than store one the merge would refuse.
            raise _Skip("data.policy: holds a setting this version refuses") from None
        if self._store.get_json_state(SERVER_POLICY_KEY) != policy:
            self._store.set_json_state(SERVER_POLICY_KEY, policy)
            self._policy_changed = True

    _HANDLERS: Final[Mapping[str, Callable[[EventApplier, Event], None]]] = {
        "message.retracted": _retracted,
        "message.acked": _acked,
        "receipt": _receipt,
        "membership.added": _membership,
        "membership.removed": _membership,
        "staff.updated": _staff_updated,
        "policy.updated": _policy_updated,
    }


def _read_membership(data: Mapping[str, Json]) -> tuple[Team, str]:
    team = as_object(data.get("team"), "data.team")
    kind = read_str(team, "kind", "data.team")
    if kind not in (TeamKind.WARD, TeamKind.COMMUNITY):
        raise ProtocolError("data.team.kind", "must be ward or community")
    return (
        Team(
            read_uuid(team, "id", "data.team"), read_str(team, "name", "data.team"), TeamKind(kind)
        ),
        read_uuid(data, "staff_id", "data"),
    )


def _lineage_of(resource: Mapping[str, Json]) -> str | None:
    identifier = resource.get("identifier")
    if not isinstance(identifier, dict) or identifier.get("system") != NOTE_LINEAGE_SYSTEM:
        return None
    value = identifier.get("value")
    return value if isinstance(value, str) and UUID_PATTERN.fullmatch(value) else None


@contextmanager
def _savepoint(store: Store) -> Iterator[None]:
    store.conn.execute("SAVEPOINT apply_event")
    try:
        yield
    except BaseException:
        store.conn.execute("ROLLBACK TO apply_event")
        store.conn.execute("RELEASE apply_event")
        raise
    store.conn.execute("RELEASE apply_event")
