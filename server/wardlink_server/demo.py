"""`wardlink-server demo`: seed a demo health board, stored exactly as real use would store it.

The directory is made through `directory`, photos through `blobs.store` after the core's own
`process_photo`, and every message, acknowledgement, read receipt and form through the real
push path (`push.apply_push`), each as its demo author on a device of their own. So the rows,
events and audit entries are what the sync API would have made; the history is dated over the
four days before today by running the seeding on a clock of its own.

Seeding is idempotent: a database seeded before is left as it is, and one that already holds
staff accounts of its own is refused rather than mixed with demo data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
import uuid
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import insert, select

from wardlink.core import forms
from wardlink.core.clock import ManualClock, format_timestamp
from wardlink.core.photo_formats import PhotoFormat
from wardlink.core.photos import PNG_CONTENT_TYPE, process_photo
from wardlink.core.protocol import (
    MessageAck,
    MessagePost,
    NoteSubmit,
    Op,
    OpResult,
    PushRequest,
    ReceiptRead,
)
from wardlink_server import blobs, directory, events, schema
from wardlink_server.audit import CLI
from wardlink_server.auth import Caller
from wardlink_server.demo_history import (
    DAYS_AFTER,
    HISTORY,
    JUST_BEFORE,
    PATIENTS,
    STAFF,
    TEAMS,
    Ack,
    File,
    Read,
    Say,
    Step,
)
from wardlink_server.errors import ApiError
from wardlink_server.push import apply_push
from wardlink_server.services import Services

MARKER = "demo_seeded_at"
DEFAULT_PASSWORD = "demo"  # noqa: S105 (a demo board's well-known password)
DAYS = 4  # the history covers the four days before today
DEVICE_NAMESPACE = uuid.UUID("5d1f0e8a-3b7c-4e2f-9a61-7c0b2d4e6f81")


class DemoError(Exception):
    """A demo step the record server refused: a bug in the demo data, never the user's doing."""


@dataclass(frozen=True)
class DemoBoard:
    """What `seed` did; `created` is False when the database was seeded before."""

    created: bool
    teams: int = 0
    staff: int = 0
    patients: int = 0
    messages: int = 0
    notes: int = 0
    photos: int = 0

    def __str__(self) -> str:
        if not self.created:
            return "The demo health board is already seeded here; nothing was changed."
        return (
            f"Seeded the demo health board: {self.teams} teams, {self.staff} staff accounts "
            f"(admin, alice, bob, carol, dave; every one with the demo password), "
            f"{self.patients} test patients, {self.messages} messages, {self.notes} forms and "
            f"{self.photos} clinical photos."
        )


def seed(services: Services, *, password: str = DEFAULT_PASSWORD) -> DemoBoard:
    """Seed an empty database with the demo board; a no-op where it was seeded before."""
    with services.engine.connect() as conn:
        seeded = conn.execute(
            select(schema.settings.c.value).where(schema.settings.c.key == MARKER)
        ).first()
        has_staff = conn.execute(select(schema.staff.c.id).limit(1)).first() is not None
    if seeded is not None:
        return DemoBoard(created=False)
    if has_staff:
        raise ApiError(
            "conflict",
            "This database already has staff accounts of its own; the demo only seeds an empty "
            "database. Give another --database.",
        )
    first_day = services.config.clock.now().date() - dt.timedelta(days=DAYS)
    clock = ManualClock(dt.datetime.combine(first_day, dt.time(6, 0), dt.UTC))
    seeding = dataclasses.replace(
        services, config=dataclasses.replace(services.config, clock=clock)
    )
    seeder = _Seeder(seeding, clock, first_day, _directory(seeding, password))
    for step in HISTORY:
        seeder.run(step)
    with services.writer.begin() as conn:
        conn.execute(insert(schema.settings).values(key=MARKER, value=services.now()))
    services.notifier.notify()
    return DemoBoard(
        created=True, teams=len(TEAMS), staff=len(STAFF), patients=len(PATIENTS),
        messages=seeder.messages, notes=seeder.notes, photos=seeder.photos,
    )  # fmt: skip


@dataclass(frozen=True)
class _Member:
    caller: Caller
    display_name: str


def _directory(services: Services, password: str) -> dict[str, _Member]:
    """Teams, staff and memberships as an administrator would make them; a device each."""
    members: dict[str, _Member] = {}
    with services.writer.begin() as conn:
        for name, kind in TEAMS:
            directory.create_team(conn, services, CLI, name=name, kind=kind)
        for username, display_name, role, team in STAFF:
            staff_id = directory.create_staff(
                conn, services, CLI, username=username, display_name=display_name, role=role,
                password=password,
            )  # fmt: skip
            if team is not None:
                directory.add_member(conn, services, CLI, team, username)
            device = directory.ensure_device(
                conn, services, staff_id, str(uuid.uuid5(DEVICE_NAMESPACE, username)),
                f"{display_name}'s demo PC", "demo",
            )  # fmt: skip
            now = services.now()
            caller = Caller(
                staff_id=staff_id, role=role, device_id=str(device["id"]), token_hash="",
                session_kind="password", session_created_at=now, last_seen_at=now,
            )  # fmt: skip
            members[username] = _Member(caller, display_name)
    services.notifier.notify()
    return members


