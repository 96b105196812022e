"""Sending the outbox, and moving clinical photos to and from the record server.

`push_round` takes the oldest ops (FIFO), uploads the photos their notes need, pushes them as one
batch and settles each op with the server's answer. Nothing is ever dropped unanswered:
- an op that does not even parse here is a local bug: it is held (or, for ops with nothing to
  show, settled) with a plain reason, so that it never blocks the ops behind it;
- a batch the server finds too large (413) is split in halves until it fits; a single op that
  is too large is held;
- a transport failure raises with the ops still queued, in order. Retrying is safe: the server
  applies each op id exactly once and answers a resend `duplicate` with its first result.

`fetch_photos` brings the bytes of photos that pulled notes reference (a pull carries hashes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from wardlink.core.protocol import (
    MAX_PUSH_OPS,
    NoteAmend,
    NoteSubmit,
    Op,
    OpError,
    ProtocolError,
    parse_op,
)
from wardlink.core.protocol import OpResult as WireResult
from wardlink.store import attachments, outbox
from wardlink.store.changes import NOTHING, Changes
from wardlink.store.lane import DbLane
from wardlink.store.outbox import OpResult, OutboxItem
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import (
    BadCredentials,
    BadResponse,
    MustWipe,
    NeedsSignIn,
    ServerRefused,
    SyncError,
)

NOT_SENDABLE: Final = (
    "Wardlink could not send this because of a fault in the app ({field}). Edit it to send it "
    "again; if that does not help, tell IT."
)
TOO_LARGE: Final = "This is too large to send to the record server. Make it shorter."
NO_ANSWER: Final = "The record server did not answer for this item."
IDENTIFIERS: Final = (
    "Not sent: this looks like it contains {kinds}. Patient details belong in a patient note, "
    "not in chat."
)
# What each guard finding kind is called in a held item's reason (never the text found).
KIND_WORDS: Final = {
    "nhs_number": "an NHS number",
    "chi_number": "a CHI number",
    "phone": "a phone number",
    "postcode": "a postcode",
    "dob": "a date of birth",
    "email": "an e-mail address",
    "address": "a street address",
    "name": "a name with a title",
    "hospital_number": "a hospital number",
}
PHOTO_TYPES: Final = ("image/jpeg", "image/png")
_SIGN_IN_OR_WIPE = (NeedsSignIn, MustWipe, BadCredentials)


@dataclass(frozen=True, slots=True)
class PushRound:
    """What one round did: `sent` ops were accepted (applied, or found applied before), `held`
    were refused and are held with a reason; `more`: ops are still queued (a full batch, or new
    ones written meanwhile), so call again."""

    taken: int = 0
    sent: int = 0
    held: int = 0
    photos_uploaded: int = 0
    changes: Changes = NOTHING
    more: bool = False

    @property
    def settled(self) -> int:
        return self.sent + self.held


def push_round(lane: DbLane, client: RecordClient, *, max_ops: int = MAX_PUSH_OPS) -> PushRound:
    """Send the oldest `max_ops` queued ops once (see the module docstring for the rules)."""
    batch = lane.call(outbox.next_batch, limit=max_ops)
    if not batch:
        return PushRound()
    round_ = _Round(lane, client)
    ops = round_.parse(batch)
    ops = round_.upload_photos(ops)
    round_.push(ops)
    return PushRound(
        taken=len(batch),
        sent=round_.sent,
        held=round_.held,
        photos_uploaded=round_.photos_uploaded,
        changes=round_.changes,
        more=lane.call(outbox.pending_count) > 0,
    )


class _Round:
    def __init__(self, lane: DbLane, client: RecordClient) -> None:
        self.lane = lane
        self.client = client
        self.sent = 0
        self.held = 0
        self.photos_uploaded = 0
        self.changes = NOTHING
        self._uploaded: set[str] = set()

    def settle(self, results: Sequence[OpResult]) -> None:
        if not results:
            return
        self.changes |= self.lane.call(outbox.record_results, results)
        held = sum(1 for r in results if r.status == "rejected")
        self.held += held
        self.sent += len(results) - held

    def parse(self, batch: Sequence[OutboxItem]) -> list[Op]:
        ops: list[Op] = []
        refused: list[OpResult] = []
        for item in batch:
            try:
                ops.append(parse_op(item.as_op(), "op"))
            except ProtocolError as exc:
                reason = NOT_SENDABLE.format(field=exc.path)
                refused.append(OpResult(item.op_id, "rejected", None, "invalid", reason))
        self.settle(refused)
        return ops

    def upload_photos(self, ops: Sequence[Op]) -> list[Op]:
        """Upload what each note needs first; a note whose photo the server refuses is held."""
        ready: list[Op] = []
        for op in ops:
            if isinstance(op, NoteSubmit | NoteAmend):
                refusal = self._upload_for(op.note_id)
                if refusal is not None:
                    self.settle(
                        [OpResult(op.op_id, "rejected", None, refusal.code, refusal.message)]
                    )
                    continue
            ready.append(op)
        return ready

    def _upload_for(self, note_id: str) -> ServerRefused | None:
        for sha in self.lane.call(attachments.pending_uploads, note_id):
            if sha in self._uploaded:
                continue
            found = self.lane.call(attachments.get_attachment, sha)
            if found is None:
                continue
            content_type, data = found
            try:
                self.client.put_blob(sha, content_type, data)
            except _SIGN_IN_OR_WIPE:
                raise
            except ServerRefused as refused:
                return refused
            self.lane.call(attachments.mark_uploaded, sha)
            self._uploaded.add(sha)
            self.photos_uploaded += 1
        return None

    def push(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        try:
            response = self.client.push(ops)
        except _SIGN_IN_OR_WIPE:
            raise
        except ServerRefused as refused:
            if refused.status != 413:
                self._failed(ops, refused)
                raise
            if len(ops) == 1:
                self.settle([OpResult(ops[0].op_id, "rejected", None, "too_large", TOO_LARGE)])
                return
            half = len(ops) // 2
            self.push(ops[:half])
            self.push(ops[half:])
            return
        except SyncError as failure:
            self._failed(ops, failure)
            raise
        answers = {result.op_id: result for result in response.results}
        self.settle([_stored(answers[op.op_id]) for op in ops if op.op_id in answers])
        unanswered = [op for op in ops if op.op_id not in answers]
        if unanswered:
            # A server bug: they stay queued and go again (a resend is answered `duplicate`).
            self._failed(unanswered, BadResponse(NO_ANSWER))
            raise BadResponse()

    def _failed(self, ops: Sequence[Op], failure: SyncError) -> None:
        self.lane.call(outbox.record_attempt_failure, [op.op_id for op in ops], failure.message)


def _stored(result: WireResult) -> OpResult:
    """The store's form of a server result; a refusal keeps its code and a plain reason."""
    if result.status != "rejected" or result.error is None:
        return OpResult(result.op_id, result.status, result.seq)
    return OpResult(result.op_id, "rejected", None, result.error.code, held_reason(result.error))


