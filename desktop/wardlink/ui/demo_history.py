"""A few days of realistic ward chat, written into a store through the store's own operations.

For screenshots and manual checks without a server: others' messages arrive as a pull page
would deliver them, mine go through the outbox, one is held by the server's guard. Chat names
beds and bays, never patients, as on a real ward. No Qt here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from wardlink.core.clock import format_timestamp
from wardlink.core.model import Message, Priority, Role, Staff, Team, TeamKind
from wardlink.store import messages, outbox, teams
from wardlink.store.database import Store
from wardlink.store.messages import RemoteMessage
from wardlink.store.outbox import OpResult

ME: Final = Staff("6f1c2a7e-8a51-4d3e-9a43-5b8e0c1d2f30", "alice", "Alice Morgan", Role.STAFF)
BOB: Final = Staff("0b0b0b0b-0000-4000-8000-000000000002", "bob", "Bob Adeyemi", Role.STAFF)
GRACE: Final = Staff("0b0b0b0b-0000-4000-8000-000000000003", "grace", "Grace Okafor", Role.STAFF)
TOM: Final = Staff("0b0b0b0b-0000-4000-8000-000000000004", "tom", "Dr Tom Reid", Role.STAFF)
HANNAH: Final = Staff("0b0b0b0b-0000-4000-8000-000000000005", "hannah", "Hannah Lee", Role.STAFF)
CAROL: Final = Staff("0b0b0b0b-0000-4000-8000-000000000006", "carol", "Carol Nwosu", Role.STAFF)
SAM: Final = Staff("0b0b0b0b-0000-4000-8000-000000000007", "sam", "Sam Patterson", Role.STAFF)
STAFF: Final = (ME, BOB, GRACE, TOM, HANNAH, CAROL, SAM)

WARD: Final = Team("2b7d9c41-3e5f-4a6b-8c7d-9e0f1a2b3c4d", "Ward 7 (Surgical)", TeamKind.WARD)
COMMUNITY: Final = Team(
    "3c8e0d52-4f60-4b7c-9d8e-0f1a2b3c4d5e", "Community Nursing North", TeamKind.COMMUNITY
)
NIGHT: Final = Team("4d9f1e63-5071-4c8d-8e9f-1a2b3c4d5e6f", "Hospital at Night", TeamKind.WARD)
TEAMS: Final = (WARD, COMMUNITY, NIGHT)

HELD_BODY: Final = "Old notes for RX1234567 are on the desk in the office"
HELD_REASON: Final = (
    "The message looks like it contains a hospital number. Patient details belong in a "
    "patient note, not in chat."
)


@dataclass(frozen=True)
class Line:
    day: int  # 0 is today, -1 yesterday
    time: str  # "HH:MM" UTC
    team: Team
    author: Staff
    body: str
    urgent: bool = False
    acked_by: Staff | None = None


# fmt: off
HISTORY: Final = (
    Line(-2, "07:05", WARD, GRACE, "Morning all. Day shift is on: handover in the office at 07:30."),  # noqa: E501
    Line(-2, "07:42", WARD, BOB, "Bay 2 bed 4 needs a pressure-relieving mattress; equipment library says by 11:00."),  # noqa: E501
    Line(-2, "08:24", WARD, ME, "SBAR filed for bay 4 bed 2, FY1 to review this morning."),
    Line(-2, "08:30", COMMUNITY, CAROL, "Starting the north round from the base. Car 2 is low on fuel, reported to fleet."),  # noqa: E501
    Line(-2, "09:12", WARD, BOB, "Bay 4 bed 2 NEWS2 is 7 now. FY1 bleeped on 2345 and outreach called; please stay close to bay 4.", urgent=True, acked_by=ME),  # noqa: E501
    Line(-2, "09:20", WARD, TOM, "With bay 4 now. Bloods and a gas sent, chest X-ray requested."),
    Line(-2, "12:25", WARD, BOB, "Can someone cover my break at 12:30? Bay 3 is settled."),
    Line(-2, "12:26", WARD, ME, "Covering, go now."),
    Line(-2, "16:45", WARD, GRACE, "Pharmacy have sent up the IV antibiotics for bay 1; they are in the treatment room fridge."),  # noqa: E501
    Line(-2, "19:30", WARD, ME, "Handover to nights done. Fridge temperature 4.1 C, logged."),
    Line(-2, "21:10", NIGHT, SAM, "Night team on. Bleep 2200 holder tonight is Sam."),
    Line(-1, "02:40", NIGHT, SAM, "Ward 9 needs a cannula re-sited in bay 2, added to the jobs list."),  # noqa: E501
    Line(-1, "07:10", WARD, BOB, "Day shift on. Two admissions expected from ED this morning, beds 5 and 6 in bay 3."),  # noqa: E501
    Line(-1, "09:40", WARD, BOB, "Need a second checker for controlled drugs in the treatment room now, please.", urgent=True, acked_by=ME),  # noqa: E501
    Line(-1, "09:41", WARD, ME, "On my way."),
    Line(-1, "10:30", COMMUNITY, CAROL, "Syringe driver at the 10:00 visit is running fine; next check this afternoon."),  # noqa: E501
    Line(-1, "13:00", WARD, GRACE, "Bed manager wants discharges before 14:00. Bay 2 bed 1 is waiting on transport only."),  # noqa: E501
    Line(-1, "15:25", WARD, HANNAH, "Fall in the bay 3 bathroom, post-fall review filed. Doctor on call reviewing now.", urgent=True, acked_by=GRACE),  # noqa: E501
    Line(-1, "17:50", WARD, TOM, "Bay 3 bed 5 CT head is clear. Neuro obs can go to 4-hourly."),
    Line(-1, "17:55", COMMUNITY, CAROL, "Dressing stock at base is low: foam 10x10 and saline pods. Order placed."),  # noqa: E501
    Line(-1, "19:30", WARD, BOB, "Handover to nights done. Bay 3 bed 5 on enhanced observation overnight."),  # noqa: E501
    Line(-1, "23:15", NIGHT, SAM, "Ward 7 bay 3 bed 5 reviewed at 23:00, settled. Neuro obs stable."),  # noqa: E501
    Line(0, "07:05", WARD, GRACE, "Morning all. Short-staffed today: one HCA off sick, the bank request is in."),  # noqa: E501
    Line(0, "07:48", WARD, ME, "I'll take bays 1 and 2. Hannah, can you float between bays 3 and 4?"),  # noqa: E501
    Line(0, "07:50", WARD, HANNAH, "Yes, no problem."),
    Line(0, "08:30", WARD, TOM, "Ward round starts in bay 1 at 09:00, please have the obs charts at the bedside."),  # noqa: E501
    Line(0, "08:45", COMMUNITY, CAROL, "Morning visits split between Carol and Dave; the list is on the board at base."),  # noqa: E501
    Line(0, "10:15", WARD, BOB, "Theatre called: bay 1 bed 2 going down at 10:45, checklist done."),
    Line(0, "11:02", WARD, GRACE, "Reminder: the resus trolley check is due today, please sign the log when done."),  # noqa: E501
    Line(0, "11:40", COMMUNITY, CAROL, "Running 20 minutes late for the 12:00 visit, the family have been told."),  # noqa: E501
    Line(0, "12:40", WARD, HANNAH, "Lunch trolley is here. Bay 3 bed 6 is nil by mouth from 12:00, the sign is up."),  # noqa: E501
    Line(0, "13:05", WARD, BOB, "Bay 2 bed 3 drain output 400 ml in the last hour. FY1 bleeped on 2345; can someone bring the obs trolley?", urgent=True),  # noqa: E501
    Line(0, "13:06", WARD, TOM, "Coming now, 2 minutes."),
    Line(0, "13:30", COMMUNITY, CAROL, "Back at base for the 15:30 huddle."),
)
# fmt: on

OFFLINE_MESSAGES: Final = (
    ("Bay 1 bed 2 is back from theatre, obs stable, on the ward at 14:05.", Priority.ROUTINE),
    ("Bay 2 bed 3 BP dropping, FY1 needed back now: bleep 2345 not answered.", Priority.URGENT),
)


def at(now: dt.datetime, day: int, time: str) -> dt.datetime:
    hour, minute = (int(part) for part in time.split(":"))
    date = (now + dt.timedelta(days=day)).date()
    return dt.datetime(date.year, date.month, date.day, hour, minute, tzinfo=dt.UTC)


def fill(store: Store, now: dt.datetime) -> None:
    """Write the teams, staff and history into `store` (its clock should say `now`)."""
    teams.save_directory(store, teams=TEAMS, staff=STAFF)
    pulled: list[RemoteMessage] = []
    acks: list[tuple[str, Staff, dt.datetime]] = []
    for seq, line in enumerate(HISTORY, start=1):
        when = at(now, line.day, line.time)
        message_id = f"demo-{seq:04d}"
        pulled.append(
            RemoteMessage(
                seq=seq,
                id=message_id,
                team_id=line.team.id,
                author_id=line.author.id,
                author_name=line.author.display_name,
                body=line.body,
                priority=str(Priority.URGENT if line.urgent else Priority.ROUTINE),
                client_ts=format_timestamp(when - dt.timedelta(seconds=2)),
                server_ts=format_timestamp(when),
            )
        )
        if line.acked_by is not None:
            acks.append((message_id, line.acked_by, when + dt.timedelta(minutes=1)))
    messages.apply_remote_messages(store, pulled, cursor=len(pulled))
    with store.transaction():
        for message_id, by, when in acks:
            messages.apply_ack_in_tx(store, message_id, by.id, format_timestamp(when))
    # What I have read: everything in Ward 7 up to the morning, the night team's first message.
    last_read = {WARD.id: 0, NIGHT.id: 0, COMMUNITY.id: 0}
    for seq, line in enumerate(HISTORY, start=1):
        if line.team is WARD and (line.day, line.time) <= (0, "11:02"):
            last_read[WARD.id] = seq
        if line.team is NIGHT and line.day == -2:
            last_read[NIGHT.id] = seq
        if line.team is COMMUNITY and line.day < 0:
            last_read[COMMUNITY.id] = seq
    for team_id, seq in last_read.items():
        if seq:
            messages.mark_read(store, team_id, seq)
    hold(store, messages.add_local_message(store, WARD.id, HELD_BODY)[0])


def hold(store: Store, message: Message) -> None:
    """Settle my message's post as the server's guard would: rejected, with its reason."""
    for item in outbox.next_batch(store):
        if item.subject_id == message.id and item.type == "message.post":
            outbox.record_results(
                store,
                [OpResult(item.op_id, "rejected", None, "patient_identifiers", HELD_REASON)],
            )


def settle_outbox(store: Store) -> None:
    """Mark everything queued as delivered except my messages (receipts, acks): as if synced."""
    results = [
        OpResult(item.op_id, "applied")
        for item in outbox.next_batch(store)
        if item.type != "message.post"
    ]
    outbox.record_results(store, results)


def write_offline(store: Store) -> list[Message]:
    """My messages written while offline: queued, one of them urgent."""
    return [
        messages.add_local_message(store, WARD.id, body, priority=priority)[0]
        for body, priority in OFFLINE_MESSAGES
    ]