class _Seeder:
    """Runs the history's steps in order, each at its own time, through the push path."""

    def __init__(
        self,
        services: Services,
        clock: ManualClock,
        first_day: dt.date,
        members: dict[str, _Member],
    ) -> None:
        self.services = services
        self.clock = clock
        self.first_day = first_day
        self.members = members
        with services.engine.connect() as conn:
            self.team_ids = {str(r.name): str(r.id) for r in conn.execute(select(schema.teams))}
        self.message_ids: dict[str, str] = {}
        self.note_ids: dict[str, str] = {}
        self.messages = self.notes = self.photos = 0

    def run(self, step: Step) -> None:
        day, hhmm, username, action = step
        hours, minutes = (int(part) for part in hhmm.split(":"))
        moment = dt.datetime.combine(
            self.first_day + dt.timedelta(days=day), dt.time(hours, minutes), dt.UTC
        )
        self.clock.set(moment)
        member = self.members[username]
        if isinstance(action, Say):
            self._say(member, action, moment)
        elif isinstance(action, Ack):
            self._push(member, MessageAck(_new_id(), self.message_ids[action.message]))
        elif isinstance(action, Read):
            with self.services.engine.connect() as conn:
                head = events.head(conn)
            self._push(member, ReceiptRead(_new_id(), self.team_ids[action.team], head))
        else:
            self._file(member, action, moment)

    def _push(self, member: _Member, op: Op) -> OpResult:
        result = apply_push(self.services, member.caller, PushRequest((op,))).results[0]
        if result.status != "applied":
            problem = result.error.message if result.error else result.status
            raise DemoError(f"the demo's {op.type} op was not applied: {problem}")
        return result

    def _say(self, member: _Member, say: Say, moment: dt.datetime) -> None:
        message_id = _new_id()
        self._push(
            member,
            MessagePost(
                op_id=_new_id(), team_id=self.team_ids[say.team], message_id=message_id,
                body=say.body, priority="urgent" if say.urgent else "routine",
                client_ts=format_timestamp(moment - dt.timedelta(seconds=3)),
                note_ref=None if say.about is None else self.note_ids[say.about],
            ),
        )  # fmt: skip
        if say.key is not None:
            self.message_ids[say.key] = message_id
        self.messages += 1

    def _file(self, member: _Member, filed: File, moment: dt.datetime) -> None:
        nhs_number, born = PATIENTS[filed.patient]
        answers: dict[str, object] = {
            "patient.identifierSystem": "nhs",
            "patient.identifier": f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}",
            "patient.birthDate": born,
            "patient.confirmed": True,
        }
        for link_id, value in filed.answers.items():
            if value == JUST_BEFORE:
                value = moment - dt.timedelta(minutes=10)
            elif value == DAYS_AFTER:
                value = moment.date() + dt.timedelta(days=filed.review_in_days)
            answers[link_id] = value
        if filed.photos:
            answers["wound.photos"] = [self._photo(member, index) for index in range(filed.photos)]
        note_id = _new_id()
        resource = forms.build_response(
            filed.form, answers, staff_id=member.caller.staff_id,
            staff_name=member.display_name, response_id=note_id, now=moment,
            chi_system=self.services.policy.chi_system, today=moment.date(),
        )  # fmt: skip
        assert isinstance(resource, dict)
        self._push(member, NoteSubmit(_new_id(), self.team_ids[filed.team], note_id, resource))
        if filed.key is not None:
            self.note_ids[filed.key] = note_id
        self.notes += 1

    def _photo(self, member: _Member, index: int) -> forms.PhotoAnswer:
        """A generated wound photo, made safe by the core and uploaded as a client would."""
        self.photos += 1
        photo = process_photo(
            wound_photo(self.photos), max_bytes=self.services.policy.max_photo_bytes
        )
        is_png = photo.content_type == PNG_CONTENT_TYPE
        blobs.store(
            self.services, member.caller, photo.sha256,
            PhotoFormat.PNG if is_png else PhotoFormat.JPEG, photo.data,
        )  # fmt: skip
        return forms.PhotoAnswer(
            sha256=photo.sha256, content_type=photo.content_type, size=photo.size,
            title=f"Right heel, view {index + 1}", sha1=photo.sha1_base64,
        )  # fmt: skip


def _new_id() -> str:
    return str(uuid.uuid4())


def wound_photo(seed: int, size: tuple[int, int] = (1280, 960)) -> bytes:
    """A made-up clinical photo: skin, a healing wound with a paper ruler, and camera metadata
    (a maker and a capture time) that the photo step must strip."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (224, 180, 150))
    draw = ImageDraw.Draw(image)
    for _ in range(400):  # skin texture
        x, y = rng.randrange(width), rng.randrange(height)
        shade = rng.randrange(-18, 18)
        draw.ellipse(
            (x, y, x + rng.randrange(8, 40), y + rng.randrange(8, 40)),
            fill=(224 + shade, 180 + shade, 150 + shade),
        )
    cx, cy = width // 2 + rng.randrange(-80, 80), height // 2 + rng.randrange(-60, 60)
    rx, ry = 180 - seed * 12, 120 - seed * 8
    draw.ellipse((cx - rx - 30, cy - ry - 30, cx + rx + 30, cy + ry + 30), fill=(200, 120, 110))
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(170, 40, 45))
    for _ in range(12):  # granulation and slough
        x, y = cx + rng.randrange(-rx // 2, rx // 2), cy + rng.randrange(-ry // 2, ry // 2)
        r = rng.randrange(10, 30)
        colour = (230, 210, 120) if rng.random() < 0.3 else (190, 50, 60)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(image)
    ruler_y = height - 120
    draw.rectangle((80, ruler_y, width - 80, ruler_y + 60), fill=(250, 250, 245))
    for mm in range((width - 160) // 10 + 1):
        x = 80 + mm * 10
        tick = 30 if mm % 10 == 0 else 15 if mm % 5 == 0 else 8
        draw.line((x, ruler_y, x, ruler_y + tick), fill=(30, 30, 30), width=2)
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # Make
    exif[0x0132] = "2026:01:01 09:00:00"  # DateTime
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()