def held_reason(error: OpError) -> str:
    """What a held item shows. For patient identifiers: the kinds found, never the text."""
    if error.code != "patient_identifiers":
        return error.message
    findings = error.details.get("findings")
    kinds = [
        KIND_WORDS.get(str(f.get("kind")), "a patient identifier")
        for f in (findings if isinstance(findings, list) else ())
        if isinstance(f, dict)
    ]
    kinds = list(dict.fromkeys(kinds)) or ["a patient identifier"]
    listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
    return IDENTIFIERS.format(kinds=listed)


# -- photos from the server ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhotosFetched:
    """`stored`: now held here; `unavailable`: the server would not give them, or gave bytes
    that are not the photo named (kept missing: a later round tries again)."""

    stored: tuple[str, ...] = ()
    unavailable: tuple[str, ...] = ()
    changes: Changes = NOTHING


def fetch_photos(
    lane: DbLane, client: RecordClient, wanted: Iterable[str] | None = None, *, limit: int = 100
) -> PhotosFetched:
    """Download note photos missing here: `wanted` (e.g. `Applied.missing_photos`), or any
    that local notes reference. Each is checked against its hash before it is kept."""
    if wanted is None:
        candidates = lane.call(attachments.missing_photos, limit=limit)
    else:
        candidates = lane.call(attachments.missing_photos, list(wanted))
    stored: list[str] = []
    unavailable: list[str] = []
    changes = NOTHING
    for sha in candidates:
        try:
            content_type, data = client.get_blob(sha)
        except _SIGN_IN_OR_WIPE:
            raise
        except ServerRefused:
            unavailable.append(sha)
            continue
        media = content_type.split(";", 1)[0].strip().lower()
        if hashlib.sha256(data).hexdigest() != sha or media not in PHOTO_TYPES:
            unavailable.append(sha)
            continue
        changes |= Changes(notes=lane.call(attachments.store_downloaded, sha, media, data))
        stored.append(sha)
    return PhotosFetched(tuple(stored), tuple(unavailable), changes)
